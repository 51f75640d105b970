/* ELF64 parser on images built here, valid and hostile. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/elf.h"
#include "core/bytes.h"
#include "helpers/elf_build.h"

#define SEG 0x800U
#define PADDR (16 * MiB)
#define CAP (ELF_BUILD_DATA + 20 * SEG)

static uint8_t img[CAP];

static size_t build(unsigned nload, bool pvh)
{
    struct elf_build o = { .nload = nload, .paddr = PADDR, .seg_size = SEG,
                           .bss = 0x100, .pvh = pvh };

    return elf_build(img, sizeof(img), &o);
}

static void expect_fail(size_t len, enum elf_reason r, int rc)
{
    struct elf_info ei;

    assert_int_equal(elf_parse(img, len, &ei), rc);
    assert_int_equal(ei.reason, r);
    assert_int_equal(ei.len, len);
}

static uint8_t *phdr(unsigned i)
{
    return img + ELF_BUILD_PHDRS + 56 * i;
}

static void test_valid(void **state)
{
    size_t len = build(3, true);
    struct elf_info ei;
    (void)state;

    assert_true(elf_is_elf(img, len));
    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_int_equal(ei.reason, ELF_OK);
    assert_int_equal(ei.nload, 3);
    assert_true(ei.pvh);
    assert_int_equal(ei.pvh_entry, PADDR + 0x10);
    assert_int_equal(ei.entry, 0xFFFFFFFF81000000ULL);
    assert_int_equal(ei.lo, PADDR);
    assert_int_equal(ei.hi, PADDR + 4 * SEG + SEG + 0x100);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(ei.load[i].offset, ELF_BUILD_DATA + i * SEG);
        assert_int_equal(ei.load[i].filesz, SEG);
        assert_int_equal(ei.load[i].memsz, SEG + 0x100);
        assert_int_equal(ei.load[i].paddr, PADDR + 2 * i * SEG);
    }
}

static void test_no_pvh_note_is_still_elf(void **state)
{
    size_t len = build(1, false);
    struct elf_info ei;
    (void)state;

    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_false(ei.pvh);
}

static void test_pvh_note_4_byte_desc(void **state)
{
    struct elf_build o = { .nload = 1, .paddr = PADDR, .seg_size = SEG,
                           .pvh = true, .desc_size = 4 };
    size_t len = elf_build(img, sizeof(img), &o);
    struct elf_info ei;
    (void)state;

    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_true(ei.pvh);
    assert_int_equal(ei.pvh_entry, PADDR + 0x10);
}

static void test_not_elf_and_truncated_header(void **state)
{
    size_t len = build(1, true);
    (void)state;

    expect_fail(3, ELF_NOT_ELF, -ENOEXEC);
    expect_fail(63, ELF_TRUNCATED, -EINVAL);
    img[1] = 'X';
    assert_false(elf_is_elf(img, len));
    expect_fail(len, ELF_NOT_ELF, -ENOEXEC);
}

static void test_wrong_class_data_machine_type(void **state)
{
    size_t len;
    (void)state;

    len = build(1, true);
    img[4] = 1;                           /* ELFCLASS32 */
    expect_fail(len, ELF_NOT_X86_64, -ENOEXEC);
    len = build(1, true);
    img[5] = 2;                           /* big-endian */
    expect_fail(len, ELF_NOT_X86_64, -ENOEXEC);
    len = build(1, true);
    le16_put(img, 18, 3);                 /* EM_386 */
    expect_fail(len, ELF_NOT_X86_64, -ENOEXEC);
    len = build(1, true);
    le16_put(img, 16, 3);                 /* ET_DYN */
    expect_fail(len, ELF_NOT_EXEC, -ENOEXEC);
}

static void test_bad_program_header_table(void **state)
{
    size_t len;
    (void)state;

    len = build(2, true);
    le16_put(img, 54, 64);                /* e_phentsize */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
    len = build(2, true);
    le16_put(img, 56, 0);                 /* e_phnum */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
    len = build(2, true);
    le16_put(img, 56, 0xFFFF);            /* PN_XNUM / huge count */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
    len = build(2, true);
    le16_put(img, 56, 0xFFFE);            /* table runs past the file */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
    len = build(2, true);
    le64_put(img, 32, len - 10);          /* e_phoff near the end */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
    len = build(2, true);
    le64_put(img, 32, UINT64_MAX - 8);    /* e_phoff + size overflows */
    expect_fail(len, ELF_BAD_PHDRS, -EINVAL);
}

