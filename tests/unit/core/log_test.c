/* Log sink and rate limiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"

struct cap {
    unsigned n;
    char last[600];
};

static void cap_emit(void *ctx, enum log_level lvl, const char *msg)
{
    struct cap *c = ctx;
    (void)lvl;
    c->n++;
    strncpy(c->last, msg, sizeof(c->last) - 1);
}

static void test_levels_filter(void **state)
{
    struct cap c = { 0 };
    struct log_sink s = { cap_emit, &c, LOG_WARN };
    (void)state;
    log_set_sink(&s);
    log_info("hidden %d", 1);
    assert_int_equal(c.n, 0);
    log_warn("shown %d", 2);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.last, "shown 2");
}

static void test_long_message_truncated_safely(void **state)
{
    struct cap c = { 0 };
    struct log_sink s = { cap_emit, &c, LOG_DEBUG };
    char big[2000];
    (void)state;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    log_set_sink(&s);
    log_error("%s", big);
    assert_int_equal(c.n, 1);
    assert_true(strlen(c.last) < 512);
}

static void test_ratelimit_bounds_guest_messages(void **state)
{
    struct cap c = { 0 };
    struct log_sink s = { cap_emit, &c, LOG_DEBUG };
    struct ratelimit rl = RATELIMIT_INIT;
    (void)state;
    log_set_sink(&s);
    for (int i = 0; i < 100000; i++)
        log_guest(&rl, "guest did a bad thing %d", i);
    /* 10 at first, then one every 10000 */
    assert_int_equal(c.n, 10 + (100000 - 10) / 10000);
    assert_int_equal(rl.seen, 100000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels_filter),
        cmocka_unit_test(test_long_message_truncated_safely),
        cmocka_unit_test(test_ratelimit_bounds_guest_messages),
    };
    return cmocka_run_group_tests_name("core/log", tests, NULL, NULL);
}
