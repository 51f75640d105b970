/* MC146818 RTC and CMOS RAM. Register layout and bit meanings follow the
 * Motorola MC146818A datasheet; 0x32 as the century byte is the IBM PC AT
 * convention. See rtc.h for what is left out. */
#include "devices/rtc.h"

#include "core/bytes.h"

#define NS_PER_SEC 1000000000ULL
#define SECS_PER_DAY 86400
#define DAYS_PER_400Y 146097
/* Days from 0000-01-01 to 1970-01-01, proleptic Gregorian (year 0 leaps). */
#define DAYS_0000_TO_EPOCH 719528
#define SEC_0000 (-(int64_t)DAYS_0000_TO_EPOCH * SECS_PER_DAY)
#define SEC_10000 (INT64_C(253402300800))  /* 10000-01-01T00:00:00Z */
#define REG_MASK (RTC_CMOS_SIZE - 1)
#define A_DEFAULT 0x26 /* DV = 010 (32.768 kHz), RS = 0110 (1024 Hz) */

/* Time register -> rtc_tm_field; -1 for the alarm registers in between. */
static const int8_t time_reg_field[RTC_YEAR + 1] = {
    [RTC_SECONDS] = RTC_TM_SEC,        [RTC_SECONDS_ALARM] = -1,
    [RTC_MINUTES] = RTC_TM_MIN,        [RTC_MINUTES_ALARM] = -1,
    [RTC_HOURS] = RTC_TM_HOUR,         [RTC_HOURS_ALARM] = -1,
    [RTC_DAY_OF_WEEK] = RTC_TM_WDAY,   [RTC_DAY_OF_MONTH] = RTC_TM_MDAY,
    [RTC_MONTH] = RTC_TM_MON,          [RTC_YEAR] = RTC_TM_YEAR,
};

static const uint16_t days_before_month[12] = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

/* ---- calendar arithmetic, years >= 0 ---- */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 0000-01-01 to (y)-01-01: leap years in [0, y) are the
 * multiples of 4, minus those of 100, plus those of 400. */
