/* User-mode networking: libslirp loaded on demand, driven by one thread
 * per backend. See net_slirp.h for the rules. */
#include "host/net_slirp.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <slirp/libslirp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "host/clock.h"
#include "host/evloop.h"
#include "host/sandbox.h"

/* SlirpConfig fields up to disable_dns; timers through timer_new. */
#define CONFIG_VERSION 3
#define POLLFDS_MIN 16
#define POLL_MAX_MS 1000          /* libslirp caps its own timeout here too */
#define NS_PER_MS 1000000

/* The libslirp functions used, each typed from its own prototype. */
#define SLIRP_FUNCS(X)                                                         \
    X(slirp_new)                                                               \
    X(slirp_cleanup)                                                           \
    X(slirp_pollfds_fill)                                                      \
    X(slirp_pollfds_poll)                                                      \
    X(slirp_input)                                                             \
    X(slirp_add_hostfwd)                                                       \
    X(slirp_version_string)

/* Written once under lib_lock, before lib_loaded; read-only after. */
static struct {
#define X(fn) __typeof__(fn) *fn;
    SLIRP_FUNCS(X)
#undef X
} lib;
static bool lib_loaded;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

/* Room for the frames the guest sends between two rounds of the slirp
 * thread: more than a whole largest frame (a frame never waits for room
 * that cannot come), ~40 full-size Ethernet frames. */
#define SLIRP_TXQ_BYTES (NETDEV_MAX_FRAME + 4 + 16 * 1024)

struct slirp_timer {
    struct slirp_timer *next;
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;            /* on libslirp's clock; -1: not armed */
    bool due;
};

struct net_slirp {
    Slirp *slirp;
    struct netbe_peer peer;
    int wake_fd;                  /* eventfd: fill again */
    atomic_bool wake_pending;     /* wake_fd has been written, not read */
    atomic_bool stop;
    pthread_t thread;
    bool started;
    struct pollfd *pfd;           /* [0] wake_fd, then libslirp's sockets */
    unsigned npfd, cap;           /* thread-only */
    struct slirp_timer *timers;   /* under the lock */
    struct netbe_stats stats;
    struct ratelimit rl;          /* guest errors */
    /* Guest frames on their way to libslirp, which only the slirp thread
     * calls (so no other thread needs its sockets in the sandbox). Under
     * the lock: records [u32 length][frame], never split at the end: a
     * record that does not fit before the end leaves a zero length there
     * and starts at 0. */
    uint8_t txq[SLIRP_TXQ_BYTES];
    size_t tx_head, tx_tail;      /* byte offsets: write at head, read at tail */
    size_t tx_used;               /* bytes between tail and head, gaps too */
    bool tx_blocked;              /* a send was refused: tell tx_ready */
};

int net_slirp_load(const char *soname, char *err, size_t errlen)
{
    void *h;
    int rc = 0;

    pthread_mutex_lock(&lib_lock);
    if (lib_loaded)
        goto out;
    soname = soname ? soname : NET_SLIRP_LIB;
    h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errlen, "user networking needs libslirp (%s; Debian "
                 "package libslirp0)", dlerror());
        rc = -ENOENT;
        goto out;
    }
#define X(fn)                                                                  \
    lib.fn = (__typeof__(lib.fn))dlsym(h, #fn);                                \
    if (!lib.fn && rc == 0) {                                                  \
        snprintf(err, errlen, "%s has no %s", soname, #fn);                    \
        rc = -ENOENT;                                                          \
    }
    SLIRP_FUNCS(X)
#undef X
    if (rc < 0) {
        dlclose(h);
        goto out;
    }
    lib_loaded = true;   /* never unloaded: glib does not like that */
    log_info("user networking: libslirp %s", lib.slirp_version_string());
out:
    pthread_mutex_unlock(&lib_lock);
    return rc;
}

/* ---- libslirp's callbacks (under the lock) ---- */

static void wake(struct net_slirp *s)
{
    uint64_t one = 1;

    if (atomic_exchange(&s->wake_pending, true))
        return;
    if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one))
        log_debug("user net: wake: %s", strerror(errno));
}

