/* Basic types and compiler helpers shared by every layer. */
#ifndef VESSEL_CORE_TYPES_H
#define VESSEL_CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A guest physical address. */
typedef uint64_t gpa_t;

/* Results of functions marked MUST_CHECK are 0 or a negative errno. */
#define MUST_CHECK __attribute__((warn_unused_result))
#define UNUSED __attribute__((unused))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

static inline uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static inline uint64_t align_down(uint64_t v, uint64_t a)
{
    return v & ~(a - 1);
}

#endif
