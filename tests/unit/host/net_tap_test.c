/* The tap backend on real tap devices (needs root and /dev/net/tun; skips
 * with the reason otherwise): creating and attaching, the vnet header,
 * frames both ways through a packet socket on the tap, the receive hold
 * on -ENOBUFS and its resume, the read budget, EAGAIN from the fault seam
 * and the EPOLLOUT wakeup, the tap deleted under a running backend, and
 * the error messages, a spurious EPOLLIN. test_b<N>_* are RELIABILITY.md
 * (b) fault cases. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio/net.h"
#include "host/net_tap.h"

#define ETH_TEST 0x88b5            /* IEEE local experimental ethertype */
#define MAX_FRAMES 512
#define FRAME_MAX 256
#define WAIT_MS 5000
#define HDR NETDEV_VNET_HDR_LEN

static char skip_reason[128];

/* ---- the device stand-in ---- */

struct rec {
    pthread_mutex_t lock;      /* the peer's lock */
    int answer;                /* what receive() returns */
    unsigned calls;            /* receive() calls */
    unsigned n;                /* test frames taken, in order */
    uint16_t seq[MAX_FRAMES];
    uint8_t first[FRAME_MAX];  /* the first test frame, header included */
    unsigned tx_ready;
    unsigned link_downs;
};

static int rec_receive(void *ctx, const struct iovec *iov, unsigned cnt)
{
    struct rec *r = ctx;
    const uint8_t *p = iov[0].iov_base;

    assert_int_equal(cnt, 1);
    r->calls++;
    if (r->answer)
        return r->answer;
    /* Only our frames count: the host talks on a new link (IPv6 MLD, ...). */
    if (iov[0].iov_len >= HDR + 16 && p[HDR + 12] == ETH_TEST >> 8 &&
        p[HDR + 13] == (ETH_TEST & 0xff) && r->n < MAX_FRAMES) {
        if (!r->n)
            memcpy(r->first, p, iov[0].iov_len < FRAME_MAX ? iov[0].iov_len
                                                           : FRAME_MAX);
        r->seq[r->n++] = (uint16_t)(p[HDR + 14] << 8 | p[HDR + 15]);
    }
    return 0;
}

static void rec_tx_ready(void *ctx)
{
    ((struct rec *)ctx)->tx_ready++;
}

static void rec_set_link(void *ctx, bool up)
{
    if (!up)
        ((struct rec *)ctx)->link_downs++;
}

struct fx {
    struct rec rec;
    char name[IFNAMSIZ];
    struct net_tap *t;
    struct evloop *loop;
    struct netfault fault;
    int pkt;                   /* packet socket on the tap, or -1 */
};

static int setup(void **state)
{
    static unsigned serial;
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    pthread_mutex_init(&f->rec.lock, NULL);
    snprintf(f->name, sizeof(f->name), "vt%u.%u", (unsigned)getpid() % 100000,
             serial++);
    f->pkt = -1;
    netfault_init(&f->fault);
    assert_int_equal(evloop_create(&f->loop), 0);
    *state = f;
    return 0;
}

/* Best effort, for a test that failed half-way: no persistent tap of
 * ours outlives the run. */
static void forget_tap(const char *name)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    int fd;

    if (!if_nametoindex(name))
        return;
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    if (fd >= 0 && ioctl(fd, TUNSETIFF, &ifr) == 0)
        ioctl(fd, TUNSETPERSIST, 0UL);
    if (fd >= 0)
        close(fd);
}

static int teardown(void **state)
{
    struct fx *f = *state;

    evloop_destroy(f->loop);   /* first: the tap's fd leaves with it */
    net_tap_close(f->t);
    if (f->pkt >= 0)
        close(f->pkt);
    forget_tap(f->name);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
    return 0;
}

static struct net_tap_config config(struct fx *f, const char *name)
{
    return (struct net_tap_config){
        .ifname = name,
        .peer = { .receive = rec_receive, .tx_ready = rec_tx_ready,
                  .set_link = rec_set_link, .ctx = &f->rec,
                  .lock = &f->rec.lock },
    };
}

