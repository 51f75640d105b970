/* The fuzz input as a stream of little-endian integers: each target turns
 * libFuzzer's bytes into guest actions by reading them in order. Reading
 * past the end gives zeros, so every input is a complete program. */
#ifndef VESSEL_TESTS_FUZZ_INPUT_H
#define VESSEL_TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

struct in {
    const uint8_t *p;
    size_t n;
};

/* The next (bytes) bytes (at most 8) as a little-endian number. */
static inline uint64_t take(struct in *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes && in->n; i++, in->p++, in->n--)
        v |= (uint64_t)*in->p << (8 * i);
    return v;
}

static inline uint8_t get8(struct in *in) { return (uint8_t)take(in, 1); }
static inline uint16_t get16(struct in *in) { return (uint16_t)take(in, 2); }
static inline uint32_t get32(struct in *in) { return (uint32_t)take(in, 4); }
static inline uint64_t get64(struct in *in) { return take(in, 8); }

#endif
