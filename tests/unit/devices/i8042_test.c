/* i8042 controller: status, command byte, self-test, reset line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/i8042.h"
#include "helpers/fakes.h"

struct fixture {
    struct i8042 k;
    unsigned resets;
};

static void on_reset(void *ctx)
{
    ((struct fixture *)ctx)->resets++;
}

static const struct i8042_ops ops = {.reset = on_reset};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    i8042_init(&f->k, &ops, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

/* Issue (cmd) and return the reply, which must be waiting. */
static uint8_t query(struct i8042 *k, uint8_t cmd)
{
    i8042_write_cmd(k, cmd);
    assert_true(i8042_read_status(k) & I8042_STS_OBF);
    return i8042_read_data(k);
}

static void test_status_idle(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(i8042_read_status(&f->k),
                     I8042_STS_SYS | I8042_STS_UNLOCKED);
    i8042_write_cmd(&f->k, I8042_CMD_KBD_ENABLE);
    assert_int_equal(i8042_read_status(&f->k), 0x1c); /* OBF clear */
    i8042_write_data(&f->k, 0xf4); /* to the (absent) keyboard */
    assert_int_equal(i8042_read_status(&f->k), 0x14);
    assert_int_equal(f->resets, 0);
}

static void test_self_tests(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(query(&f->k, I8042_CMD_SELF_TEST), I8042_SELF_TEST_OK);
    assert_false(i8042_read_status(&f->k) & I8042_STS_OBF); /* consumed */
    assert_int_equal(i8042_read_data(&f->k), 0x55); /* empty: repeats */
    assert_int_equal(query(&f->k, I8042_CMD_KBD_TEST), 0x00);
}

static void test_command_byte(void **state)
{
    struct fixture *f = *state;
    struct i8042 *k = &f->k;

    assert_int_equal(query(k, I8042_CMD_READ_CTR), 0x45);
    i8042_write_cmd(k, I8042_CMD_WRITE_CTR);
    i8042_write_data(k, 0x61);
    assert_false(i8042_read_status(k) & I8042_STS_OBF);
    assert_int_equal(query(k, I8042_CMD_READ_CTR), 0x61);
    assert_false(i8042_read_status(k) & I8042_STS_SYS); /* CTR bit 2 */

    i8042_write_cmd(k, I8042_CMD_AUX_DISABLE);
    i8042_write_cmd(k, I8042_CMD_KBD_DISABLE);
    assert_int_equal(query(k, I8042_CMD_READ_CTR),
                     0x61 | I8042_CTR_AUXDIS | I8042_CTR_KBDDIS);
    i8042_write_cmd(k, I8042_CMD_AUX_ENABLE);
    i8042_write_cmd(k, I8042_CMD_KBD_ENABLE);
    assert_int_equal(query(k, I8042_CMD_READ_CTR), 0x41);

    i8042_write_cmd(k, 0x7f); /* last controller RAM byte */
    i8042_write_data(k, 0x33);
    assert_int_equal(query(k, 0x3f), 0x33);
}

static void test_pulse_reset(void **state)
{
    struct fixture *f = *state;

    i8042_write_cmd(&f->k, I8042_CMD_PULSE_RESET);
    assert_int_equal(f->resets, 1);
    i8042_write_cmd(&f->k, 0xff); /* pulses nothing */
    assert_int_equal(f->resets, 1);
    i8042_write_cmd(&f->k, 0xf0); /* bit 0 clear: reset too */
    assert_int_equal(f->resets, 2);
    i8042_write_cmd(&f->k, 0xf1);
    assert_int_equal(f->resets, 2);
}

static void test_output_port(void **state)
{
    struct fixture *f = *state;
    struct i8042 *k = &f->k;

    assert_int_equal(query(k, I8042_CMD_READ_OUTPORT),
                     I8042_OUT_RESET | I8042_OUT_A20);
    i8042_write_cmd(k, I8042_CMD_WRITE_OUTPORT);
    i8042_write_data(k, 0xdf); /* bit 0 set: no reset */
    assert_int_equal(f->resets, 0);
    assert_int_equal(query(k, I8042_CMD_READ_OUTPORT), 0xdf);
    i8042_write_cmd(k, I8042_CMD_WRITE_OUTPORT);
    i8042_write_data(k, 0xfe); /* bit 0 clear: reset */
    assert_int_equal(f->resets, 1);
}

