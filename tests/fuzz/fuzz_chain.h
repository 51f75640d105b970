/* Descriptor chains for device fuzz targets: a buffer split into pieces
 * at points the input chooses, each piece one descriptor. */
#ifndef VESSEL_TESTS_FUZZ_CHAIN_H
#define VESSEL_TESTS_FUZZ_CHAIN_H

#include "core/types.h"
#include "fuzz_input.h"

/* A piece of a chain under construction. */
struct piece {
    gpa_t addr;
    uint32_t len;
    bool write;
};

/* Split [addr, addr+len) into up to (n) pieces at input-chosen points,
 * at most (room) of them into (out). Returns how many. */
static inline unsigned split(struct in *in, struct piece *out, unsigned room,
                             gpa_t addr, uint32_t len, unsigned n, bool write)
{
    unsigned k = 0;

    while (len && k < room) {
        uint32_t take = len;

        if (k + 1 < n && len > 1)
            take = 1 + get16(in) % (len - 1);
        out[k++] = (struct piece){.addr = addr, .len = take, .write = write};
        addr += take;
        len -= take;
    }
    return k;
}

#endif