/* A frame for the guest. Refused frames are dropped: TCP retransmits. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_slirp *s = opaque;
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

    if (s->peer.receive(s->peer.ctx, &iov, 1) == 0)
        s->stats.rx_frames++;
    else
        s->stats.rx_dropped++;
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    struct net_slirp *s = opaque;

    log_guest(&s->rl, "guest: user net: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return (int64_t)host_mono_ns();
}

static int64_t now_ms(void)
{
    return (int64_t)(host_mono_ns() / NS_PER_MS);
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct net_slirp *s = opaque;
    struct slirp_timer *t = calloc(1, sizeof(*t));

    if (!t) {
        log_error("user net: out of memory for a timer");
        return NULL;
    }
    *t = (struct slirp_timer){ .next = s->timers, .cb = cb,
                               .cb_opaque = cb_opaque, .expire_ms = -1 };
    s->timers = t;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct net_slirp *s = opaque;

    for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = (*p)->next;
            free(timer);
            return;
        }
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    struct slirp_timer *t = timer;

    (void)opaque;
    if (t)
        t->expire_ms = expire_ms < 0 ? 0 : expire_ms;
}

static void cb_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque;   /* every round polls what slirp_pollfds_fill lists */
}

static void cb_notify(void *opaque)
{
    wake(opaque);
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_poll_fd,
    .unregister_poll_fd = cb_poll_fd,
    .notify = cb_notify,
};

/* ---- the thread ---- */

static const struct {
    int slirp;
    short poll;
} poll_bits[] = {
    { SLIRP_POLL_IN, POLLIN },   { SLIRP_POLL_OUT, POLLOUT },
    { SLIRP_POLL_PRI, POLLPRI }, { SLIRP_POLL_ERR, POLLERR },
    { SLIRP_POLL_HUP, POLLHUP },
};

static int grow(struct net_slirp *s)
{
    unsigned cap = s->cap ? s->cap * 2 : POLLFDS_MIN;
    struct pollfd *p;

    if (s->cap > NET_SLIRP_MAX_POLLFDS)
        return -ENOSPC;
    if (cap > NET_SLIRP_MAX_POLLFDS + 1)
        cap = NET_SLIRP_MAX_POLLFDS + 1;   /* the wake fd is one of them */
    p = realloc(s->pfd, cap * sizeof(*p));
    if (!p)
        return -ENOMEM;
    s->pfd = p;
    s->cap = cap;
    return 0;
}

static int add_poll(int fd, int events, void *opaque)
{
    struct net_slirp *s = opaque;
    short ev = 0;

    if (s->npfd == s->cap && grow(s) < 0) {
        log_guest(&s->rl, "user net: more than %u sockets; some wait",
                  NET_SLIRP_MAX_POLLFDS);
        return -1;
    }
    for (size_t i = 0; i < ARRAY_SIZE(poll_bits); i++)
        if (events & poll_bits[i].slirp)
            ev = (short)(ev | poll_bits[i].poll);
    s->pfd[s->npfd] = (struct pollfd){ .fd = fd, .events = ev };
    return (int)s->npfd++;
}

static int get_revents(int idx, void *opaque)
{
    struct net_slirp *s = opaque;
    int ev = 0;

    if (idx < 1 || (unsigned)idx >= s->npfd)
        return 0;
    for (size_t i = 0; i < ARRAY_SIZE(poll_bits); i++)
        if (s->pfd[idx].revents & poll_bits[i].poll)
            ev |= poll_bits[i].slirp;
    return ev;
}

/* Milliseconds to sleep: libslirp's wish or the nearest timer. */
static int poll_timeout(const struct net_slirp *s, uint32_t slirp_ms)
{
    int64_t ms = slirp_ms < POLL_MAX_MS ? slirp_ms : POLL_MAX_MS;
    int64_t now = now_ms();

    for (const struct slirp_timer *t = s->timers; t; t = t->next)
        if (t->expire_ms >= 0 && t->expire_ms - now < ms)
            ms = t->expire_ms > now ? t->expire_ms - now : 0;
    return (int)ms;
}

/* Fire the timers that were due on entry, once each; a callback may
 * re-arm or free any timer, so look again from the start after each. */
static void run_timers(struct net_slirp *s)
{
    int64_t now = now_ms();
    struct slirp_timer *t;

    for (t = s->timers; t; t = t->next)
        t->due = t->expire_ms >= 0 && t->expire_ms <= now;
    for (;;) {
        for (t = s->timers; t && !t->due; t = t->next)
            ;
        if (!t)
            return;
        t->due = false;
        t->expire_ms = -1;
        t->cb(t->cb_opaque);
    }
}

static void drain_tx(struct net_slirp *s);

