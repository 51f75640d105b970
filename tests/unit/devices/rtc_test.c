/* MC146818 RTC: time registers and formats, SET, flags, UIP, CMOS RAM. */
#define _DEFAULT_SOURCE /* gmtime_r, timegm for the calendar cross-check */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "devices/rtc.h"
#include "helpers/fakes.h"

#define NS 1000000000ULL
/* 2026-11-25 14:30:59 UTC, a Wednesday. */
#define T_2026 INT64_C(1795617059)

struct fixture {
    struct rtc r;
    struct fake_clock clk;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    f->clk.sec = T_2026;
    f->clk.ns = 1000 * NS + 500000000; /* mid-second, outside UIP */
    rtc_init(&f->r, &fake_clock_ops, &f->clk);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static uint8_t reg(struct rtc *r, uint8_t idx)
{
    rtc_write(r, 0, idx);
    return rtc_read(r, 1);
}

static void set_reg(struct rtc *r, uint8_t idx, uint8_t val)
{
    rtc_write(r, 0, idx);
    rtc_write(r, 1, val);
}

struct tm_regs {
    uint8_t sec, min, hour, wday, mday, mon, year, century;
};

static struct tm_regs read_all(struct rtc *r)
{
    return (struct tm_regs){
        .sec = reg(r, RTC_SECONDS),   .min = reg(r, RTC_MINUTES),
        .hour = reg(r, RTC_HOURS),    .wday = reg(r, RTC_DAY_OF_WEEK),
        .mday = reg(r, RTC_DAY_OF_MONTH), .mon = reg(r, RTC_MONTH),
        .year = reg(r, RTC_YEAR),     .century = reg(r, RTC_CENTURY),
    };
}

static void assert_regs(struct rtc *r, struct tm_regs want)
{
    struct tm_regs got = read_all(r);

    assert_int_equal(got.sec, want.sec);
    assert_int_equal(got.min, want.min);
    assert_int_equal(got.hour, want.hour);
    assert_int_equal(got.wday, want.wday);
    assert_int_equal(got.mday, want.mday);
    assert_int_equal(got.mon, want.mon);
    assert_int_equal(got.year, want.year);
    assert_int_equal(got.century, want.century);
}

static void test_defaults(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(reg(&f->r, RTC_REG_A), 0x26);
    assert_int_equal(reg(&f->r, RTC_REG_B), RTC_B_24H);
    assert_int_equal(reg(&f->r, RTC_REG_D), RTC_D_VRT);
    assert_int_equal(rtc_read(&f->r, 0), 0xff); /* index is write-only */
    assert_int_equal(rtc_read(&f->r, 2), 0xff);
}

static void test_bcd_24h(void **state)
{
    struct fixture *f = *state;

    assert_regs(&f->r, (struct tm_regs){0x59, 0x30, 0x14, 4, 0x25, 0x11,
                                        0x26, 0x20});
}

static void test_binary_24h(void **state)
{
    struct fixture *f = *state;

    set_reg(&f->r, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    assert_regs(&f->r, (struct tm_regs){59, 30, 14, 4, 25, 11, 26, 20});
}

static void test_12h_modes(void **state)
{
    struct fixture *f = *state;

    set_reg(&f->r, RTC_REG_B, 0); /* BCD, 12-hour */
    assert_int_equal(reg(&f->r, RTC_HOURS), 0x82); /* 2 PM */
    set_reg(&f->r, RTC_REG_B, RTC_B_DM_BINARY);
    assert_int_equal(reg(&f->r, RTC_HOURS), 0x80 | 2);

    f->clk.sec = T_2026 - 14 * 3600 - 30 * 60; /* 00:00:59: host step */
    assert_int_equal(reg(&f->r, RTC_HOURS), 12); /* 12 AM */
    f->clk.sec += 12 * 3600;
    assert_int_equal(reg(&f->r, RTC_HOURS), 0x80 | 12); /* 12 PM */
    f->clk.sec += 11 * 3600;
    set_reg(&f->r, RTC_REG_B, 0);
    assert_int_equal(reg(&f->r, RTC_HOURS), 0x91); /* 11 PM, BCD */
}

static void test_time_advances_with_clock(void **state)
{
    struct fixture *f = *state;

    fake_clock_advance(&f->clk, NS);
    assert_int_equal(reg(&f->r, RTC_SECONDS), 0x00);
    assert_int_equal(reg(&f->r, RTC_MINUTES), 0x31);
    fake_clock_advance(&f->clk, 9 * 3600 * NS + 29 * 60 * NS); /* 00:00 */
    assert_regs(&f->r, (struct tm_regs){0x00, 0x00, 0x00, 5, 0x26, 0x11,
                                        0x26, 0x20});
}

/* The second ticks on the monotonic boundary that UIP precedes. */
static void test_tick_aligned_with_uip(void **state)
{
    struct fixture *f = *state;

    f->clk.ns = 1000 * NS + 999800000; /* inside the UIP window */
    assert_true(reg(&f->r, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(reg(&f->r, RTC_SECONDS), 0x59);
    f->clk.ns = 1001 * NS; /* the wall clock has not caught up yet */
    assert_false(reg(&f->r, RTC_REG_A) & RTC_A_UIP);
    assert_int_equal(reg(&f->r, RTC_SECONDS), 0x00);
    f->clk.sec++; /* now it has: no step, no re-anchoring */
    assert_int_equal(reg(&f->r, RTC_SECONDS), 0x00);
}

static void test_uip_window(void **state)
{
    struct fixture *f = *state;

    f->clk.ns = 5 * NS + NS - RTC_UIP_NS - 1;
    assert_false(reg(&f->r, RTC_REG_A) & RTC_A_UIP);
    f->clk.ns = 5 * NS + NS - RTC_UIP_NS;
    assert_int_equal(reg(&f->r, RTC_REG_A), RTC_A_UIP | 0x26);
    f->clk.ns = 6 * NS - 1;
    assert_true(reg(&f->r, RTC_REG_A) & RTC_A_UIP);
    f->clk.ns = 6 * NS;
    assert_false(reg(&f->r, RTC_REG_A) & RTC_A_UIP);

    set_reg(&f->r, RTC_REG_A, 0xff); /* UIP is read-only */
    assert_int_equal(reg(&f->r, RTC_REG_A), 0x7f);
    f->clk.ns = 6 * NS - 1;
    set_reg(&f->r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
    assert_false(reg(&f->r, RTC_REG_A) & RTC_A_UIP); /* SET inhibits */
}

/* Linux's way: SET, write every field, clear SET. */
static void test_set_and_write_keeps_offset(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_B, RTC_B_SET | RTC_B_24H);
    set_reg(r, RTC_SECONDS, 0x06);
    set_reg(r, RTC_MINUTES, 0x05);
    set_reg(r, RTC_HOURS, 0x04);
    set_reg(r, RTC_DAY_OF_MONTH, 0x03);
    set_reg(r, RTC_MONTH, 0x02);
    set_reg(r, RTC_YEAR, 0x01);
    set_reg(r, RTC_CENTURY, 0x20);
    fake_clock_advance(&f->clk, 5 * NS); /* frozen while SET */
    assert_int_equal(reg(r, RTC_SECONDS), 0x06);
    set_reg(r, RTC_REG_B, RTC_B_24H);

    assert_regs(r, (struct tm_regs){0x06, 0x05, 0x04, 7, 0x03, 0x02, 0x01,
                                    0x20});
    assert_int_equal(r->st.offset, INT64_C(981173106) - (T_2026 + 5));
    fake_clock_advance(&f->clk, 10 * NS);
    assert_int_equal(reg(r, RTC_SECONDS), 0x16);
    fake_clock_advance(&f->clk, 3600 * NS);
    assert_int_equal(reg(r, RTC_HOURS), 0x05);
}

static void test_set_latches_current_time(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_B, RTC_B_SET | RTC_B_UIE | RTC_B_24H);
    assert_int_equal(reg(r, RTC_REG_B), RTC_B_SET | RTC_B_24H); /* UIE off */
    fake_clock_advance(&f->clk, 100 * NS);
    assert_int_equal(reg(r, RTC_SECONDS), 0x59);
    set_reg(r, RTC_REG_B, RTC_B_24H); /* resume from the frozen time */
    assert_int_equal(reg(r, RTC_SECONDS), 0x59);
    assert_int_equal(r->st.offset, -100);
}

static void test_write_without_set(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_MINUTES, 0x45);
    assert_int_equal(reg(r, RTC_MINUTES), 0x45);
    assert_int_equal(reg(r, RTC_HOURS), 0x14);
    assert_int_equal(r->st.offset, 15 * 60);
    set_reg(r, RTC_DAY_OF_WEEK, 1); /* computed from the date */
    assert_int_equal(reg(r, RTC_DAY_OF_WEEK), 4);
}

static void test_write_12h_binary(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_B, RTC_B_DM_BINARY); /* binary, 12-hour */
    set_reg(r, RTC_HOURS, 0x80 | 12);       /* 12 PM */
    set_reg(r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
    assert_int_equal(reg(r, RTC_HOURS), 12);
    set_reg(r, RTC_REG_B, RTC_B_DM_BINARY);
    set_reg(r, RTC_HOURS, 12); /* 12 AM */
    set_reg(r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
    assert_int_equal(reg(r, RTC_HOURS), 0);
    set_reg(r, RTC_REG_B, 0); /* BCD 12-hour: 0x87 = 7 PM */
    set_reg(r, RTC_HOURS, 0x87);
    set_reg(r, RTC_REG_B, RTC_B_24H);
    assert_int_equal(reg(r, RTC_HOURS), 0x19);
}

/* Nonsense writes (invalid BCD, month 0, day 0, 0xff everywhere) must give
 * some valid time, never a crash or an out-of-range register. */
static void test_garbage_time_writes(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;
    static const uint8_t regs[] = {RTC_SECONDS, RTC_MINUTES, RTC_HOURS,
                                   RTC_DAY_OF_WEEK, RTC_DAY_OF_MONTH,
                                   RTC_MONTH, RTC_YEAR, RTC_CENTURY};
    static const uint8_t vals[] = {0x00, 0xff, 0x99, 0x9a, 0x80, 0x7f};

    for (size_t b = 0; b < 4; b++) {
        uint8_t mode = (uint8_t)((b & 1 ? RTC_B_DM_BINARY : 0) |
                                 (b & 2 ? RTC_B_24H : 0));
        for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
            struct tm_regs t;

            set_reg(r, RTC_REG_B, RTC_B_SET | mode);
            for (size_t i = 0; i < ARRAY_SIZE(regs); i++)
                set_reg(r, regs[i], vals[v]);
            set_reg(r, RTC_REG_B, mode);
            set_reg(r, RTC_REG_B, RTC_B_DM_BINARY | RTC_B_24H);
            t = read_all(r);
            assert_true(t.sec < 60 && t.min < 60 && t.hour < 24);
            assert_true(t.mday >= 1 && t.mday <= 31);
            assert_true(t.mon >= 1 && t.mon <= 12);
            assert_true(t.wday >= 1 && t.wday <= 7);
            assert_true(t.year < 100 && t.century < 100);
        }
    }
}

static void test_clamped_to_year_range(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    r->st.offset = INT64_MAX; /* as if from a hostile snapshot */
    assert_regs(r, (struct tm_regs){59, 59, 23, 6, 31, 12, 99, 99});
    r->st.offset = INT64_MIN;
    assert_regs(r, (struct tm_regs){0, 0, 0, 7, 1, 1, 0, 0}); /* Saturday */
    f->clk.sec = INT64_MAX; /* a broken host clock */
    r->st.offset = 0;
    (void)read_all(r);
    set_reg(r, RTC_SECONDS, 5);
}

/* Cross-check the calendar against libc over many dates. */
static void test_calendar_matches_gmtime(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
    for (int64_t t = -2208988800LL; t < 7258118400LL; t += 86399 * 7 + 3601) {
        time_t tt = (time_t)t;
        struct tm g;
        struct tm_regs got;

        gmtime_r(&tt, &g);
        r->st.offset = t - f->clk.sec;
        got = read_all(r);
        assert_int_equal(got.sec, g.tm_sec);
        assert_int_equal(got.min, g.tm_min);
        assert_int_equal(got.hour, g.tm_hour);
        assert_int_equal(got.wday, g.tm_wday + 1);
        assert_int_equal(got.mday, g.tm_mday);
        assert_int_equal(got.mon, g.tm_mon + 1);
        assert_int_equal(got.century * 100 + got.year, g.tm_year + 1900);

        /* Writing the same fields back leaves the offset alone. */
        set_reg(r, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_DM_BINARY);
        set_reg(r, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY);
        assert_int_equal(r->st.offset, t - f->clk.sec);
    }
}

static void test_leap_days(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    f->clk.sec = INT64_C(951868799); /* 2000-02-29 23:59:59, Tuesday */
    assert_regs(r, (struct tm_regs){0x59, 0x59, 0x23, 3, 0x29, 0x02, 0x00,
                                    0x20});
    f->clk.sec = INT64_C(4107542400); /* 2100-03-01, Monday: 2100 no leap */
    assert_regs(r, (struct tm_regs){0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00,
                                    0x21});
}

static void test_reg_c_read_clears(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, RTC_REG_A, 0x20); /* no periodic rate */
    assert_int_equal(reg(r, RTC_REG_C), 0);
    fake_clock_advance(&f->clk, NS); /* one update cycle */
    assert_int_equal(reg(r, RTC_REG_C), RTC_C_UF);
    assert_int_equal(reg(r, RTC_REG_C), 0);
    set_reg(r, RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    fake_clock_advance(&f->clk, NS);
    assert_int_equal(reg(r, RTC_REG_C), RTC_C_IRQF | RTC_C_UF);
    assert_int_equal(reg(r, RTC_REG_C), 0);
    set_reg(r, RTC_REG_C, 0xff); /* read-only */
    assert_int_equal(reg(r, RTC_REG_C), 0);
    set_reg(r, RTC_REG_D, 0x00);
    assert_int_equal(reg(r, RTC_REG_D), RTC_D_VRT);
}

static void test_reg_c_periodic_flag(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    (void)reg(r, RTC_REG_C);
    fake_clock_advance(&f->clk, 1000000); /* 1 ms > 1/1024 s */
    assert_int_equal(reg(r, RTC_REG_C), RTC_C_PF);
    assert_int_equal(reg(r, RTC_REG_C), 0);
    set_reg(r, RTC_REG_A, 0x2f); /* 2 Hz */
    fake_clock_advance(&f->clk, 100000000);
    assert_int_equal(reg(r, RTC_REG_C), 0);
    set_reg(r, RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    fake_clock_advance(&f->clk, 500000000);
    assert_int_equal(reg(r, RTC_REG_C) & (RTC_C_PF | RTC_C_IRQF),
                     RTC_C_PF | RTC_C_IRQF);
    for (unsigned rs = 1; rs < 16; rs++) { /* every rate is sane */
        set_reg(r, RTC_REG_A, (uint8_t)(0x20 | rs));
        (void)reg(r, RTC_REG_C);
        fake_clock_advance(&f->clk, NS);
        assert_true(reg(r, RTC_REG_C) & RTC_C_PF);
    }
}

static void test_index_masks_nmi_bit(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    rtc_write(r, 0, 0x80 | 0x40);
    assert_int_equal(r->st.index, 0x40);
    rtc_write(r, 1, 0xab);
    assert_int_equal(reg(r, 0x40), 0xab);
    assert_int_equal(reg(r, 0xc0), 0xab); /* 0xc0 & 0x7f */
    assert_int_equal(rtc_cmos_read(r, 0xff), rtc_cmos_read(r, 0x7f));
    rtc_cmos_write(r, 0xff, 0x12);
    assert_int_equal(r->st.cmos[0x7f], 0x12);
    r->st.index = 0xff; /* corrupt state: masked on use */
    (void)rtc_read(r, 1);
    rtc_write(r, 1, 0);
}

static void test_ram_and_alarms(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    for (unsigned i = RTC_REG_D + 1; i < RTC_CMOS_SIZE; i++) {
        if (i == RTC_CENTURY)
            continue;
        set_reg(r, (uint8_t)i, (uint8_t)(i ^ 0x5a));
        assert_int_equal(reg(r, (uint8_t)i), i ^ 0x5a);
    }
    set_reg(r, RTC_SECONDS_ALARM, 0xc0);
    set_reg(r, RTC_MINUTES_ALARM, 0x15);
    set_reg(r, RTC_HOURS_ALARM, 0x07);
    assert_int_equal(reg(r, RTC_SECONDS_ALARM), 0xc0);
    assert_int_equal(reg(r, RTC_MINUTES_ALARM), 0x15);
    assert_int_equal(reg(r, RTC_HOURS_ALARM), 0x07);
    set_reg(r, RTC_REG_B, 0x7e & (uint8_t)~RTC_B_UIE);
    assert_int_equal(reg(r, RTC_REG_B), 0x6e); /* enables stored */
}

static void test_set_ram_and_mem_size(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    rtc_set_ram(r, 0x5f, 3);
    assert_int_equal(reg(r, 0x5f), 3);
    rtc_set_ram(r, RTC_SECONDS, 0x11); /* not RAM: ignored */
    rtc_set_ram(r, RTC_CENTURY, 0x11);
    rtc_set_ram(r, 0x80, 0x11);
    assert_int_equal(reg(r, RTC_CENTURY), 0x20);

    rtc_set_mem_size(r, 3 * GiB, 5 * GiB);
    assert_int_equal(reg(r, 0x15) | reg(r, 0x16) << 8, 640);
    assert_int_equal(reg(r, 0x17) | reg(r, 0x18) << 8, 0xffff);
    assert_int_equal(reg(r, 0x30) | reg(r, 0x31) << 8, 0xffff);
    assert_int_equal(reg(r, 0x34) | reg(r, 0x35) << 8,
                     (3 * GiB - 16 * MiB) / (64 * KiB));
    assert_int_equal(reg(r, 0x5b) | reg(r, 0x5c) << 8 | reg(r, 0x5d) << 16,
                     5 * GiB / (64 * KiB));

    rtc_set_mem_size(r, 8 * MiB, 0);
    assert_int_equal(reg(r, 0x17) | reg(r, 0x18) << 8, 7 * 1024);
    assert_int_equal(reg(r, 0x34) | reg(r, 0x35) << 8, 0);
    assert_int_equal(reg(r, 0x5b) | reg(r, 0x5c) | reg(r, 0x5d), 0);

    rtc_set_mem_size(r, UINT64_MAX, UINT64_MAX); /* capped */
    assert_int_equal(reg(r, 0x34) | reg(r, 0x35) << 8, 0xffff);
    assert_int_equal(reg(r, 0x5b) | reg(r, 0x5c) << 8 | reg(r, 0x5d) << 16,
                     0xffffff);
}

static void test_reset_keeps_time_and_ram(void **state)
{
    struct fixture *f = *state;
    struct rtc *r = &f->r;

    set_reg(r, 0x40, 0x77);
    set_reg(r, RTC_MINUTES, 0x10);
    set_reg(r, RTC_REG_B, 0x7f & (uint8_t)~RTC_B_UIE);
    rtc_reset(r);
    assert_int_equal(reg(r, RTC_REG_B), 0x07); /* PIE AIE UIE SQWE gone */
    assert_int_equal(reg(r, 0x40), 0x77);
    set_reg(r, RTC_REG_B, RTC_B_24H);
    assert_int_equal(reg(r, RTC_MINUTES), 0x10);
}

static void test_no_clock_is_safe(void **state)
{
    struct rtc r;

    (void)state;
    rtc_init(&r, NULL, NULL);
    assert_int_equal(rtc_cmos_read(&r, RTC_YEAR), 0x70); /* 1970 */
    rtc_cmos_write(&r, RTC_YEAR, 0x99);
    assert_int_equal(rtc_cmos_read(&r, RTC_YEAR), 0x99);
    (void)rtc_cmos_read(&r, RTC_REG_A);
    (void)rtc_cmos_read(&r, RTC_REG_C);
}

static void test_bus_word_writes_index_then_data(void **state)
{
    struct fixture *f = *state;
    uint8_t w[2] = {0x41, 0x99}, rd[4];

    rtc_bus_ops.write(&f->r, 0, w, 2); /* outw 0x70: index, then data */
    assert_int_equal(f->r.st.cmos[0x41], 0x99);
    rtc_bus_ops.read(&f->r, 0, rd, 4);
    assert_int_equal(rd[0], 0xff);
    assert_int_equal(rd[1], 0x99);
    assert_int_equal(rd[2], 0xff);
    assert_int_equal(rd[3], 0xff);
}

static void test_bus_every_offset_and_width(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 0; i < RTC_CMOS_SIZE; i++) {
        f->r.st.index = (uint8_t)i;
        assert_true(bus_sweep(&rtc_bus_ops, &f->r, RTC_NR_PORTS) > 0);
        assert_true(f->r.st.index < RTC_CMOS_SIZE);
    }
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_bcd_24h),
        T(test_binary_24h),
        T(test_12h_modes),
        T(test_time_advances_with_clock),
        T(test_tick_aligned_with_uip),
        T(test_uip_window),
        T(test_set_and_write_keeps_offset),
        T(test_set_latches_current_time),
        T(test_write_without_set),
        T(test_write_12h_binary),
        T(test_garbage_time_writes),
        T(test_clamped_to_year_range),
        T(test_calendar_matches_gmtime),
        T(test_leap_days),
        T(test_reg_c_read_clears),
        T(test_reg_c_periodic_flag),
        T(test_index_masks_nmi_bit),
        T(test_ram_and_alarms),
        T(test_set_ram_and_mem_size),
        T(test_reset_keeps_time_and_ram),
        T(test_no_clock_is_safe),
        T(test_bus_word_writes_index_then_data),
        T(test_bus_every_offset_and_width),
    };

    return cmocka_run_group_tests_name("rtc", tests, NULL, NULL);
}
