/* virtio devices in the VM: PCI, ioeventfd doorbells, irqfd MSI-X. */
#include "vmm/virtio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "core/log.h"
#include "host/evloop.h"
#include "vmm/vm.h"

#define NOTIFY_WRITE_LEN 2   /* the driver writes the 16-bit queue index */

/* I/O thread: a doorbell rang. */
static void on_kick(void *ctx, uint32_t events)
{
    struct vm_virtio_kick *k = ctx;
    struct vm_virtio *d = k->d;

    (void)events;
    evloop_eventfd_drain(k->fd);
    pthread_mutex_lock(&d->vm->dev_lock);
    virtio_pci_kick(&d->vp, k->q);
    if (d->after_kick)
        d->after_kick(d, k->q);
    pthread_mutex_unlock(&d->vm->dev_lock);
}

void vm_virtio_rekick(struct vm_virtio *d, unsigned q)
{
    uint64_t one = 1;

    if (q < VIRTIO_MAX_QUEUES && d->kick[q].fd >= 0 &&
        write(d->kick[q].fd, &one, sizeof(one)) != sizeof(one))
        log_debug("%s: rekick q%u failed", d->name, q);
}

/* BAR 0 moved: doorbells follow it (under dev_lock). */
static void bar_moved(void *ctx, unsigned bar, uint64_t addr, bool on)
{
    struct vm_virtio *d = ctx;
    struct vm *vm = d->vm;

    (void)addr;
    if (bar != VIRTIO_PCI_BAR)
        return;
    for (unsigned q = 0; q < d->vdev->nqueues; q++) {
        struct vm_virtio_kick *k = &d->kick[q];
        uint64_t at = on ? virtio_pci_notify_addr(&d->vp, q) : 0;

        if (k->addr && k->addr != at) {
            vm->ops->ioeventfd(vm->avm, k->addr, NOTIFY_WRITE_LEN, q, k->fd,
                               false);
            k->addr = 0;
        }
        if (at && !k->addr) {
            int rc = vm->ops->ioeventfd(vm->avm, at, NOTIFY_WRITE_LEN, q,
                                        k->fd, true);
            if (rc == 0)
                k->addr = at;   /* else: kicks arrive as MMIO exits */
            else
                log_warn("%s: queue %u doorbell stays in userspace: %s",
                         d->name, q, strerror(-rc));
        }
    }
}

/* MSI-X entry changed: follow it with the KVM route. */
static void msi_update(void *ctx, unsigned vec, const struct msix_entry *e,
                       bool masked)
{
    struct vm_virtio *d = ctx;
    uint64_t addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
    int rc;

    (void)masked;   /* the model does not fire masked vectors */
    if (vec >= d->nvec)
        return;
    rc = d->vm->ops->msi_route(d->vm->avm, d->msi_gsi[vec], addr, e->data);
    if (rc < 0)
        log_error("%s: MSI route for vector %u: %s", d->name, vec,
                  strerror(-rc));
}

static void msi_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    struct vm_virtio *d = ctx;
    uint64_t one = 1;

    (void)e;
    if (vec < d->nvec && write(d->msi_fd[vec], &one, sizeof(one)) < 0)
        log_error("%s: irqfd for vector %u: %s", d->name, vec, strerror(errno));
}

static const struct msix_ops msi_ops = { .update = msi_update, .fire = msi_fire };

static int setup_vectors(struct vm_virtio *d)
{
    struct vm *vm = d->vm;

    d->nvec = d->vdev->nqueues + 1;   /* one per queue, one for config */
    for (unsigned v = 0; v < d->nvec; v++) {
        int rc = vm->ops->msi_alloc(vm->avm, &d->msi_gsi[v]);
        if (rc < 0)
            return rc;
        d->msi_fd[v] = evloop_eventfd();
        if (d->msi_fd[v] < 0)
            return d->msi_fd[v];
        rc = vm->ops->irqfd(vm->avm, d->msi_gsi[v], d->msi_fd[v], true);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int setup_kicks(struct vm_virtio *d)
{
    for (unsigned q = 0; q < d->vdev->nqueues; q++) {
        struct vm_virtio_kick *k = &d->kick[q];
        int rc;

        *k = (struct vm_virtio_kick){ .d = d, .q = q };
        k->fd = evloop_eventfd();
        if (k->fd < 0)
            return k->fd;
        rc = evloop_add(d->vm->io, k->fd, EPOLLIN, on_kick, k);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int vm_virtio_add(struct vm *vm, struct vm_virtio *d, struct virtio_dev *vdev,
                  const char *name, char *err, size_t errlen)
{
    struct vm_pci_owner owner = { .pdev = &d->vp.pci, .bar_moved = bar_moved,
                                  .ctx = d };
    struct irq_line intx = platform_irq_line(&d->intx);
    int rc, slot;

    d->vm = vm;
    d->vdev = vdev;
    d->name = name;
    d->intx.vm = vm;
    for (unsigned i = 0; i < MSIX_MAX_VECTORS; i++)
        d->msi_fd[i] = -1;
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        d->kick[q].fd = -1;
    rc = setup_vectors(d);
    if (rc == 0)
        rc = setup_kicks(d);
    if (rc == 0)
        rc = virtio_pci_init(&d->vp, vdev, intx, &msi_ops, d);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot set up the device: %s", name,
                 strerror(-rc));
        return rc;
    }
    slot = vm_pci_add(vm, &d->vp.pci, &owner);
    if (slot < 0) {
        snprintf(err, errlen, "%s: no room on the PCI bus: %s", name,
                 strerror(-slot));
        return slot;
    }
    d->intx.gsi = pci_host_intx_gsi((unsigned)slot, 1);
    return 0;
}

void vm_virtio_release(struct vm_virtio *d)
{
    if (!d->vm)
        return;   /* never added: owns no fds */
    for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
        if (d->kick[q].fd >= 0)
            close(d->kick[q].fd);
    for (unsigned v = 0; v < MSIX_MAX_VECTORS; v++)
        if (d->msi_fd[v] >= 0)
            close(d->msi_fd[v]);
}
