/* libFuzzer target: the port-I/O platform devices (devices/rtc.c,
 * i8042.c, acpi_pm.c, pvpanic.c, debug_exit.c), driven through their
 * bus_ops with any offset (up to UINT64_MAX), width 1/2/4/8 and value,
 * or through a port bus at addresses around their windows, interleaved
 * with host events: the power button, device resets, time passing on the
 * RTC's monotonic and wall clocks (together, or the wall clock stepping),
 * and guest time set through register B's SET bit.
 *
 * A model written from the headers tracks what a guest can predict; after
 * every byte of every access the target checks:
 *  - bytes outside a window read 0xff and change nothing; an access the
 *    bus does not claim (not wholly inside one window) reads all-ones and
 *    changes no device state and calls no callback;
 *  - i8042: status has IBF and bits 5-7 clear and UNLOCKED set, OBF and
 *    SYS and CMD as the model says; data reads give the model's byte;
 *    controller RAM, output port and the reset callback as documented;
 *  - ACPI PM1: status, enable (reserved bits read 0) and control (SCI_EN
 *    reads 1, SLP_EN and GBL_RLS read 0) as modelled; poweroff exactly on
 *    SLP_EN with SLP_TYP S5; the SCI follows "an enabled event is
 *    pending" and set() is called only when that level changes;
 *  - pvpanic reads its event mask, reports the events written (panic
 *    wins); debug-exit reads all-ones and exits exactly on byte 0;
 *  - RTC: index port reads 0xff, D reads VRT, C never reports AF and
 *    sets IRQF exactly when a reported flag is enabled, and a second read
 *    with no time passing is 0; A holds what was written plus UIP in the
 *    last 244 us of each second (never while SET); RAM and alarm bytes
 *    read back; time and date registers are always valid BCD or binary in
 *    range for the format register B selects; a time written under SET
 *    reads back the same once SET is cleared. */
#include <stdlib.h>
#include <string.h>

#include "core/bus.h"
#include "core/log.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "fuzz_input.h"

#define MAX_OPS 2048
#define NS 1000000000ULL

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

enum win { W_RTC, W_KBD_DATA, W_KBD_CMD, W_PM_EVT, W_PM_CNT, W_PANIC,
           W_EXIT, W_NR };

static const struct {
    uint16_t port, len;
    const struct bus_ops *ops;
} wins[W_NR] = {
    [W_RTC] = {RTC_PORT, RTC_NR_PORTS, &rtc_bus_ops},
    [W_KBD_DATA] = {I8042_DATA_PORT, 1, &i8042_data_bus_ops},
    [W_KBD_CMD] = {I8042_CMD_PORT, 1, &i8042_cmd_bus_ops},
    [W_PM_EVT] = {ACPI_PM_EVT_PORT, ACPI_PM_EVT_LEN, &acpi_pm_evt_bus_ops},
    [W_PM_CNT] = {ACPI_PM_CNT_PORT, ACPI_PM_CNT_LEN, &acpi_pm_cnt_bus_ops},
    [W_PANIC] = {PVPANIC_PORT, PVPANIC_LEN, &pvpanic_bus_ops},
    [W_EXIT] = {DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, &debug_exit_bus_ops},
};

/* ---- the devices and what their callbacks saw ---- */

static struct {
    struct rtc rtc;
    struct i8042 kbd;
    struct acpi_pm pm;
    struct pvpanic panic;
    struct debug_exit dx;
    struct bus bus;
    uint64_t mono;
    int64_t wall;
    bool sci;                   /* last level set() was called with */
    unsigned resets, poweroffs, panics, crashes, exits;
    uint8_t exit_code;
} d;

/* The model: what a guest can predict. */
static struct {
    uint8_t kram[I8042_RAM_SIZE], outbuf, outport, pending;
    bool obf, last_cmd;
    uint16_t sts, en, cnt;
    unsigned resets, poweroffs, panics, crashes, exits;
    uint8_t exit_code, panic_events;
    uint8_t cmos[RTC_CMOS_SIZE];  /* RAM, alarms, A, B as written */
    uint8_t index;
    uint64_t c_last;              /* monotonic time of the last C read */
} m;

