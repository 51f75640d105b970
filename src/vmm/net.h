/* The VM's network cards: for each --net, a virtio-net device
 * (devices/virtio/net.h) in front of a tap (host/net_tap.h) or user-mode
 * networking (host/net_slirp.h), named net0, net1, ... in that order.
 *
 * The backend reaches the device through a netbe_peer whose calls land in
 * virtio_net_receive(), virtio_net_tx_ready() and virtio_net_set_link(),
 * always under the VM's device lock. A transmit run that stops on its
 * budget (virtio_net_tx_pending()) is rekicked on the I/O thread, both
 * after a doorbell and after the backend's tx_ready. */
#ifndef VESSEL_VMM_NET_H
#define VESSEL_VMM_NET_H

#include <stdio.h>

#include "vmm/net_spec.h"
#include "vmm/virtio.h"

struct vm;
struct virtio_net;

struct vm_net {
    struct vm_virtio vv;
    struct virtio_net *dev;         /* large: allocated */
    struct vm_net_spec spec;
    struct net_tap *tap;            /* the backend: one of these two */
    struct net_slirp *slirp;
    const struct netdev_ops *ops;   /* ... and its interface */
    void *be;
    struct netdev_caps caps;        /* borrowed by the device */
    uint8_t mac[6];
    char name[8];                   /* "net0" */
};

/* Create card (i) from vm->cfg.nets[i]: spec, backend, device, PCI
 * function, then start the backend. Call from vm_devices_init() (the I/O
 * loop exists, no vCPU runs). On failure one line in (err); the caller
 * still calls vm_net_release(). */
int vm_net_add(struct vm *vm, unsigned i, char *err, size_t errlen)
    MUST_CHECK;

/* Stop the backend (a user backend's thread is joined, so nothing calls
 * into the device any more), then free the card. Call after the vCPUs and
 * the I/O loop stopped, without the device lock. */
void vm_net_release(struct vm_net *n);

/* Every card's counters as "netN.KEY VALUE" lines (--stats): the device's
 * (rx_frames, tx_dropped, ...) and the backend's as netN.host.KEY. Takes
 * the device lock: a user backend's thread may still run. */
void vm_net_write_stats(FILE *f, struct vm *vm);

#endif
