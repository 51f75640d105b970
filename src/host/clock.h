/* The host's clocks as a core/clock.h source. */
#ifndef VESSEL_HOST_CLOCK_H
#define VESSEL_HOST_CLOCK_H

#include "core/clock.h"

extern const struct clock_ops host_clock_ops;

uint64_t host_mono_ns(void);

#endif
