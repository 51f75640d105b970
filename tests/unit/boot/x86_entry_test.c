/* Long-mode entry: identity page tables, GDT and the described CPU state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/layout.h"
#include "boot/x86_entry.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "helpers/fakes.h"

static void test_page_tables_identity_map_4g(void **state)
{
    struct fake_ram *r = *state;
    struct x86_boot_cpu c;

    assert_int_equal(x86_entry_setup(&r->gm, &c), 0);
    /* PML4[0] -> PDPT, present + writable; nothing else */
    assert_int_equal(le64_get(r->mem, 0x9000), 0xA000 | 0x3);
    for (unsigned i = 1; i < 512; i++)
        assert_int_equal(le64_get(r->mem, 0x9000 + 8 * i), 0);
    /* PDPT[0..3] -> the four page directories */
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(le64_get(r->mem, 0xA000 + 8 * i),
                         (0xB000 + 0x1000ULL * i) | 0x3);
    for (unsigned i = 4; i < 512; i++)
        assert_int_equal(le64_get(r->mem, 0xA000 + 8 * i), 0);
    /* every PD entry maps its own 2 MiB: present | writable | PS */
    for (uint64_t n = 0; n < 4 * 512; n++)
        assert_int_equal(le64_get(r->mem, 0xB000 + 8 * n),
                         (n * 2 * MiB) | 0x83);
    assert_int_equal(le64_get(r->mem, 0xB000), 0x83);
    assert_int_equal(le64_get(r->mem, 0xEFF8), 0xFFE00083ULL);
}

static void test_gdt(void **state)
{
    struct fake_ram *r = *state;
    struct x86_boot_cpu c;

    assert_int_equal(x86_entry_setup(&r->gm, &c), 0);
    assert_int_equal(le64_get(r->mem, 0x500), 0);
    assert_int_equal(le64_get(r->mem, 0x508), 0);
    /* flat 64-bit code: G=1 L=1 P=1 DPL0 S=1 type 0xB, limit 0xFFFFF */
    assert_int_equal(le64_get(r->mem, 0x510), 0x00AF9B000000FFFFULL);
    /* flat data: G=1 D/B=1 P=1 S=1 type 3 */
    assert_int_equal(le64_get(r->mem, 0x518), 0x00CF93000000FFFFULL);
    assert_int_equal(c.gdt_base, 0x500);
    assert_int_equal(c.gdt_limit, 31);
    assert_int_equal(x86_gdt_entry(&c.cs), 0x00AF9B000000FFFFULL);
}

static void test_cpu_state(void **state)
{
    struct fake_ram *r = *state;
    struct x86_boot_cpu c;
    const struct x86_segment *data[] = { &c.ds, &c.es, &c.fs, &c.gs, &c.ss };

    memset(&c, 0xA5, sizeof(c));
    assert_int_equal(x86_entry_setup(&r->gm, &c), 0);
    assert_true(c.cr0 & X86_CR0_PE);
    assert_true(c.cr0 & X86_CR0_PG);
    assert_true(c.cr0 & X86_CR0_ET);
    assert_int_equal(c.cr3, LAYOUT_PML4);
    assert_true(c.cr4 & X86_CR4_PAE);
    assert_int_equal(c.efer, X86_EFER_LME | X86_EFER_LMA);
    assert_int_equal(c.rflags, 0x2);
    assert_int_equal(c.rsi, LAYOUT_ZERO_PAGE);
    assert_int_equal(c.rsp, LAYOUT_BOOT_STACK_TOP);
    assert_int_equal(c.rip, 0);

    assert_int_equal(c.cs.selector, 0x10);
    assert_int_equal(c.cs.base, 0);
    assert_int_equal(c.cs.limit, 0xFFFFFFFFU);
    assert_int_equal(c.cs.type, 11);
    assert_int_equal(c.cs.s, 1);
    assert_int_equal(c.cs.present, 1);
    assert_int_equal(c.cs.l, 1);
    assert_int_equal(c.cs.db, 0);
    assert_int_equal(c.cs.g, 1);
    assert_int_equal(c.cs.dpl, 0);
    for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
        assert_int_equal(data[i]->selector, 0x18);
        assert_int_equal(data[i]->type, 3);
        assert_int_equal(data[i]->db, 1);
        assert_int_equal(data[i]->g, 1);
        assert_int_equal(data[i]->l, 0);
        assert_int_equal(data[i]->present, 1);
        assert_int_equal(data[i]->limit, 0xFFFFFFFFU);
    }
    /* VM entry needs a usable busy TSS in TR */
    assert_int_equal(c.tr.type, 11);
    assert_int_equal(c.tr.present, 1);
    assert_int_equal(c.tr.s, 0);
    assert_int_equal(c.ldt.unusable, 1);
}

static void test_write_fails_without_ram(void **state)
{
    struct fake_ram *r = fake_ram_new(LAYOUT_PML4, 0); /* ends below it */
    struct x86_boot_cpu c;
    (void)state;
    assert_int_equal(x86_entry_setup(&r->gm, &c), -EFAULT);
    fake_ram_free(r);
}

int main(void)
{
#define T(f)                                                                   \
    cmocka_unit_test_setup_teardown(f, fake_ram_setup, fake_ram_teardown)
    const struct CMUnitTest tests[] = {
        T(test_page_tables_identity_map_4g),
        T(test_gdt),
        T(test_cpu_state),
        cmocka_unit_test(test_write_fails_without_ram),
    };
#undef T
    return cmocka_run_group_tests_name("boot/x86_entry", tests, NULL, NULL);
}
