/* Debug-exit port: a byte write ends the VM with that code. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/debug_exit.h"
#include "helpers/fakes.h"

struct fixture {
    struct debug_exit d;
    unsigned calls;
    uint8_t code;
};

static void on_exit_req(void *ctx, uint8_t code)
{
    struct fixture *f = ctx;

    f->calls++;
    f->code = code;
}

static const struct debug_exit_ops ops = {.exit = on_exit_req};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    debug_exit_init(&f->d, &ops, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static void test_byte_write_exits_with_code(void **state)
{
    struct fixture *f = *state;
    uint8_t v = 42;

    debug_exit_bus_ops.write(&f->d, 0, &v, 1);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->code, 42);
    assert_int_equal(f->d.st.code, 42);
    debug_exit_write(&f->d, 0, 0);
    assert_int_equal(f->calls, 2);
    assert_int_equal(f->code, 0);
}

static void test_wide_write_uses_low_byte(void **state)
{
    struct fixture *f = *state;
    uint8_t v[4] = {0x31, 0x02, 0x03, 0x04}; /* outl 0x04030231 */

    debug_exit_bus_ops.write(&f->d, 0, v, 4);
    assert_int_equal(f->calls, 1);
    assert_int_equal(f->code, 0x31);
    debug_exit_bus_ops.write(&f->d, 2, v, 2); /* not at the port */
    debug_exit_write(&f->d, 3, 7);
    assert_int_equal(f->calls, 1);
}

static void test_reads_all_ones(void **state)
{
    struct fixture *f = *state;
    uint8_t b[4] = {0};

    debug_exit_bus_ops.read(&f->d, 0, b, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(b[i], 0xff);
    assert_int_equal(f->calls, 0);
}

static void test_no_ops_is_safe(void **state)
{
    struct debug_exit d;

    (void)state;
    debug_exit_init(&d, NULL, NULL);
    debug_exit_write(&d, 0, 1);
    assert_int_equal(d.st.writes, 1);
}

static void test_bus_every_offset_and_width(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(DEBUG_EXIT_PORT, 0xf4);
    assert_true(bus_sweep(&debug_exit_bus_ops, &f->d, DEBUG_EXIT_LEN) > 0);
    assert_true(f->calls > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_byte_write_exits_with_code),
        T(test_wide_write_uses_low_byte),
        T(test_reads_all_ones),
        T(test_no_ops_is_safe),
        T(test_bus_every_offset_and_width),
    };

    return cmocka_run_group_tests_name("debug_exit", tests, NULL, NULL);
}
