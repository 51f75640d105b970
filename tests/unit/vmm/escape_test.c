/* Console escape key filter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/escape.h"

static size_t run(struct escape *e, const char *in, uint8_t *out,
                  enum escape_action *act)
{
    return escape_filter(e, (const uint8_t *)in, strlen(in), out, act);
}

static void test_plain_bytes_pass(void **state)
{
    struct escape e = { 0 };
    enum escape_action act;
    uint8_t out[32];
    (void)state;
    assert_int_equal(run(&e, "ls\x03\r", out, &act), 4);
    assert_memory_equal(out, "ls\x03\r", 4);   /* Ctrl-C goes to the guest */
    assert_int_equal(act, ESCAPE_NONE);
}

static void test_quit(void **state)
{
    struct escape e = { 0 };
    enum escape_action act;
    uint8_t out[32];
    (void)state;
    assert_int_equal(run(&e, "ab\x01xcd", out, &act), 2);
    assert_int_equal(act, ESCAPE_QUIT);
}

static void test_escape_split_across_reads(void **state)
{
    struct escape e = { 0 };
    enum escape_action act;
    uint8_t out[32];
    (void)state;
    assert_int_equal(run(&e, "a\x01", out, &act), 1);
    assert_int_equal(act, ESCAPE_NONE);
    assert_int_equal(run(&e, "x", out, &act), 0);
    assert_int_equal(act, ESCAPE_QUIT);
}

static void test_double_escape_sends_one(void **state)
{
    struct escape e = { 0 };
    enum escape_action act;
    uint8_t out[32];
    (void)state;
    assert_int_equal(run(&e, "\x01\x01z", out, &act), 2);
    assert_memory_equal(out, "\x01z", 2);
    assert_int_equal(act, ESCAPE_NONE);
}

static void test_other_key_forwards_both(void **state)
{
    struct escape e = { 0 };
    enum escape_action act;
    uint8_t out[32];
    (void)state;
    assert_int_equal(run(&e, "\x01q", out, &act), 2);
    assert_memory_equal(out, "\x01q", 2);
    assert_int_equal(run(&e, "\x01h", out, &act), 0);
    assert_int_equal(act, ESCAPE_HELP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_bytes_pass),
        cmocka_unit_test(test_quit),
        cmocka_unit_test(test_escape_split_across_reads),
        cmocka_unit_test(test_double_escape_sends_one),
        cmocka_unit_test(test_other_key_forwards_both),
    };
    return cmocka_run_group_tests_name("vmm/escape", tests, NULL, NULL);
}
