/* Guest RAM allocation: alignment, huge page backing and its errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/ram.h"

static void test_small_ram_2m_aligned(void **state)
{
    struct host_ram r = { 0 };
    char err[256] = "";
    uint8_t *p;
    (void)state;

    assert_int_equal(host_ram_alloc(&r, 64 * MiB, false, err, sizeof(err)), 0);
    assert_int_equal((uintptr_t)r.base % (2 * MiB), 0);
    assert_int_equal(r.size, 64 * MiB);
    assert_false(r.hugetlb);
    p = r.base;
    assert_int_equal(p[0], 0);
    assert_int_equal(p[64 * MiB - 1], 0);
    p[0] = 1;
    p[64 * MiB - 1] = 2;
    assert_true(host_ram_resident(&r) >= 2 * 4096);
    host_ram_free(&r);
    assert_null(r.base);
    host_ram_free(&r);                     /* twice is harmless */
}

/* 1 GiB and more: aligned to 1 GiB, and only the address space is taken
 * (nothing is committed: 4 GiB works on a small test machine). */
static void test_large_ram_1g_aligned(void **state)
{
    struct host_ram r = { 0 };
    char err[256] = "";
    (void)state;

    assert_int_equal(host_ram_alloc(&r, 4 * GiB + 2 * MiB, false, err,
                                    sizeof(err)), 0);
    assert_int_equal((uintptr_t)r.base % GiB, 0);
    assert_true(host_ram_resident(&r) < 64 * MiB);
    ((uint8_t *)r.base)[4 * GiB + 2 * MiB - 1] = 1;
    host_ram_free(&r);
}

static void test_bad_size(void **state)
{
    struct host_ram r = { 0 };
    char err[256] = "";
    (void)state;

    assert_int_equal(host_ram_alloc(&r, 0, false, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(host_ram_alloc(&r, UINT64_MAX - MiB, false, err,
                                    sizeof(err)), -EINVAL);
}

/* With enough free 2 MiB pages in the host's pool the RAM is hugetlbfs
 * backed; without, a clear error that names the shortfall. Which of the
 * two a machine shows depends on /proc/sys/vm/nr_hugepages. */
static void test_hugepages(void **state)
{
    struct host_ram r = { 0 };
    char err[256] = "";
    uint64_t avail = 0, total = 0;
    int pool = host_ram_huge_pool(&avail, &total);
    int rc = host_ram_alloc(&r, 33 * MiB, true, err, sizeof(err));
    (void)state;

    if (pool == 0 && avail >= 17) {
        assert_int_equal(rc, 0);
        assert_true(r.hugetlb);
        assert_int_equal((uintptr_t)r.base % (2 * MiB), 0);
        assert_int_equal(r.map_len, 34 * MiB);        /* whole pages */
        ((uint8_t *)r.base)[33 * MiB - 1] = 1;
        host_ram_free(&r);
    } else if (pool == 0) {
        assert_int_equal(rc, -ENOMEM);
        assert_non_null(strstr(err, "needs 17 huge pages of 2 MiB"));
        assert_non_null(strstr(err, "nr_hugepages"));
    } else {
        assert_true(rc < 0);
        assert_non_null(strstr(err, "huge page"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_ram_2m_aligned),
        cmocka_unit_test(test_large_ram_1g_aligned),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_hugepages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
