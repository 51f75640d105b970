/* Descriptor chains for device fuzz targets: a buffer split into pieces
 * at points the input chooses, each piece one descriptor. */
#ifndef VESSEL_TESTS_FUZZ_CHAIN_H
#define VESSEL_TESTS_FUZZ_CHAIN_H

#include "core/bytes.h"
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

/* Descriptor (i) of the table at (table) in the fake RAM at (ram). */
static inline void fuzz_put_desc(uint8_t *ram, gpa_t table, unsigned i,
                                 gpa_t addr, uint32_t len, uint16_t flags,
                                 uint16_t next)
{
    uint8_t *p = ram + table + 16 * (gpa_t)i;

    le64_put(p, 0, addr);
    le32_put(p, 8, len);
    le16_put(p, 12, flags);
    le16_put(p, 14, next);
}

#endif
