/* ACPI PM1a event and control blocks: S5, status W1C, power button SCI. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "helpers/fakes.h"

struct fixture {
    struct acpi_pm pm;
    struct irq_rec sci;
    unsigned poweroffs;
};

static void on_poweroff(void *ctx)
{
    ((struct fixture *)ctx)->poweroffs++;
}

static const struct acpi_pm_ops ops = {.poweroff = on_poweroff};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    acpi_pm_init(&f->pm, irq_rec_line(&f->sci), &ops, f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

/* 16-bit access through the bus, as ACPICA does. */
static uint16_t rd16(const struct bus_ops *o, struct acpi_pm *pm, uint64_t off)
{
    uint8_t b[2];

    o->read(pm, off, b, 2);
    return (uint16_t)(b[0] | b[1] << 8);
}

static void wr16(const struct bus_ops *o, struct acpi_pm *pm, uint64_t off,
                 uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};

    o->write(pm, off, b, 2);
}

static uint16_t slp(unsigned typ)
{
    return (uint16_t)(typ << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SLP_EN);
}

static void test_layout_constants(void **state)
{
    (void)state;
    assert_int_equal(ACPI_PM_EVT_LEN, 4);
    assert_int_equal(ACPI_PM_CNT_LEN, 2);
    assert_int_equal(ACPI_PM_EVT_PORT, 0x600);
    assert_int_equal(ACPI_PM_CNT_PORT, 0x604);
    assert_int_equal(ACPI_PM_SCI_IRQ, 9);
    assert_int_equal(ACPI_PM_SLP_TYP_S5, 5);
}

static void test_sci_en_reads_one(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(rd16(&acpi_pm_cnt_bus_ops, &f->pm, 0),
                     ACPI_PM1_CNT_SCI_EN);
    wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0, 0);
    assert_int_equal(rd16(&acpi_pm_cnt_bus_ops, &f->pm, 0),
                     ACPI_PM1_CNT_SCI_EN);
    assert_int_equal(rd16(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM1_STS), 0);
    assert_int_equal(rd16(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM1_EN), 0);
}

static void test_s5_powers_off(void **state)
{
    struct fixture *f = *state;

    wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0,
         slp(ACPI_PM_SLP_TYP_S5) | ACPI_PM1_CNT_SCI_EN);
    assert_int_equal(f->poweroffs, 1);
    /* SLP_EN is write-only; SLP_TYP stays. */
    assert_int_equal(rd16(&acpi_pm_cnt_bus_ops, &f->pm, 0),
                     5 << ACPI_PM1_CNT_SLP_TYP_SHIFT | ACPI_PM1_CNT_SCI_EN);
}

static void test_s5_by_byte_write(void **state)
{
    struct fixture *f = *state;

    acpi_pm_cnt_write(&f->pm, 1, (uint8_t)(slp(5) >> 8));
    assert_int_equal(f->poweroffs, 1);
}

static void test_other_sleep_types_ignored(void **state)
{
    struct fixture *f = *state;

    for (unsigned typ = 0; typ < 8; typ++)
        if (typ != ACPI_PM_SLP_TYP_S5)
            wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0, slp(typ));
    assert_int_equal(f->poweroffs, 0);
    /* S5 type set first, then SLP_EN with another type: still no. */
    wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0, 5 << ACPI_PM1_CNT_SLP_TYP_SHIFT);
    assert_int_equal(f->poweroffs, 0); /* no SLP_EN */
    wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0, slp(3));
    assert_int_equal(f->poweroffs, 0);
    /* A low-byte write leaves SLP_TYP = S5 but carries no SLP_EN. */
    wr16(&acpi_pm_cnt_bus_ops, &f->pm, 0, 5 << ACPI_PM1_CNT_SLP_TYP_SHIFT);
    acpi_pm_cnt_write(&f->pm, 0, 0); /* low byte alone: no SLP_EN */
    assert_int_equal(f->poweroffs, 0);
}

