/* Building the VM's virtio devices from its config. */
#include "vmm/devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.h"
#include "host/clock.h"
#include "host/entropy.h"
#include "host/evloop.h"
#include "vmm/vm.h"

/* I/O thread: block requests finished; answer the guest. */
static void blk_complete(void *ctx, uint64_t cookie, int result)
{
    struct vm_disk *d = ctx;

    virtio_blk_complete(d->blk, cookie, result);
}

static void on_blk_done(void *ctx, uint32_t events)
{
    struct vm_disk *d = ctx;

    (void)events;
    pthread_mutex_lock(&d->vv.vm->dev_lock);
    blkfile_reap(d->bf, blk_complete, d);
    pthread_mutex_unlock(&d->vv.vm->dev_lock);
}

static int add_disk(struct vm *vm, unsigned i, char *err, size_t errlen)
{
    struct vm_disk *d = &vm->devs.disk[i];
    struct blkfile_config bc = { 0 };
    int rc;

    rc = blkfile_parse_spec(vm->cfg.disks[i], &d->spec);
    if (rc < 0) {
        snprintf(err, errlen, "--disk '%s': not PATH[,ro][,serial=S] (S: 1-20 "
                 "printable characters; write a comma in PATH as ,,)",
                 vm->cfg.disks[i]);
        return rc;
    }
    bc.path = d->spec.path;
    bc.read_only = d->spec.read_only;
    rc = blkfile_open(&d->bf, &bc);
    if (rc < 0) {
        if (rc == -EBUSY)
            snprintf(err, errlen, "--disk '%s' is in use by another VM (it "
                     "holds the image's lock)", d->spec.path);
        else if (rc == -EINVAL)
            snprintf(err, errlen, "--disk '%s' is not a regular file or "
                     "block device", d->spec.path);
        else
            snprintf(err, errlen, "--disk '%s': %s", d->spec.path,
                     strerror(-rc));
        return rc;
    }
    d->blk = calloc(1, sizeof(*d->blk));
    if (!d->blk)
        return -ENOMEM;
    rc = virtio_blk_init(d->blk, &vm->gm, &blkfile_blkdev_ops, d->bf,
                         d->spec.serial);
    if (rc == 0)
        rc = evloop_add(vm->io, blkfile_completion_fd(d->bf), EPOLLIN,
                        on_blk_done, d);
    if (rc < 0) {
        snprintf(err, errlen, "--disk '%s': %s", d->spec.path, strerror(-rc));
        return rc;
    }
    snprintf(d->name, sizeof(d->name), "disk%u", i);
    return vm_virtio_add(vm, &d->vv, &d->blk->vdev, d->name, err, errlen);
}

/* The console stopped on its per-run budget: come back for the rest. */
static void console_after_kick(struct vm_virtio *vv, unsigned q)
{
    struct vm *vm = vv->vm;

    if (q == VIRTIO_CONSOLE_TXQ && virtio_console_tx_pending(vm->devs.con))
        vm_virtio_rekick(vv, q);
}

static int add_console(struct vm *vm, char *err, size_t errlen)
{
    struct vm_devices *ds = &vm->devs;

    ds->con = calloc(1, sizeof(*ds->con));
    if (!ds->con)
        return -ENOMEM;
    virtio_console_init(ds->con, &vm->gm, &chr_tee_ops, &vm->console_tee);
    ds->con_vv.after_kick = console_after_kick;
    return vm_virtio_add(vm, &ds->con_vv, &ds->con->vdev, "console", err,
                         errlen);
}

/* Arm the rng's retry timer when its token bucket ran dry. */
static void rng_arm(struct vm *vm)
{
    uint64_t at = virtio_rng_next_refill_ns(vm->devs.rng);
    uint64_t now = host_mono_ns();
    uint64_t wait = at > now ? at - now : 1000;
    struct itimerspec its = { .it_value = {
        .tv_sec = (time_t)(wait / 1000000000U),
        .tv_nsec = (long)(wait % 1000000000U) } };

    if (at && timerfd_settime(vm->devs.rng_timer, 0, &its, NULL) < 0)
        log_error("rng: timer: %s", strerror(errno));
}

static void rng_after_kick(struct vm_virtio *vv, unsigned q)
{
    (void)q;
    rng_arm(vv->vm);
}

static void on_rng_timer(void *ctx, uint32_t events)
{
    struct vm *vm = ctx;

    (void)events;
    evloop_eventfd_drain(vm->devs.rng_timer);
    pthread_mutex_lock(&vm->dev_lock);
    virtio_rng_process(vm->devs.rng);
    rng_arm(vm);
    pthread_mutex_unlock(&vm->dev_lock);
}

static int add_rng(struct vm *vm, char *err, size_t errlen)
{
    struct vm_devices *ds = &vm->devs;
    int rc;

    ds->rng = calloc(1, sizeof(*ds->rng));
    if (!ds->rng)
        return -ENOMEM;
    virtio_rng_init(ds->rng, &vm->gm, &host_entropy_ops, NULL, &host_clock_ops,
                    NULL, VIRTIO_RNG_DEFAULT_RATE, VIRTIO_RNG_DEFAULT_BURST);
    ds->rng_timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (ds->rng_timer < 0)
        return -errno;
    rc = evloop_add(vm->io, ds->rng_timer, EPOLLIN, on_rng_timer, vm);
    if (rc < 0)
        return rc;
    ds->rng_vv.after_kick = rng_after_kick;
    return vm_virtio_add(vm, &ds->rng_vv, &ds->rng->vdev, "rng", err, errlen);
}

int vm_devices_init(struct vm *vm, char *err, size_t errlen)
{
    int rc = 0;

    vm->devs.rng_timer = -1;
    for (unsigned i = 0; rc == 0 && i < vm->cfg.ndisks; i++) {
        rc = add_disk(vm, i, err, errlen);
        vm->devs.ndisks = i + 1;
    }
    for (unsigned i = 0; rc == 0 && i < vm->cfg.nnets; i++) {
        rc = vm_net_add(vm, i, err, errlen);
        vm->devs.nnets = i + 1;
    }
    if (rc == 0 && vm->cfg.console == VM_CONSOLE_VIRTIO)
        rc = add_console(vm, err, errlen);
    if (rc == 0 && vm->cfg.rng)
        rc = add_rng(vm, err, errlen);
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "cannot create devices: %s", strerror(-rc));
    return rc;
}

void vm_devices_release(struct vm *vm)
{
    struct vm_devices *ds = &vm->devs;

    for (unsigned i = 0; i < ds->ndisks; i++) {
        vm_virtio_release(&ds->disk[i].vv);
        if (ds->disk[i].bf)
            blkfile_close(ds->disk[i].bf);
        free(ds->disk[i].blk);
    }
    for (unsigned i = 0; i < ds->nnets; i++)
        vm_net_release(&ds->net[i]);
    if (ds->con) {
        vm_virtio_release(&ds->con_vv);
        free(ds->con);
    }
    if (ds->rng) {
        vm_virtio_release(&ds->rng_vv);
        free(ds->rng);
    }
    if (ds->rng_timer >= 0)
        close(ds->rng_timer);
}
