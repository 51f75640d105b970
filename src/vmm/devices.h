/* The VM's virtio devices, made from its config: disks (virtio-blk over
 * raw image files), network cards (vmm/net.h), the virtio console and the
 * entropy device. */
#ifndef VESSEL_VMM_DEVICES_H
#define VESSEL_VMM_DEVICES_H

#include "devices/virtio/blk.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "host/blkfile.h"
#include "vmm/config.h"
#include "vmm/net.h"
#include "vmm/virtio.h"

struct vm_disk {
    struct vm_virtio vv;
    struct virtio_blk *blk;         /* large: allocated */
    struct blkfile *bf;
    struct blkfile_spec spec;
    char name[16];
};

struct vm_devices {
    struct vm_disk disk[VM_MAX_DISKS];
    unsigned ndisks;
    struct vm_net net[VM_MAX_NETS];
    unsigned nnets;
    struct vm_virtio con_vv;
    struct virtio_console *con;     /* NULL unless --console virtio */
    struct vm_virtio rng_vv;
    struct virtio_rng *rng;         /* NULL with --no-rng */
    int rng_timer;                  /* timerfd: retry a throttled rng */
};

/* Create every configured device. Call after vm_pci_init() and before
 * any vCPU runs; the I/O loop exists but need not run yet. */
int vm_devices_init(struct vm *vm, char *err, size_t errlen) MUST_CHECK;

/* Free what vm_devices_init() made (after the VM stopped). */
void vm_devices_release(struct vm *vm);

#endif
