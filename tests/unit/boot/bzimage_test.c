/* bzImage parser and loader on synthetic images built here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/layout.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "helpers/fakes.h"

#define SETUP_SECTS 4U
#define KERNEL_OFF ((SETUP_SECTS + 1) * 512U)
#define KERNEL_LEN 8192U
#define IMG_LEN (KERNEL_OFF + KERNEL_LEN)
#define RAM_SIZE (48 * MiB)
#define INIT_SIZE (4 * MiB)

static uint8_t img[IMG_LEN];

/* A minimal valid 2.15 bzImage: relocatable, 64-bit, pref 16 MiB. */
static void make_image(void)
{
    memset(img, 0, sizeof(img));
    img[0x1F1] = SETUP_SECTS;
    le16_put(img, 0x1FE, 0xAA55);
    img[0x200] = 0xEB;
    img[0x201] = 0x6A;                    /* header ends at 0x26C */
    memcpy(img + 0x202, "HdrS", 4);
    le16_put(img, 0x206, 0x020F);
    img[0x211] = 0x01;                    /* LOADED_HIGH */
    le32_put(img, 0x22C, 0x7FFFFFFF);     /* initrd_addr_max */
    le32_put(img, 0x230, 2 * MiB);        /* kernel_alignment */
    img[0x234] = 1;                       /* relocatable */
    img[0x235] = 21;                      /* min_alignment */
    le16_put(img, 0x236, 0x3);            /* XLF_KERNEL_64 | ABOVE_4G */
    le32_put(img, 0x238, 2047);           /* cmdline_size */
    le64_put(img, 0x258, 16 * MiB);       /* pref_address */
    le32_put(img, 0x260, INIT_SIZE);      /* init_size */
    for (size_t i = KERNEL_OFF; i < IMG_LEN; i++)
        img[i] = (uint8_t)(i * 13 + 1);
}

static int setup(void **state)
{
    *state = fake_ram_new(RAM_SIZE, 0);
    make_image();
    return 0;
}

static struct boot_load_args default_args(void)
{
    return (struct boot_load_args){ .cmdline = "console=ttyS0",
                                    .ram_low = RAM_SIZE };
}

static int parse(size_t len, struct bzimage_info *bi)
{
    return bzimage_parse(img, len, bi);
}

static void expect_describe(enum bzimage_reason reason,
                            const struct bzimage_info *bi,
                            const char *want)
{
    char buf[160];

    assert_int_equal(bzimage_describe(reason, bi, buf, sizeof(buf)),
                     strlen(want));
    assert_string_equal(buf, want);
}

/* ---- parse ------------------------------------------------------------ */

static void test_parse_valid(void **state)
{
    struct bzimage_info bi;
    (void)state;
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bi.reason, BZIMAGE_OK);
    assert_int_equal(bi.version, 0x020F);
    assert_int_equal(bi.setup_sects, SETUP_SECTS);
    assert_int_equal(bi.kernel_offset, KERNEL_OFF);
    assert_int_equal(bi.kernel_size, KERNEL_LEN);
    assert_int_equal(bi.hdr_end, 0x26C);
    assert_int_equal(bi.pref_address, 16 * MiB);
    assert_int_equal(bi.init_size, INIT_SIZE);
    assert_int_equal(bi.kernel_alignment, 2 * MiB);
    assert_true(bi.relocatable);
    assert_int_equal(bi.initrd_addr_max, 0x7FFFFFFF);
    assert_int_equal(bi.cmdline_size, 2047);
    assert_int_equal(bi.xloadflags, 0x3);
    assert_int_equal(bi.loadflags, 0x1);
}

static void test_parse_truncated(void **state)
{
    static const size_t cuts[] = { 0, 0x1F0, 0x201, 0x250, 0x263, KERNEL_OFF,
                                   KERNEL_OFF + 0x200 };
    struct bzimage_info bi;
    (void)state;
    for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        assert_int_equal(parse(cuts[i], &bi), -EINVAL);
        assert_int_equal(bi.reason, BZIMAGE_TRUNCATED);
        assert_int_equal(bi.len, cuts[i]);
    }
    /* one byte past the 64-bit entry is enough */
    assert_int_equal(parse(KERNEL_OFF + 0x201, &bi), 0);
    parse(0x1F0, &bi);
    expect_describe(bi.reason, &bi,
                    "truncated: 496 bytes, a bzImage header needs 612");
    parse(KERNEL_OFF, &bi);
    expect_describe(bi.reason, &bi,
                    "truncated: 2560 bytes, but setup_sects 4 puts the kernel "
                    "at byte 2560");
}

