/* GET /vm and GET /metrics of a real VM: a snapshot of the counters, then
 * the same snapshot written as JSON or as Prometheus text. */
#include "vmm/vminfo.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/clock.h"
#include "host/consock.h"
#include "devices/virtio/net.h"
#include "vmm/config_json.h"
#include "vmm/control.h"
#include "vmm/vm.h"

#define MAX_COUNTERS 13
#define MAX_DEVS (VM_MAX_DISKS + VM_MAX_NETS + 2)

struct counter_def {
    const char *name;
    size_t off;                     /* of a uint64_t in the stats struct */
};

#define C(type, field) { #field, offsetof(struct type, field) }

static const struct counter_def blk_defs[] = {
    C(virtio_blk_stats, reads), C(virtio_blk_stats, writes),
    C(virtio_blk_stats, flushes), C(virtio_blk_stats, discards),
    C(virtio_blk_stats, write_zeroes), C(virtio_blk_stats, read_bytes),
    C(virtio_blk_stats, write_bytes), C(virtio_blk_stats, io_errors),
    C(virtio_blk_stats, guest_errors), C(virtio_blk_stats, unsupported),
    C(virtio_blk_stats, refused),
};

static const struct counter_def net_defs[] = {
    C(virtio_net_stats, rx_frames), C(virtio_net_stats, rx_bytes),
    C(virtio_net_stats, rx_nobuf), C(virtio_net_stats, rx_filtered),
    C(virtio_net_stats, rx_errors), C(virtio_net_stats, tx_frames),
    C(virtio_net_stats, tx_bytes), C(virtio_net_stats, tx_dropped),
    C(virtio_net_stats, tx_errors), C(virtio_net_stats, tx_eagain),
    C(virtio_net_stats, ctrl_cmds), C(virtio_net_stats, ctrl_errors),
};

static const struct counter_def rng_defs[] = {
    C(virtio_rng_stats, bytes), C(virtio_rng_stats, requests),
    C(virtio_rng_stats, short_fills), C(virtio_rng_stats, throttled),
};

/* The console as the user sees it, whichever device carries it. */
struct con_counters {
    uint64_t out_bytes, in_bytes, overruns, attaches, client_dropped;
};

static const struct counter_def con_defs[] = {
    C(con_counters, out_bytes), C(con_counters, in_bytes),
    C(con_counters, overruns), C(con_counters, attaches),
    C(con_counters, client_dropped),
};

#undef C

struct dev_snap {
    char id[16];
    const char *kind;               /* GET /vm "kind" */
    const char *family;             /* metric names: vessel_<family>_... */
    const struct counter_def *defs;
    size_t ndefs;
    uint64_t val[MAX_COUNTERS];
};

struct vm_snap {
    struct dev_snap dev[MAX_DEVS];
    unsigned n;
};

static void snap_add(struct vm_snap *s, const char *id, const char *kind,
                     const char *family, const struct counter_def *defs,
                     size_t ndefs, const void *stats)
{
    struct dev_snap *d = &s->dev[s->n++];

    snprintf(d->id, sizeof(d->id), "%s", id);
    d->kind = kind;
    d->family = family;
    d->defs = defs;
    d->ndefs = ndefs;
    for (size_t i = 0; i < ndefs; i++)
        memcpy(&d->val[i], (const char *)stats + defs[i].off,
               sizeof(uint64_t));
}

/* Copy every device's counters; device state is only read under dev_lock. */
static void snapshot(struct vm *vm, struct vm_snap *s)
{
    struct vm_devices *ds = &vm->devs;
    struct con_counters con = { 0 };
    struct consock_stats cs = { 0 };

    s->n = 0;
    if (vm->ctl && vm->ctl->con)
        consock_get_stats(vm->ctl->con, &cs);   /* its own lock */
    con.attaches = cs.attaches;
    con.client_dropped = cs.client_dropped;
    pthread_mutex_lock(&vm->dev_lock);
    for (unsigned i = 0; i < ds->ndisks; i++)
        if (ds->disk[i].blk)
            snap_add(s, ds->disk[i].name, "virtio-blk", "blk", blk_defs,
                     ARRAY_SIZE(blk_defs), &ds->disk[i].blk->stats);
    for (unsigned i = 0; i < ds->nnets; i++)
        if (ds->net[i].dev)
            snap_add(s, ds->net[i].name, "virtio-net", "net", net_defs,
                     ARRAY_SIZE(net_defs), virtio_net_stats(ds->net[i].dev));
    if (ds->rng)
        snap_add(s, "rng", "virtio-rng", "rng", rng_defs,
                 ARRAY_SIZE(rng_defs), &ds->rng->stats);
    con.out_bytes = vm->console_tee.bytes;
    con.in_bytes = vm->console_in_bytes;
    con.overruns = vm->plat.com1.st.overruns;
    pthread_mutex_unlock(&vm->dev_lock);
    snap_add(s, "console", ds->con ? "virtio-console" : "serial", "console",
             con_defs, ARRAY_SIZE(con_defs), &con);
}

