/* Tap backend: open, offloads, TX, the RX pump, losing the device. See
 * net_tap.h for the rules. */
#include "host/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "devices/virtio/net.h"

#define TUN_PATH "/dev/net/tun"
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)
#define BIT(f) (1ULL << (f))

struct net_tap {
    int fd;
    char ifname[IFNAMSIZ];
    bool created;
    bool gone;                 /* deleted under us: link down, not polled */
    struct netbe_peer peer;
    const struct netio_ops *io;
    void *io_ctx;
    struct netfault fault;     /* used when VESSEL_NET_FAULT is set */
    struct netdev_caps caps;
    struct evloop *loop;       /* NULL until net_tap_start() */
    uint32_t events;           /* what the loop watches for now */
    size_t held;               /* bytes of a parked frame in buf; 0: none */
    struct netbe_stats stats;
    struct ratelimit rl;
    uint8_t buf[NETDEV_VNET_HDR_LEN + NETDEV_MAX_FRAME];
};

/* Receive offloads: the driver's VIRTIO_NET_F_GUEST_* bit and the TUN_F_*
 * flag that lets the kernel hand us such frames. */
static const struct {
    unsigned feature;
    unsigned tun;
} rx_offloads[] = {
    { VIRTIO_NET_F_GUEST_CSUM, TUN_F_CSUM },
    { VIRTIO_NET_F_GUEST_TSO4, TUN_F_TSO4 },
    { VIRTIO_NET_F_GUEST_TSO6, TUN_F_TSO6 },
    { VIRTIO_NET_F_GUEST_ECN, TUN_F_TSO_ECN },
};

/* Frames the guest sends with a header the tap understands as it is. */
#define TX_OFFLOADS                                                            \
    (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |                    \
     BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN))

/* TUN_F_* for (guest) VIRTIO_NET_F_GUEST_* bits. The kernel refuses TSO
 * without CSUM and ignores ECN without TSO, so neither is asked for. */
static unsigned tun_flags(uint64_t guest)
{
    unsigned f = 0;

    for (size_t i = 0; i < ARRAY_SIZE(rx_offloads); i++)
        if (guest & BIT(rx_offloads[i].feature))
            f |= rx_offloads[i].tun;
    if (!(f & TUN_F_CSUM))
        return 0;
    if (!(f & (TUN_F_TSO4 | TUN_F_TSO6)))
        f &= ~(unsigned)TUN_F_TSO_ECN;
    return f;
}

/* What the kernel accepts, tried from everything down to checksums only;
 * the tap is left with no offloads until the driver negotiates some. */
static uint64_t probe_offloads(int fd)
{
    uint64_t all = 0, rx = 0;

    for (size_t i = 0; i < ARRAY_SIZE(rx_offloads); i++)
        all |= BIT(rx_offloads[i].feature);
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags(all)) == 0)
        rx = all;
    else if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TUN_F_CSUM) == 0)
        rx = BIT(VIRTIO_NET_F_GUEST_CSUM);
    if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
        log_debug("tap: TUNSETOFFLOAD 0: %s", strerror(errno));
    return TX_OFFLOADS | rx;
}

/* ---- the loop's view of the fd (under the lock) ---- */

static void watch(struct net_tap *t, uint32_t events)
{
    int rc;

    if (events == t->events)
        return;
    t->events = events;
    if (!t->loop || t->gone)
        return;
    rc = evloop_mod(t->loop, t->fd, events);
    if (rc < 0)
        log_error("tap %s: cannot change what is polled: %s", t->ifname,
                  strerror(-rc));
}

static bool gone_error(ssize_t rc)
{
    return rc == -EBADFD || rc == -ENODEV || rc == -ENXIO;
}

/* The device went away: say so once, take the link down, stop polling. */
static void lost(struct net_tap *t, int err)
{
    if (t->gone)
        return;
    log_warn("tap %s is gone (%s): link down, frames to it are dropped",
             t->ifname, strerror(-err));
    t->gone = true;
    t->held = 0;
    if (t->loop)
        evloop_del(t->loop, t->fd);
    t->peer.set_link(t->peer.ctx, false);
}

/* ---- TX ---- */

