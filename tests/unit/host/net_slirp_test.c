/* User-mode networking against the real libslirp, with a recorder in
 * place of the device: DHCP, ARP, IPv6 router advertisements, TCP and UDP
 * port forwards from the host's loopback, refused frames, a missing
 * library. Only loopback and slirp's own 10.0.2.0/24 are ever used. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/net_slirp.h"

#define MAX_FRAMES 64
#define FRAME_MAX 2048
#define WAIT_MS 5000

static const uint8_t guest_mac[6] = { 0x52, 0x56, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- the device stand-in ---- */

struct rec {
    pthread_mutex_t lock;      /* the peer's lock */
    int answer;                /* what receive() returns */
    bool ready_ok;             /* a tx_ready call is expected */
    unsigned readies;          /* tx_ready calls */
    unsigned n;                /* frames offered */
    size_t len[MAX_FRAMES];
    uint8_t f[MAX_FRAMES][FRAME_MAX];
};

static int rec_receive(void *ctx, const struct iovec *iov, unsigned cnt)
{
    struct rec *r = ctx;
    unsigned i = r->n++;
    size_t len = 0;

    for (unsigned k = 0; i < MAX_FRAMES && k < cnt; k++) {
        size_t take = iov[k].iov_len < FRAME_MAX - len ? iov[k].iov_len
                                                       : FRAME_MAX - len;
        memcpy(r->f[i] + len, iov[k].iov_base, take);
        len += take;
    }
    if (i < MAX_FRAMES)
        r->len[i] = len;
    return r->answer;
}

static void rec_tx_ready(void *ctx)
{
    struct rec *r = ctx;

    if (!r->ready_ok)
        fail_msg("tx_ready without a refused send");
    r->readies++;
}

static void rec_set_link(void *ctx, bool up)
{
    (void)ctx;
    (void)up;
    fail_msg("user networking has no cable to lose");
}

struct fx {
    struct rec rec;
    struct net_slirp *s;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    pthread_mutex_init(&f->rec.lock, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    net_slirp_close(f->s);
    pthread_mutex_destroy(&f->rec.lock);
    free(f);
    return 0;
}

static void start(struct fx *f, const struct net_slirp_fwd *fwd, unsigned n)
{
    struct net_slirp_config cfg = {
        .fwd = fwd,
        .nfwd = n,
        .hostname = "unit",
        .peer = { .receive = rec_receive, .tx_ready = rec_tx_ready,
                  .set_link = rec_set_link, .ctx = &f->rec,
                  .lock = &f->rec.lock },
    };
    char err[256] = "";

    if (net_slirp_open(&f->s, &cfg, err, sizeof(err)) < 0)
        fail_msg("net_slirp_open: %s", err);
    assert_int_equal(net_slirp_start(f->s), 0);
}

static void send_frame(struct fx *f, const uint8_t *p, size_t len)
{
    /* Split in two like a guest's header-then-data chain would be. */
    struct iovec iov[2] = { { (void *)p, 14 }, { (void *)(p + 14), len - 14 } };

    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(net_slirp_ops.send(f->s, iov, 2), 0);
    pthread_mutex_unlock(&f->rec.lock);
}

typedef bool (*match_fn)(const uint8_t *p, size_t len, const void *arg);

/* Wait for a frame (match) accepts; copy it to (out). */
static size_t wait_frame(struct fx *f, match_fn match, const void *arg,
                         uint8_t *out)
{
    struct timespec ms = { 0, 1000000 };

    for (int t = 0; t < WAIT_MS; t++) {
        size_t len = 0;

        pthread_mutex_lock(&f->rec.lock);
        for (unsigned i = 0; !len && i < f->rec.n && i < MAX_FRAMES; i++) {
            if (match(f->rec.f[i], f->rec.len[i], arg)) {
                len = f->rec.len[i];
                memcpy(out, f->rec.f[i], len);
            }
        }
        pthread_mutex_unlock(&f->rec.lock);
        if (len)
            return len;
        nanosleep(&ms, NULL);
    }
    fail_msg("no such frame in %d ms (%u frames seen)", WAIT_MS, f->rec.n);
    return 0;
}

/* ---- frames ---- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += be16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static size_t put_eth(uint8_t *p, const uint8_t *dst, uint16_t type)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, guest_mac, 6);
    put16(p + 12, type);
    return 14;
}

/* An IPv4 header with its checksum; (len) bytes of payload follow. */
static size_t put_ip(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst,
                     size_t len)
{
    memset(p, 0, 20);
    p[0] = 0x45;
    put16(p + 2, (uint16_t)(20 + len));
    p[8] = 64;
    p[9] = proto;
    put32(p + 12, src);
    put32(p + 16, dst);
    put16(p + 10, fold(sum16(p, 20, 0)));
    return 20;
}

#define BOOTP_LEN 548          /* 236 fixed bytes and 312 of options */

static size_t dhcp_discover(uint8_t *p)
{
    uint8_t *udp, *b;
    size_t n = put_eth(p, bcast, 0x0800);

    n += put_ip(p + n, 17, 0, 0xffffffffu, 8 + BOOTP_LEN);
    udp = p + n;
    put16(udp, 68);
    put16(udp + 2, 67);
    put16(udp + 4, 8 + BOOTP_LEN);
    put16(udp + 6, 0);                 /* no UDP checksum */
    b = udp + 8;
    memset(b, 0, BOOTP_LEN);
    b[0] = 1;                          /* BOOTREQUEST */
    b[1] = 1;                          /* Ethernet */
    b[2] = 6;
    put32(b + 4, 0x12345678);          /* xid */
    memcpy(b + 28, guest_mac, 6);      /* chaddr */
    put32(b + 236, 0x63825363);        /* magic cookie */
    b[240] = 53;                       /* DHCP message type: DISCOVER */
    b[241] = 1;
    b[242] = 1;
    b[243] = 255;
    return n + 8 + BOOTP_LEN;
}

static bool is_dhcp_offer(const uint8_t *p, size_t len, const void *arg)
{
    const uint8_t *b = p + 42;

    (void)arg;
    if (len < 42 + 244 || be16(p + 12) != 0x0800 || p[23] != 17 ||
        be16(p + 36) != 68 || b[0] != 2)
        return false;
    for (size_t i = 240; i + 2 < len - 42 && b[i] != 255; i += 2u + b[i + 1])
        if (b[i] == 53)
            return b[i + 2] == 2;      /* OFFER */
    return false;
}

static size_t arp_request(uint8_t *p, uint32_t target)
{
    size_t n = put_eth(p, bcast, 0x0806);
    uint8_t *a = p + n;

    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);                   /* request */
    memcpy(a + 8, guest_mac, 6);
    put32(a + 14, NET_SLIRP_GUEST);
    memset(a + 18, 0, 6);
    put32(a + 24, target);
    return n + 28;
}