static void test_parse_no_boot_flag(void **state)
{
    struct bzimage_info bi;
    (void)state;
    le16_put(img, 0x1FE, 0x55AA);
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    assert_int_equal(bi.reason, BZIMAGE_NO_BOOT_FLAG);
    /* even when the file is too short for the rest of the header */
    assert_int_equal(parse(0x201, &bi), -ENOEXEC);
    expect_describe(bi.reason, &bi,
                    "not a bzImage (no 0xAA55 boot flag at 0x1FE)");
}

static void test_parse_no_hdrs(void **state)
{
    struct bzimage_info bi;
    (void)state;
    memcpy(img + 0x202, "HdrZ", 4);
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    assert_int_equal(bi.reason, BZIMAGE_NO_HDRS);
    expect_describe(bi.reason, &bi, "not a bzImage (no HdrS magic)");
    expect_describe(bi.reason, NULL, "not a bzImage (no HdrS magic)");
}

static void test_parse_too_old(void **state)
{
    struct bzimage_info bi;
    (void)state;
    le16_put(img, 0x206, 0x0205);
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    assert_int_equal(bi.reason, BZIMAGE_TOO_OLD);
    assert_int_equal(bi.version, 0x0205);
    expect_describe(bi.reason, &bi, "boot protocol 2.05 too old, need 2.12");
    le16_put(img, 0x206, 0x020B);
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    expect_describe(bi.reason, &bi, "boot protocol 2.11 too old, need 2.12");
    le16_put(img, 0x206, 0x020C);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
}

static void test_parse_no_kernel64(void **state)
{
    struct bzimage_info bi;
    (void)state;
    le16_put(img, 0x236, 0x2);
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    assert_int_equal(bi.reason, BZIMAGE_NOT_64BIT);
}

static void test_parse_not_loaded_high(void **state)
{
    struct bzimage_info bi;
    (void)state;
    img[0x211] = 0x80;
    assert_int_equal(parse(IMG_LEN, &bi), -ENOEXEC);
    assert_int_equal(bi.reason, BZIMAGE_NOT_HIGH);
}

static void test_parse_setup_sects_zero_means_4(void **state)
{
    struct bzimage_info bi;
    (void)state;
    img[0x1F1] = 0;
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bi.setup_sects, 4);
    assert_int_equal(bi.kernel_offset, 5 * 512);
}

static void test_parse_setup_sects_beyond_len(void **state)
{
    struct bzimage_info bi;
    (void)state;
    img[0x1F1] = 255;                     /* 128 KiB of setup in 10 KiB */
    assert_int_equal(parse(IMG_LEN, &bi), -EINVAL);
    assert_int_equal(bi.reason, BZIMAGE_TRUNCATED);
}

static void test_parse_init_size_overflow(void **state)
{
    struct bzimage_info bi;
    (void)state;
    le64_put(img, 0x258, UINT64_MAX - 4095);
    le32_put(img, 0x260, 0x100000);
    assert_int_equal(parse(IMG_LEN, &bi), -EINVAL);
    assert_int_equal(bi.reason, BZIMAGE_BAD_HEADER);
}

static void test_parse_bad_alignment(void **state)
{
    struct bzimage_info bi;
    (void)state;
    le32_put(img, 0x230, 3 * MiB);
    assert_int_equal(parse(IMG_LEN, &bi), -EINVAL);
    assert_int_equal(bi.reason, BZIMAGE_BAD_HEADER);
    le32_put(img, 0x230, 0);
    assert_int_equal(parse(IMG_LEN, &bi), -EINVAL);
    /* not relocatable: the alignment is never used */
    img[0x234] = 0;
    assert_int_equal(parse(IMG_LEN, &bi), 0);
}

static void test_parse_header_end_bounded(void **state)
{
    struct bzimage_info bi;
    (void)state;
    img[0x201] = 0xFF;                    /* would reach into e820_table */
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bi.hdr_end, 0x290);
    img[0x201] = 0x10;
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bi.hdr_end, 0x264);
}