/* Open (f->name) with (io) (NULL: the default), or skip the test. */
static void open_tap(struct fx *f, const struct netio_ops *io)
{
    struct net_tap_config cfg = config(f, f->name);
    char err[256] = "";
    int rc;

    if (skip_reason[0]) {
        print_message("skip: %s\n", skip_reason);
        skip();
    }
    cfg.io = io;
    cfg.io_ctx = io ? &f->fault : NULL;
    rc = net_tap_open(&f->t, &cfg, err, sizeof(err));
    if (rc == -EPERM || rc == -EACCES) {
        print_message("skip: cannot create taps here: %s\n", err);
        skip();
    }
    if (rc < 0)
        fail_msg("net_tap_open(%s): %s", f->name, err);
}

static void start(struct fx *f)
{
    assert_int_equal(net_tap_start(f->t, f->loop), 0);
    assert_int_equal(evloop_start(f->loop), 0);
}

/* A packet socket on the tap that sees and sends ETH_TEST frames. */
static void open_pkt(struct fx *f)
{
    struct sockaddr_ll a = { .sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_TEST),
                             .sll_ifindex = (int)if_nametoindex(f->name) };

    f->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_TEST));
    assert_true(f->pkt >= 0);
    assert_int_equal(bind(f->pkt, (struct sockaddr *)&a, sizeof(a)), 0);
}

static size_t test_frame(uint8_t *p, uint16_t seq)
{
    memset(p, 0xff, 6);
    memcpy(p + 6, (uint8_t[]){ 0x52, 0x56, 0, 0, 0, 9 }, 6);
    p[12] = ETH_TEST >> 8;
    p[13] = ETH_TEST & 0xff;
    p[14] = (uint8_t)(seq >> 8);
    p[15] = (uint8_t)seq;
    for (unsigned i = 16; i < 60; i++)
        p[i] = (uint8_t)(i * 7 + seq);
    return 60;
}

/* Host to tap: the backend reads these. */
static void host_sends(struct fx *f, uint16_t first, unsigned n)
{
    uint8_t p[64];

    for (unsigned i = 0; i < n; i++) {
        size_t len = test_frame(p, (uint16_t)(first + i));
        assert_int_equal(send(f->pkt, p, len, 0), (ssize_t)len);
    }
}

static int guest_sends(struct fx *f, uint16_t seq)
{
    uint8_t hdr[HDR] = { 0 }, p[64];
    size_t len = test_frame(p, seq);
    struct iovec iov[3] = { { hdr, HDR }, { p, 14 }, { p + 14, len - 14 } };
    int rc;

    pthread_mutex_lock(&f->rec.lock);
    rc = net_tap_ops.send(f->t, iov, 3);
    pthread_mutex_unlock(&f->rec.lock);
    return rc;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* Wait until *(v) (under the lock) reaches (want). */
static unsigned wait_count(struct fx *f, const unsigned *v, unsigned want)
{
    unsigned got = 0;

    for (int t = 0; t < WAIT_MS; t++) {
        pthread_mutex_lock(&f->rec.lock);
        got = *v;
        pthread_mutex_unlock(&f->rec.lock);
        if (got >= want)
            break;
        sleep_ms(1);
    }
    return got;
}

static struct netbe_stats stats(struct fx *f)
{
    struct netbe_stats s;

    pthread_mutex_lock(&f->rec.lock);
    s = *net_tap_stats(f->t);
    pthread_mutex_unlock(&f->rec.lock);
    return s;
}

/* RTM_DELLINK, as `ip link del NAME` does. */
static void link_del(const char *name)
{
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
    } req = { .nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_DELLINK,
                      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK },
              .ifi = { .ifi_family = AF_UNSPEC,
                       .ifi_index = (int)if_nametoindex(name) } };
    char buf[512];
    struct nlmsghdr *nh = (struct nlmsghdr *)buf;
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

    assert_true(s >= 0);
    assert_true(req.ifi.ifi_index > 0);
    assert_int_equal(send(s, &req, sizeof(req), 0), (ssize_t)sizeof(req));
    assert_true(recv(s, buf, sizeof(buf), 0) > 0);
    assert_int_equal(nh->nlmsg_type, NLMSG_ERROR);
    assert_int_equal(((struct nlmsgerr *)NLMSG_DATA(nh))->error, 0);
    close(s);
}

