/* Wall-clock source injected into devices that need the time (RTC). */
#ifndef VESSEL_CORE_CLOCK_H
#define VESSEL_CORE_CLOCK_H

#include "core/types.h"

struct clock_ops {
    /* Seconds since the Unix epoch, UTC. */
    int64_t (*now_sec)(void *ctx);
    /* Monotonic nanoseconds (for periodic/update timing). */
    uint64_t (*mono_ns)(void *ctx);
};

#endif