static void test_segment_outside_file(void **state)
{
    size_t len;
    (void)state;

    len = build(2, true);
    le64_put(phdr(1), 8, len - SEG + 1);          /* ends one byte past */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
    len = build(2, true);
    le64_put(phdr(1), 8, UINT64_MAX - 4);         /* offset + size wraps */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
    len = build(2, true);
    le64_put(phdr(1), 32, UINT64_MAX);            /* filesz huge */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
    len = build(2, true);
    le64_put(phdr(1), 40, SEG - 1);               /* filesz > memsz */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
    len = build(2, true);
    le64_put(phdr(1), 24, UINT64_MAX - SEG);      /* paddr + memsz wraps */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
    len = build(2, true);
    le64_put(phdr(2), 8, len);                    /* the PT_NOTE */
    expect_fail(len, ELF_BAD_SEGMENT, -EINVAL);
}

static void test_overlapping_segments(void **state)
{
    size_t len = build(3, true);
    (void)state;

    /* segment 2 starts inside segment 1's zero tail */
    le64_put(phdr(2), 24, PADDR + 2 * SEG + SEG + 0xFF);
    expect_fail(len, ELF_OVERLAP, -EINVAL);
    len = build(3, true);
    le64_put(phdr(0), 24, PADDR + 4 * SEG);       /* same as segment 2 */
    expect_fail(len, ELF_OVERLAP, -EINVAL);
    /* touching is fine */
    len = build(3, true);
    le64_put(phdr(2), 24, PADDR + 2 * SEG + SEG + 0x100);
    struct elf_info ei;
    assert_int_equal(elf_parse(img, len, &ei), 0);
}

static void test_too_many_and_no_loads(void **state)
{
    size_t len = build(1, true);
    struct elf_info ei;
    (void)state;

    /* 17 PT_LOADs of one byte each, copied over the data area */
    for (unsigned i = 0; i < ELF_MAX_LOADS + 1; i++) {
        uint8_t *ph = img + ELF_BUILD_DATA + 56 * i;

        memset(ph, 0, 56);
        le32_put(ph, 0, 1);
        le64_put(ph, 8, ELF_BUILD_DATA);
        le64_put(ph, 24, PADDR + 0x1000ULL * i);
        le64_put(ph, 32, 1);
        le64_put(ph, 40, 1);
    }
    le64_put(img, 32, ELF_BUILD_DATA);
    le16_put(img, 56, ELF_MAX_LOADS + 1);
    expect_fail(len, ELF_TOO_MANY_LOADS, -EINVAL);
    le16_put(img, 56, ELF_MAX_LOADS);
    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_int_equal(ei.nload, ELF_MAX_LOADS);

    len = build(2, true);
    le64_put(phdr(0), 40, 0);                     /* memsz 0: skipped */
    le64_put(phdr(0), 32, 0);
    le64_put(phdr(1), 40, 0);
    le64_put(phdr(1), 32, 0);
    expect_fail(len, ELF_NO_LOAD, -EINVAL);
}

static void test_note_overflow(void **state)
{
    size_t len;
    uint8_t *n = img + ELF_BUILD_PVH_NOTE;
    (void)state;

    len = build(1, true);
    le32_put(n, 0, 0xFFFFFFFF);                   /* namesz */
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
    len = build(1, true);
    le32_put(n, 4, 0xFFFFFFF0);                   /* descsz */
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
    len = build(1, true);
    le32_put(n, 4, 9);                            /* desc past the segment */
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
    len = build(1, true);
    le32_put(n, 4, 2);                            /* PVH desc size 2 */
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
    len = build(1, true);
    le64_put(n, 16, 0x100000000ULL);              /* entry above 4 GiB */
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
    len = build(1, true);
    le64_put(phdr(1), 32, 11);                    /* segment cuts a header */
    assert_int_equal(elf_parse(img, len, &(struct elf_info){ 0 }), 0);
}