static bool is_arp_reply(const uint8_t *p, size_t len, const void *arg)
{
    const uint32_t *sender = arg;

    return len >= 42 && be16(p + 12) == 0x0806 && be16(p + 20) == 2 &&
           be16(p + 28) == (*sender >> 16) &&
           be16(p + 30) == (uint16_t)*sender;
}

/* An IPv4 frame to the guest with IP protocol (proto) and this
 * destination port. */
struct l4_want {
    uint8_t proto;
    uint16_t dport;
};

static bool is_l4_to_guest(const uint8_t *p, size_t len, const void *arg)
{
    const struct l4_want *w = arg;
    size_t ihl;

    if (len < 34 || be16(p + 12) != 0x0800 || p[23] != w->proto)
        return false;
    ihl = (size_t)(p[14] & 0xf) * 4;
    return len >= 14 + ihl + 4 && be16(p + 30) == (NET_SLIRP_GUEST >> 16) &&
           be16(p + 32) == (uint16_t)NET_SLIRP_GUEST &&
           be16(p + 14 + ihl + 2) == w->dport;
}

/* A Router Solicitation from a link-local address to all routers. */
static size_t router_solicit(uint8_t *p)
{
    static const uint8_t all_routers[6] = { 0x33, 0x33, 0, 0, 0, 2 };
    uint8_t *ip, *icmp;
    uint32_t sum;
    size_t n = put_eth(p, all_routers, 0x86dd);

    ip = p + n;
    memset(ip, 0, 40 + 8);
    ip[0] = 0x60;
    put16(ip + 4, 8);                  /* payload: the bare RS */
    ip[6] = 58;                        /* ICMPv6 */
    ip[7] = 255;
    ip[8] = 0xfe;                      /* fe80::5056:ff:fe00:1 */
    ip[9] = 0x80;
    ip[16] = 0x50;
    ip[17] = 0x56;
    ip[19] = 0xff;
    ip[20] = 0xfe;
    ip[23] = 0x01;
    ip[24] = 0xff;                     /* ff02::2 */
    ip[25] = 0x02;
    ip[39] = 0x02;
    icmp = ip + 40;
    icmp[0] = 133;
    sum = sum16(ip + 8, 32, 0) + 8 + 58;   /* pseudo-header */
    put16(icmp + 2, fold(sum16(icmp, 8, sum)));
    return n + 48;
}

