/* What the files of the virtio-net device (net.c, net_tx.c, net_rx.c,
 * net_ctrl.c) share; not part of its contract, which is net.h. Each call
 * runs under the VM's device lock, like everything in net.h. */
#ifndef VESSEL_DEVICES_VIRTIO_NET_INT_H
#define VESSEL_DEVICES_VIRTIO_NET_INT_H

#include "devices/virtio/net.h"

#define NET_BIT(f) (1ULL << (f))
/* The receive offloads a driver can turn on and off (5.1.6.5.6). */
#define NET_GUEST_OFFLOADS                                                     \
    (NET_BIT(VIRTIO_NET_F_GUEST_CSUM) | NET_BIT(VIRTIO_NET_F_GUEST_TSO4) |     \
     NET_BIT(VIRTIO_NET_F_GUEST_TSO6) | NET_BIT(VIRTIO_NET_F_GUEST_ECN) |      \
     NET_BIT(VIRTIO_NET_F_GUEST_UFO))

/* The driver broke a ring rule, or sent a chain that cannot be answered:
 * one rate-limited line about (what), NEEDS_RESET (RELIABILITY (a)). */
void net_guest_error(struct virtio_net *n, const char *what);

/* Return (head) on queue (q) with (len) bytes written. False after a
 * guest error (the head was not in flight): the device then needs reset. */
bool net_push(struct virtio_net *n, unsigned q, uint16_t head, uint32_t len);

/* The gso_type of header (hdr) is one (features) allow: NONE, or TCPV4,
 * TCPV6, UDP (+ ECN) with the matching HOST_* (host: the guest sends) or
 * GUEST_* (the guest receives) bit. */
bool net_gso_ok(const uint8_t *hdr, uint64_t features, bool host);

/* (offloads) (NET_GUEST_OFFLOADS bits) are now in force: tell the
 * backend. */
void net_set_offloads(struct virtio_net *n, uint64_t offloads);

/* Serve the control queue (net_ctrl.c). */
void net_ctrl_serve(struct virtio_net *n);

#endif