static void test_note_other_owner_ignored(void **state)
{
    size_t len = build(1, true);
    struct elf_info ei;
    (void)state;

    memcpy(img + ELF_BUILD_PVH_NOTE + 12, "Xem", 4);
    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_false(ei.pvh);
}

/* 8-byte aligned notes (a .note.gnu.property segment, as in static
 * binaries): the descriptor starts at 16 for a 4-byte name. */
static void test_note_8_byte_aligned(void **state)
{
    size_t len = build(1, true);
    uint8_t *n = img + ELF_BUILD_NOTES;
    struct elf_info ei;
    (void)state;

    memset(n, 0, 0x40);
    le32_put(n, 0, 4);                            /* GNU property, 16 */
    le32_put(n, 4, 16);
    le32_put(n, 8, 5);
    memcpy(n + 12, "GNU", 4);
    le32_put(n + 32, 0, 4);                       /* then the PVH note */
    le32_put(n + 32, 4, 8);
    le32_put(n + 32, 8, 18);
    memcpy(n + 32 + 12, "Xen", 4);
    le64_put(n + 32, 16, PADDR + 0x20);
    le64_put(phdr(1), 32, 56);
    le64_put(phdr(1), 48, 8);
    assert_int_equal(elf_parse(img, len, &ei), 0);
    assert_true(ei.pvh);
    assert_int_equal(ei.pvh_entry, PADDR + 0x20);
    le32_put(n, 4, 28);                           /* runs past the end */
    le64_put(phdr(1), 32, 40);
    expect_fail(len, ELF_BAD_NOTE, -EINVAL);
}

static void test_pvh_entry_outside_loaded_bytes(void **state)
{
    struct elf_build o = { .nload = 1, .paddr = PADDR, .seg_size = SEG,
                           .bss = 0x100, .pvh = true,
                           .pvh_entry = PADDR + SEG };  /* in the zero tail */
    size_t len = elf_build(img, sizeof(img), &o);
    (void)state;

    expect_fail(len, ELF_BAD_ENTRY, -EINVAL);
    o.pvh_entry = PADDR - 1;
    len = elf_build(img, sizeof(img), &o);
    expect_fail(len, ELF_BAD_ENTRY, -EINVAL);
    o.pvh_entry = PADDR + SEG - 1;
    len = elf_build(img, sizeof(img), &o);
    assert_int_equal(elf_parse(img, len, &(struct elf_info){ 0 }), 0);
}

/* Every prefix of a valid image parses or fails cleanly (ASan watches);
 * only the whole file, whose last segment ends at its end, is accepted. */
static void test_every_truncation(void **state)
{
    size_t len = build(2, true);
    struct elf_info ei;
    (void)state;

    for (size_t cut = 0; cut < len; cut++)
        assert_int_not_equal(elf_parse(img, cut, &ei), 0);
    assert_int_equal(elf_parse(img, len, &ei), 0);
}

static void test_strerror_total(void **state)
{
    (void)state;
    for (unsigned r = 0; r < ELF__COUNT; r++) {
        assert_non_null(elf_strerror((enum elf_reason)r));
        assert_true(strlen(elf_strerror((enum elf_reason)r)) > 1);
    }
    assert_string_equal(elf_strerror(ELF__COUNT), "unknown ELF error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_no_pvh_note_is_still_elf),
        cmocka_unit_test(test_pvh_note_4_byte_desc),
        cmocka_unit_test(test_not_elf_and_truncated_header),
        cmocka_unit_test(test_wrong_class_data_machine_type),
        cmocka_unit_test(test_bad_program_header_table),
        cmocka_unit_test(test_segment_outside_file),
        cmocka_unit_test(test_overlapping_segments),
        cmocka_unit_test(test_too_many_and_no_loads),
        cmocka_unit_test(test_note_overflow),
        cmocka_unit_test(test_note_other_owner_ignored),
        cmocka_unit_test(test_note_8_byte_aligned),
        cmocka_unit_test(test_pvh_entry_outside_loaded_bytes),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_strerror_total),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
