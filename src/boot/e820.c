/* The e820 memory map: see e820.h for the layout and why the hole is a gap. */
#include "boot/e820.h"

#include <errno.h>

#include "boot/layout.h"

int e820_add(struct e820_entry *tbl, unsigned max, unsigned *nr,
             uint64_t addr, uint64_t size, uint32_t type)
{
    uint64_t end;
    unsigned i, pos;

    if (size == 0 || __builtin_add_overflow(addr, size, &end))
        return -EINVAL;
    if (*nr >= max)
        return -ENOSPC;
    pos = *nr;
    for (i = 0; i < *nr; i++) {
        if (addr < tbl[i].addr + tbl[i].size && tbl[i].addr < end)
            return -EINVAL;
        if (pos == *nr && end <= tbl[i].addr)
            pos = i;
    }
    for (i = *nr; i > pos; i--)
        tbl[i] = tbl[i - 1];
    tbl[pos] = (struct e820_entry){ .addr = addr, .size = size, .type = type };
    (*nr)++;
    return 0;
}

int e820_build(struct e820_entry *tbl, unsigned max, uint64_t ram_size,
               unsigned *nr)
{
    uint64_t low = layout_ram_low(ram_size);
    uint64_t high = layout_ram_high(ram_size);
    int rc;

    *nr = 0;
    if (ram_size < LAYOUT_RAM_MIN)
        return -EINVAL;
    rc = e820_add(tbl, max, nr, 0, LAYOUT_EBDA, E820_RAM);
    if (rc == 0)
        rc = e820_add(tbl, max, nr, LAYOUT_EBDA, LAYOUT_HIGH_MEM - LAYOUT_EBDA,
                      E820_RESERVED);
    if (rc == 0 && low > LAYOUT_HIGH_MEM)
        rc = e820_add(tbl, max, nr, LAYOUT_HIGH_MEM, low - LAYOUT_HIGH_MEM,
                      E820_RAM);
    if (rc == 0 && high > 0)
        rc = e820_add(tbl, max, nr, LAYOUT_HIGH_RAM, high, E820_RAM);
    if (rc < 0)
        *nr = 0;
    return rc;
}