/* A tap that outlives its creator's fd, as `ip tuntap add` makes; with
 * (owner) >= 0 only that user (or CAP_NET_ADMIN) may attach. */
static void make_persistent(const char *name, bool on, long owner)
{
    struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    assert_true(fd >= 0);
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
    assert_int_equal(ioctl(fd, TUNSETIFF, &ifr), 0);
    assert_int_equal(ioctl(fd, TUNSETPERSIST, (unsigned long)on), 0);
    if (on && owner >= 0)
        assert_int_equal(ioctl(fd, TUNSETOWNER, (unsigned long)owner), 0);
    close(fd);
}

/* ---- tests ---- */

static void test_create_and_caps(void **state)
{
    struct fx *f = *state;
    struct ifreq ifr = { 0 };
    struct netdev_caps caps;
    int hdr = 0, s;
    const uint64_t need = 1ULL << VIRTIO_NET_F_CSUM |
                          1ULL << VIRTIO_NET_F_GUEST_CSUM |
                          1ULL << VIRTIO_NET_F_HOST_TSO4 |
                          1ULL << VIRTIO_NET_F_HOST_TSO6 |
                          1ULL << VIRTIO_NET_F_HOST_ECN;
    const uint64_t ufo = 1ULL << VIRTIO_NET_F_GUEST_UFO |
                         1ULL << VIRTIO_NET_F_HOST_UFO;

    assert_int_equal(if_nametoindex(f->name), 0);
    open_tap(f, NULL);
    assert_true(net_tap_created(f->t));
    assert_int_equal(ioctl(net_tap_fd(f->t), TUNGETVNETHDRSZ, &hdr), 0);
    assert_int_equal(hdr, 12);
    assert_int_equal(ioctl(net_tap_fd(f->t), TUNGETIFF, &ifr), 0);
    assert_string_equal(ifr.ifr_name, f->name);
    assert_int_equal(ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
                     IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
    assert_true(fcntl(net_tap_fd(f->t), F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(net_tap_fd(f->t), F_GETFD) & FD_CLOEXEC);
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
    assert_true(ifr.ifr_flags & IFF_UP);        /* created: brought up */
    close(s);
    caps = net_tap_caps(f->t);
    assert_true(caps.vnet_hdr);
    assert_int_equal(caps.offloads & need, need);
    assert_int_equal(caps.offloads & ufo, 0);
    /* Offload changes from the driver: any mix, nothing breaks. */
    pthread_mutex_lock(&f->rec.lock);
    net_tap_ops.set_offloads(f->t, caps.offloads);
    net_tap_ops.set_offloads(f->t, 1ULL << VIRTIO_NET_F_GUEST_TSO4);
    net_tap_ops.set_offloads(f->t, 0);
    pthread_mutex_unlock(&f->rec.lock);
    net_tap_close(f->t);
    f->t = NULL;
    assert_int_equal(if_nametoindex(f->name), 0);   /* gone with us */
}

static void test_guest_frame_reaches_host(void **state)
{
    struct fx *f = *state;
    uint8_t want[64], got[128];

    open_tap(f, NULL);
    open_pkt(f);
    assert_int_equal(guest_sends(f, 7), 0);
    assert_int_equal(recv(f->pkt, got, sizeof(got), 0), 60);
    test_frame(want, 7);
    assert_memory_equal(got, want, 60);
    assert_int_equal(stats(f).tx_frames, 1);
}

static void test_host_frames_reach_guest(void **state)
{
    struct fx *f = *state;
    unsigned n = 2 * NET_TAP_RX_BUDGET + 5;   /* several wakeups */
    uint8_t want[64];

    open_tap(f, NULL);
    open_pkt(f);
    start(f);
    host_sends(f, 0, n);
    assert_int_equal(wait_count(f, &f->rec.n, n), n);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(f->rec.seq[i], i);
    /* A vnet header first (nothing to offload here), num_buffers 0. */
    test_frame(want, 0);
    assert_memory_equal(f->rec.first + HDR, want, 60);
    assert_int_equal(f->rec.first[1], VIRTIO_NET_HDR_GSO_NONE);
    assert_int_equal(f->rec.first[10] | f->rec.first[11], 0);
    assert_true(stats(f).rx_frames >= n);
}

/* RELIABILITY (a) 18: a guest that posts no buffers costs one frame. */
static void test_nobufs_holds_one_frame_until_rx_ready(void **state)
{
    struct fx *f = *state;

    open_tap(f, NULL);
    open_pkt(f);
    f->rec.answer = -ENOBUFS;
    start(f);
    host_sends(f, 0, 3);
    assert_int_equal(wait_count(f, &f->rec.calls, 1), 1);
    sleep_ms(50);
    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(f->rec.calls, 1);     /* parked, not reading on */
    assert_int_equal(net_tap_stats(f->t)->rx_held, 1);
    f->rec.answer = -ENOBUFS;
    net_tap_ops.rx_ready(f->t);            /* still no room: still parked */
    assert_int_equal(f->rec.calls, 2);
    f->rec.answer = 0;
    net_tap_ops.rx_ready(f->t);
    pthread_mutex_unlock(&f->rec.lock);
    assert_int_equal(wait_count(f, &f->rec.n, 3), 3);
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(f->rec.seq[i], i);
    assert_int_equal(stats(f).rx_held, 1);
}

static void test_device_refusal_drops(void **state)
{
    struct fx *f = *state;

    open_tap(f, NULL);
    open_pkt(f);
    f->rec.answer = -EIO;                  /* device not running */
    start(f);
    host_sends(f, 0, 2);
    wait_count(f, &f->rec.calls, 2);
    sleep_ms(20);
    pthread_mutex_lock(&f->rec.lock);
    assert_true(net_tap_stats(f->t)->rx_dropped >= 2);
    assert_int_equal(net_tap_stats(f->t)->rx_held, 0);
    f->rec.answer = 0;
    pthread_mutex_unlock(&f->rec.lock);
    host_sends(f, 5, 1);                   /* and it keeps reading */
    assert_int_equal(wait_count(f, &f->rec.n, 1), 1);
    assert_int_equal(f->rec.seq[0], 5);
}

/* RELIABILITY (b) 9: EAGAIN parks TX until EPOLLOUT, once, no spin. */
static void test_b9_eagain_then_epollout(void **state)
{
    struct fx *f = *state;

    f->fault.every = 2;
    open_tap(f, &netfault_ops);
    open_pkt(f);
    start(f);
    assert_int_equal(guest_sends(f, 1), 0);
    assert_int_equal(guest_sends(f, 2), -EAGAIN);
    assert_int_equal(wait_count(f, &f->rec.tx_ready, 1), 1);
    sleep_ms(50);
    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(f->rec.tx_ready, 1);  /* EPOLLOUT is off again */
    pthread_mutex_unlock(&f->rec.lock);
    assert_int_equal(guest_sends(f, 2), 0);
    assert_int_equal(stats(f).tx_eagain, 1);
    assert_int_equal(stats(f).tx_frames, 2);
    assert_int_equal(f->fault.injected, 1);
}

static void test_b9_fault_from_environment(void **state)
{
    struct fx *f = *state;
    struct net_tap *t2 = NULL;
    struct net_tap_config cfg = config(f, f->name);
    char err[256] = "";

    assert_int_equal(setenv(NETFAULT_ENV, "eagain-storm:2", 1), 0);
    open_tap(f, NULL);
    start(f);
    assert_int_equal(guest_sends(f, 1), -EAGAIN);
    assert_int_equal(guest_sends(f, 1), -EAGAIN);
    assert_int_equal(guest_sends(f, 1), 0);
    assert_int_equal(guest_sends(f, 2), 0);
    assert_int_equal(guest_sends(f, 3), -EAGAIN);
    assert_true(wait_count(f, &f->rec.tx_ready, 1) >= 1);
    assert_int_equal(stats(f).tx_eagain, 3);
    assert_int_equal(setenv(NETFAULT_ENV, "eagain:1", 1), 0);
    cfg.ifname = "vtbadfault";
    assert_int_equal(net_tap_open(&t2, &cfg, err, sizeof(err)), -EINVAL);
    assert_string_equal(err, "bad VESSEL_NET_FAULT 'eagain:1' (want eagain:N "
                             "or eagain-storm:N)");
    unsetenv(NETFAULT_ENV);
}

/* RELIABILITY (b) 11: the tap deleted under a running VM. */
static void test_b11_tap_deleted(void **state)
{
    struct fx *f = *state;

    open_tap(f, NULL);
    start(f);
    link_del(f->name);
    assert_int_equal(wait_count(f, &f->rec.link_downs, 1), 1);
    assert_int_equal(guest_sends(f, 1), -EIO);
    assert_int_equal(guest_sends(f, 2), -EIO);
    pthread_mutex_lock(&f->rec.lock);
    net_tap_ops.rx_ready(f->t);
    net_tap_ops.set_offloads(f->t, 0);
    assert_int_equal(net_tap_stats(f->t)->tx_dropped, 2);
    assert_int_equal(f->rec.link_downs, 1);
    pthread_mutex_unlock(&f->rec.lock);
    sleep_ms(20);
    assert_int_equal(wait_count(f, &f->rec.link_downs, 1), 1);   /* once */
}

static void test_tap_deleted_seen_on_write(void **state)
{
    struct fx *f = *state;

    open_tap(f, NULL);                     /* never started: no poller */
    link_del(f->name);
    assert_int_equal(guest_sends(f, 1), -EBADFD);
    assert_int_equal(f->rec.link_downs, 1);
    assert_int_equal(guest_sends(f, 1), -EIO);
    assert_int_equal(stats(f).tx_dropped, 2);
}

static void test_attach_existing_and_busy(void **state)
{
    struct fx *f = *state;
    struct net_tap *t2 = NULL;
    struct net_tap_config cfg = config(f, f->name);
    char err[256] = "";

    if (skip_reason[0]) {
        print_message("skip: %s\n", skip_reason);
        skip();
    }
    make_persistent(f->name, true, -1);
    open_tap(f, NULL);
    assert_false(net_tap_created(f->t));
    assert_int_equal(net_tap_open(&t2, &cfg, err, sizeof(err)), -EBUSY);
    assert_string_equal(err, "busy: another process has it open");
    net_tap_close(f->t);
    f->t = NULL;
    assert_true(if_nametoindex(f->name) > 0);   /* not ours to remove */
    make_persistent(f->name, false, -1);
    assert_int_equal(if_nametoindex(f->name), 0);
}

static void expect_open_error(struct fx *f, const char *name, int rc,
                              const char *msg)
{
    struct net_tap *t = NULL;
    struct net_tap_config cfg = config(f, name);
    char err[256] = "";

    assert_int_equal(net_tap_open(&t, &cfg, err, sizeof(err)), rc);
    assert_null(t);
    assert_string_equal(err, msg);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;

    if (skip_reason[0]) {
        print_message("skip: %s\n", skip_reason);
        skip();
    }
    expect_open_error(f, "lo", -EINVAL,
                      "not a tap device (or one without vnet_hdr support)");
    expect_open_error(f, "", -EINVAL, "interface names are 1 to 15 "
                                      "characters");
    expect_open_error(f, "abcdefghijklmnop", -EINVAL,
                      "interface names are 1 to 15 characters");
}

/* Without CAP_NET_ADMIN (in a child): the messages a normal user sees. */
static int drop_net_admin(void)
{
    struct __user_cap_header_struct h = { .version =
                                              _LINUX_CAPABILITY_VERSION_3 };
    struct __user_cap_data_struct d[2];
    uint32_t bit = 1u << (CAP_NET_ADMIN % 32);

    if (syscall(SYS_capget, &h, d) < 0)
        return -1;
    d[CAP_NET_ADMIN / 32].effective &= ~bit;
    d[CAP_NET_ADMIN / 32].permitted &= ~bit;
    return (int)syscall(SYS_capset, &h, d);
}

static void test_errors_without_net_admin(void **state)
{
    struct fx *f = *state;
    char other[IFNAMSIZ];
    pid_t pid;
    int status;

    if (skip_reason[0]) {
        print_message("skip: %s\n", skip_reason);
        skip();
    }
    snprintf(other, sizeof(other), "vt%u.o", (unsigned)getpid() % 100000);
    make_persistent(other, true, 4242);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct net_tap_config cfg = config(f, f->name);
        struct net_tap *t = NULL;
        char e1[256] = "", e2[256] = "";
        int r1, r2;

        if (drop_net_admin() < 0)
            _exit(2);
        r1 = net_tap_open(&t, &cfg, e1, sizeof(e1));
        cfg.ifname = other;
        r2 = net_tap_open(&t, &cfg, e2, sizeof(e2));
        _exit(r1 == -EPERM && !strcmp(e1, "no such device and not root") &&
                      r2 == -EPERM &&
                      !strcmp(e2, "permission denied (the tap belongs to "
                                  "another user or group)")
                  ? 0
                  : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    make_persistent(other, false, -1);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_netfault_rules(void **state)
{
    struct netfault nf;
    static const char *const bad[] = { "eagain", "eagain:", "eagain:1",
                                       "eagain:x", "eagain-storm:0", "eio:3",
                                       "eagain:2,oops:1", "eagain:-2" };
    (void)state;

    netfault_init(&nf);
    assert_false(netfault_active(&nf));
    assert_int_equal(netfault_parse(&nf, "eagain:3,eagain-storm:2"), 0);
    assert_true(netfault_active(&nf));
    assert_int_equal(nf.every, 3);
    assert_int_equal(nf.storm, 2);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        netfault_init(&nf);
        assert_int_equal(netfault_parse(&nf, bad[i]), -EINVAL);
    }
}

/* The rules on the seam itself, over a pipe. */
static void test_netfault_sequence(void **state)
{
    struct netfault nf;
    struct iovec iov = { (void *)"x", 1 };
    char got[16];
    int p[2];
    /* eagain-storm:2 with eagain:5: fail 1,2, pass 3,4, fail 5 (both),
     * 6, pass 7, 8, fail 9, 10 */
    static const bool fails[10] = { 1, 1, 0, 0, 1, 1, 0, 0, 1, 1 };
    unsigned passed = 0;
    (void)state;

    assert_int_equal(pipe(p), 0);
    netfault_init(&nf);
    assert_int_equal(netfault_parse(&nf, "eagain-storm:2,eagain:5"), 0);
    for (unsigned i = 0; i < 10; i++) {
        ssize_t r = netfault_ops.writev(&nf, p[1], &iov, 1);

        assert_int_equal(r, fails[i] ? -EAGAIN : 1);
        passed += !fails[i];
    }
    assert_int_equal(nf.writes, 10);
    assert_int_equal(nf.injected, 10 - passed);
    assert_int_equal(netfault_ops.read(&nf, p[0], got, sizeof(got)), passed);
    close(p[0]);
    close(p[1]);
}

/* ---- RELIABILITY (b) 10: spurious EPOLLIN, no spin ---- */

/* A read seam that counts what the backend's reads get and, while armed,
 * first drains the fd itself (another consumer got there first): the
 * backend is woken by EPOLLIN and finds nothing, a real spurious wake.
 * Runs on the I/O thread under the peer's lock. */
struct spy {
    bool armed;
    unsigned armed_reads;      /* backend reads made while armed */
    unsigned steals;           /* armed reads that drained a test frame */
    unsigned frames, empty;    /* backend reads with data / with EAGAIN */
};
static struct spy spy;

static bool is_test_frame(const uint8_t *p, ssize_t n)
{
    return n >= HDR + 14 && p[HDR + 12] == ETH_TEST >> 8 &&
           p[HDR + 13] == (ETH_TEST & 0xff);
}

static ssize_t spy_read(void *ctx, int fd, void *buf, size_t len)
{
    ssize_t r;

    (void)ctx;
    spy.armed_reads += spy.armed;
    while (spy.armed && (r = read(fd, buf, len)) > 0) {
        if (is_test_frame(buf, r)) {
            spy.armed = false;
            spy.steals++;
        }
    }
    r = netio_sys_ops.read(NULL, fd, buf, len);
    if (r == -EAGAIN)
        spy.empty++;
    else if (r > 0)
        spy.frames++;
    return r;
}

static const struct netio_ops spy_ops = {
    .writev = NULL,            /* set from netio_sys_ops in the test */
    .read = spy_read,
};

/* Each wakeup reads until EAGAIN once; a spurious one costs that one
 * EAGAIN read and nothing more: no second read, no busy loop on a level
 * that is not there, and EPOLLIN stays watched for the next frame. */
static void test_b10_spurious_epollin_no_spin(void **state)
{
    struct fx *f = *state;
    struct netio_ops ops = spy_ops;
    struct spy s;

    ops.writev = netio_sys_ops.writev;
    memset(&spy, 0, sizeof(spy));
    spy.armed = true;
    open_tap(f, &ops);
    open_pkt(f);
    start(f);
    host_sends(f, 0, 1);
    assert_int_equal(wait_count(f, &spy.steals, 1), 1);
    sleep_ms(200);                         /* a spin would show here */
    pthread_mutex_lock(&f->rec.lock);
    s = spy;
    assert_int_equal(f->rec.n, 0);         /* the frame was stolen */
    pthread_mutex_unlock(&f->rec.lock);
    print_message("b10: %u reads with data, %u empty, %u while armed\n",
                  s.frames, s.empty, s.armed_reads);
    /* Host chatter on a new link (IPv6 MLD, ...) makes real wakeups too;
     * each ends with one empty read, and so does each armed one. */
    assert_true(s.empty >= 1);
    assert_true(s.empty <= s.frames + s.armed_reads + 1);

    host_sends(f, 1, 1);                   /* still watched for input */
    assert_int_equal(wait_count(f, &f->rec.n, 1), 1);
    assert_int_equal(f->rec.seq[0], 1);
    pthread_mutex_lock(&f->rec.lock);
    s = spy;
    pthread_mutex_unlock(&f->rec.lock);
    assert_true(s.empty <= s.frames + s.armed_reads + 1);
}

static int group_setup(void **state)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

    (void)state;
    if (fd < 0)
        snprintf(skip_reason, sizeof(skip_reason), "/dev/net/tun: %s",
                 strerror(errno));
    else if (geteuid() != 0)
        snprintf(skip_reason, sizeof(skip_reason), "not root");
    else
        close(fd);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_create_and_caps),
        T(test_guest_frame_reaches_host),
        T(test_host_frames_reach_guest),
        T(test_nobufs_holds_one_frame_until_rx_ready),
        T(test_device_refusal_drops),
        T(test_b9_eagain_then_epollout),
        T(test_b9_fault_from_environment),
        T(test_b10_spurious_epollin_no_spin),
        T(test_b11_tap_deleted),
        T(test_tap_deleted_seen_on_write),
        T(test_attach_existing_and_busy),
        T(test_open_errors),
        T(test_errors_without_net_admin),
        cmocka_unit_test(test_netfault_rules),
        cmocka_unit_test(test_netfault_sequence),
    };
    return cmocka_run_group_tests_name("host/net_tap", tests, group_setup,
                                       NULL);
}