/* A Router Advertisement whose prefix option says fec0::/64. */
static bool is_ra_fec0(const uint8_t *p, size_t len, const void *arg)
{
    static const uint8_t fec0[16] = { 0xfe, 0xc0 };
    size_t o = 14 + 40 + 16;

    (void)arg;
    if (len < o || be16(p + 12) != 0x86dd || p[20] != 58 || p[54] != 134)
        return false;
    for (; o + 8 <= len && p[o + 1]; o += 8u * p[o + 1])
        if (p[o] == 3 && p[o + 1] == 4 && o + 32 <= len)
            return p[o + 2] == 64 && !memcmp(p + o + 16, fec0, 16);
    return false;
}

/* A port on 127.0.0.1 nobody uses now. */
static uint16_t free_port(int type)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    int s = socket(AF_INET, type, 0);

    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    close(s);
    return ntohs(a.sin_port);
}

static struct net_slirp_fwd fwd(bool udp, uint16_t hport, uint16_t gport)
{
    return (struct net_slirp_fwd){
        .udp = udp,
        .host_addr.s_addr = htonl(INADDR_LOOPBACK),
        .host_port = hport,
        .guest_addr.s_addr = htonl(NET_SLIRP_GUEST),
        .guest_port = gport,
    };
}

/* ---- tests ---- */

/* First: once the real library is loaded, later loads are no-ops. */
static void test_missing_library(void **state)
{
    char err[256] = "";
    (void)state;

    assert_int_equal(net_slirp_load("libslirp-vessel-missing.so.0", err,
                                    sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "user networking needs libslirp ("));
    assert_non_null(strstr(err, "libslirp-vessel-missing.so.0"));
    assert_non_null(strstr(err, "Debian package libslirp0)"));
}

/* On a stack without forwards: send what (build) makes, wait for the
 * answer (match) accepts, into (got). */
static void ask(struct fx *f, size_t (*build)(uint8_t *p), match_fn match,
                uint8_t *got)
{
    uint8_t p[FRAME_MAX];

    start(f, NULL, 0);
    send_frame(f, p, build(p));
    wait_frame(f, match, NULL, got);
}

static void test_dhcp_offers_10_0_2_15(void **state)
{
    struct fx *f = *state;
    uint8_t got[FRAME_MAX];

    ask(f, dhcp_discover, is_dhcp_offer, got);
    assert_memory_equal(got + 42 + 28, guest_mac, 6);   /* chaddr */
    assert_int_equal(be16(got + 26), 0x0a00);        /* from 10.0.2.2 */
    assert_int_equal(be16(got + 28), 0x0202);
    /* yiaddr */
    assert_int_equal(be16(got + 42 + 16), NET_SLIRP_GUEST >> 16);
    assert_int_equal(be16(got + 42 + 18), (uint16_t)NET_SLIRP_GUEST);
    pthread_mutex_lock(&f->rec.lock);
    assert_true(net_slirp_stats(f->s)->tx_frames == 1);
    assert_true(net_slirp_stats(f->s)->rx_frames >= 1);
    pthread_mutex_unlock(&f->rec.lock);
}

static void test_arp_for_gateway_and_dns(void **state)
{
    struct fx *f = *state;
    uint8_t p[FRAME_MAX], got[FRAME_MAX];
    uint32_t host = NET_SLIRP_HOST, dns = NET_SLIRP_DNS;

    start(f, NULL, 0);
    send_frame(f, p, arp_request(p, NET_SLIRP_HOST));
    wait_frame(f, is_arp_reply, &host, got);
    assert_memory_equal(got, guest_mac, 6);
    assert_memory_equal(got + 32, guest_mac, 6);     /* target MAC */
    send_frame(f, p, arp_request(p, NET_SLIRP_DNS));
    wait_frame(f, is_arp_reply, &dns, got);
}

static void test_ipv6_router_advertisement(void **state)
{
    uint8_t got[FRAME_MAX];

    ask(*state, router_solicit, is_ra_fec0, got);
}

/* A forward from a free 127.0.0.1 port of (type) to guest port (gport);
 * the running stack has learned the guest's MAC, as from a guest's first
 * ARP. Returns where to reach the forward. */
