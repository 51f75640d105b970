/* Host clocks: realtime for the guest's RTC, monotonic for intervals. */
#include "host/clock.h"

#include <time.h>

uint64_t host_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int64_t now_sec(void *ctx)
{
    (void)ctx;
    return (int64_t)time(NULL);
}

static uint64_t mono_ns(void *ctx)
{
    (void)ctx;
    return host_mono_ns();
}

const struct clock_ops host_clock_ops = { .now_sec = now_sec, .mono_ns = mono_ns };
