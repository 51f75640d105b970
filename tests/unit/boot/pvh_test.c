/* PVH loader and 32-bit entry state on ELF images built here. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/layout.h"
#include "boot/pvh.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "helpers/elf_build.h"
#include "helpers/fakes.h"

#define RAM_SIZE (32 * MiB)
#define PADDR (16 * MiB)
#define SEG 0x3000U
#define BSS 0x800U
#define CAP (ELF_BUILD_DATA + 4 * SEG)
#define FILL 0xAA

static uint8_t img[CAP];
static size_t img_len;
static struct elf_info ei;
static uint8_t initrd[5000];
static struct e820_entry e820[E820_MAX_ENTRIES];
static unsigned e820_nr;

static int setup(void **state)
{
    struct elf_build o = { .nload = 2, .paddr = PADDR, .seg_size = SEG,
                           .bss = BSS, .pvh = true };

    *state = fake_ram_new(RAM_SIZE, FILL);
    img_len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, img_len, &ei), 0);
    for (size_t i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i * 5 + 1);
    assert_int_equal(e820_build(e820, E820_MAX_ENTRIES, RAM_SIZE, &e820_nr), 0);
    assert_int_equal(e820_add(e820, E820_MAX_ENTRIES, &e820_nr,
                              LAYOUT_PCI_ECAM, MiB, E820_RESERVED), 0);
    return 0;
}

static struct boot_load_args args(void)
{
    return (struct boot_load_args){
        .cmdline = "console=ttyS0 quiet", .initrd = initrd,
        .initrd_len = sizeof(initrd), .ram_low = RAM_SIZE, .e820 = e820,
        .e820_nr = e820_nr, .rsdp = LAYOUT_ACPI_BASE,
    };
}

static void test_segments_placed_and_zero_tails(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;

    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(res.reason, PVH_OK);
    for (unsigned i = 0; i < 2; i++) {
        uint64_t pa = PADDR + 2ULL * i * SEG, off = ELF_BUILD_DATA + i * SEG;

        for (uint64_t b = 0; b < SEG; b++)
            assert_int_equal(r->mem[pa + b], elf_build_byte(off + b));
        for (uint64_t b = SEG; b < SEG + BSS; b++)
            assert_int_equal(r->mem[pa + b], 0);
        assert_int_equal(r->mem[pa + SEG + BSS], FILL);   /* untouched */
    }
    assert_int_equal(r->mem[PADDR - 1], FILL);
    assert_int_equal(res.entry, PADDR + 0x10);
    assert_int_equal(res.kernel_lo, PADDR);
    assert_int_equal(res.kernel_hi, PADDR + 2 * SEG + SEG + BSS);
}

static void test_start_info(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    const uint8_t *si = r->mem + LAYOUT_PVH_START_INFO;

    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(res.start_info, LAYOUT_PVH_START_INFO);
    assert_int_equal(le32_get(si, 0), 0x336ec578);             /* magic */
    assert_int_equal(le32_get(si, 4), 1);                      /* version */
    assert_int_equal(le32_get(si, 8), 0);                      /* flags */
    assert_int_equal(le32_get(si, 12), 1);                     /* nr_modules */
    assert_int_equal(le64_get(si, 16), LAYOUT_PVH_START_INFO + 0x40);
    assert_int_equal(le64_get(si, 24), LAYOUT_CMDLINE);
    assert_int_equal(le64_get(si, 32), LAYOUT_ACPI_BASE);      /* rsdp */
    assert_int_equal(le64_get(si, 40), LAYOUT_PVH_START_INFO + 0x80);
    assert_int_equal(le32_get(si, 48), e820_nr);
    assert_int_equal(le32_get(si, 52), 0);
    /* the module: the initrd, page-aligned at the top of RAM */
    assert_int_equal(le64_get(si, 0x40), RAM_SIZE - 0x2000);
    assert_int_equal(le64_get(si, 0x48), sizeof(initrd));
    assert_int_equal(le64_get(si, 0x50), 0);                   /* cmdline */
    assert_int_equal(res.initrd_addr, RAM_SIZE - 0x2000);
    assert_memory_equal(r->mem + res.initrd_addr, initrd, sizeof(initrd));
    /* command line, NUL-terminated */
    assert_string_equal((const char *)r->mem + LAYOUT_CMDLINE,
                        "console=ttyS0 quiet");
}

