/* --stats: what a VM cost and what it did. */
#include "vmm/stats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
    write_ports(f, vm);
    write_accel(f, vm);
    vm_net_write_stats(f, vm);
    fprintf(f, "startup.cpu_us %llu\nstartup.majflt %llu\n"
            "startup.minflt %llu\nstartup.wall_us %llu\n",
            (unsigned long long)s->usage.cpu_us,
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
