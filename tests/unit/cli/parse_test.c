/* Command-line value parsing: sizes and counts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cli/parse.h"

static void test_size_units(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(parse_size("256M", MiB, &v), 0);
    assert_int_equal(v, 256 * MiB);
    assert_int_equal(parse_size("2G", MiB, &v), 0);
    assert_int_equal(v, 2 * GiB);
    assert_int_equal(parse_size("2g", MiB, &v), 0);
    assert_int_equal(v, 2 * GiB);
    assert_int_equal(parse_size("1536MiB", MiB, &v), 0);
    assert_int_equal(v, 1536 * MiB);
    assert_int_equal(parse_size("4096k", MiB, &v), 0);
    assert_int_equal(v, 4 * MiB);
    assert_int_equal(parse_size("1T", MiB, &v), 0);
    assert_int_equal(v, 1024 * GiB);
    assert_int_equal(parse_size("4096B", MiB, &v), 0);
    assert_int_equal(v, 4096);
}

static void test_size_bare_number_uses_unit(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(parse_size("512", MiB, &v), 0);
    assert_int_equal(v, 512 * MiB);
    assert_int_equal(parse_size("512", 1, &v), 0);
    assert_int_equal(v, 512);
}

static void test_size_garbled(void **state)
{
    static const char *const bad[] = { "", "M", "-1G", "12Q", "1.5G", " 1G",
                                       "1G ", "1GG", "0x100", "1 G", "G1" };
    uint64_t v;
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(parse_size(bad[i], MiB, &v), -EINVAL);
    assert_int_equal(parse_size(NULL, MiB, &v), -EINVAL);
}

static void test_size_overflow(void **state)
{
    uint64_t v;
    (void)state;
    assert_int_equal(parse_size("18446744073709551616", 1, &v), -ERANGE);
    assert_int_equal(parse_size("17179869184G", MiB, &v), -ERANGE);
    assert_int_equal(parse_size("99999999999999999999999T", MiB, &v), -ERANGE);
    assert_int_equal(parse_size("18446744073709551615", 1, &v), 0);
}

static void test_uint(void **state)
{
    unsigned v;
    (void)state;
    assert_int_equal(parse_uint("2", 1, 64, &v), 0);
    assert_int_equal(v, 2);
    assert_int_equal(parse_uint("0", 1, 64, &v), -ERANGE);
    assert_int_equal(parse_uint("65", 1, 64, &v), -ERANGE);
    assert_int_equal(parse_uint("99999999999999999999", 1, 64, &v), -ERANGE);
    assert_int_equal(parse_uint("two", 1, 64, &v), -EINVAL);
    assert_int_equal(parse_uint("2x", 1, 64, &v), -EINVAL);
    assert_int_equal(parse_uint("-1", 1, 64, &v), -EINVAL);
    assert_int_equal(parse_uint("", 1, 64, &v), -EINVAL);
}

static void test_name(void **state)
{
    static const char *const good[] = { "a", "web-1", "Web_1.example", "0",
                                        "a.", "a-" };
    static const char *const bad[] = { "", ".hidden", "-rf", "a b", "a/b",
                                       "a,b", "caf\xc3\xa9", "a:b", "a\n" };
    char max[PARSE_NAME_MAX + 2];
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        assert_int_equal(parse_name(good[i]), 0);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(parse_name(bad[i]), -EINVAL);
    memset(max, 'x', PARSE_NAME_MAX);
    max[PARSE_NAME_MAX] = '\0';
    assert_int_equal(parse_name(max), 0);
    max[PARSE_NAME_MAX] = 'x';
    max[PARSE_NAME_MAX + 1] = '\0';
    assert_int_equal(parse_name(max), -ENAMETOOLONG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_units),
        cmocka_unit_test(test_size_bare_number_uses_unit),
        cmocka_unit_test(test_size_garbled),
        cmocka_unit_test(test_size_overflow),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_name),
    };
    return cmocka_run_group_tests_name("cli/parse", tests, NULL, NULL);
}