static void test_memmap_is_the_e820(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    const uint8_t *mm = r->mem + LAYOUT_PVH_START_INFO + PVH_MEMMAP_OFFSET;

    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(e820_nr, 4);
    for (unsigned i = 0; i < e820_nr; i++) {
        assert_int_equal(le64_get(mm, 24 * i), e820[i].addr);
        assert_int_equal(le64_get(mm, 24 * i + 8), e820[i].size);
        assert_int_equal(le32_get(mm, 24 * i + 16), e820[i].type);
        assert_int_equal(le32_get(mm, 24 * i + 20), 0);
    }
    /* usable low memory, reserved EBDA..1 MiB, RAM, ECAM reserved */
    assert_int_equal(le32_get(mm, 16), E820_RAM);
    assert_int_equal(le32_get(mm, 24 + 16), E820_RESERVED);
    assert_int_equal(le64_get(mm, 48), LAYOUT_HIGH_MEM);
    assert_int_equal(le64_get(mm, 48 + 8), RAM_SIZE - LAYOUT_HIGH_MEM);
    assert_int_equal(le64_get(mm, 72), LAYOUT_PCI_ECAM);
}

static void test_full_e820_fits_the_page(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct e820_entry big[E820_MAX_ENTRIES];
    struct pvh_result res;

    for (unsigned i = 0; i < E820_MAX_ENTRIES; i++)
        big[i] = (struct e820_entry){ .addr = i * 0x1000ULL, .size = 0x1000,
                                      .type = E820_RAM };
    a.e820 = big;
    a.e820_nr = E820_MAX_ENTRIES;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(le64_get(r->mem, LAYOUT_PVH_START_INFO + PVH_MEMMAP_OFFSET +
                                          24 * 127), 127 * 0x1000ULL);
    assert_int_equal(r->mem[LAYOUT_PVH_START_INFO + LAYOUT_PVH_START_INFO_SIZE],
                     FILL);
    a.e820_nr = E820_MAX_ENTRIES + 1;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -E2BIG);
    assert_int_equal(res.reason, PVH_BAD_ARGS);
}

static void test_no_initrd(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;

    a.initrd = NULL;
    a.initrd_len = 0;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(le32_get(r->mem + LAYOUT_PVH_START_INFO, 12), 0);
    assert_int_equal(le64_get(r->mem + LAYOUT_PVH_START_INFO, 16), 0);
    assert_int_equal(res.initrd_addr, 0);
}

static void test_kernel_must_fit_low_ram(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    struct elf_build o = { .nload = 1, .paddr = 0x80000, .seg_size = SEG,
                           .pvh = true };

    /* below 1 MiB: would overwrite the boot tables */
    img_len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, img_len, &ei), 0);
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -ENOSPC);
    assert_int_equal(res.reason, PVH_KERNEL_NO_FIT);
    /* ending past the top of RAM */
    o.paddr = RAM_SIZE - SEG + 1;
    img_len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, img_len, &ei), 0);
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -ENOSPC);
    assert_int_equal(res.reason, PVH_KERNEL_NO_FIT);
    /* ending right at the top, no initrd: fits */
    o.paddr = RAM_SIZE - SEG;
    img_len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, img_len, &ei), 0);
    a.initrd_len = 0;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_string_equal(pvh_strerror(PVH_KERNEL_NO_FIT),
                        "kernel segments do not fit in guest RAM between "
                        "1 MiB and its top");
}

static void test_initrd_must_fit_above_kernel(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;

    /* the kernel ends at PADDR + 0x9800; 5000 bytes below PADDR + 0xA800
     * round down to PADDR + 0x9000 */
    a.ram_low = PADDR + 0xA800;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -ENOSPC);
    assert_int_equal(res.reason, PVH_INITRD_NO_FIT);
    a.initrd_len = 0x1000;
    a.ram_low = PADDR + 0xB000;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(res.initrd_addr, PADDR + 0xA000);
}

static void test_no_pvh_note(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    struct elf_build o = { .nload = 1, .paddr = PADDR, .seg_size = SEG };

    img_len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, img_len, &ei), 0);
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -ENOEXEC);
    assert_int_equal(res.reason, PVH_NO_NOTE);
    assert_int_equal(r->mem[PADDR], FILL);                 /* nothing written */
}

static void test_bad_args(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    struct elf_info bad = ei;

    assert_int_equal(pvh_load(&r->gm, img, img_len - 1, &ei, &a, &res), -EINVAL);
    assert_int_equal(res.reason, PVH_BAD_ARGS);
    bad.reason = ELF_OVERLAP;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &bad, &a, &res), -EINVAL);
    bad = ei;
    bad.nload = ELF_MAX_LOADS + 1;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &bad, &a, &res), -EINVAL);
    a.ram_low = LAYOUT_RAM_MIN - 1;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -EINVAL);
    a = args();
    a.ram_low = LAYOUT_MMIO_HOLE + 1;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -EINVAL);
    a = args();
    a.initrd = NULL;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -EINVAL);
    a = args();
    a.e820 = NULL;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -EINVAL);
    assert_int_equal(res.reason, PVH_BAD_ARGS);
}