static int tap_send(void *ctx, const struct iovec *iov, unsigned n)
{
    struct net_tap *t = ctx;
    ssize_t r;

    if (t->gone) {
        t->stats.tx_dropped++;
        return -EIO;
    }
    r = t->io->writev(t->io_ctx, t->fd, iov, (int)n);
    if (r >= 0) {
        t->stats.tx_frames++;
        return 0;
    }
    if (r == -EAGAIN || r == -EWOULDBLOCK) {
        t->stats.tx_eagain++;
        watch(t, t->events | EPOLLOUT);
        return -EAGAIN;
    }
    t->stats.tx_dropped++;
    if (gone_error(r))
        lost(t, (int)r);
    else if (ratelimit_ok(&t->rl))
        log_warn("tap %s: frame dropped: %s%s", t->ifname, strerror((int)-r),
                 r == -EIO ? " (is the tap down?)" : "");
    return (int)r;
}

/* ---- RX ---- */

/* Offer the parked frame; false when the peer has no room for it yet. */
static bool deliver(struct net_tap *t)
{
    struct iovec iov = { .iov_base = t->buf, .iov_len = t->held };
    int rc = t->peer.receive(t->peer.ctx, &iov, 1);

    if (rc == -ENOBUFS)
        return false;
    if (rc == 0)
        t->stats.rx_frames++;
    else
        t->stats.rx_dropped++;
    t->held = 0;
    return true;
}

/* Read and deliver up to the budget; park the frame the peer refuses. */
static void rx_pump(struct net_tap *t)
{
    for (unsigned i = 0; i < NET_TAP_RX_BUDGET && !t->gone; i++) {
        ssize_t r;

        /* The kernel skips num_buffers: never hand on a stale one. */
        t->buf[NETDEV_VNET_HDR_LEN - 2] = t->buf[NETDEV_VNET_HDR_LEN - 1] = 0;
        r = t->io->read(t->io_ctx, t->fd, t->buf, sizeof(t->buf));
        if (r == -EAGAIN || r == -EINTR)
            return;
        if (r < 0) {
            if (gone_error(r))
                lost(t, (int)r);
            else if (ratelimit_ok(&t->rl))
                log_warn("tap %s: read: %s", t->ifname, strerror((int)-r));
            return;
        }
        if ((size_t)r <= NETDEV_VNET_HDR_LEN) {
            t->stats.rx_dropped++;
            continue;
        }
        t->held = (size_t)r;
        if (!deliver(t)) {
            t->stats.rx_held++;
            watch(t, t->events & ~(uint32_t)EPOLLIN);
            return;
        }
    }
}

static void tap_rx_ready(void *ctx)
{
    struct net_tap *t = ctx;

    if (t->gone || (t->held && !deliver(t)))
        return;
    watch(t, t->events | EPOLLIN);
}

/* I/O thread: the fd is readable, writable, or broken. */
static void on_event(void *ctx, uint32_t events)
{
    struct net_tap *t = ctx;

    pthread_mutex_lock(t->peer.lock);
    if (t->gone) {
        /* an event picked before the fd left the loop */
    } else if (events & (EPOLLERR | EPOLLHUP)) {
        lost(t, -EBADFD);
    } else {
        if ((events & EPOLLOUT) && (t->events & EPOLLOUT)) {
            watch(t, t->events & ~(uint32_t)EPOLLOUT);
            t->peer.tx_ready(t->peer.ctx);
        }
        if ((events & EPOLLIN) && (t->events & EPOLLIN))
            rx_pump(t);
    }
    pthread_mutex_unlock(t->peer.lock);
}

static void tap_set_offloads(void *ctx, uint64_t guest_offloads)
{
    struct net_tap *t = ctx;
    unsigned long f = tun_flags(guest_offloads);

    if (t->gone || ioctl(t->fd, TUNSETOFFLOAD, f) == 0)
        return;
    if (ratelimit_ok(&t->rl))
        log_warn("tap %s: TUNSETOFFLOAD %#lx: %s", t->ifname, f,
                 strerror(errno));
}

const struct netdev_ops net_tap_ops = {
    .send = tap_send,
    .rx_ready = tap_rx_ready,
    .set_offloads = tap_set_offloads,
};

/* ---- opening ---- */

static int setup_io(struct net_tap *t, const struct net_tap_config *cfg,
                    char *err, size_t errlen)
{
    const char *env = getenv(NETFAULT_ENV);

    t->io = cfg->io ? cfg->io : &netio_sys_ops;
    t->io_ctx = cfg->io_ctx;
    if (cfg->io || !env || !*env)
        return 0;
    netfault_init(&t->fault);
    if (netfault_parse(&t->fault, env) < 0) {
        snprintf(err, errlen, "bad %s '%s' (want eagain:N or "
                 "eagain-storm:N)", NETFAULT_ENV, env);
        return -EINVAL;
    }
    log_warn("tap %s: fault injection on: %s=%s", t->ifname, NETFAULT_ENV, env);
    t->io = &netfault_ops;
    t->io_ctx = &t->fault;
    return 0;
}