static int64_t days_before_year(int64_t y)
{
    return 365 * y + (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
}

/* (mon) 0..11. */
static int64_t days_before(int64_t y, unsigned mon)
{
    return days_before_month[mon] + (mon >= 2 && is_leap(y));
}

/* Seconds since 0000-01-01 (>= 0) -> fields; (tm) is left binary 24-hour. */
static void tm_from_sec0(uint64_t t, uint8_t tm[RTC_TM_NR])
{
    int64_t d = (int64_t)(t / SECS_PER_DAY), rem = (int64_t)(t % SECS_PER_DAY);
    int64_t y = d * 400 / DAYS_PER_400Y; /* within a year of the answer */
    unsigned mon = 11;

    while (y > 0 && days_before_year(y) > d)
        y--;
    while (days_before_year(y + 1) <= d)
        y++;
    d -= days_before_year(y);
    while (mon > 0 && days_before(y, mon) > d)
        mon--;
    tm[RTC_TM_MDAY] = (uint8_t)(d - days_before(y, mon) + 1);
    tm[RTC_TM_MON] = (uint8_t)(mon + 1);
    tm[RTC_TM_YEAR] = (uint8_t)(y % 100);
    tm[RTC_TM_CENTURY] = (uint8_t)(y / 100);
    /* 0000-01-01 was a Saturday; the register counts Sunday as 1. */
    tm[RTC_TM_WDAY] = (uint8_t)((t / SECS_PER_DAY + 6) % 7 + 1);
    tm[RTC_TM_HOUR] = (uint8_t)(rem / 3600);
    tm[RTC_TM_MIN] = (uint8_t)(rem / 60 % 60);
    tm[RTC_TM_SEC] = (uint8_t)(rem % 60);
}

static int64_t clamp_sec(int64_t s)
{
    if (s < SEC_0000)
        return SEC_0000;
    if (s >= SEC_10000)
        return SEC_10000 - 1;
    return s;
}

/* GUEST: fields as written, possibly nonsense (BCD 0xff decodes to 165,
 * day 0, month 13). Out-of-range parts carry into the next unit; the month
 * is clamped; the result is clamped to years 0..9999. */
static int64_t tm_to_unix(const uint8_t tm[RTC_TM_NR])
{
    int64_t y = tm[RTC_TM_CENTURY] * 100 + tm[RTC_TM_YEAR];
    unsigned mon = tm[RTC_TM_MON];
    int64_t d;

    if (mon < 1)
        mon = 1;
    if (mon > 12)
        mon = 12;
    d = days_before_year(y) + days_before(y, mon - 1) + tm[RTC_TM_MDAY] - 1;
    return clamp_sec(SEC_0000 + d * SECS_PER_DAY + tm[RTC_TM_HOUR] * 3600 +
                     tm[RTC_TM_MIN] * 60 + tm[RTC_TM_SEC]);
}

/* ---- clocks ---- */

static uint64_t mono_now(const struct rtc *r)
{
    return r->clk && r->clk->mono_ns ? r->clk->mono_ns(r->clk_ctx) : 0;
}

/* Host UTC seconds at monotonic (ns), ticking on monotonic second
 * boundaries so the tick lines up with the UIP window. Re-anchored to the
 * wall clock when the two drift apart by more than the one second that
 * whole-second wall time can explain (a host clock step, a restore). */
static int64_t host_sec(struct rtc *r, uint64_t ns)
{
    int64_t wall = r->clk && r->clk->now_sec ? r->clk->now_sec(r->clk_ctx) : 0;
    int64_t est, diff;

    if (r->synced && ns >= r->sync_ns &&
        !__builtin_add_overflow(r->sync_sec,
                                (int64_t)((ns - r->sync_ns) / NS_PER_SEC),
                                &est) &&
        !__builtin_sub_overflow(est, wall, &diff) && diff >= -1 && diff <= 1)
        return est;
    r->synced = true;
    r->sync_sec = wall;
    r->sync_ns = ns - ns % NS_PER_SEC;
    return wall;
}

static bool set_mode(const struct rtc *r)
{
    return (r->st.cmos[RTC_REG_B] & RTC_B_SET) != 0;
}

/* The guest's current time: frozen while SET, else host time + offset. */
static void guest_tm(struct rtc *r, uint8_t tm[RTC_TM_NR])
{
    int64_t g;

    if (set_mode(r)) {
        for (unsigned i = 0; i < RTC_TM_NR; i++)
            tm[i] = r->st.set_tm[i];
        return;
    }
    if (__builtin_add_overflow(host_sec(r, mono_now(r)), r->st.offset, &g))
        g = r->st.offset > 0 ? SEC_10000 : SEC_0000;
    tm_from_sec0((uint64_t)(clamp_sec(g) - SEC_0000), tm);
}

/* Make (tm) the guest's time from now on. */
static void commit_tm(struct rtc *r, const uint8_t tm[RTC_TM_NR])
{
    int64_t off;

    if (__builtin_sub_overflow(tm_to_unix(tm), host_sec(r, mono_now(r)), &off))
        off = 0;
    r->st.offset = off;
}

/* ---- register formats (register B: DM, 24/12) ---- */

static uint8_t encode(const struct rtc *r, unsigned v)
{
    if (r->st.cmos[RTC_REG_B] & RTC_B_DM_BINARY)
        return (uint8_t)v;
    return (uint8_t)(((v / 10) << 4) | (v % 10));
}

static uint8_t decode(const struct rtc *r, uint8_t v)
{
    if (r->st.cmos[RTC_REG_B] & RTC_B_DM_BINARY)
        return v;
    return (uint8_t)((v >> 4) * 10 + (v & 0x0f));
}

/* 12-hour mode: 1..12 with bit 7 set for PM; midnight is 12 AM. */
static uint8_t encode_hour(const struct rtc *r, unsigned h)
{
    unsigned h12 = h % 12 ? h % 12 : 12;

    if (r->st.cmos[RTC_REG_B] & RTC_B_24H)
        return encode(r, h);
    return (uint8_t)(encode(r, h12) | (h >= 12 ? 0x80 : 0));
}

static uint8_t decode_hour(const struct rtc *r, uint8_t v)
{
    uint8_t h;

    if (r->st.cmos[RTC_REG_B] & RTC_B_24H)
        return decode(r, v);
    h = decode(r, v & 0x7f);
    if (h == 12)
        h = 0;
    return (uint8_t)(h + ((v & 0x80) ? 12 : 0));
}

static int time_field(uint8_t reg)
{
    if (reg <= RTC_YEAR)
        return time_reg_field[reg];
    return reg == RTC_CENTURY ? RTC_TM_CENTURY : -1;
}

static uint8_t read_time(struct rtc *r, int field)
{
    uint8_t tm[RTC_TM_NR];

    guest_tm(r, tm);
    if (field == RTC_TM_HOUR)
        return encode_hour(r, tm[field]);
    return encode(r, tm[field]);
}

static void write_time(struct rtc *r, int field, uint8_t val)
{
    uint8_t v = field == RTC_TM_HOUR ? decode_hour(r, val) : decode(r, val);
    uint8_t tm[RTC_TM_NR];

    if (set_mode(r)) {
        r->st.set_tm[field] = v;
        return;
    }
    guest_tm(r, tm);
    tm[field] = v;
    commit_tm(r, tm);
}

/* ---- status registers ---- */

/* UIP is high for RTC_UIP_NS before each update; never while SET inhibits
 * updates (datasheet, register B SET bit). */
static uint8_t read_a(struct rtc *r)
{
    uint8_t a = r->st.cmos[RTC_REG_A] & (uint8_t)~RTC_A_UIP;

    if (!set_mode(r) && mono_now(r) % NS_PER_SEC >= NS_PER_SEC - RTC_UIP_NS)
        a |= RTC_A_UIP;
    return a;
}

/* Periodic rate from RS: 32768 Hz >> (rs - 1); RS 1 and 2 give the same
 * rates as 8 and 9 with a 32.768 kHz time base. 0 means off. */
static uint64_t pf_period_ns(unsigned rs)
{
    if (rs == 0)
        return 0;
    if (rs < 3)
        rs += 7;
    return (NS_PER_SEC << (rs - 1)) >> 15;
}

/* Read-and-clear: report what happened since the previous read. */
static uint8_t read_c(struct rtc *r)
{
    uint64_t now = mono_now(r), last = r->c_read_ns;
    uint64_t period = pf_period_ns(r->st.cmos[RTC_REG_A] & RTC_A_RS_MASK);
    uint8_t c = 0;

    if (!set_mode(r) && now / NS_PER_SEC != last / NS_PER_SEC)
        c |= RTC_C_UF;
    if (period && now / period != last / period)
        c |= RTC_C_PF;
    if (c & r->st.cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE))
        c |= RTC_C_IRQF;
    r->c_read_ns = now;
    return c;
}