static void test_power_button_sci_when_enabled(void **state)
{
    struct fixture *f = *state;
    struct acpi_pm *pm = &f->pm;

    acpi_pm_press_power_button(pm); /* not enabled: status only */
    assert_int_equal(rd16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_STS),
                     ACPI_PM1_STS_PWRBTN);
    assert_false(f->sci.level);
    assert_int_equal(f->sci.calls, 0);

    wr16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_EN, ACPI_PM1_EN_PWRBTN);
    assert_true(f->sci.level); /* pending status now routed */
    wr16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_STS, ACPI_PM1_STS_PWRBTN);
    assert_false(f->sci.level);
    assert_int_equal(rd16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_STS), 0);

    acpi_pm_press_power_button(pm);
    assert_true(f->sci.level);
    acpi_pm_press_power_button(pm); /* still high, no new call */
    assert_int_equal(f->sci.calls, 3);
    wr16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_EN, 0); /* masked */
    assert_false(f->sci.level);
}

static void test_status_write_one_to_clear(void **state)
{
    struct fixture *f = *state;
    struct acpi_pm *pm = &f->pm;

    pm->st.sts = ACPI_PM1_STS_PWRBTN | ACPI_PM1_STS_TMR;
    wr16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_STS, 0); /* zeros: no effect */
    assert_int_equal(pm->st.sts, ACPI_PM1_STS_PWRBTN | ACPI_PM1_STS_TMR);
    wr16(&acpi_pm_evt_bus_ops, pm, ACPI_PM1_STS, ACPI_PM1_STS_TMR);
    assert_int_equal(pm->st.sts, ACPI_PM1_STS_PWRBTN);
    acpi_pm_evt_write(pm, 1, 0x01); /* high byte: PWRBTN */
    assert_int_equal(pm->st.sts, 0);
}

static void test_dword_write_hits_both(void **state)
{
    struct fixture *f = *state;
    struct acpi_pm *pm = &f->pm;
    uint8_t b[4] = {0x00, 0x01, 0x00, 0x01}; /* clear PWRBTN, enable it */

    acpi_pm_press_power_button(pm);
    acpi_pm_evt_bus_ops.write(pm, 0, b, 4);
    assert_int_equal(pm->st.sts, 0);
    assert_int_equal(pm->st.en, ACPI_PM1_EN_PWRBTN);
    assert_false(f->sci.level);
    acpi_pm_evt_bus_ops.read(pm, 0, b, 4);
    assert_int_equal(b[3], 0x01);
}

static void test_reserved_enable_bits(void **state)
{
    struct fixture *f = *state;

    wr16(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM1_EN, 0xffff);
    assert_int_equal(rd16(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM1_EN), 0x4721);
}

static void test_reset_lowers_sci(void **state)
{
    struct fixture *f = *state;

    wr16(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM1_EN, ACPI_PM1_EN_PWRBTN);
    acpi_pm_press_power_button(&f->pm);
    assert_true(f->sci.level);
    acpi_pm_reset(&f->pm);
    assert_false(f->sci.level);
    assert_int_equal(f->pm.st.en, 0);
}

static void test_no_ops_is_safe(void **state)
{
    struct acpi_pm pm;

    (void)state;
    acpi_pm_init(&pm, (struct irq_line){0}, NULL, NULL);
    acpi_pm_cnt_write(&pm, 1, (uint8_t)(slp(5) >> 8));
    acpi_pm_evt_write(&pm, 2, 0xff);
    acpi_pm_press_power_button(&pm);
    assert_int_equal(acpi_pm_evt_read(&pm, 9), 0xff);
    assert_int_equal(acpi_pm_cnt_read(&pm, 2), 0xff);
}

static void test_bus_every_offset_and_width(void **state)
{
    struct fixture *f = *state;

    assert_true(bus_sweep(&acpi_pm_evt_bus_ops, &f->pm, ACPI_PM_EVT_LEN) > 0);
    assert_true(bus_sweep(&acpi_pm_cnt_bus_ops, &f->pm, ACPI_PM_CNT_LEN) > 0);
    /* The sweep's 0xff writes hit SLP_EN with SLP_TYP 7: not S5. */
    assert_int_equal(f->poweroffs, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_layout_constants),
        T(test_sci_en_reads_one),
        T(test_s5_powers_off),
        T(test_s5_by_byte_write),
        T(test_other_sleep_types_ignored),
        T(test_power_button_sci_when_enabled),
        T(test_status_write_one_to_clear),
        T(test_dword_write_hits_both),
        T(test_reserved_enable_bits),
        T(test_reset_lowers_sci),
        T(test_no_ops_is_safe),
        T(test_bus_every_offset_and_width),
    };

    return cmocka_run_group_tests_name("acpi_pm", tests, NULL, NULL);
}
