/* A Linux tap device as a network backend (core/netdev.h).
 *
 * Opening: /dev/net/tun, TUNSETIFF with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR (checked against TUNGETFEATURES), TUNSETVNETHDRSZ 12,
 * non-blocking and close-on-exec. An existing tap is attached as it is;
 * a name that does not exist is created when we may (root, or
 * CAP_NET_ADMIN), brought up, and vanishes when the fd closes (when
 * Vessel exits). TUNSETOFFLOAD is probed once to learn which receive
 * offloads the kernel can hand us; caps then lists them with CSUM and the
 * HOST_* offloads (a tap takes GSO frames from us as they are). UFO is
 * gone from modern kernels and left out.
 *
 * TX (netdev_ops.send, under the device lock): one writev() per frame,
 * straight from guest memory. EAGAIN: -EAGAIN and EPOLLOUT is watched;
 * when the fd is writable the peer's tx_ready() runs (on the I/O thread).
 *
 * RX (the VMM's I/O thread, EPOLLIN): frames are read into one bounce
 * buffer (header + NETDEV_MAX_FRAME) and handed to the peer, at most
 * NET_TAP_RX_BUDGET per wakeup so one busy NIC cannot starve the loop.
 * When the peer says -ENOBUFS the frame stays in the buffer, EPOLLIN is
 * switched off, and nothing more is read until netdev_ops.rx_ready: memory
 * stays bounded and the kernel's tap queue does the dropping.
 *
 * The tap deleted under us (EPOLLERR, or EBADFD/ENODEV/ENXIO from a read
 * or write): one log line, the peer's link goes down, the fd is no longer
 * polled, later frames are dropped and counted; the VM keeps running. A
 * tap that is merely down (EIO on write) only drops frames.
 *
 * Writes go through the netio seam (host/netfault.h): VESSEL_NET_FAULT
 * makes them fail with EAGAIN on demand. */
#ifndef VESSEL_HOST_NET_TAP_H
#define VESSEL_HOST_NET_TAP_H

#include "host/evloop.h"
#include "host/netbe.h"
#include "host/netfault.h"

#define NET_TAP_NAME_MAX 15        /* IFNAMSIZ - 1 */
#define NET_TAP_RX_BUDGET 64       /* frames read per wakeup */

struct net_tap_config {
    const char *ifname;            /* 1..NET_TAP_NAME_MAX characters */
    struct netbe_peer peer;
    /* I/O layer: NULL for the system calls, or for a fault injector set
     * up from VESSEL_NET_FAULT when that is set. */
    const struct netio_ops *io;
    void *io_ctx;
};

struct net_tap;

/* Open or create the tap (see above); nothing is polled yet. Returns 0
 * with (*out) set, or -errno with one line in (err) saying why, e.g. "no
 * such device and not root", "busy: another process has it open", "not a
 * tap device". */
int net_tap_open(struct net_tap **out, const struct net_tap_config *cfg,
                 char *err, size_t errlen) MUST_CHECK;

/* Start receiving: watch the fd on (loop), whose thread then runs the RX
 * path and the EPOLLOUT wakeups. Call once the peer can take frames. */
int net_tap_start(struct net_tap *t, struct evloop *loop) MUST_CHECK;

/* Close the fd and free (t). Call after (loop) is stopped, or when
 * net_tap_start() was never called. NULL is ignored. */
void net_tap_close(struct net_tap *t);

/* The backend interface; ctx = struct net_tap *. */
extern const struct netdev_ops net_tap_ops;

struct netdev_caps net_tap_caps(const struct net_tap *t);
/* Counters; read them under the peer's lock. */
const struct netbe_stats *net_tap_stats(const struct net_tap *t);
int net_tap_fd(const struct net_tap *t);
/* True when we created the device (it goes away with us). */
bool net_tap_created(const struct net_tap *t);

#endif