static void test_cmdline_too_long(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    static char line[LAYOUT_CMDLINE_MAX + 1];

    memset(line, 'x', LAYOUT_CMDLINE_MAX);
    a.cmdline = line;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -E2BIG);
    assert_int_equal(res.reason, PVH_CMDLINE_TOO_LONG);
    line[LAYOUT_CMDLINE_MAX - 1] = '\0';                 /* fits with NUL */
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(r->mem[LAYOUT_CMDLINE + LAYOUT_CMDLINE_MAX - 1], 0);
    a.cmdline = NULL;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(r->mem[LAYOUT_CMDLINE], 0);
}

static void test_load_info_leaves_file_bytes(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;

    assert_int_equal(pvh_load_info(&r->gm, &ei, &a, &res), 0);
    assert_int_equal(r->mem[PADDR], FILL);
    assert_int_equal(r->mem[PADDR + SEG - 1], FILL);
    assert_int_equal(r->mem[PADDR + SEG], 0);            /* zero tail */
    assert_int_equal(le32_get(r->mem + LAYOUT_PVH_START_INFO, 0), 0x336ec578);
}

static void test_guest_write_fails(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;

    /* the caller claims more RAM than is registered */
    a.ram_low = 64 * MiB;
    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), -EFAULT);
    assert_int_equal(res.reason, PVH_GMEM);
}

static void test_entry_state(void **state)
{
    struct fake_ram *r = *state;
    struct boot_load_args a = args();
    struct pvh_result res;
    struct x86_boot_cpu c;

    assert_int_equal(pvh_load(&r->gm, img, img_len, &ei, &a, &res), 0);
    assert_int_equal(pvh_entry_setup(&r->gm, &res, &c), 0);
    assert_int_equal(c.rip, PADDR + 0x10);
    assert_int_equal(c.rbx, LAYOUT_PVH_START_INFO);
    assert_int_equal(c.rsi, 0);
    assert_int_equal(c.cr0 & 1, 1);                      /* PE */
    assert_int_equal(c.cr0 & (1ULL << 31), 0);           /* paging off */
    assert_int_equal(c.cr3, 0);
    assert_int_equal(c.cr4, 0);
    assert_int_equal(c.efer, 0);
    assert_int_equal(c.rflags, 0x2);
    assert_int_equal(c.cs.selector, 0x08);
    assert_int_equal(c.cs.db, 1);
    assert_int_equal(c.cs.l, 0);
    assert_int_equal(c.cs.limit, 0xFFFFFFFFU);
    assert_int_equal(c.cs.base, 0);
    assert_int_equal(c.ds.selector, 0x10);
    assert_int_equal(c.ss.selector, 0x10);
    assert_int_equal(c.es.db, 1);
    assert_int_equal(c.gdt_base, LAYOUT_GDT);
    assert_int_equal(c.gdt_limit, 3 * 8 - 1);
    /* null, flat 32-bit code (G D P S type B), flat data (G B P S type 3) */
    assert_int_equal(le64_get(r->mem, LAYOUT_GDT), 0);
    assert_int_equal(le64_get(r->mem, LAYOUT_GDT + 8), 0x00CF9B000000FFFFULL);
    assert_int_equal(le64_get(r->mem, LAYOUT_GDT + 16), 0x00CF93000000FFFFULL);
    assert_int_equal(r->mem[LAYOUT_GDT + 24], FILL);
}

static void test_strerror_total(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PVH__COUNT; i++)
        assert_true(strlen(pvh_strerror((enum pvh_reason)i)) > 1);
    assert_string_equal(pvh_strerror(PVH__COUNT), "unknown PVH error");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_ram_teardown)
    const struct CMUnitTest tests[] = {
        T(test_segments_placed_and_zero_tails),
        T(test_start_info),
        T(test_memmap_is_the_e820),
        T(test_full_e820_fits_the_page),
        T(test_no_initrd),
        T(test_kernel_must_fit_low_ram),
        T(test_initrd_must_fit_above_kernel),
        T(test_no_pvh_note),
        T(test_bad_args),
        T(test_cmdline_too_long),
        T(test_load_info_leaves_file_bytes),
        T(test_guest_write_fails),
        T(test_entry_state),
        T(test_strerror_total),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