/* Setting SET freezes the time for editing and clears UIE; clearing it
 * starts the clock from the edited time (datasheet, register B). */
static void write_b(struct rtc *r, uint8_t val)
{
    uint8_t old = r->st.cmos[RTC_REG_B];

    if (val & RTC_B_SET)
        val &= (uint8_t)~RTC_B_UIE;
    if (!(old & RTC_B_SET) && (val & RTC_B_SET))
        guest_tm(r, r->st.set_tm);
    r->st.cmos[RTC_REG_B] = val;
    if ((old & RTC_B_SET) && !(val & RTC_B_SET))
        commit_tm(r, r->st.set_tm);
}

uint8_t rtc_cmos_read(struct rtc *r, uint8_t reg)
{
    int field;

    reg &= REG_MASK;
    field = time_field(reg);
    if (field >= 0)
        return read_time(r, field);
    if (reg == RTC_REG_A)
        return read_a(r);
    if (reg == RTC_REG_C)
        return read_c(r);
    if (reg == RTC_REG_D)
        return RTC_D_VRT; /* battery good */
    return r->st.cmos[reg];
}

void rtc_cmos_write(struct rtc *r, uint8_t reg, uint8_t val)
{
    int field;

    reg &= REG_MASK;
    field = time_field(reg);
    if (field >= 0)
        write_time(r, field, val);
    else if (reg == RTC_REG_A)
        r->st.cmos[RTC_REG_A] = val & (uint8_t)~RTC_A_UIP;
    else if (reg == RTC_REG_B)
        write_b(r, val);
    else if (reg != RTC_REG_C && reg != RTC_REG_D) /* C, D read-only */
        r->st.cmos[reg] = val;
}