enum api_vm_state vminfo_state(const struct vm *vm)
{
    int st = __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE);

    if (st != API_VM_OFF && vm_stopping(vm))
        return API_VM_SHUTTING_DOWN;
    return (enum api_vm_state)st;
}

static uint64_t uptime_ms(const struct vm *vm)
{
    uint64_t t0 = __atomic_load_n(&vm->run_start_ns, __ATOMIC_ACQUIRE);
    uint64_t now = host_mono_ns();

    return t0 && now > t0 ? (now - t0) / 1000000U : 0;
}

int vminfo_describe(struct vm *vm, struct api_vm_info *info)
{
    struct vm_snap *s = calloc(1, sizeof(*s));
    struct vm_config cfg = vm->cfg;
    char err[256];
    int rc = s ? 0 : -ENOMEM;

    /* An unnamed VM is known by the name it claimed (vm-PID). */
    if (!cfg.name && vm->ctl)
        cfg.name = vm_control_name(vm->ctl);
    info->state = vminfo_state(vm);
    info->uptime_ms = uptime_ms(vm);
    info->config = config_json_dump(&cfg, err, sizeof(err));
    if (!info->config)
        rc = -ENOMEM;
    for (unsigned i = 0; rc == 0 && i < vm->ncpus; i++)
        rc = api_info_vcpu(info, i, vcpu_exits(&vm->vcpus[i], -1));
    if (rc == 0)
        snapshot(vm, s);
    for (unsigned d = 0; rc == 0 && d < s->n; d++) {
        const struct dev_snap *ds = &s->dev[d];
        json_t *c = api_info_device(info, ds->id, ds->kind);

        if (!c)
            rc = -ENOMEM;
        for (size_t i = 0; rc == 0 && i < ds->ndefs; i++)
            rc = api_info_counter(c, ds->defs[i].name, ds->val[i]);
    }
    free(s);
    return rc;
}

static void metrics_exits(struct vm *vm, struct api_text *out)
{
    api_text_printf(out, "# HELP vessel_vcpu_exits_total VM exits by vCPU "
                    "and reason.\n# TYPE vessel_vcpu_exits_total counter\n");
    for (unsigned i = 0; i < vm->ncpus; i++)
        for (int k = 0; k < VEXIT__COUNT; k++)
            api_text_printf(out, "vessel_vcpu_exits_total{vcpu=\"%u\","
                            "reason=\"%s\"} %llu\n", i,
                            vexit_kind_name((enum vexit_kind)k),
                            (unsigned long long)vcpu_exits(&vm->vcpus[i], k));
}

/* One family (all disks, ...): each counter's lines together, as the
 * text format wants a metric's samples in one group. */
static void metrics_family(const struct vm_snap *s, unsigned first,
                           struct api_text *out)
{
    const struct dev_snap *f = &s->dev[first];

    for (size_t i = 0; i < f->ndefs; i++) {
        api_text_printf(out, "# TYPE vessel_%s_%s_total counter\n", f->family,
                        f->defs[i].name);
        for (unsigned d = first; d < s->n; d++)
            if (s->dev[d].family == f->family)
                api_text_printf(out, "vessel_%s_%s_total{device=\"%s\"} "
                                "%llu\n", f->family, f->defs[i].name,
                                s->dev[d].id,
                                (unsigned long long)s->dev[d].val[i]);
    }
}

int vminfo_metrics(struct vm *vm, struct api_text *out)
{
    struct vm_snap *s = calloc(1, sizeof(*s));

    if (!s)
        return -ENOMEM;
    metrics_exits(vm, out);
    api_text_printf(out, "# TYPE vessel_vm_uptime_seconds gauge\n"
                    "vessel_vm_uptime_seconds %.3f\n",
                    (double)uptime_ms(vm) / 1000.0);
    snapshot(vm, s);
    /* Devices of a family are adjacent in the snapshot. */
    for (unsigned d = 0; d < s->n; d++)
        if (d == 0 || s->dev[d - 1].family != s->dev[d].family)
            metrics_family(s, d, out);
    free(s);
    return 0;
}
