/* Guest memory accessor: every range check, including wrap-around. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/gmem.h"

static uint8_t low[64 * 1024], high[64 * 1024];

static void setup_two_regions(struct gmem *gm)
{
    gmem_init(gm);
    assert_int_equal(gmem_add(gm, 0, sizeof(low), low), 0);
    assert_int_equal(gmem_add(gm, 0x100000, sizeof(high), high), 0);
}

static void test_add_rejects_bad_regions(void **state)
{
    struct gmem gm;
    (void)state;
    setup_two_regions(&gm);
    assert_int_equal(gmem_add(&gm, 0x1000, 16, low), -EEXIST);
    assert_int_equal(gmem_add(&gm, 0x200000, 0, low), -EINVAL);
    assert_int_equal(gmem_add(&gm, UINT64_MAX - 8, 16, low), -EINVAL);
    assert_int_equal(gmem_add(&gm, 0x200000, 16, NULL), -EINVAL);
    for (unsigned i = gm.nr; i < GMEM_MAX_REGIONS; i++)
        assert_int_equal(gmem_add(&gm, 0x1000000ULL * (i + 1), 16, low), 0);
    assert_int_equal(gmem_add(&gm, 0x40000000, 16, low), -ENOSPC);
}

static void test_read_write_inside(void **state)
{
    struct gmem gm;
    uint32_t v = 0xdeadbeef, r = 0;
    (void)state;
    setup_two_regions(&gm);
    assert_int_equal(gmem_write(&gm, 0x100010, &v, 4), 0);
    assert_int_equal(gmem_read(&gm, 0x100010, &r, 4), 0);
    assert_int_equal(r, v);
    assert_memory_equal(high + 0x10, &v, 4);
    assert_int_equal(gmem_total(&gm), sizeof(low) + sizeof(high));
}

static void test_out_of_range(void **state)
{
    struct gmem gm;
    uint8_t buf[16];
    (void)state;
    setup_two_regions(&gm);
    /* ends one byte past RAM */
    assert_int_equal(gmem_read(&gm, sizeof(low) - 15, buf, 16), -EFAULT);
    assert_int_equal(gmem_read(&gm, sizeof(low) - 16, buf, 16), 0);
    /* in the hole */
    assert_int_equal(gmem_read(&gm, 0x80000, buf, 1), -EFAULT);
    /* wraps around the address space */
    assert_int_equal(gmem_read(&gm, UINT64_MAX - 3, buf, 8), -EFAULT);
    assert_null(gmem_span(&gm, UINT64_MAX, 2));
    /* spans two regions with a hole between */
    assert_null(gmem_span(&gm, sizeof(low) - 8, 0x100000));
    assert_false(gmem_is_ram(&gm, 0, 0));
    assert_int_equal(gmem_write(&gm, 0x200000, buf, 1), -EFAULT);
    assert_int_equal(gmem_fill(&gm, 0x10ffff, 0, 2), -EFAULT);
}

static void test_zero_length_is_noop(void **state)
{
    struct gmem gm;
    (void)state;
    setup_two_regions(&gm);
    assert_int_equal(gmem_read(&gm, 0xfffffff0, NULL, 0), 0);
    assert_null(gmem_span(&gm, 0, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_rejects_bad_regions),
        cmocka_unit_test(test_read_write_inside),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_zero_length_is_noop),
    };
    return cmocka_run_group_tests_name("core/gmem", tests, NULL, NULL);
}
