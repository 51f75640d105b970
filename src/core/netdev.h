/* The seam between a network device model (devices/virtio/net.h) and a
 * network backend (host/net_tap.h, host/net_slirp.h): frames out of the
 * guest go through netdev_ops; frames for the guest come back through
 * virtio_net_receive().
 *
 * Frames are plain Ethernet frames (no FCS). A backend that understands
 * virtio-net headers (tap with IFF_VNET_HDR) says so in netdev_caps; it
 * then gets and gives a struct virtio_net_hdr (12 bytes, the virtio 1.x
 * layout, num_buffers included) in front of every frame, and the device
 * may negotiate the offloads the backend lists. Otherwise the device
 * completes partial checksums itself and never lets the guest send or
 * expect GSO frames.
 *
 * Every call in either direction runs under the VM's device lock. */
#ifndef VESSEL_CORE_NETDEV_H
#define VESSEL_CORE_NETDEV_H

#include <sys/uio.h>

#include "core/types.h"

#define NETDEV_VNET_HDR_LEN 12
#define NETDEV_MAX_FRAME (65535 + 14 + 4)   /* largest GSO frame + VLAN tag */

struct netdev_caps {
    bool vnet_hdr;            /* frames carry a 12-byte virtio_net_hdr */
    /* VIRTIO_NET_F_* offload bits (CSUM, GUEST_CSUM, GUEST_TSO4/6,
     * GUEST_ECN, GUEST_UFO, HOST_TSO4/6, HOST_ECN, HOST_UFO) the backend
     * can carry in those headers; 0 without vnet_hdr. */
    uint64_t offloads;
};

struct netdev_ops {
    /* One frame from the guest: (iov, n) (the header first when
     * caps.vnet_hdr). Returns 0 once the backend has sent or copied it,
     * -EAGAIN when it cannot take it now (the device keeps the frame and
     * stops transmitting until the backend calls virtio_net_tx_ready()),
     * or another negative errno: the frame is dropped and counted. The
     * iov points into guest memory: nothing may keep it after return. */
    int (*send)(void *ctx, const struct iovec *iov, unsigned n);
    /* Optional. The guest posted receive buffers after
     * virtio_net_receive() answered -ENOBUFS: deliver again. */
    void (*rx_ready)(void *ctx);
    /* Optional. The driver's receive offloads changed (feature
     * negotiation or VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET): (guest_offloads)
     * holds the VIRTIO_NET_F_GUEST_* bits now in force. A tap sets
     * TUNSETOFFLOAD from them. */
    void (*set_offloads)(void *ctx, uint64_t guest_offloads);
};

#endif