static struct sockaddr_in start_fwd(struct fx *f, int type, uint16_t gport)
{
    uint16_t port = free_port(type);
    struct net_slirp_fwd fw = fwd(type == SOCK_DGRAM, port, gport);
    uint8_t p[FRAME_MAX], got[FRAME_MAX];
    uint32_t host = NET_SLIRP_HOST;

    start(f, &fw, 1);
    send_frame(f, p, arp_request(p, NET_SLIRP_HOST));
    wait_frame(f, is_arp_reply, &host, got);
    return (struct sockaddr_in){ .sin_family = AF_INET,
                                 .sin_port = htons(port),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static void test_tcp_hostfwd_sends_syn(void **state)
{
    struct fx *f = *state;
    struct sockaddr_in a = start_fwd(f, SOCK_STREAM, 80);
    struct l4_want syn = { .proto = 6, .dport = 80 };
    uint8_t got[FRAME_MAX];
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

    assert_true(c >= 0);
    assert_true(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 ||
                errno == EINPROGRESS);
    wait_frame(f, is_l4_to_guest, &syn, got);
    assert_memory_equal(got, guest_mac, 6);
    assert_int_equal(got[14 + 20 + 13] & 0x12, 0x02);   /* SYN, no ACK */
    close(c);
}

static void test_udp_hostfwd_delivers(void **state)
{
    struct fx *f = *state;
    struct sockaddr_in a = start_fwd(f, SOCK_DGRAM, 5353);
    struct l4_want dgram = { .proto = 17, .dport = 5353 };
    uint8_t got[FRAME_MAX];
    int c = socket(AF_INET, SOCK_DGRAM, 0);

    assert_true(c >= 0);
    assert_int_equal(sendto(c, "vessel", 6, 0, (struct sockaddr *)&a,
                            sizeof(a)), 6);
    assert_int_equal(wait_frame(f, is_l4_to_guest, &dgram, got),
                     14 + 20 + 8 + 6);
    assert_memory_equal(got + 42, "vessel", 6);
    close(c);
}

static void test_hostfwd_port_taken(void **state)
{
    struct fx *f = *state;
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    struct net_slirp_fwd fw;
    struct net_slirp_config cfg = { .fwd = &fw, .nfwd = 1,
                                    .peer = { .receive = rec_receive,
                                              .ctx = &f->rec,
                                              .lock = &f->rec.lock } };
    char err[256] = "", want[256];
    int s = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s, 1), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &alen), 0);
    fw = fwd(false, ntohs(a.sin_port), 80);
    assert_int_equal(net_slirp_open(&f->s, &cfg, err, sizeof(err)),
                     -EADDRINUSE);
    assert_null(f->s);
    snprintf(want, sizeof(want), "hostfwd tcp 127.0.0.1:%u-10.0.2.15:80: "
             "cannot listen on the host: %s", ntohs(a.sin_port),
             strerror(EADDRINUSE));
    assert_string_equal(err, want);
    close(s);
}

static void test_refused_frames_are_dropped(void **state)
{
    struct fx *f = *state;
    uint8_t p[FRAME_MAX];
    struct timespec ms = { 0, 1000000 };
    uint64_t dropped = 0;

    f->rec.answer = -ENOBUFS;
    start(f, NULL, 0);
    send_frame(f, p, arp_request(p, NET_SLIRP_HOST));
    pthread_mutex_lock(&f->rec.lock);
    f->rec.answer = -EIO;
    pthread_mutex_unlock(&f->rec.lock);
    send_frame(f, p, arp_request(p, NET_SLIRP_DNS));
    for (int t = 0; t < WAIT_MS && dropped < 2; t++) {
        nanosleep(&ms, NULL);
        pthread_mutex_lock(&f->rec.lock);
        dropped = net_slirp_stats(f->s)->rx_dropped;
        pthread_mutex_unlock(&f->rec.lock);
    }
    assert_int_equal(dropped, 2);
    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(net_slirp_stats(f->s)->rx_frames, 0);
    pthread_mutex_unlock(&f->rec.lock);
}

static void test_oversized_and_runt_frames(void **state)
{
    struct fx *f = *state;
    static uint8_t big[NETDEV_MAX_FRAME + 1];
    struct iovec iov[2] = { { big, NETDEV_MAX_FRAME }, { big, 1 } };
    uint8_t runt[6] = { 0 };
    struct iovec r = { runt, sizeof(runt) };

    start(f, NULL, 0);
    pthread_mutex_lock(&f->rec.lock);
    assert_int_equal(net_slirp_ops.send(f->s, iov, 2), -EMSGSIZE);
    assert_int_equal(net_slirp_ops.send(f->s, &r, 1), 0);   /* slirp drops */
    assert_int_equal(net_slirp_ops.send(f->s, iov, 1), 0);
    assert_int_equal(net_slirp_stats(f->s)->tx_dropped, 1);
    pthread_mutex_unlock(&f->rec.lock);
}

