/* Little-endian fields in byte buffers: boot structures, ACPI tables, AML
 * and CMOS are all little-endian whatever the host is.
 *
 * Each helper reads or writes the field of its width at (p + off), one byte
 * at a time, so (p + off) need not be aligned. The caller bounds-checks:
 * [off, off + width) must lie inside the buffer (p) points to. */
#ifndef VESSEL_CORE_BYTES_H
#define VESSEL_CORE_BYTES_H

#include "core/types.h"

static inline uint16_t le16_get(const uint8_t *p, size_t off)
{
    return (uint16_t)(p[off] | (unsigned)p[off + 1] << 8);
}

static inline uint32_t le32_get(const uint8_t *p, size_t off)
{
    return le16_get(p, off) | (uint32_t)le16_get(p, off + 2) << 16;
}

static inline uint64_t le64_get(const uint8_t *p, size_t off)
{
    return le32_get(p, off) | (uint64_t)le32_get(p, off + 4) << 32;
}

static inline void le16_put(uint8_t *p, size_t off, uint16_t v)
{
    p[off] = (uint8_t)v;
    p[off + 1] = (uint8_t)(v >> 8);
}

static inline void le32_put(uint8_t *p, size_t off, uint32_t v)
{
    le16_put(p, off, (uint16_t)v);
    le16_put(p, off + 2, (uint16_t)(v >> 16));
}

static inline void le64_put(uint8_t *p, size_t off, uint64_t v)
{
    le32_put(p, off, (uint32_t)v);
    le32_put(p, off + 4, (uint32_t)(v >> 32));
}

#endif
