/* User-mode networking through libslirp as a network backend
 * (core/netdev.h): the guest sits behind a NAT on 10.0.2.0/24 with no
 * privileges needed on the host.
 *
 * The guest's network: gateway and host 10.0.2.2, DNS 10.0.2.3 (libslirp
 * forwards queries to the host's resolvers), DHCP hands out 10.0.2.15 and
 * up; IPv6 fec0::/64 with the host at fec0::2 and DNS at fec0::3. The
 * guest may reach the host's loopback through 10.0.2.2, as with QEMU.
 * Host ports are forwarded to guest ports with slirp_add_hostfwd (TCP and
 * UDP).
 *
 * Memory: libslirp brings glib. A VM without user networking must not pay
 * for it, so libslirp.so.0 is dlopen()ed on first use and the few
 * functions used are taken from it through a table typed from
 * <slirp/libslirp.h>; nothing links against it.
 *
 * Threads: libslirp is not thread-safe (it even keeps some state in
 * globals). Each backend has a thread running a poll() loop:
 * slirp_pollfds_fill, poll, slirp_pollfds_poll, then the timers libslirp
 * asked for (kept in a small list; the poll timeout comes from the
 * nearest). Every libslirp call, on that thread or in netdev_ops, runs
 * under the peer's lock (the VM's device lock), so all libslirp calls in
 * the process are serialised and frames reach the peer under the lock;
 * poll() itself runs without it. A wake eventfd gets the thread to fill
 * again after slirp_input() (new sockets, new timeouts) and on libslirp's
 * notify.
 *
 * TX: the guest's frame is gathered into a bounce buffer and given to
 * slirp_input (no vnet header, no offloads). RX: libslirp's frames go to
 * the peer; when it cannot take one (-ENOBUFS, -EIO) the frame is dropped
 * and counted, and TCP retransmits. */
#ifndef VESSEL_HOST_NET_SLIRP_H
#define VESSEL_HOST_NET_SLIRP_H

#include <netinet/in.h>

#include "host/netbe.h"

/* The guest's network, IPv4 addresses in host byte order. */
#define NET_SLIRP_NET 0x0a000200u      /* 10.0.2.0 */
#define NET_SLIRP_MASK 0xffffff00u     /* /24 */
#define NET_SLIRP_HOST 0x0a000202u     /* 10.0.2.2: gateway and host */
#define NET_SLIRP_DNS 0x0a000203u      /* 10.0.2.3 */
#define NET_SLIRP_GUEST 0x0a00020fu    /* 10.0.2.15: first DHCP address */

#define NET_SLIRP_LIB "libslirp.so.0"
#define NET_SLIRP_MAX_POLLFDS 4096     /* sockets polled at once, at most */

/* One port forward: connections to host_addr:host_port go to
 * guest_addr:guest_port. Addresses in network byte order, ports in host
 * byte order. */
struct net_slirp_fwd {
    bool udp;
    struct in_addr host_addr;
    uint16_t host_port;
    struct in_addr guest_addr;
    uint16_t guest_port;
};

struct net_slirp_config {
    const struct net_slirp_fwd *fwd;
    unsigned nfwd;
    const char *hostname;      /* the guest's name in DHCP, or NULL */
    struct netbe_peer peer;
};

struct net_slirp;

/* Load libslirp from (soname) (NULL: NET_SLIRP_LIB) unless it is loaded
 * already. net_slirp_open() does this; tests call it to see the error.
 * Returns 0, or -ENOENT with one line in (err). */
int net_slirp_load(const char *soname, char *err, size_t errlen) MUST_CHECK;

/* Create the stack and its port forwards; no thread runs yet. Returns 0
 * with (*out) set, or -errno with one line in (err) (libslirp missing, a
 * host port that cannot be listened on, ...). */
int net_slirp_open(struct net_slirp **out, const struct net_slirp_config *cfg,
                   char *err, size_t errlen) MUST_CHECK;

/* Start the thread. Call once the peer can take frames. */
int net_slirp_start(struct net_slirp *s) MUST_CHECK;

/* Stop and join the thread (without the peer's lock held), then free
 * everything. Frames stop reaching the peer before it returns. NULL is
 * ignored. */
void net_slirp_close(struct net_slirp *s);

/* The backend interface; ctx = struct net_slirp *. */
extern const struct netdev_ops net_slirp_ops;
extern const struct netdev_caps net_slirp_caps;

/* Counters; read them under the peer's lock. */
const struct netbe_stats *net_slirp_stats(const struct net_slirp *s);

/* "tcp 127.0.0.1:8080-10.0.2.15:80" into (buf). */
void net_slirp_fwd_str(const struct net_slirp_fwd *f, char *buf, size_t len);

#endif
