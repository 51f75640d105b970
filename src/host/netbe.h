/* What a network backend (host/net_tap.h, host/net_slirp.h) gets from the
 * VMM besides its own settings: where frames for the guest go, and the
 * lock that serialises every call into the device.
 *
 * The VMM points the peer at virtio_net_receive(), virtio_net_tx_ready()
 * and virtio_net_set_link() (vmm/net.c); tests point it at recorders. So
 * host/ never needs the device model's type, and a backend is tested
 * against real host resources without a device. */
#ifndef VESSEL_HOST_NETBE_H
#define VESSEL_HOST_NETBE_H

#include <pthread.h>
#include <sys/uio.h>

#include "core/netdev.h"

struct netbe_peer {
    /* A frame for the guest (iov, cnt), as virtio_net_receive(): 0
     * (delivered or filtered), -ENOBUFS (no receive buffers: nothing was
     * taken, netdev_ops.rx_ready follows), -EIO (the device is not running
     * or its link is down), -EINVAL (undeliverable). */
    int (*receive)(void *ctx, const struct iovec *iov, unsigned cnt);
    /* After netdev_ops.send said -EAGAIN: the host takes frames again. */
    void (*tx_ready)(void *ctx);
    /* The host side of the cable: false when it is gone for good. */
    void (*set_link)(void *ctx, bool up);
    void *ctx;
    /* The VM's device lock. netdev_ops are called with it held; a backend
     * takes it around every peer call it makes from its own thread. */
    pthread_mutex_t *lock;
};

/* What a backend counts (under the lock). The device counts the guest's
 * side (virtio_net_stats); these say what happened on the host's. */
struct netbe_stats {
    uint64_t rx_frames;     /* host frames the device took (or filtered) */
    uint64_t rx_dropped;    /* host frames dropped: device not running,
                               link down, no buffers where the backend
                               cannot hold, undeliverable, runts */
    uint64_t rx_held;       /* times a frame was parked for lack of
                               receive buffers (tap) */
    uint64_t tx_frames;     /* guest frames handed to the host */
    uint64_t tx_dropped;    /* guest frames the host refused or that came
                               after the host side went away */
    uint64_t tx_eagain;     /* sends answered -EAGAIN */
};

#endif
