/* pvpanic: supported events on read, panic callback on write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/pvpanic.h"
#include "helpers/fakes.h"

struct fixture {
    struct pvpanic p;
    unsigned panics, crash_loaded;
};

static void on_panic(void *ctx)
{
    ((struct fixture *)ctx)->panics++;
}

static void on_crash_loaded(void *ctx)
{
    ((struct fixture *)ctx)->crash_loaded++;
}

static const struct pvpanic_ops ops = {
    .panic = on_panic,
    .crash_loaded = on_crash_loaded,
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    pvpanic_init(&f->p, &ops, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static void test_read_supported_events(void **state)
{
    struct fixture *f = *state;
    uint8_t b[2] = {0};

    assert_int_equal(pvpanic_read(&f->p),
                     PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
    pvpanic_bus_ops.read(&f->p, 0, b, 2);
    assert_int_equal(b[0], 0x03);
    assert_int_equal(b[1], 0xff);
}

static void test_panicked_calls_panic(void **state)
{
    struct fixture *f = *state;
    uint8_t v = PVPANIC_PANICKED;

    pvpanic_bus_ops.write(&f->p, 0, &v, 1);
    assert_int_equal(f->panics, 1);
    assert_int_equal(f->crash_loaded, 0);
    assert_int_equal(f->p.st.events, PVPANIC_PANICKED);
}

static void test_crash_loaded(void **state)
{
    struct fixture *f = *state;

    pvpanic_write(&f->p, PVPANIC_CRASH_LOADED);
    assert_int_equal(f->panics, 0);
    assert_int_equal(f->crash_loaded, 1);
    pvpanic_write(&f->p, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
    assert_int_equal(f->panics, 1); /* PANICKED wins */
    assert_int_equal(f->crash_loaded, 1);
}

static void test_unknown_bits_ignored(void **state)
{
    struct fixture *f = *state;

    pvpanic_write(&f->p, 0);
    pvpanic_write(&f->p, 0xfc);
    assert_int_equal(f->panics + f->crash_loaded, 0);
    pvpanic_write(&f->p, 0xfd);
    assert_int_equal(f->panics, 1);
}

static void test_null_callbacks(void **state)
{
    struct pvpanic p;
    const struct pvpanic_ops only_panic = {.panic = NULL};

    (void)state;
    pvpanic_init(&p, NULL, NULL);
    pvpanic_write(&p, 0x03);
    pvpanic_init(&p, &only_panic, NULL);
    pvpanic_write(&p, PVPANIC_CRASH_LOADED);
    pvpanic_write(&p, PVPANIC_PANICKED);
    assert_int_equal(p.st.events, PVPANIC_PANICKED);
}

static void test_bus_every_offset_and_width(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(PVPANIC_PORT, 0x505);
    assert_true(bus_sweep(&pvpanic_bus_ops, &f->p, PVPANIC_LEN) > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_read_supported_events),
        T(test_panicked_calls_panic),
        T(test_crash_loaded),
        T(test_unknown_bits_ignored),
        T(test_null_callbacks),
        T(test_bus_every_offset_and_width),
    };

    return cmocka_run_group_tests_name("pvpanic", tests, NULL, NULL);
}
