/* Shared by the boot loader fuzz targets (bzimage.c, elf_pvh.c): the
 * loader arguments picked by the input's first FUZZ_BOOT_OPTS bytes.
 *   byte 0: guest RAM size (one of four the target names)
 *   byte 1: initrd length (low nibble: 4 KiB pages, high: extra bytes)
 *   byte 2: command line length, in steps the target names
 *   byte 3: bit 7 no command line, bit 6 no e820 map */
#ifndef VESSEL_FUZZ_BOOT_ARGS_H
#define VESSEL_FUZZ_BOOT_ARGS_H

#include <stdlib.h>
#include <string.h>

#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/layout.h"

#define FUZZ_BOOT_OPTS 4

struct fuzz_boot {
    struct boot_load_args a;
    struct e820_entry e820[E820_MAX_ENTRIES];
    size_t cut;                   /* where the command line's NUL went */
};

static uint8_t fuzz_initrd[64 * 1024];
static char fuzz_cmdline[LAYOUT_CMDLINE_MAX + 16];

static uint8_t *fuzz_ram;

/* Fill (b) from (opt); (rams) are the four RAM sizes, the last the
 * largest, (step) the command line length unit. Returns guest RAM of
 * rams[3] bytes (allocated once, contents left from earlier inputs).
 * Aborts if memory or the e820 map cannot be had. */
static inline uint8_t *fuzz_boot_args(struct fuzz_boot *b, const uint8_t *opt,
                                      const uint64_t rams[4], size_t step)
{
    unsigned nr = 0;

    if (!fuzz_ram) {
        fuzz_ram = calloc(1, rams[3]);
        if (!fuzz_ram)
            abort();
        memset(fuzz_initrd, 0x5A, sizeof(fuzz_initrd));
        memset(fuzz_cmdline, 'c', sizeof(fuzz_cmdline));
    }
    b->a = (struct boot_load_args){
        .ram_low = rams[opt[0] & 3],
        .initrd = fuzz_initrd,
        .initrd_len = (size_t)(opt[1] & 0xF) * 4096 + (opt[1] >> 4),
        .rsdp = LAYOUT_ACPI_BASE,
        .e820 = b->e820,
    };
    b->cut = (size_t)opt[2] * step;
    if (b->cut >= sizeof(fuzz_cmdline))
        b->cut = sizeof(fuzz_cmdline) - 1;
    fuzz_cmdline[b->cut] = '\0';
    b->a.cmdline = opt[3] & 0x80 ? NULL : fuzz_cmdline;
    if (e820_build(b->e820, E820_MAX_ENTRIES, b->a.ram_low, &nr) != 0)
        abort();
    b->a.e820_nr = (opt[3] & 0x40) ? 0 : nr;
    return fuzz_ram;
}

/* Undo the command line cut for the next input. */
static inline void fuzz_boot_done(const struct fuzz_boot *b)
{
    fuzz_cmdline[b->cut] = 'c';
}

#endif