uint8_t rtc_read(struct rtc *r, uint8_t off)
{
    if (off == 1)
        return rtc_cmos_read(r, r->st.index);
    return 0xff; /* the index port is write-only */
}

void rtc_write(struct rtc *r, uint8_t off, uint8_t val)
{
    /* GUEST: (val) is an index or any value for any register. */
    if (off == 0)
        r->st.index = val & REG_MASK; /* bit 7: NMI mask, not ours */
    else if (off == 1)
        rtc_cmos_write(r, r->st.index, val);
}

void rtc_set_ram(struct rtc *r, uint8_t reg, uint8_t val)
{
    if (reg > RTC_REG_D && reg < RTC_CMOS_SIZE && reg != RTC_CENTURY)
        r->st.cmos[reg] = val;
}

static uint64_t units_above(uint64_t size, uint64_t base, uint64_t unit,
                            uint64_t max)
{
    uint64_t n = size > base ? (size - base) / unit : 0;

    return n > max ? max : n;
}

void rtc_set_mem_size(struct rtc *r, uint64_t below_4g, uint64_t above_4g)
{
    uint8_t *cmos = r->st.cmos;
    uint16_t ext = (uint16_t)units_above(below_4g, MiB, KiB, 0xffff);
    uint32_t high = (uint32_t)units_above(above_4g, 0, 64 * KiB, 0xffffff);

    le16_put(cmos, RTC_MEM_BASE_LO, 640);
    le16_put(cmos, RTC_MEM_EXT_LO, ext);
    le16_put(cmos, RTC_MEM_EXT2_LO, ext);
    le16_put(cmos, RTC_MEM_16M_LO,
             (uint16_t)units_above(below_4g, 16 * MiB, 64 * KiB, 0xffff));
    /* A 3-byte field: bits 0-15, then bits 16-23. */
    le16_put(cmos, RTC_MEM_4G_LO, (uint16_t)high);
    cmos[RTC_MEM_4G_LO + 2] = (uint8_t)(high >> 16);
}

void rtc_reset(struct rtc *r)
{
    r->st.cmos[RTC_REG_B] &=
        (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    r->c_read_ns = mono_now(r); /* clears C's flags */
}

void rtc_init(struct rtc *r, const struct clock_ops *clk, void *clk_ctx)
{
    *r = (struct rtc){.clk = clk, .clk_ctx = clk_ctx};
    r->st.cmos[RTC_REG_A] = A_DEFAULT;
    r->st.cmos[RTC_REG_B] = RTC_B_24H;
    r->c_read_ns = mono_now(r);
}

static uint8_t port_read(void *dev, uint8_t off)
{
    return rtc_read(dev, off);
}

static void port_write(void *dev, uint8_t off, uint8_t val)
{
    rtc_write(dev, off, val);
}

static void rtc_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, RTC_NR_PORTS, port_read);
}

static void rtc_bus_write(void *dev, uint64_t off, const void *data,
                          unsigned len)
{
    bus_write_bytes(dev, off, data, len, RTC_NR_PORTS, port_write);
}

const struct bus_ops rtc_bus_ops = {
    .read = rtc_bus_read,
    .write = rtc_bus_write,
};
