/* The BIOS e820 memory map that a Linux guest reads from boot_params.
 *
 * Layout (see boot/layout.h):
 *   [0, 0x9FC00)               usable
 *   [0x9FC00, 0x100000)        reserved (EBDA, VGA window, BIOS, ACPI tables)
 *   [0x100000, low RAM top)    usable
 *   [4 GiB, 4 GiB + rest)      usable, when RAM is larger than 3 GiB
 * The MMIO hole [3 GiB, 4 GiB) is not listed: Linux treats gaps in the map
 * as free bus address space and allocates PCI resources from them. Device
 * windows that must not be used for that (a PCI ECAM area, say) are added
 * as E820_RESERVED with e820_add() by whoever creates them. */
#ifndef VESSEL_BOOT_E820_H
#define VESSEL_BOOT_E820_H

#include "core/types.h"

#define E820_RAM 1U
#define E820_RESERVED 2U
#define E820_ACPI 3U
#define E820_NVS 4U

/* Most entries boot_params can carry (its e820_table at 0x2D0). */
#define E820_MAX_ENTRIES 128U

/* One entry exactly as boot_params.e820_table lays it out (20 bytes). */
struct e820_entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));

/* Build the map for a guest of (ram_size) bytes of RAM laid out as
 * boot/layout.h says, into (tbl) which has room for (max) entries; the
 * count goes to (*nr). Returns 0, -EINVAL if ram_size is below
 * LAYOUT_RAM_MIN (the fixed boot spots need the first MiB), -ENOSPC if
 * (max) is too small (4 entries always suffice). */
int e820_build(struct e820_entry *tbl, unsigned max, uint64_t ram_size,
               unsigned *nr) MUST_CHECK;

/* Append [addr, addr+size) of (type) to a map of (*nr) entries, keeping it
 * sorted by address. Returns 0, -EINVAL on size 0, overflow or overlap with
 * an existing entry, -ENOSPC when (max) entries are in use. */
int e820_add(struct e820_entry *tbl, unsigned max, unsigned *nr,
             uint64_t addr, uint64_t size, uint32_t type) MUST_CHECK;

#endif
