/* MC146818 CMOS real-time clock and its 128 bytes of battery-backed RAM, as
 * found at ports 0x70 (index) and 0x71 (data) on a PC.
 *
 * The time registers are not stored: each read computes them from the
 * injected clock plus st.offset, the guest's own setting (guest UTC seconds
 * minus host UTC seconds), in the format register B asks for (BCD or binary,
 * 24- or 12-hour). The second ticks on a monotonic-clock second boundary;
 * register A reports UIP during the RTC_UIP_NS before each tick. While B.SET
 * is 1 the time is frozen and the guest's writes edit it; clearing SET (or
 * writing a time register with SET clear) moves st.offset so the written
 * time advances from there. The century lives at 0x32 (the ACPI FADT
 * CENTURY field should say 0x32).
 *
 * No interrupts: IRQ 8 is never raised, because periodic, alarm and
 * update-ended interrupts would need a host timer. Register B's PIE, AIE
 * and UIE bits are stored and read back. Register C reports UF (an update
 * finished since the last read of C) and PF (a periodic tick passed, rate
 * from register A) so polling guests work; AF is never set. Register A's
 * divider bits are stored but do not stop the clock; DSE is stored and no
 * daylight-saving change is made. The day of week is computed from the
 * date (writes to it are kept only while SET is 1).
 *
 * Not thread-safe: the caller serialises calls on one struct rtc. */
#ifndef VESSEL_DEVICES_RTC_H
#define VESSEL_DEVICES_RTC_H

#include "core/bus.h"
#include "core/clock.h"
#include "core/types.h"

#define RTC_PORT 0x70
#define RTC_NR_PORTS 2       /* 0: index (write-only), 1: data */
#define RTC_IRQ 8            /* for tables; this model never raises it */
#define RTC_CMOS_SIZE 128
#define RTC_UIP_NS 244000ULL /* UIP lead before each update: ~244 us */

/* CMOS register indexes. */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06 /* 1 = Sunday */
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09        /* 0..99 within the century */
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_REG_D 0x0d
#define RTC_CENTURY 0x32

#define RTC_A_UIP 0x80
#define RTC_A_DV_MASK 0x70
#define RTC_A_RS_MASK 0x0f

#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_B_DSE 0x01

#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10

#define RTC_D_VRT 0x80

/* Memory-size bytes that firmware reads (rtc_set_mem_size). */
#define RTC_MEM_BASE_LO 0x15     /* base memory, KiB */
#define RTC_MEM_EXT_LO 0x17      /* 1 MiB..: KiB, capped at 0xffff */
#define RTC_MEM_EXT2_LO 0x30     /* the same, second copy */
#define RTC_MEM_16M_LO 0x34      /* above 16 MiB, below 4 GiB: 64 KiB units */
#define RTC_MEM_4G_LO 0x5b       /* above 4 GiB: 64 KiB units, 3 bytes */

/* Indexes into rtc_state.set_tm: decoded (binary, 24-hour) values. */
enum rtc_tm_field {
    RTC_TM_SEC, RTC_TM_MIN, RTC_TM_HOUR, RTC_TM_WDAY,
    RTC_TM_MDAY, RTC_TM_MON, RTC_TM_YEAR, RTC_TM_CENTURY,
    RTC_TM_NR
};

/* Guest-visible state. cmos[] holds the RAM and registers 1, 3, 5 (alarms),
 * A and B; the time registers, C, D and 0x32 are computed. */
struct rtc_state {
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;                /* selected register, 0..127 */
    uint8_t set_tm[RTC_TM_NR];    /* the frozen time while B.SET is 1 */
    int64_t offset;               /* guest UTC seconds - host UTC seconds */
};

struct rtc {
    struct rtc_state st;
    const struct clock_ops *clk;
    void *clk_ctx;
    /* Host-side bookkeeping, not guest state: rebuilt on demand. */
    bool synced;
    int64_t sync_sec;             /* host UTC seconds at sync_ns */
    uint64_t sync_ns;             /* a monotonic second boundary */
    uint64_t c_read_ns;           /* monotonic time of the last C read */
};

/* Set up (r) with time source (clk, clk_ctx), both callbacks required;
 * guest time starts equal to host UTC, 24-hour BCD, RAM zeroed. (r) and
 * (clk) are owned by the caller and must outlive it. */
void rtc_init(struct rtc *r, const struct clock_ops *clk, void *clk_ctx);

/* The RESET pin: clears PIE, AIE, UIE and SQWE. Time, RAM and the guest's
 * time offset survive, as they do across a PC reset. */
void rtc_reset(struct rtc *r);

/* One guest byte access at port offset (off): 0 = index (bit 7, the NMI
 * mask, is ignored; reads give 0xff), 1 = data. Others read 0xff. */
uint8_t rtc_read(struct rtc *r, uint8_t off);
void rtc_write(struct rtc *r, uint8_t off, uint8_t val);

/* Register (reg & 0x7f) as the guest sees it through the data port. */
uint8_t rtc_cmos_read(struct rtc *r, uint8_t reg);
void rtc_cmos_write(struct rtc *r, uint8_t reg, uint8_t val);

/* Set a plain RAM byte (0x0e..0x7f except RTC_CENTURY) for firmware, e.g.
 * boot order or CPU count; other registers are left alone. Before the
 * guest runs. */
void rtc_set_ram(struct rtc *r, uint8_t reg, uint8_t val);

/* Record RAM sizes for firmware: (below_4g) bytes of RAM from 0 up to the
 * 32-bit hole, (above_4g) bytes from 4 GiB up. Fills 0x15/0x16 (640 KiB),
 * 0x17/0x18 and 0x30/0x31 (KiB above 1 MiB), 0x34/0x35 (64 KiB units above
 * 16 MiB) and 0x5b-0x5d (64 KiB units above 4 GiB), each capped at its
 * width. Before the guest runs. */
void rtc_set_mem_size(struct rtc *r, uint64_t below_4g, uint64_t above_4g);

/* Bus adapter, dev = struct rtc *, window RTC_NR_PORTS ports:
 *   bus_add(&pio, RTC_PORT, RTC_NR_PORTS, &rtc_bus_ops, &rtc, "rtc")
 * Wider accesses are split into bytes at consecutive offsets, so
 * `outw 0x70` writes the index and then the data. */
extern const struct bus_ops rtc_bus_ops;

#endif