static void test_strerror_total(void **state)
{
    char small[8];
    (void)state;
    for (unsigned i = 0; i < BZIMAGE__COUNT; i++) {
        assert_non_null(bzimage_strerror((enum bzimage_reason)i));
        assert_true(strlen(bzimage_strerror((enum bzimage_reason)i)) > 1);
    }
    assert_string_equal(bzimage_strerror((enum bzimage_reason)-1),
                        "unknown bzImage error");
    assert_string_equal(bzimage_strerror(BZIMAGE__COUNT),
                        "unknown bzImage error");
    assert_string_equal(bzimage_strerror(BZIMAGE_INITRD_NO_FIT),
                        "initrd does not fit");
    /* truncated to the buffer, full length returned */
    assert_int_equal(bzimage_describe(BZIMAGE_INITRD_NO_FIT, NULL, small,
                                      sizeof(small)),
                     strlen("initrd does not fit"));
    assert_string_equal(small, "initrd ");
    assert_int_equal(bzimage_describe(BZIMAGE_OK, NULL, NULL, 0), 2);
}

/* ---- load ------------------------------------------------------------- */

static void test_load_kernel_placed(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;

    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(res.reason, BZIMAGE_OK);
    assert_int_equal(res.kernel_addr, 16 * MiB);
    assert_int_equal(res.entry, 16 * MiB + 0x200);
    assert_int_equal(res.kernel_span, INIT_SIZE);
    assert_int_equal(res.zero_page, LAYOUT_ZERO_PAGE);
    assert_int_equal(res.cmdline, LAYOUT_CMDLINE);
    assert_memory_equal(r->mem + 16 * MiB, img + KERNEL_OFF, KERNEL_LEN);
    assert_int_equal(res.initrd_addr, 0);
    assert_int_equal(res.initrd_size, 0);
}

static void test_load_relocates_when_pref_does_not_fit(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;

    /* pref at 64 MiB, RAM ends at 48 MiB: 16 MiB is the next choice */
    le64_put(img, 0x258, 64 * MiB);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(res.kernel_addr, 16 * MiB);
    /* with 12 MiB of RAM: 1 MiB rounded up to the 2 MiB alignment */
    a.ram_low = 12 * MiB;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(res.kernel_addr, 2 * MiB);
    assert_int_equal(res.entry, 2 * MiB + 0x200);
    assert_memory_equal(r->mem + 2 * MiB, img + KERNEL_OFF, KERNEL_LEN);
    /* init_size decides, not the file size */
    a.ram_low = 2 * MiB + INIT_SIZE - 1;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -ENOSPC);
    assert_int_equal(res.reason, BZIMAGE_KERNEL_NO_FIT);
}

static void test_load_fixed_kernel_must_fit(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;

    img[0x234] = 0;                       /* not relocatable */
    le64_put(img, 0x258, 64 * MiB);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -ENOSPC);
    assert_int_equal(res.reason, BZIMAGE_KERNEL_NO_FIT);
    expect_describe(res.reason, &bi,
                    "kernel does not fit in guest RAM: it needs at least "
                    "68 MiB");
    assert_string_equal(bzimage_strerror(res.reason),
                        "kernel does not fit in guest RAM");
}

static void test_load_cmdline(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;

    memset(r->mem + LAYOUT_CMDLINE, 'x', 64);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_string_equal((char *)r->mem + LAYOUT_CMDLINE, "console=ttyS0");
    assert_int_equal(le32_get(r->mem, LAYOUT_ZERO_PAGE + 0x228),
                     LAYOUT_CMDLINE);
    /* no command line: an empty, terminated one */
    a.cmdline = NULL;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(r->mem[LAYOUT_CMDLINE], 0);
}

static void test_load_cmdline_too_long(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    char line[64];

    le32_put(img, 0x238, 16);             /* cmdline_size */
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    memset(line, 'a', sizeof(line));
    line[16] = '\0';                      /* exactly cmdline_size: fits */
    a.cmdline = line;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(strlen((char *)r->mem + LAYOUT_CMDLINE), 16);
    line[16] = 'a';
    line[17] = '\0';
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -E2BIG);
    assert_int_equal(res.reason, BZIMAGE_CMDLINE_TOO_LONG);
}

