/* Kernel command-line defaults. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cmdline.h"

static void test_defaults_added(void **state)
{
    char out[128];
    (void)state;
    assert_int_equal(cmdline_compose(NULL, "ttyS0", out, sizeof(out)), 0);
    assert_string_equal(out, "console=ttyS0 panic=-1");
    assert_int_equal(cmdline_compose("quiet", "ttyS0", out, sizeof(out)), 0);
    assert_string_equal(out, "quiet console=ttyS0 panic=-1");
    assert_int_equal(cmdline_compose("quiet", "hvc0", out, sizeof(out)), 0);
    assert_string_equal(out, "quiet console=hvc0 panic=-1");
}

static void test_user_choice_kept(void **state)
{
    char out[128];
    (void)state;
    assert_int_equal(cmdline_compose("console=hvc0 panic=5", "ttyS0", out,
                                     sizeof(out)), 0);
    assert_string_equal(out, "console=hvc0 panic=5");
    /* "panicky=1" is not "panic" */
    assert_int_equal(cmdline_compose("panicky=1", "ttyS0", out, sizeof(out)), 0);
    assert_string_equal(out, "panicky=1 console=ttyS0 panic=-1");
}

static void test_has_key(void **state)
{
    (void)state;
    assert_true(cmdline_has_key("a=1  panic=3", "panic"));
    assert_true(cmdline_has_key("quiet", "quiet"));
    assert_false(cmdline_has_key("xpanic=1", "panic"));
    assert_false(cmdline_has_key("", "panic"));
    assert_false(cmdline_has_key(NULL, "panic"));
}

static void test_too_long(void **state)
{
    char out[16];
    (void)state;
    assert_int_equal(cmdline_compose("0123456789abcdef", "ttyS0", out, sizeof(out)), -E2BIG);
    assert_int_equal(cmdline_compose("quiet", "ttyS0", out, sizeof(out)), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_added),
        cmocka_unit_test(test_user_choice_kept),
        cmocka_unit_test(test_has_key),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests_name("vmm/cmdline", tests, NULL, NULL);
}
