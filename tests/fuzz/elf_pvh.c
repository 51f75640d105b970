/* libFuzzer target: the ELF vmlinux parser (boot/elf.c) and the PVH loader
 * (boot/pvh.c) on any bytes. The first 4 input bytes pick the loader's
 * arguments (guest RAM size, initrd length, command line length, e820
 * count); the rest is the image. Checks what the loader relies on:
 *   - an accepted image has 1..ELF_MAX_LOADS segments, each with its file
 *     bytes inside the image, filesz <= memsz, no address wrap, no two
 *     overlapping, [lo, hi) spanning them all, the PVH entry inside one;
 *   - a load that succeeds put every segment in [1 MiB, ram_low) with its
 *     file bytes and zero tail, the initrd page-aligned above the kernel
 *     and below ram_low, and a start_info with the magic and our memmap;
 *   - a load that fails wrote nothing below 1 MiB (the fixed spots);
 *   - every reason has a message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/layout.h"
#include "boot/pvh.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "boot_args.h"

#define RAM_MAX (8 * MiB)

static uint8_t *ram;

static void check(bool ok)
{
    if (!ok)
        abort();
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void check_info(const uint8_t *img, size_t len, const struct elf_info *ei)
{
    bool entry_in = false;

    check(ei->nload >= 1 && ei->nload <= ELF_MAX_LOADS && ei->lo < ei->hi);
    for (unsigned i = 0; i < ei->nload; i++) {
        const struct elf_segment *s = &ei->load[i];

        check(s->offset <= len && s->filesz <= len - s->offset);
        check(s->filesz <= s->memsz && s->memsz > 0);
        check(s->paddr + s->memsz > s->paddr);
        check(s->paddr >= ei->lo && s->paddr + s->memsz <= ei->hi);
        for (unsigned j = 0; j < i; j++)
            check(s->paddr >= ei->load[j].paddr + ei->load[j].memsz ||
                  ei->load[j].paddr >= s->paddr + s->memsz);
        if (ei->pvh_entry >= s->paddr && ei->pvh_entry - s->paddr < s->filesz)
            entry_in = true;
    }
    check(!ei->pvh || entry_in);
    (void)img;
}

static void check_loaded(const uint8_t *img, const struct elf_info *ei,
                         const struct boot_load_args *a,
                         const struct pvh_result *res)
{
    const uint8_t *si = ram + LAYOUT_PVH_START_INFO;

    check(ei->lo >= LAYOUT_HIGH_MEM && ei->hi <= a->ram_low);
    for (unsigned i = 0; i < ei->nload; i++) {
        const struct elf_segment *s = &ei->load[i];

        check(memcmp(ram + s->paddr, img + s->offset, s->filesz) == 0);
        check(all_zero(ram + s->paddr + s->filesz, s->memsz - s->filesz));
    }
    if (a->initrd_len) {
        check(res->initrd_addr % 4096 == 0 && res->initrd_addr >= ei->hi);
        check(res->initrd_addr + a->initrd_len <= a->ram_low);
        check(le32_get(si, 12) == 1 && le64_get(si, 0x48) == a->initrd_len);
    }
    check(le32_get(si, 0) == PVH_START_MAGIC && le32_get(si, 4) == 1);
    check(le32_get(si, 48) == a->e820_nr);
    check(res->entry == ei->pvh_entry && res->start_info == LAYOUT_PVH_START_INFO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t rams[4] = { 2 * MiB, 3 * MiB, 5 * MiB, RAM_MAX };
    struct fuzz_boot b;
    struct boot_load_args *a = &b.a;
    struct pvh_result res;
    struct x86_boot_cpu cpu;
    struct elf_info ei;
    struct gmem gm;
    int rc;

    if (size < FUZZ_BOOT_OPTS)
        return 0;
    ram = fuzz_boot_args(&b, data, rams, 260);
    data += FUZZ_BOOT_OPTS;
    size -= FUZZ_BOOT_OPTS;

    rc = elf_parse(data, size, &ei);
    check(elf_strerror(ei.reason) != NULL && ei.len == size);
    check((rc == 0) == (ei.reason == ELF_OK));
    if (rc == 0) {
        check_info(data, size, &ei);
        gmem_init(&gm);
        check(gmem_add(&gm, 0, a->ram_low, ram) == 0);
        memset(ram, 0xEE, LAYOUT_HIGH_MEM);
        rc = pvh_load(&gm, data, size, &ei, a, &res);
        check(pvh_strerror(res.reason) != NULL);
        check((rc == 0) == (res.reason == PVH_OK));
        if (rc == 0) {
            check_loaded(data, &ei, a, &res);
            check(pvh_entry_setup(&gm, &res, &cpu) == 0);
            check(cpu.rip == ei.pvh_entry && cpu.cs.db == 1 && cpu.cs.l == 0);
        } else {
            check(ram[LAYOUT_PVH_START_INFO] == 0xEE && ram[LAYOUT_CMDLINE] == 0xEE);
        }
    }
    fuzz_boot_done(&b);
    return 0;
}