static void test_caps(void **state)
{
    (void)state;
    assert_false(net_slirp_caps.vnet_hdr);
    assert_int_equal(net_slirp_caps.offloads, 0);
    assert_null(net_slirp_ops.rx_ready);
    assert_null(net_slirp_ops.set_offloads);
}

/* Wait until (want) frames have been offered to the device. */
static void wait_offered(struct fx *f, unsigned want)
{
    unsigned n = 0;

    for (int t = 0; t < WAIT_MS && n < want; t++) {
        usleep(1000);
        pthread_mutex_lock(&f->rec.lock);
        n = f->rec.n;
        pthread_mutex_unlock(&f->rec.lock);
    }
    assert_int_equal(n, want);
}

/* 300 rounds of 1-20 ARP requests padded to 42-1514 bytes, each answered
 * once: a frame cut or shifted by the queue's wrap would get no answer. */
static void wrap_rounds(struct fx *f, const uint8_t *arp, size_t arp_len,
                        unsigned answered)
{
    static uint8_t p[1514];
    unsigned seed = 7;

    memset(p, 0, sizeof(p));
    memcpy(p, arp, arp_len);
    for (int round = 0; round < 300; round++) {
        unsigned k = 1 + (seed = seed * 1103515245u + 12345u) % 20;

        pthread_mutex_lock(&f->rec.lock);
        for (unsigned i = 0; i < k; i++) {
            size_t len = arp_len + (seed = seed * 1103515245u + 12345u) %
                                       (sizeof(p) - arp_len + 1);
            struct iovec iov = { p, len };
            assert_int_equal(net_slirp_ops.send(f->s, &iov, 1), 0);
        }
        pthread_mutex_unlock(&f->rec.lock);
        answered += k;
        wait_offered(f, answered);
    }
}

/* The slirp thread alone calls libslirp; sends only queue. While it
 * cannot run (the test holds the device lock it needs), the queue fills:
 * a send is refused with -EAGAIN (counted), and once it has run every
 * queued frame reached libslirp (one ARP reply each) and tx_ready tells
 * the device to send again. */
static void test_tx_queue_full_then_ready(void **state)
{
    struct fx *f = *state;
    uint8_t p[64];
    size_t len = arp_request(p, NET_SLIRP_HOST);
    struct iovec iov = { p, len };
    unsigned queued = 0, n = 0;
    int rc = 0;

    start(f, NULL, 0);
    pthread_mutex_lock(&f->rec.lock);
    f->rec.ready_ok = true;
    while (queued < 100000 && (rc = net_slirp_ops.send(f->s, &iov, 1)) == 0)
        queued++;
    assert_int_equal(rc, -EAGAIN);
    assert_true(queued > 100);
    assert_int_equal(net_slirp_stats(f->s)->tx_eagain, 1);
    assert_int_equal(net_slirp_stats(f->s)->tx_frames, queued);
    assert_int_equal(f->rec.readies, 0);
    pthread_mutex_unlock(&f->rec.lock);
    for (int t = 0; t < WAIT_MS && (n < queued || !f->rec.readies); t++) {
        usleep(1000);
        pthread_mutex_lock(&f->rec.lock);
        n = f->rec.n;
        pthread_mutex_unlock(&f->rec.lock);
    }
    assert_int_equal(n, queued);
    assert_int_equal(f->rec.readies, 1);
    /* Room again; rounds of padded frames of every size make the queue
     * wrap at every offset: each must still reach libslirp whole. */
    wrap_rounds(f, p, len, queued);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_library),
        cmocka_unit_test_setup_teardown(test_dhcp_offers_10_0_2_15, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_arp_for_gateway_and_dns, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_router_advertisement, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tcp_hostfwd_sends_syn, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_udp_hostfwd_delivers, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hostfwd_port_taken, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refused_frames_are_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_oversized_and_runt_frames, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tx_queue_full_then_ready, setup,
                                        teardown),
        cmocka_unit_test(test_caps),
    };
    return cmocka_run_group_tests_name("host/net_slirp", tests, NULL, NULL);
}
