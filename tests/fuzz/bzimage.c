/* libFuzzer target: the bzImage parser and loader (boot/bzimage.c) on any
 * bytes. The first 4 input bytes pick the loader's arguments (guest RAM
 * size, initrd length, command line length, e820 count); the rest is the
 * image. Checks what the VMM relies on:
 *   - an accepted image's protected-mode part lies inside it, past the
 *     setup sectors, with the 64-bit entry inside the file;
 *   - a load that succeeds put the kernel at or above 1 MiB with its whole
 *     init_size span below ram_low, copied the protected-mode bytes there,
 *     put the initrd page-aligned above that span and below ram_low and the
 *     limits of the header, and wrote a zero page with our e820 count;
 *   - every reason's message fits any buffer, NUL-terminated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/layout.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "boot_args.h"

#define RAM_MAX (12 * MiB)

static uint8_t *ram;

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void check_describe(enum bzimage_reason r, const struct bzimage_info *bi)
{
    char buf[200];
    size_t full = bzimage_describe(r, bi, buf, sizeof(buf));

    check(full == strlen(buf) || (full >= sizeof(buf) &&
                                  strlen(buf) == sizeof(buf) - 1));
    check(bzimage_describe(r, bi, buf, 7) == full && strlen(buf) <= 6);
    check(bzimage_describe(r, bi, NULL, 0) == full);
}

static void check_loaded(const uint8_t *img, const struct bzimage_info *bi,
                         const struct boot_load_args *a,
                         const struct boot_load_result *res)
{
    uint64_t limit = (uint64_t)bi->initrd_addr_max + 1;

    check(res->kernel_addr >= LAYOUT_HIGH_MEM);
    check(res->kernel_addr + res->kernel_span <= a->ram_low);
    check(res->kernel_span >= bi->kernel_size);
    check(res->entry == res->kernel_addr + BZIMAGE_ENTRY64_OFFSET);
    check(memcmp(ram + res->kernel_addr, img + bi->kernel_offset,
                 bi->kernel_size) == 0);
    if (a->initrd_len) {
        check(res->initrd_addr % 4096 == 0);
        check(res->initrd_addr >= res->kernel_addr + res->kernel_span);
        check(res->initrd_addr + a->initrd_len <= a->ram_low);
        check(res->initrd_addr + a->initrd_len <= limit);
    }
    check(ram[LAYOUT_ZERO_PAGE + 0x1E8] == a->e820_nr);
    check(le32_get(ram, LAYOUT_ZERO_PAGE + 0x228) == LAYOUT_CMDLINE);
    check(le64_get(ram, LAYOUT_ZERO_PAGE + 0x250) == 0);   /* no setup_data */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t rams[4] = { 2 * MiB, 5 * MiB, 9 * MiB, RAM_MAX };
    struct fuzz_boot b;
    struct boot_load_args *a = &b.a;
    struct boot_load_result res;
    struct bzimage_info bi;
    struct gmem gm;
    int rc;

    if (size < FUZZ_BOOT_OPTS)
        return 0;
    ram = fuzz_boot_args(&b, data, rams, 16);
    data += FUZZ_BOOT_OPTS;
    size -= FUZZ_BOOT_OPTS;

    rc = bzimage_parse(data, size, &bi);
    check((rc == 0) == (bi.reason == BZIMAGE_OK) && bi.len == size);
    check_describe(bi.reason, &bi);
    if (rc == 0) {
        check(bi.kernel_offset == (bi.setup_sects + 1) * 512U);
        check(bi.kernel_offset + bi.kernel_size == size);
        check(bi.kernel_size > BZIMAGE_ENTRY64_OFFSET);
        check(bi.hdr_end >= 0x264 && bi.hdr_end <= 0x290);
        gmem_init(&gm);
        check(gmem_add(&gm, 0, a->ram_low, ram) == 0);
        rc = bzimage_load(&gm, data, size, &bi, a, &res);
        check((rc == 0) == (res.reason == BZIMAGE_OK));
        check_describe(res.reason, &bi);
        if (rc == 0)
            check_loaded(data, &bi, a, &res);
    }
    fuzz_boot_done(&b);
    return 0;
}