static void test_data_commands(void **state)
{
    struct fixture *f = *state;
    struct i8042 *k = &f->k;

    i8042_write_cmd(k, I8042_CMD_WRITE_KBD_OUTBUF);
    i8042_write_data(k, 0xaa);
    assert_true(i8042_read_status(k) & I8042_STS_OBF);
    assert_int_equal(i8042_read_data(k), 0xaa);

    /* AUX port absent: loop and write are swallowed, no reply. */
    i8042_write_cmd(k, I8042_CMD_WRITE_AUX_OUTBUF);
    i8042_write_data(k, 0x5a);
    i8042_write_cmd(k, I8042_CMD_WRITE_AUX);
    i8042_write_data(k, 0xff);
    i8042_write_cmd(k, 0xa9); /* AUX test: unsupported, ignored */
    assert_false(i8042_read_status(k) & I8042_STS_OBF);
    assert_int_equal(query(k, I8042_CMD_READ_CTR), 0x45);
}

static void test_new_command_abandons_pending(void **state)
{
    struct fixture *f = *state;
    struct i8042 *k = &f->k;

    i8042_write_cmd(k, I8042_CMD_WRITE_OUTPORT);
    i8042_write_cmd(k, I8042_CMD_KBD_ENABLE);
    i8042_write_data(k, 0x00); /* goes to the keyboard, not the port */
    assert_int_equal(f->resets, 0);
    i8042_write_cmd(k, I8042_CMD_WRITE_CTR);
    i8042_write_data(k, 0x01);
    i8042_write_data(k, 0x02); /* second byte: keyboard, dropped */
    assert_int_equal(query(k, I8042_CMD_READ_CTR), 0x01);
}

static void test_every_command_byte(void **state)
{
    struct fixture *f = *state;
    unsigned expect = 0;

    for (unsigned c = 0; c < 256; c++) {
        i8042_write_cmd(&f->k, (uint8_t)c);
        i8042_write_data(&f->k, 0x01); /* keeps the output port's bit 0 */
        (void)i8042_read_data(&f->k);
        if (c >= 0xf0 && !(c & 1))
            expect++;
    }
    assert_int_equal(f->resets, expect);
}

static void test_no_ops_is_safe(void **state)
{
    struct i8042 k;

    (void)state;
    i8042_init(&k, NULL, NULL);
    i8042_write_cmd(&k, I8042_CMD_PULSE_RESET);
    i8042_write_cmd(&k, I8042_CMD_WRITE_OUTPORT);
    i8042_write_data(&k, 0);
}

static void test_reset_restores_defaults(void **state)
{
    struct fixture *f = *state;

    i8042_write_cmd(&f->k, I8042_CMD_WRITE_CTR);
    i8042_write_data(&f->k, 0);
    i8042_write_cmd(&f->k, I8042_CMD_SELF_TEST);
    i8042_reset(&f->k);
    assert_int_equal(i8042_read_status(&f->k), 0x14);
    assert_int_equal(query(&f->k, I8042_CMD_READ_CTR), 0x45);
}

static void test_bus_windows(void **state)
{
    struct fixture *f = *state;
    uint8_t b[4] = {I8042_CMD_SELF_TEST, 0, 0, 0};

    i8042_cmd_bus_ops.write(&f->k, 0, b, 4); /* outl: byte 0 only */
    i8042_cmd_bus_ops.read(&f->k, 0, b, 4);
    assert_int_equal(b[0], I8042_STS_OBF | 0x1c);
    assert_int_equal(b[1], 0xff);
    i8042_data_bus_ops.read(&f->k, 0, b, 2);
    assert_int_equal(b[0], 0x55);
    assert_int_equal(b[1], 0xff);

    assert_true(bus_sweep(&i8042_data_bus_ops, &f->k, 1) > 0);
    assert_true(bus_sweep(&i8042_cmd_bus_ops, &f->k, 1) > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_status_idle),
        T(test_self_tests),
        T(test_command_byte),
        T(test_pulse_reset),
        T(test_output_port),
        T(test_data_commands),
        T(test_new_command_abandons_pending),
        T(test_every_command_byte),
        T(test_no_ops_is_safe),
        T(test_reset_restores_defaults),
        T(test_bus_windows),
    };

    return cmocka_run_group_tests_name("i8042", tests, NULL, NULL);
}