static void *dev_of(enum win w)
{
    static void *const devs[W_NR] = {
        [W_RTC] = &d.rtc,   [W_KBD_DATA] = &d.kbd, [W_KBD_CMD] = &d.kbd,
        [W_PM_EVT] = &d.pm, [W_PM_CNT] = &d.pm,    [W_PANIC] = &d.panic,
        [W_EXIT] = &d.dx,
    };

    return devs[w];
}

static void on_reset(void *ctx) { (void)ctx; d.resets++; }
static void on_poweroff(void *ctx) { (void)ctx; d.poweroffs++; }
static void on_panic(void *ctx) { (void)ctx; d.panics++; }
static void on_crash(void *ctx) { (void)ctx; d.crashes++; }

static void on_dexit(void *ctx, uint8_t code)
{
    (void)ctx;
    d.exits++;
    d.exit_code = code;
}

static void on_sci(void *ctx, bool level)
{
    (void)ctx;
    CHECK(level != d.sci); /* only on a change */
    d.sci = level;
}

static uint64_t clk_mono(void *ctx) { (void)ctx; return d.mono; }
static int64_t clk_wall(void *ctx) { (void)ctx; return d.wall; }

static const struct i8042_ops kbd_ops = {.reset = on_reset};
static const struct acpi_pm_ops pm_ops = {.poweroff = on_poweroff};
static const struct pvpanic_ops panic_ops = {.panic = on_panic,
                                             .crash_loaded = on_crash};
static const struct debug_exit_ops dx_ops = {.exit = on_dexit};
static const struct clock_ops clk_ops = {.now_sec = clk_wall,
                                         .mono_ns = clk_mono};

/* ---- i8042 model ---- */

static void m_kbd_reset(void)
{
    memset(m.kram, 0, sizeof(m.kram));
    m.kram[0] = I8042_CTR_KBDINT | I8042_CTR_SYS | I8042_CTR_XLATE;
    m.outbuf = 0;
    m.obf = false;
    m.outport = I8042_OUT_RESET | I8042_OUT_A20;
    m.pending = 0;
    m.last_cmd = false;
}

static void m_out(uint8_t v)
{
    m.outbuf = v;
    m.obf = true;
}

static void m_kbd_cmd(uint8_t c)
{
    m.last_cmd = true;
    m.pending = 0;
    if (c >= 0x20 && c < 0x40)
        m_out(m.kram[c - 0x20]);
    else if ((c >= 0x60 && c < 0x80) || (c >= 0xd1 && c <= 0xd4))
        m.pending = c;
    else if (c >= 0xf0)
        m.resets += !(c & 1);
    else if (c == 0xa7)
        m.kram[0] |= I8042_CTR_AUXDIS;
    else if (c == 0xa8)
        m.kram[0] &= (uint8_t)~I8042_CTR_AUXDIS;
    else if (c == 0xaa)
        m_out(I8042_SELF_TEST_OK);
    else if (c == 0xab)
        m_out(0);
    else if (c == 0xad)
        m.kram[0] |= I8042_CTR_KBDDIS;
    else if (c == 0xae)
        m.kram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
    else if (c == 0xd0)
        m_out(m.outport);
}

static void m_kbd_data(uint8_t v)
{
    uint8_t c = m.pending;

    m.last_cmd = false;
    m.pending = 0;
    if (c >= 0x60 && c < 0x80)
        m.kram[c - 0x60] = v;
    else if (c == 0xd1) {
        m.outport = v;
        m.resets += !(v & 1);
    } else if (c == 0xd2)
        m_out(v);
}

static uint8_t m_kbd_status(void)
{
    return (uint8_t)((m.obf ? I8042_STS_OBF : 0) |
                     (m.kram[0] & I8042_CTR_SYS ? I8042_STS_SYS : 0) |
                     (m.last_cmd ? I8042_STS_CMD : 0) | I8042_STS_UNLOCKED);
}

/* ---- ACPI PM model ---- */

#define PM_EN_MASK 0x4721
#define PM_SCI_EVENTS 0x0721

static bool m_sci(void)
{
    return (m.sts & m.en & PM_SCI_EVENTS) != 0;
}

