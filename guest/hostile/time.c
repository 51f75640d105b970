/* Time for timeouts: the TSC, whose rate is measured once against PIT
 * channel 2 (KVM's in-kernel i8254: gate and OUT2 in port 0x61), the way
 * Linux's quick PIT calibration does it. If the PIT does not answer, a
 * 2 GHz TSC is assumed; timeouts are then only off by a small factor. */
#include "hw.h"
#include "serial.h"

#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_PORT_B 0x61   /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */
#define PIT_HZ 1193182U
#define PIT_CH2_MODE0 0xb0       /* channel 2, lobyte/hibyte, mode 0 */
#define CAL_MS 20U
#define TSC_KHZ_GUESS 2000000ULL

static uint64_t tsc_khz = TSC_KHZ_GUESS;
static uint64_t tsc_start;

void time_init(void)
{
    uint32_t count = PIT_HZ / 1000 * CAL_MS;
    uint8_t b = inb(PIT_PORT_B);
    uint64_t t0, t1;
    bool done = false;

    outb(PIT_PORT_B, (uint8_t)((b & ~0x02) | 0x01));
    outb(PIT_CMD, PIT_CH2_MODE0);
    outb(PIT_CH2, (uint8_t)count);
    outb(PIT_CH2, (uint8_t)(count >> 8));
    t0 = rdtsc();
    /* Bounded by the guessed rate too: 1 s at 2 GHz. */
    while (!done && rdtsc() - t0 < TSC_KHZ_GUESS * 1000)
        done = inb(PIT_PORT_B) & 0x20;
    t1 = rdtsc();
    if (done && (t1 - t0) / CAL_MS > 100000 && (t1 - t0) / CAL_MS < 20000000)
        tsc_khz = (t1 - t0) / CAL_MS;
    outb(PIT_PORT_B, b);
    con_printf("HOSTILE-INFO tsc %llu kHz (%s)\n",
               (unsigned long long)tsc_khz, done ? "PIT" : "guessed");
    tsc_start = rdtsc();
}

uint64_t time_ms(void)
{
    return (rdtsc() - tsc_start) / tsc_khz;
}

uint64_t time_deadline(unsigned ms)
{
    return rdtsc() + (uint64_t)ms * tsc_khz;
}

bool time_passed(uint64_t deadline)
{
    return (int64_t)(rdtsc() - deadline) >= 0;
}

void time_delay(unsigned ms)
{
    uint64_t dl = time_deadline(ms);

    while (!time_passed(dl))
        cpu_relax();
}