static void test_load_initrd_at_top(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    static uint8_t initrd[10000];
    uint64_t want;

    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5A);
    a.initrd = initrd;
    a.initrd_len = sizeof(initrd);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    want = (RAM_SIZE - sizeof(initrd)) & ~0xFFFULL;
    assert_int_equal(res.initrd_addr, want);
    assert_int_equal(res.initrd_size, sizeof(initrd));
    assert_memory_equal(r->mem + want, initrd, sizeof(initrd));
    assert_int_equal(le32_get(r->mem, LAYOUT_ZERO_PAGE + 0x218), want);
    assert_int_equal(le32_get(r->mem, LAYOUT_ZERO_PAGE + 0x21C),
                     sizeof(initrd));
    assert_int_equal(le32_get(r->mem, LAYOUT_ZERO_PAGE + 0x0C0), 0);
    assert_int_equal(le32_get(r->mem, LAYOUT_ZERO_PAGE + 0x0C4), 0);

    /* initrd_addr_max below the top of RAM: the initrd ends within it */
    le32_put(img, 0x22C, 32 * MiB - 1);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(res.initrd_addr, (32 * MiB - sizeof(initrd)) & ~0xFFFULL);
    assert_int_equal(res.initrd_addr % 4096, 0);
    assert_true(res.initrd_addr + sizeof(initrd) <= 32 * MiB);
    assert_true(res.initrd_addr >= res.kernel_addr + res.kernel_span);
}

static void test_load_initrd_does_not_fit(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    uint8_t *big = calloc(1, 30 * MiB);

    assert_non_null(big);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    /* 48 MiB RAM, kernel uses [16, 20) MiB: 28 MiB is room, 30 is not */
    a.initrd = big;
    a.initrd_len = 28 * MiB;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(res.initrd_addr, 20 * MiB);
    a.initrd_len = 30 * MiB;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -ENOSPC);
    assert_int_equal(res.reason, BZIMAGE_INITRD_NO_FIT);
    expect_describe(res.reason, &bi, "initrd does not fit");
    /* larger than the whole limit */
    le32_put(img, 0x22C, 1 * MiB - 1);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    a.initrd_len = 2 * MiB;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -ENOSPC);
    free(big);
}

static void test_load_boot_params(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    struct e820_entry map[E820_MAX_ENTRIES];
    const uint8_t *zp = r->mem + LAYOUT_ZERO_PAGE;
    unsigned nr;

    memset(r->mem + LAYOUT_ZERO_PAGE, 0xEE, LAYOUT_ZERO_PAGE_SIZE);
    le64_put(img, 0x250, 0xDEADBEEF);     /* hostile setup_data pointer */
    le32_put(img, 0x23C, 3);              /* hardware_subarch */
    assert_int_equal(e820_build(map, E820_MAX_ENTRIES, RAM_SIZE, &nr), 0);
    a.e820 = map;
    a.e820_nr = nr;
    a.rsdp = 0xE0000;
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);

    /* zeroed outside what the loader sets */
    assert_int_equal(zp[0x000], 0);
    assert_int_equal(zp[0x1EF], 0);       /* sentinel */
    assert_int_equal(zp[0xFFF], 0);
    /* header copied from the image */
    assert_int_equal(zp[0x1F1], SETUP_SECTS);
    assert_int_equal(le16_get(zp, 0x1FE), 0xAA55);
    assert_memory_equal(zp + 0x202, "HdrS", 4);
    assert_int_equal(le16_get(zp, 0x206), 0x020F);
    assert_int_equal(le64_get(zp, 0x258), 16 * MiB);
    assert_int_equal(le32_get(zp, 0x260), INIT_SIZE);
    assert_int_equal(le32_get(zp, 0x26C), 0); /* past the header: zero */
    /* what the loader writes */
    assert_int_equal(le16_get(zp, 0x1FA), 0xFFFF);        /* vid_mode */
    assert_int_equal(zp[0x210], 0xFF);                    /* type_of_loader */
    assert_int_equal(zp[0x211], 0x81);                    /* HIGH | HEAP */
    assert_int_equal(le32_get(zp, 0x214), 16 * MiB);      /* code32_start */
    assert_int_equal(le16_get(zp, 0x224), 0xDE00);        /* heap_end_ptr */
    assert_int_equal(le32_get(zp, 0x228), LAYOUT_CMDLINE); /* cmd_line_ptr */
    assert_int_equal(le32_get(zp, 0x0C8), 0);             /* ext_cmd_line */
    assert_int_equal(le32_get(zp, 0x218), 0);             /* no ramdisk */
    assert_int_equal(le32_get(zp, 0x21C), 0);
    assert_int_equal(le64_get(zp, 0x250), 0);             /* setup_data */
    assert_int_equal(le32_get(zp, 0x23C), 0);             /* subarch PC */
    assert_int_equal(le64_get(zp, 0x070), 0xE0000);       /* acpi_rsdp */
    assert_int_equal(zp[0x1E8], nr);                      /* e820_entries */
    for (unsigned i = 0; i < nr; i++) {
        size_t off = 0x2D0 + 20 * i;

        assert_int_equal(le64_get(zp, off), map[i].addr);
        assert_int_equal(le64_get(zp, off + 8), map[i].size);
        assert_int_equal(le32_get(zp, off + 16), map[i].type);
    }
    assert_int_equal(le64_get(zp, 0x2D0 + 20 * nr), 0);

    /* protocol 2.12 has no acpi_rsdp_addr: left zero */
    le16_put(img, 0x206, 0x020C);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(le64_get(zp, 0x070), 0);
}