/* Why TUNSETIFF said (e), in words. */
static void explain_setiff(int e, bool existed, char *err, size_t errlen)
{
    if ((e == EPERM || e == EACCES) && !existed)
        snprintf(err, errlen, "no such device and not root");
    else if (e == EPERM || e == EACCES)
        snprintf(err, errlen, "permission denied (the tap belongs to another "
                 "user or group)");
    else if (e == EBUSY)
        snprintf(err, errlen, "busy: another process has it open");
    else if (e == EINVAL && existed)
        snprintf(err, errlen, "not a tap device (or one without vnet_hdr "
                 "support)");
    else
        snprintf(err, errlen, "cannot attach: %s", strerror(e));
}

static int bring_up(const char *ifname)
{
    struct ifreq ifr = { 0 };
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

    if (s < 0)
        return -errno;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
        rc = -errno;
    ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
    if (rc == 0 && ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
        rc = -errno;
    close(s);
    return rc;
}

static int attach(struct net_tap *t, char *err, size_t errlen)
{
    struct ifreq ifr = { .ifr_flags = TAP_FLAGS };
    unsigned features = 0;
    int hdr = NETDEV_VNET_HDR_LEN;
    bool existed;

    t->fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (t->fd < 0) {
        int e = errno;

        snprintf(err, errlen, "cannot open %s: %s%s", TUN_PATH, strerror(e),
                 e == ENOENT ? " (load the tun module)" : "");
        return -e;
    }
    if (ioctl(t->fd, TUNGETFEATURES, &features) < 0 ||
        (features & TAP_FLAGS) != TAP_FLAGS) {
        snprintf(err, errlen, "this kernel's taps lack IFF_VNET_HDR");
        return -EOPNOTSUPP;
    }
    existed = if_nametoindex(t->ifname) != 0;
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
    if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;

        explain_setiff(e, existed, err, errlen);
        return -e;
    }
    t->created = !existed;
    if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr) < 0) {
        int e = errno;

        snprintf(err, errlen, "TUNSETVNETHDRSZ: %s", strerror(e));
        return -e;
    }
    return 0;
}

int net_tap_open(struct net_tap **out, const struct net_tap_config *cfg,
                 char *err, size_t errlen)
{
    struct net_tap *t;
    size_t len = strlen(cfg->ifname);
    int rc;

    if (len == 0 || len > NET_TAP_NAME_MAX) {
        snprintf(err, errlen, "interface names are 1 to %d characters",
                 NET_TAP_NAME_MAX);
        return -EINVAL;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    memcpy(t->ifname, cfg->ifname, len + 1);
    t->peer = cfg->peer;
    t->rl = (struct ratelimit)RATELIMIT_INIT;
    t->fd = -1;
    rc = setup_io(t, cfg, err, errlen);
    if (rc == 0)
        rc = attach(t, err, errlen);
    if (rc == 0 && t->created) {
        rc = bring_up(t->ifname);
        if (rc < 0)
            snprintf(err, errlen, "created, but cannot bring it up: %s",
                     strerror(-rc));
    }
    if (rc < 0) {
        if (t->fd >= 0)
            close(t->fd);
        free(t);
        return rc;
    }
    t->caps = (struct netdev_caps){ .vnet_hdr = true,
                                    .offloads = probe_offloads(t->fd) };
    log_info("tap %s: %s, offloads %#llx", t->ifname,
             t->created ? "created (removed when Vessel exits)" : "attached",
             (unsigned long long)t->caps.offloads);
    *out = t;
    return 0;
}

int net_tap_start(struct net_tap *t, struct evloop *loop)
{
    int rc;

    pthread_mutex_lock(t->peer.lock);
    if (!t->held)
        t->events |= EPOLLIN;
    rc = evloop_add(loop, t->fd, t->events, on_event, t);
    if (rc == 0)
        t->loop = loop;
    pthread_mutex_unlock(t->peer.lock);
    return rc;
}

void net_tap_close(struct net_tap *t)
{
    if (!t)
        return;
    close(t->fd);
    free(t);
}

struct netdev_caps net_tap_caps(const struct net_tap *t)
{
    return t->caps;
}

const struct netbe_stats *net_tap_stats(const struct net_tap *t)
{
    return &t->stats;
}

int net_tap_fd(const struct net_tap *t)
{
    return t->fd;
}

bool net_tap_created(const struct net_tap *t)
{
    return t->created;
}
