/* Wiring one virtio device model into the VM: its PCI function on the bus,
 * queue doorbells as ioeventfds served on the I/O thread, and MSI-X
 * vectors as KVM MSI routes fired through irqfds, so neither a kick nor an
 * interrupt stops a vCPU in userspace. */
#ifndef VESSEL_VMM_VIRTIO_H
#define VESSEL_VMM_VIRTIO_H

#include "devices/virtio/virtio_pci.h"
#include "vmm/platform.h"

struct vm;
struct vm_virtio;

struct vm_virtio_kick {
    struct vm_virtio *d;
    unsigned q;
    int fd;                 /* eventfd KVM signals on a doorbell write */
    uint64_t addr;          /* where it is registered, 0: not registered */
};

struct vm_virtio {
    struct vm *vm;
    const char *name;
    struct virtio_pci vp;
    struct virtio_dev *vdev;
    struct vm_virtio_kick kick[VIRTIO_MAX_QUEUES];
    unsigned nvec;
    unsigned msi_gsi[MSIX_MAX_VECTORS];
    int msi_fd[MSIX_MAX_VECTORS];
    struct platform_irq intx;
    /* Optional: after each kick is handled (device-specific follow-up). */
    void (*after_kick)(struct vm_virtio *d, unsigned q);
};

/* Create the PCI function for (vdev) (already virtio_init()ed), plug it
 * into the VM's PCI bus and hook up doorbells and interrupts. (d) is
 * owned by the caller and lives as long as the VM. */
int vm_virtio_add(struct vm *vm, struct vm_virtio *d, struct virtio_dev *vdev,
                  const char *name, char *err, size_t errlen) MUST_CHECK;

/* Undo vm_virtio_add()'s host resources (after the VM stopped). */
void vm_virtio_release(struct vm_virtio *d);

/* Run the kick handler for queue (q) again soon on the I/O thread (a
 * device that stopped on its work budget). */
void vm_virtio_rekick(struct vm_virtio *d, unsigned q);

#endif