static void m_pm_cnt(unsigned off, uint8_t v)
{
    unsigned sh = 8 * off;

    m.cnt = (uint16_t)(((m.cnt & ~(0xffu << sh)) | ((unsigned)v << sh)) &
                       (ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK));
    if ((((unsigned)v << sh) & ACPI_PM1_CNT_SLP_EN) &&
        (m.cnt & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT ==
            ACPI_PM_SLP_TYP_S5)
        m.poweroffs++;
}

/* ---- RTC model ---- */

static bool m_bin(void) { return m.cmos[RTC_REG_B] & RTC_B_DM_BINARY; }
static bool m_set(void) { return m.cmos[RTC_REG_B] & RTC_B_SET; }

static uint8_t enc(unsigned v)
{
    return m_bin() ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static uint8_t enc_hour(unsigned h)
{
    unsigned h12 = h % 12 ? h % 12 : 12;

    if (m.cmos[RTC_REG_B] & RTC_B_24H)
        return enc(h);
    return (uint8_t)(enc(h12) | (h >= 12 ? 0x80 : 0));
}

/* (v) is a valid encoding of a number in [lo, hi]. */
static bool valid(uint8_t v, unsigned lo, unsigned hi)
{
    unsigned n = v;

    if (!m_bin()) {
        if ((v & 0x0f) > 9 || (v >> 4) > 9)
            return false;
        n = (v >> 4) * 10u + (v & 0x0fu);
    }
    return n >= lo && n <= hi;
}

static bool valid_hour(uint8_t v)
{
    if (m.cmos[RTC_REG_B] & RTC_B_24H)
        return valid(v, 0, 23);
    return valid(v & 0x7f, 1, 12);
}

/* A time register read while the clock runs: in range for the format. */
static void check_time_reg(uint8_t reg, uint8_t v)
{
    switch (reg) {
    case RTC_SECONDS:
    case RTC_MINUTES:
        CHECK(valid(v, 0, 59));
        break;
    case RTC_HOURS:
        CHECK(valid_hour(v));
        break;
    case RTC_DAY_OF_WEEK:
        CHECK(valid(v, 1, 7));
        break;
    case RTC_DAY_OF_MONTH:
        CHECK(valid(v, 1, 31));
        break;
    case RTC_MONTH:
        CHECK(valid(v, 1, 12));
        break;
    default: /* year, century */
        CHECK(valid(v, 0, 99));
        break;
    }
}

static bool is_time_reg(uint8_t reg)
{
    return (reg <= RTC_YEAR && reg != RTC_SECONDS_ALARM &&
            reg != RTC_MINUTES_ALARM && reg != RTC_HOURS_ALARM) ||
           reg == RTC_CENTURY;
}

static bool uip_window(void)
{
    return d.mono % NS >= NS - RTC_UIP_NS;
}

static void m_rtc_read(uint8_t reg, uint8_t v)
{
    uint64_t per;
    unsigned rs;

    if (is_time_reg(reg)) {
        if (!m_set())
            check_time_reg(reg, v);
        return;
    }
    switch (reg) {
    case RTC_REG_A:
        CHECK(v == ((m.cmos[RTC_REG_A] & 0x7f) |
                    (!m_set() && uip_window() ? RTC_A_UIP : 0)));
        return;
    case RTC_REG_C:
        CHECK(!(v & (RTC_C_AF | 0x0f)));
        CHECK(!!(v & RTC_C_IRQF) ==
              !!(v & m.cmos[RTC_REG_B] & (RTC_B_PIE | RTC_B_UIE)));
        CHECK(!!(v & RTC_C_UF) == (!m_set() && m.c_last / NS != d.mono / NS));
        rs = m.cmos[RTC_REG_A] & RTC_A_RS_MASK;
        per = rs ? (NS << ((rs < 3 ? rs + 7 : rs) - 1)) >> 15 : 0;
        CHECK(!!(v & RTC_C_PF) == (per && m.c_last / per != d.mono / per));
        m.c_last = d.mono;
        return;
    case RTC_REG_D:
        CHECK(v == RTC_D_VRT);
        return;
    default:
        CHECK(v == m.cmos[reg]);
        return;
    }
}

static void m_rtc_write(uint8_t reg, uint8_t v)
{
    if (is_time_reg(reg) || reg == RTC_REG_C || reg == RTC_REG_D)
        return;
    if (reg == RTC_REG_A)
        v &= 0x7f;
    if (reg == RTC_REG_B && (v & RTC_B_SET))
        v &= (uint8_t)~RTC_B_UIE;
    m.cmos[reg] = v;
}

/* ---- one byte through the model ---- */

/* Byte (reg) of window (w) read (v). */
static void m_read(enum win w, uint8_t reg, uint8_t v)
{
    switch (w) {
    case W_RTC:
        if (reg == 0)
            CHECK(v == 0xff);
        else
            m_rtc_read(m.index, v);
        return;
    case W_KBD_DATA:
        CHECK(v == m.outbuf);
        m.obf = false;
        return;
    case W_KBD_CMD:
        CHECK(v == m_kbd_status());
        CHECK(!(v & (I8042_STS_IBF | 0xe0)));
        return;
    case W_PM_EVT:
        CHECK(v == (uint8_t)((reg < 2 ? m.sts : m.en) >> (8 * (reg & 1))));
        return;
    case W_PM_CNT:
        CHECK(v == (uint8_t)((m.cnt | ACPI_PM1_CNT_SCI_EN) >> (8 * reg)));
        return;
    case W_PANIC:
        CHECK(v == PVPANIC_EVENTS);
        return;
    default:
        CHECK(v == 0xff);
        return;
    }
}

static void m_write(enum win w, uint8_t reg, uint8_t v)
{
    switch (w) {
    case W_RTC:
        if (reg == 0)
            m.index = v & 0x7f;
        else
            m_rtc_write(m.index, v);
        return;
    case W_KBD_DATA:
        m_kbd_data(v);
        return;
    case W_KBD_CMD:
        m_kbd_cmd(v);
        return;
    case W_PM_EVT:
        if (reg < 2)
            m.sts &= (uint16_t)~((unsigned)v << (8 * reg));
        else
            m.en = (uint16_t)(((m.en & ~(0xffu << (8 * (reg - 2)))) |
                               ((unsigned)v << (8 * (reg - 2)))) & PM_EN_MASK);
        return;
    case W_PM_CNT:
        m_pm_cnt(reg, v);
        return;
    case W_PANIC:
        if (v & PVPANIC_EVENTS) {
            m.panic_events = v & PVPANIC_EVENTS;
            if (v & PVPANIC_PANICKED)
                m.panics++;
            else
                m.crashes++;
        }
        return;
    default:
        if (reg == 0) {
            m.exits++;
            m.exit_code = v;
        }
        return;
    }
}

/* ---- checks ---- */

static void verify(void)
{
    CHECK(d.resets == m.resets && d.poweroffs == m.poweroffs);
    CHECK(d.panics == m.panics && d.crashes == m.crashes);
    CHECK(d.exits == m.exits && d.exit_code == m.exit_code);
    CHECK(d.dx.st.writes == m.exits);
    CHECK(d.panic.st.events == m.panic_events);
    CHECK(d.sci == m_sci() && d.pm.sci_level == d.sci);
    CHECK(d.pm.st.sts == m.sts && d.pm.st.en == m.en && d.pm.st.cnt == m.cnt);
    CHECK(!memcmp(d.kbd.st.ram, m.kram, sizeof(m.kram)));
    CHECK(d.kbd.st.outport == m.outport && d.kbd.st.pending == m.pending);
    CHECK(d.rtc.st.index == m.index && d.rtc.st.index < RTC_CMOS_SIZE);
}

/* Everything a guest access may change, for "an unclaimed access changed
 * nothing". */
struct snap {
    struct rtc_state rtc;
    struct i8042_state kbd;
    struct acpi_pm_state pm;
    struct pvpanic_state panic;
    struct debug_exit_state dx;
    unsigned calls;
};

static void take_snap(struct snap *s)
{
    memset(s, 0, sizeof(*s));
    s->rtc = d.rtc.st;
    s->kbd = d.kbd.st;
    s->pm = d.pm.st;
    s->panic = d.panic.st;
    s->dx = d.dx.st;
    s->calls = d.resets + d.poweroffs + d.panics + d.crashes + d.exits;
}

/* ---- guest accesses ---- */

static uint64_t pick_off(struct in *in, uint8_t sel)
{
    switch (sel % 8) {
    case 0:
        return get64(in); /* anywhere, near UINT64_MAX too */
    case 1:
        return UINT64_MAX - get8(in) % 8;
    default:
        return get8(in) % 8;
    }
}

/* An access through the device's own bus_ops at window offset (off). */
static void do_direct(struct in *in, bool wr)
{
    uint8_t sel = get8(in);
    enum win w = (enum win)(sel % W_NR);
    uint64_t off = pick_off(in, sel >> 3);
    unsigned len = 1u << (get8(in) % 4);
    uint8_t buf[8];

    if (wr) {
        for (unsigned i = 0; i < len; i++)
            buf[i] = get8(in);
        /* Byte by byte, lowest first, as the device is told. */
        for (unsigned i = 0; i < len; i++)
            if (off < wins[w].len && i < wins[w].len - off)
                m_write(w, (uint8_t)(off + i), buf[i]);
        wins[w].ops->write(dev_of(w), off, buf, len);
        return;
    }
    /* The device splits it lowest byte first; so does the model. */
    memset(buf, 0x5a, sizeof(buf));
    wins[w].ops->read(dev_of(w), off, buf, len);
    for (unsigned i = 0; i < len; i++) {
        if (off < wins[w].len && i < wins[w].len - off)
            m_read(w, (uint8_t)(off + i), buf[i]);
        else
            CHECK(buf[i] == 0xff);
    }
}

/* An access through the port bus at (port): claimed only when wholly in
 * one window. */
static void do_bus(struct in *in, bool wr)
{
    uint8_t sel = get8(in);
    enum win w = (enum win)(sel % W_NR);
    uint16_t port = (uint16_t)(wins[w].port + (int)(get8(in) % 12) - 4);
    unsigned len = 1u << (get8(in) % 4);
    enum win hit = W_NR;
    uint8_t buf[8];
    struct snap a, b;

    for (unsigned i = 0; i < W_NR; i++)
        if (port >= wins[i].port && port + len <= wins[i].port + wins[i].len)
            hit = (enum win)i;
    for (unsigned i = 0; i < len; i++)
        buf[i] = get8(in);
    if (hit == W_NR) {
        take_snap(&a);
        if (wr) {
            CHECK(!bus_write(&d.bus, port, buf, len));
        } else {
            CHECK(!bus_read(&d.bus, port, buf, len));
            for (unsigned i = 0; i < len; i++)
                CHECK(buf[i] == 0xff);
        }
        take_snap(&b);
        CHECK(!memcmp(&a, &b, sizeof(a)));
        return;
    }
    if (wr) {
        for (unsigned i = 0; i < len; i++)
            m_write(hit, (uint8_t)(port - wins[hit].port + i), buf[i]);
        CHECK(bus_write(&d.bus, port, buf, len));
        return;
    }
    CHECK(bus_read(&d.bus, port, buf, len));
    for (unsigned i = 0; i < len; i++)
        m_read(hit, (uint8_t)(port - wins[hit].port + i), buf[i]);
}

/* ---- host events ---- */

static void do_clock(struct in *in)
{
    uint8_t sel = get8(in);
    uint64_t dt;

    switch (sel % 4) {
    case 0: /* both clocks move together */
        dt = get32(in);
        d.mono += dt;
        d.wall += (int64_t)(dt / NS);
        break;
    case 1:
        d.mono += (uint64_t)get16(in) * 1000000;
        d.wall = (int64_t)(d.mono / NS);
        break;
    case 2: /* the host's wall clock steps, anywhere within 2^62 s */
        d.wall = (int64_t)get64(in) >> 1;
        break;
    default: /* the last microseconds before a second boundary */
        d.mono += NS - d.mono % NS - 1 - get32(in) % (2 * RTC_UIP_NS);
        break;
    }
}

/* Set the guest time under SET, clear SET, read it back (no time passes:
 * it must be what was written). */
static void do_set_time(struct in *in)
{
    uint8_t t[RTC_TM_NR];
    static const uint8_t regs[] = {RTC_SECONDS, RTC_MINUTES, RTC_HOURS,
                                   RTC_DAY_OF_MONTH, RTC_MONTH, RTC_YEAR,
                                   RTC_CENTURY};
    uint8_t want[sizeof(regs)];
    uint8_t b = (uint8_t)(get8(in) & (RTC_B_DM_BINARY | RTC_B_24H));

    t[0] = get8(in) % 60;
    t[1] = get8(in) % 60;
    t[2] = get8(in) % 24;
    t[3] = get8(in) % 28 + 1;
    t[4] = get8(in) % 12 + 1;
    t[5] = get8(in) % 100;
    t[6] = get8(in) % 100;
    rtc_cmos_write(&d.rtc, RTC_REG_B, RTC_B_SET | b);
    m_rtc_write(RTC_REG_B, RTC_B_SET | b);
    for (unsigned i = 0; i < sizeof(regs); i++) {
        want[i] = i == 2 ? enc_hour(t[i]) : enc(t[i]);
        rtc_cmos_write(&d.rtc, regs[i], want[i]);
    }
    rtc_cmos_write(&d.rtc, RTC_REG_B, b);
    m_rtc_write(RTC_REG_B, b);
    for (unsigned i = 0; i < sizeof(regs); i++)
        CHECK(rtc_cmos_read(&d.rtc, regs[i]) == want[i]);
}

static void do_event(struct in *in)
{
    switch (get8(in) % 6) {
    case 0:
        acpi_pm_press_power_button(&d.pm);
        m.sts |= ACPI_PM1_STS_PWRBTN;
        break;
    case 1:
        acpi_pm_reset(&d.pm);
        m.sts = m.en = m.cnt = 0;
        break;
    case 2:
        i8042_reset(&d.kbd);
        m_kbd_reset();
        break;
    case 3:
        rtc_reset(&d.rtc);
        m.cmos[RTC_REG_B] &= (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE |
                                        RTC_B_SQWE);
        m.c_last = d.mono; /* clears C's flags */
        break;
    case 4:
        do_clock(in);
        break;
    default:
        do_set_time(in);
        break;
    }
}

static void quiet(void *ctx, enum log_level lvl, const char *msg)
{
    (void)ctx;
    (void)lvl;
    (void)msg;
}

static void setup(struct in *in)
{
    static const struct log_sink sink = {.emit = quiet, .max = LOG_DEBUG};

    log_set_sink(&sink);
    memset(&d, 0, sizeof(d));
    memset(&m, 0, sizeof(m));
    d.mono = get64(in) >> 8;
    d.wall = (int64_t)get64(in) >> 1;
    rtc_init(&d.rtc, &clk_ops, NULL);
    i8042_init(&d.kbd, &kbd_ops, NULL);
    acpi_pm_init(&d.pm, (struct irq_line){.set = on_sci}, &pm_ops, NULL);
    pvpanic_init(&d.panic, &panic_ops, NULL);
    debug_exit_init(&d.dx, &dx_ops, NULL);
    bus_init(&d.bus, "pio");
    for (unsigned i = 0; i < W_NR; i++)
        CHECK(bus_add(&d.bus, wins[i].port, wins[i].len, wins[i].ops,
                      dev_of((enum win)i), "fuzz") == 0);
    m_kbd_reset();
    m.cmos[RTC_REG_A] = 0x26;
    m.cmos[RTC_REG_B] = RTC_B_24H;
    m.c_last = d.mono;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};

    setup(&in);
    verify();
    for (unsigned i = 0; i < MAX_OPS && in.n; i++) {
        uint8_t op = get8(&in);

        switch (op % 5) {
        case 0:
        case 1:
            do_direct(&in, op & 0x10);
            break;
        case 2:
        case 3:
            do_bus(&in, op & 0x10);
            break;
        default:
            do_event(&in);
            break;
        }
        verify();
    }
    return 0;
}
