/* --stats: what a VM cost and what it did. */
#include "vmm/stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "boot/layout.h"
#include "devices/pci/pci_host.h"
#include "host/clock.h"
#include "vmm/vm.h"

#define ACCEL_STATS_MAX 256

void stats_mark_first_run(struct vm *vm)
{
    struct vm_startup *s = &vm->startup;

    if (s->taken)
        return;
    host_usage_now(&s->usage);
    s->wall_us = (host_mono_ns() - vm->cfg.start_ns) / 1000;
    s->taken = true;
}

/* Exits to userspace so far, all vCPUs (a kick is not one). */
static uint64_t user_exits(const struct vm *vm)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < vm->ncpus; i++)
        n += vcpu_exits(&vm->vcpus[i], -1) -
             vcpu_exits(&vm->vcpus[i], VEXIT_INTR);
    return n;
}

static void mark_phase(struct vm *vm, enum vm_phase p)
{
    struct vm_phase_mark *m = &vm->phase[p];

    if (__atomic_exchange_n(&m->taken, true, __ATOMIC_ACQ_REL))
        return;   /* another vCPU got there first */
    m->exits = user_exits(vm);
    m->us = (host_mono_ns() - vm->cfg.start_ns) / 1000;
}

static bool is_pci_config(uint64_t addr, bool is_pio)
{
    if (is_pio)
        return addr >= PCI_CF8_PORT && addr < PCI_CFC_PORT + 4;
    return addr >= LAYOUT_PCI_ECAM &&
           addr - LAYOUT_PCI_ECAM < PCI_ECAM_BUS_SIZE;   /* bus 0 only */
}

void stats_note_exit(struct vm *vm, uint64_t addr, bool is_pio)
{
    if (!__atomic_load_n(&vm->phase[VM_PHASE_PCI].taken, __ATOMIC_RELAXED) &&
        is_pci_config(addr, is_pio))
        mark_phase(vm, VM_PHASE_PCI);
    if (!__atomic_load_n(&vm->phase[VM_PHASE_CONSOLE].taken,
                         __ATOMIC_RELAXED) &&
        __atomic_load_n(&vm->console_tee.bytes, __ATOMIC_RELAXED))
        mark_phase(vm, VM_PHASE_CONSOLE);
}

/* "phase.pci.exits N", "phase.pci.ms T": exits to userspace before each
 * phase began, and when; absent for a phase the guest never reached. */
static void write_phases(FILE *f, const struct vm *vm)
{
    static const char *const names[VM_PHASE__COUNT] = {
        [VM_PHASE_PCI] = "pci",
        [VM_PHASE_CONSOLE] = "console",
    };

    for (unsigned p = 0; p < VM_PHASE__COUNT; p++) {
        const struct vm_phase_mark *m = &vm->phase[p];
        if (!__atomic_load_n(&m->taken, __ATOMIC_ACQUIRE))
            continue;
        fprintf(f, "phase.%s.exits %llu\nphase.%s.ms %llu\n", names[p],
                (unsigned long long)m->exits, names[p],
                (unsigned long long)(m->us / 1000));
    }
}

static void write_exits(FILE *f, const struct vm *vm)
{
    uint64_t total = 0;

    for (unsigned k = 0; k < VEXIT__COUNT; k++) {
        uint64_t n = 0;
        for (unsigned i = 0; i < vm->ncpus; i++)
            n += vm->vcpus[i].exits[k];
        fprintf(f, "exits.%s %llu\n", vexit_kind_name((enum vexit_kind)k),
                (unsigned long long)n);
        total += n;
    }
    fprintf(f, "exits.total %llu\n", (unsigned long long)total);
    fprintf(f, "bus.pio.unclaimed %llu\nbus.mmio.unclaimed %llu\n",
            (unsigned long long)vm->pio.unclaimed,
            (unsigned long long)vm->mmio.unclaimed);
}

/* The busiest ports, all vCPUs together: "pio.port.0x3f8 N", top ten. */
static void write_ports(FILE *f, const struct vm *vm)
{
    struct portcount all = { 0 };
    uint64_t other = 0;

    for (unsigned i = 0; i < vm->ncpus; i++) {
        const struct portcount *pc = &vm->vcpus[i].pio_ports;
        other += pc->other;
        for (unsigned s = 0; s < PORTCOUNT_SLOTS; s++)
            if (pc->used[s])
                portcount_add(&all, pc->port[s], pc->count[s]);
    }
    for (unsigned top = 0; top < 10; top++) {
        unsigned best = PORTCOUNT_SLOTS;
        for (unsigned s = 0; s < PORTCOUNT_SLOTS; s++)
            if (all.used[s] && all.count[s] &&
                (best == PORTCOUNT_SLOTS || all.count[s] > all.count[best]))
                best = s;
        if (best == PORTCOUNT_SLOTS)
            break;
        fprintf(f, "pio.port.0x%x %llu\n", all.port[best],
                (unsigned long long)all.count[best]);
        all.count[best] = 0;
    }
    fprintf(f, "pio.port.other %llu\n", (unsigned long long)(other + all.other));
}

static void write_accel(FILE *f, struct vm *vm)
{
    struct accel_vcpu *vcpus[VM_MAX_CPUS];
    struct accel_stat *st = calloc(ACCEL_STATS_MAX, sizeof(*st));
    size_t n;

    if (!st)
        return;
    for (unsigned i = 0; i < vm->ncpus; i++)
        vcpus[i] = vm->vcpus[i].acc;
    n = vm->ops->stats(vm->avm, vcpus, vm->ncpus, st, ACCEL_STATS_MAX);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s %llu\n", st[i].name, (unsigned long long)st[i].value);
    free(st);
}

int stats_write(struct vm *vm, const char *path)
{
    const struct vm_startup *s = &vm->startup;
    struct host_usage now;
    FILE *f = fopen(path, "w");
    int rc = 0;

    if (!f)
        return -errno;
    host_usage_now(&now);
    write_exits(f, vm);
    write_phases(f, vm);
    write_ports(f, vm);
    write_accel(f, vm);
    vm_net_write_stats(f, vm);
    fprintf(f, "startup.cpu_us %llu\nstartup.sys_us %llu\n"
            "startup.majflt %llu\nstartup.minflt %llu\nstartup.wall_us %llu\n",
            (unsigned long long)s->usage.cpu_us,
            (unsigned long long)s->usage.sys_us,
            (unsigned long long)s->usage.majflt,
            (unsigned long long)s->usage.minflt,
            (unsigned long long)s->wall_us);
    fprintf(f, "rss.peak_kib %llu\nram.touched_kib %llu\ncpu.total_us %llu\n",
            (unsigned long long)now.maxrss_kib,
            (unsigned long long)(host_ram_resident(&vm->ram) / 1024),
            (unsigned long long)now.cpu_us);
    if (ferror(f))
        rc = -EIO;
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    return rc;
}
