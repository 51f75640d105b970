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

/* Boot phases, told apart by the first exit that shows the guest got
 * there, so --stats can split the exits to userspace between them:
 *   PCI      the first PCI config access (0xCF8-0xCFF or ECAM): before it,
 *            early kernel set-up (CPU, ACPI tables, APIC, timers);
 *   CONSOLE  the first byte of console output reached the host: with
 *            `quiet` that is the init's first line, else the kernel's
 *            first message once its serial console is registered. */
enum vm_phase {
    VM_PHASE_PCI,
    VM_PHASE_CONSOLE,
    VM_PHASE__COUNT,
};

struct vm_phase_mark {
    bool taken;              /* atomic: the first vCPU to get there sets it */
    uint64_t exits;          /* exits to userspace (all vCPUs) before it */
    uint64_t us;             /* since vessel's start */
};

/* Record start-up cost; call on vCPU 0's thread right before its first
 * entry into the guest. */
void stats_mark_first_run(struct vm *vm);

/* After a vCPU handled port or MMIO exit (addr, is_pio): mark the phases
 * it shows the guest has reached. Cheap when nothing is new. */
void stats_note_exit(struct vm *vm, uint64_t addr, bool is_pio);

/* Write the stats of a VM that has stopped (threads joined) to (path).
 * Returns 0 or -errno. */
int stats_write(struct vm *vm, const char *path) MUST_CHECK;

#endif