static void *loop(void *arg)
{
    struct net_slirp *s = arg;

    sandbox_thread_enter(SANDBOX_SLIRP);
    while (!atomic_load(&s->stop)) {
        uint32_t slirp_ms = UINT32_MAX;
        int n, timeout;

        pthread_mutex_lock(s->peer.lock);
        s->npfd = 1;
        lib.slirp_pollfds_fill(s->slirp, &slirp_ms, add_poll, s);
        timeout = poll_timeout(s, slirp_ms);
        pthread_mutex_unlock(s->peer.lock);
        n = poll(s->pfd, s->npfd, timeout);
        if (n > 0 && (s->pfd[0].revents & POLLIN)) {
            /* Drain first: a wake that lands after this still finds the
             * flag set until the fill below has seen its work. */
            evloop_eventfd_drain(s->wake_fd);
            atomic_store(&s->wake_pending, false);
        }
        pthread_mutex_lock(s->peer.lock);
        drain_tx(s);
        lib.slirp_pollfds_poll(s->slirp, n < 0, get_revents, s);
        run_timers(s);
        pthread_mutex_unlock(s->peer.lock);
    }
    return NULL;
}

/* ---- the backend interface (under the lock) ---- */

/* Where a record of (need) bytes goes, or SIZE_MAX if there is no room
 * now; a record that would cross the end starts again at 0. */
static size_t txq_place(const struct net_slirp *s, size_t need)
{
    size_t tail_room = SLIRP_TXQ_BYTES - s->tx_head;
    size_t waste = need > tail_room ? tail_room : 0;

    if (s->tx_used + waste + need > SLIRP_TXQ_BYTES)
        return SIZE_MAX;
    return waste ? 0 : s->tx_head;
}

