/* The counters `vessel run --stats FILE` writes when the VM ends: exits by
 * kind, the accelerator's own statistics, start-up cost and memory. Plain
 * "key value" lines (bench/ reads them; keys documented in README.md). */
#ifndef VESSEL_VMM_STATS_H
#define VESSEL_VMM_STATS_H

#include "host/proc.h"

struct vm;

struct vm_startup {
    bool taken;              /* set once, by vCPU 0 before its first run */
    struct host_usage usage;
    uint64_t wall_us;        /* from vessel's start to the first run */
};

/* Record start-up cost; call on vCPU 0's thread right before its first
 * entry into the guest. */
void stats_mark_first_run(struct vm *vm);

/* Write the stats of a VM that has stopped (threads joined) to (path).
 * Returns 0 or -errno. */
int stats_write(struct vm *vm, const char *path) MUST_CHECK;

#endif