static void test_load_header_copy_stops_at_e820(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;

    img[0x201] = 0xFF;
    memset(img + 0x26C, 0x77, 0x300 - 0x26C);
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res), 0);
    assert_int_equal(r->mem[LAYOUT_ZERO_PAGE + 0x28F], 0x77);
    assert_int_equal(r->mem[LAYOUT_ZERO_PAGE + 0x290], 0);
    assert_int_equal(r->mem[LAYOUT_ZERO_PAGE + 0x2D0], 0);
}

static void test_load_bad_args(void **state)
{
    struct fake_ram *r = *state;
    struct bzimage_info bi, bad;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    struct e820_entry map[E820_MAX_ENTRIES + 1] = { 0 };

    assert_int_equal(parse(IMG_LEN, &bi), 0);
    /* info from a failed parse, or for another length */
    assert_int_equal(parse(0x100, &bad), -EINVAL);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bad, &a, &res),
                     -EINVAL);
    assert_int_equal(res.reason, BZIMAGE_BAD_ARGS);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN - 1, &bi, &a, &res),
                     -EINVAL);
    /* RAM claims outside the layout */
    a.ram_low = LAYOUT_MMIO_HOLE + 1;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -EINVAL);
    a.ram_low = 512 * KiB;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -EINVAL);
    a = default_args();
    a.e820 = map;
    a.e820_nr = E820_MAX_ENTRIES + 1;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -E2BIG);
    a.e820 = NULL;
    a.e820_nr = 1;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -EINVAL);
    a = default_args();
    a.initrd_len = 10;
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -EINVAL);
}

static void test_load_guest_write_fails(void **state)
{
    struct bzimage_info bi;
    struct boot_load_args a = default_args();
    struct boot_load_result res;
    struct fake_ram *r = fake_ram_new(8 * MiB, 0);
    (void)state;
    /* the caller says 48 MiB but only 8 are registered */
    assert_int_equal(parse(IMG_LEN, &bi), 0);
    assert_int_equal(bzimage_load(&r->gm, img, IMG_LEN, &bi, &a, &res),
                     -EFAULT);
    assert_int_equal(res.reason, BZIMAGE_GMEM);
    fake_ram_free(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_ram_teardown)
    const struct CMUnitTest tests[] = {
        T(test_parse_valid),
        T(test_parse_truncated),
        T(test_parse_no_boot_flag),
        T(test_parse_no_hdrs),
        T(test_parse_too_old),
        T(test_parse_no_kernel64),
        T(test_parse_not_loaded_high),
        T(test_parse_setup_sects_zero_means_4),
        T(test_parse_setup_sects_beyond_len),
        T(test_parse_init_size_overflow),
        T(test_parse_bad_alignment),
        T(test_parse_header_end_bounded),
        T(test_strerror_total),
        T(test_load_kernel_placed),
        T(test_load_relocates_when_pref_does_not_fit),
        T(test_load_fixed_kernel_must_fit),
        T(test_load_cmdline),
        T(test_load_cmdline_too_long),
        T(test_load_initrd_at_top),
        T(test_load_initrd_does_not_fit),
        T(test_load_boot_params),
        T(test_load_header_copy_stops_at_e820),
        T(test_load_bad_args),
        T(test_load_guest_write_fails),
    };
#undef T
    return cmocka_run_group_tests_name("boot/bzimage", tests, NULL, NULL);
}
