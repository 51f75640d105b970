/* Resource usage of the vessel process, for --stats and benchmarks. */
#ifndef VESSEL_HOST_PROC_H
#define VESSEL_HOST_PROC_H

#include "core/types.h"

struct host_usage {
    uint64_t cpu_us;      /* user + system CPU time since exec */
    uint64_t sys_us;      /* of it in the kernel (page faults, clearing) */
    uint64_t majflt, minflt;
    uint64_t maxrss_kib;  /* peak resident set size */
};

void host_usage_now(struct host_usage *u);

#endif