static int slirp_send(void *ctx, const struct iovec *iov, unsigned n)
{
    struct net_slirp *s = ctx;
    size_t len = 0, at, off;
    uint32_t len32;

    for (unsigned i = 0; i < n; i++)
        len += iov[i].iov_len;
    if (len > NETDEV_MAX_FRAME) {
        s->stats.tx_dropped++;
        return -EMSGSIZE;
    }
    if (len == 0)
        return 0;   /* nothing to send (and a 0 length marks a skip) */
    at = txq_place(s, sizeof(len32) + len);
    if (at == SIZE_MAX) {
        s->stats.tx_eagain++;
        s->tx_blocked = true;   /* the slirp thread says tx_ready */
        wake(s);
        return -EAGAIN;
    }
    if (at != s->tx_head) {     /* mark the end as skipped */
        if (SLIRP_TXQ_BYTES - s->tx_head >= sizeof(len32))
            memset(s->txq + s->tx_head, 0, sizeof(len32));
        s->tx_used += SLIRP_TXQ_BYTES - s->tx_head;
    }
    len32 = (uint32_t)len;
    memcpy(s->txq + at, &len32, sizeof(len32));
    off = at + sizeof(len32);
    for (unsigned i = 0; i < n; i++) {
        if (iov[i].iov_len)
            memcpy(s->txq + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    s->tx_head = off == SLIRP_TXQ_BYTES ? 0 : off;
    s->tx_used += sizeof(len32) + len;
    s->stats.tx_frames++;
    wake(s);
    return 0;
}

/* On the slirp thread, under the lock: hand every queued frame to
 * libslirp (which may answer through cb_send_packet at once), then let a
 * refused sender try again. */
static void drain_tx(struct net_slirp *s)
{
    uint32_t len32;

    while (s->tx_used) {
        size_t tail_room = SLIRP_TXQ_BYTES - s->tx_tail;

        if (tail_room >= sizeof(len32))
            memcpy(&len32, s->txq + s->tx_tail, sizeof(len32));
        if (tail_room < sizeof(len32) || len32 == 0) {   /* skipped end */
            s->tx_used -= tail_room;
            s->tx_tail = 0;
            continue;
        }
        lib.slirp_input(s->slirp, s->txq + s->tx_tail + sizeof(len32),
                        (int)len32);
        s->tx_tail += sizeof(len32) + len32;
        s->tx_used -= sizeof(len32) + len32;
        if (s->tx_tail == SLIRP_TXQ_BYTES)
            s->tx_tail = 0;
    }
    s->tx_head = s->tx_tail = 0;   /* empty: pack from the start */
    if (s->tx_blocked) {
        s->tx_blocked = false;
        s->peer.tx_ready(s->peer.ctx);
    }
}

const struct netdev_ops net_slirp_ops = {
    .send = slirp_send,
};

const struct netdev_caps net_slirp_caps = { .vnet_hdr = false, .offloads = 0 };

/* ---- life cycle ---- */

void net_slirp_fwd_str(const struct net_slirp_fwd *f, char *buf, size_t len)
{
    char h[INET_ADDRSTRLEN] = "?", g[INET_ADDRSTRLEN] = "?";

    inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
    inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
    snprintf(buf, len, "%s %s:%u-%s:%u", f->udp ? "udp" : "tcp", h,
             f->host_port, g, f->guest_port);
}

static struct in_addr v4(uint32_t host_order)
{
    return (struct in_addr){ .s_addr = htonl(host_order) };
}

static struct in6_addr v6(uint8_t last)
{
    struct in6_addr a = { .s6_addr = { 0xfe, 0xc0 } };   /* fec0::/64 */

    a.s6_addr[15] = last;
    return a;
}

/* slirp_new and the port forwards; under the lock. */
static int create_stack(struct net_slirp *s, const struct net_slirp_config *cfg,
                        char *err, size_t errlen)
{
    SlirpConfig c = {
        .version = CONFIG_VERSION,
        .in_enabled = true,
        .vnetwork = v4(NET_SLIRP_NET),
        .vnetmask = v4(NET_SLIRP_MASK),
        .vhost = v4(NET_SLIRP_HOST),
        .vdhcp_start = v4(NET_SLIRP_GUEST),
        .vnameserver = v4(NET_SLIRP_DNS),
        .in6_enabled = true,
        .vprefix_addr6 = v6(0),
        .vprefix_len = 64,
        .vhost6 = v6(2),
        .vnameserver6 = v6(3),
        .vhostname = cfg->hostname,
    };

    s->slirp = lib.slirp_new(&c, &callbacks, s);
    if (!s->slirp) {
        snprintf(err, errlen, "libslirp refused to start");
        return -ENOMEM;
    }
    for (unsigned i = 0; i < cfg->nfwd; i++) {
        const struct net_slirp_fwd *f = &cfg->fwd[i];
        char what[64];
        int e;

        errno = 0;
        if (lib.slirp_add_hostfwd(s->slirp, f->udp, f->host_addr,
                                  f->host_port, f->guest_addr,
                                  f->guest_port) == 0)
            continue;
        e = errno ? errno : EADDRINUSE;
        net_slirp_fwd_str(f, what, sizeof(what));
        snprintf(err, errlen, "hostfwd %s: cannot listen on the host: %s",
                 what, strerror(e));
        return -e;
    }
    return 0;
}

static void free_slirp(struct net_slirp *s)
{
    if (s->slirp) {
        pthread_mutex_lock(s->peer.lock);
        lib.slirp_cleanup(s->slirp);   /* frees its timers through us */
        pthread_mutex_unlock(s->peer.lock);
    }
    while (s->timers)
        cb_timer_free(s->timers, s);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    free(s->pfd);
    free(s);
}

int net_slirp_open(struct net_slirp **out, const struct net_slirp_config *cfg,
                   char *err, size_t errlen)
{
    struct net_slirp *s;
    int rc = net_slirp_load(NULL, err, errlen);

    if (rc < 0)
        return rc;
    s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->peer = cfg->peer;
    s->rl = (struct ratelimit)RATELIMIT_INIT;
    atomic_init(&s->wake_pending, false);
    atomic_init(&s->stop, false);
    s->wake_fd = evloop_eventfd();
    rc = s->wake_fd < 0 ? s->wake_fd : grow(s);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set up: %s", strerror(-rc));
    } else {
        s->pfd[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
        pthread_mutex_lock(s->peer.lock);
        rc = create_stack(s, cfg, err, errlen);
        pthread_mutex_unlock(s->peer.lock);
    }
    if (rc < 0) {
        free_slirp(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* The thread runs with every signal blocked: they are the main thread's
 * to read (vm_run's signalfd), and this thread starts before it blocks
 * them. */
int net_slirp_start(struct net_slirp *s)
{
    sigset_t all, old;
    int rc;

    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = -pthread_create(&s->thread, NULL, loop, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    s->started = rc == 0;
    return rc;
}

void net_slirp_close(struct net_slirp *s)
{
    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stop, true);
        atomic_store(&s->wake_pending, false);
        wake(s);
        pthread_join(s->thread, NULL);
    }
    free_slirp(s);
}

const struct netbe_stats *net_slirp_stats(const struct net_slirp *s)
{
    return &s->stats;
}
