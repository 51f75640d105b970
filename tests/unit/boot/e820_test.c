/* e820 map: the layout for small, 3 GiB and >3 GiB guests, and e820_add. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "boot/e820.h"
#include "boot/layout.h"

static void expect_entry(const struct e820_entry *e, uint64_t addr,
                         uint64_t size, uint32_t type)
{
    assert_int_equal(e->addr, addr);
    assert_int_equal(e->size, size);
    assert_int_equal(e->type, type);
}

static void test_entry_matches_boot_params_layout(void **state)
{
    (void)state;
    assert_int_equal(sizeof(struct e820_entry), 20);
    assert_int_equal(offsetof(struct e820_entry, size), 8);
    assert_int_equal(offsetof(struct e820_entry, type), 16);
}

static void test_256m(void **state)
{
    struct e820_entry t[E820_MAX_ENTRIES];
    unsigned nr = 99;
    (void)state;
    assert_int_equal(e820_build(t, E820_MAX_ENTRIES, 256 * MiB, &nr), 0);
    assert_int_equal(nr, 3);
    expect_entry(&t[0], 0, 0x9FC00, E820_RAM);
    expect_entry(&t[1], 0x9FC00, 0x100000 - 0x9FC00, E820_RESERVED);
    expect_entry(&t[2], 0x100000, 256 * MiB - 0x100000, E820_RAM);
}

static void test_exactly_3g_has_nothing_high(void **state)
{
    struct e820_entry t[8];
    unsigned nr;
    (void)state;
    assert_int_equal(e820_build(t, 8, 3 * GiB, &nr), 0);
    assert_int_equal(nr, 3);
    expect_entry(&t[2], 0x100000, 0xC0000000ULL - 0x100000, E820_RAM);
}

static void test_4g_splits_above_4g(void **state)
{
    struct e820_entry t[8];
    unsigned nr;
    (void)state;
    assert_int_equal(e820_build(t, 8, 4 * GiB, &nr), 0);
    assert_int_equal(nr, 4);
    expect_entry(&t[2], 0x100000, 0xC0000000ULL - 0x100000, E820_RAM);
    /* the 1 GiB that would sit in the MMIO hole continues at 4 GiB */
    expect_entry(&t[3], 0x100000000ULL, 1 * GiB, E820_RAM);
    assert_int_equal(layout_ram_low(4 * GiB), 3 * GiB);
    assert_int_equal(layout_ram_high(4 * GiB), 1 * GiB);
    assert_int_equal(layout_ram_high(2 * GiB), 0);
}

static void test_tiny_sizes(void **state)
{
    struct e820_entry t[8];
    unsigned nr = 7;
    (void)state;
    /* exactly the first MiB: no usable RAM above it */
    assert_int_equal(e820_build(t, 8, 1 * MiB, &nr), 0);
    assert_int_equal(nr, 2);
    expect_entry(&t[1], 0x9FC00, 0x100000 - 0x9FC00, E820_RESERVED);
    assert_int_equal(e820_build(t, 8, 1 * MiB + 4096, &nr), 0);
    assert_int_equal(nr, 3);
    expect_entry(&t[2], 0x100000, 4096, E820_RAM);
    /* below the fixed boot spots */
    assert_int_equal(e820_build(t, 8, 1 * MiB - 1, &nr), -EINVAL);
    assert_int_equal(nr, 0);
    assert_int_equal(e820_build(t, 8, 0, &nr), -EINVAL);
}

static void test_table_too_small(void **state)
{
    struct e820_entry t[4];
    unsigned nr = 5;
    (void)state;
    assert_int_equal(e820_build(t, 3, 4 * GiB, &nr), -ENOSPC);
    assert_int_equal(nr, 0);
    assert_int_equal(e820_build(t, 4, 4 * GiB, &nr), 0);
    assert_int_equal(e820_build(t, 0, 64 * MiB, &nr), -ENOSPC);
}

static void test_add_sorted_and_checked(void **state)
{
    struct e820_entry t[5];
    unsigned nr;
    (void)state;
    assert_int_equal(e820_build(t, 5, 4 * GiB, &nr), 0);
    /* a reserved ECAM window in the hole goes between low and high RAM */
    assert_int_equal(e820_add(t, 5, &nr, 0xE0000000ULL, 256 * MiB,
                              E820_RESERVED), 0);
    assert_int_equal(nr, 5);
    expect_entry(&t[3], 0xE0000000ULL, 256 * MiB, E820_RESERVED);
    expect_entry(&t[4], 0x100000000ULL, 1 * GiB, E820_RAM);
    /* full */
    assert_int_equal(e820_add(t, 5, &nr, 0xF0000000ULL, 4096, E820_RESERVED),
                     -ENOSPC);
    nr = 4;
    /* overlap, zero size, wrap-around */
    assert_int_equal(e820_add(t, 5, &nr, 0xBFFFF000ULL, 0x2000, E820_RESERVED),
                     -EINVAL);
    assert_int_equal(e820_add(t, 5, &nr, 0xD0000000ULL, 0, E820_RESERVED),
                     -EINVAL);
    assert_int_equal(e820_add(t, 5, &nr, UINT64_MAX - 10, 100, E820_RESERVED),
                     -EINVAL);
    assert_int_equal(nr, 4);
    /* appended at the end when above everything */
    assert_int_equal(e820_add(t, 5, &nr, 0x200000000ULL, 4096, E820_NVS), 0);
    expect_entry(&t[4], 0x200000000ULL, 4096, E820_NVS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_matches_boot_params_layout),
        cmocka_unit_test(test_256m),
        cmocka_unit_test(test_exactly_3g_has_nothing_high),
        cmocka_unit_test(test_4g_splits_above_4g),
        cmocka_unit_test(test_tiny_sizes),
        cmocka_unit_test(test_table_too_small),
        cmocka_unit_test(test_add_sorted_and_checked),
    };
    return cmocka_run_group_tests_name("boot/e820", tests, NULL, NULL);
}
