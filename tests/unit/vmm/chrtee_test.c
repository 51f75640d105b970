/* The console tee: both sinks get every byte, and the count is kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/chrtee.h"

struct cap {
    char buf[64];
    size_t len, take;               /* take: accept at most this per call */
};

static size_t cap_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct cap *c = ctx;
    size_t n = len < c->take ? len : c->take;

    memcpy(c->buf + c->len, buf, n);
    c->len += n;
    return n;
}

static const struct chr_ops cap_ops = { .write = cap_write };

static void test_fans_out(void **state)
{
    struct cap a = { .take = 64 }, b = { .take = 2 };
    struct chr_tee t = { .a = &cap_ops, .a_ctx = &a, .b = &cap_ops,
                         .b_ctx = &b };
    (void)state;
    /* A sink that takes less loses its share only. */
    assert_int_equal(chr_tee_ops.write(&t, (const uint8_t *)"hello", 5), 5);
    assert_int_equal(a.len, 5);
    assert_memory_equal(a.buf, "hello", 5);
    assert_int_equal(b.len, 2);
    assert_int_equal(t.bytes, 5);
}

static void test_missing_sinks(void **state)
{
    struct cap a = { .take = 64 };
    struct chr_tee t = { .a = &cap_ops, .a_ctx = &a };
    struct chr_tee none = { 0 };
    (void)state;
    assert_int_equal(chr_tee_ops.write(&t, (const uint8_t *)"xy", 2), 2);
    assert_int_equal(a.len, 2);
    assert_int_equal(chr_tee_ops.write(&none, (const uint8_t *)"xy", 2), 2);
    assert_int_equal(none.bytes, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fans_out),
        cmocka_unit_test(test_missing_sinks),
    };
    return cmocka_run_group_tests_name("vmm/chrtee", tests, NULL, NULL);
}
