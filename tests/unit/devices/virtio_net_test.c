/* virtio-net device model: frames through the fake driver against a fake
 * backend that records what it is given and fails on demand. test_a18_*,
 * test_a21_* and test_a22_* are the RELIABILITY.md (a) cases 18, 21, 22;
 * test_b9_* and test_b11_* the device's side of fault cases (b) 9 and 11
 * (the backend parks a frame; the backend fails). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/virtio/net.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define RXQ VIRTIO_NET_RXQ
#define TXQ VIRTIO_NET_TXQ
#define CTRLQ VIRTIO_NET_CTRLQ
#define NQ 3
#define QSIZE 16
#define RAM_SIZE (4 * 1024 * 1024)
#define HDR VIRTIO_NET_HDR_LEN
#define MAXREC 1024
#define GUARD 0xee
#define BIT(f) (1ULL << (f))

static const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb};

/* ---- fake backend ---- */

struct fbe {
    unsigned sends;               /* send() calls */
    unsigned nframes;             /* frames accepted */
    uint8_t seq[MAXREC];          /* first payload byte of each frame */
    uint8_t last[HDR + NETDEV_MAX_FRAME];
    size_t last_len;
    bool vnet_hdr;                /* frames carry a header */
    int fail_rc;                  /* after fail_skip more sends succeed, */
    unsigned fail_skip, fail_n;   /* the next fail_n return fail_rc */
    unsigned rx_ready;
    unsigned offload_calls;
    uint64_t offloads;
};

static int fbe_send(void *ctx, const struct iovec *iov, unsigned n)
{
    struct fbe *b = ctx;
    size_t len = 0;

    b->sends++;
    if (b->fail_n && b->fail_skip) {
        b->fail_skip--;
    } else if (b->fail_n) {
        b->fail_n--;
        return b->fail_rc;
    }
    for (unsigned i = 0; i < n; i++) {
        assert_true(iov[i].iov_len > 0);
        assert_true(len + iov[i].iov_len <= sizeof(b->last));
        memcpy(b->last + len, iov[i].iov_base, iov[i].iov_len);
        len += iov[i].iov_len;
    }
    b->last_len = len;
    if (b->nframes < MAXREC)
        b->seq[b->nframes] = b->last[(b->vnet_hdr ? HDR : 0) + 14];
    b->nframes++;
    return 0;
}

static void fbe_rx_ready(void *ctx)
{
    ((struct fbe *)ctx)->rx_ready++;
}

static void fbe_set_offloads(void *ctx, uint64_t offloads)
{
    struct fbe *b = ctx;

    b->offload_calls++;
    b->offloads = offloads;
}

static const struct netdev_ops fbe_ops = {
    .send = fbe_send,
    .rx_ready = fbe_rx_ready,
    .set_offloads = fbe_set_offloads,
};

/* ---- fixture ---- */

struct fx {
    struct fake_ram *ram;
    struct virtio_net *n;
    struct fbe be;
    struct fdrv_irqs irq;
    struct fdrv q[NQ];
    uint16_t qsize;
    uint16_t spare;               /* expect_frame()'s receive buffer */
    bool spare_posted;
};

#define ALL_OFFLOADS                                                           \
    (BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |                   \
     BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) |             \
     BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_GUEST_UFO) |               \
     BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) |               \
     BIT(VIRTIO_NET_F_HOST_ECN) | BIT(VIRTIO_NET_F_HOST_UFO))

/* A fresh driver: queues of f->qsize entries (the control queue at most
 * its maximum), each queue's rings 16 KiB apart and a third of the data
 * area each. */
static void drv_init(struct fx *f)
{
    gpa_t part = (RAM_SIZE - FDRV_DATA_BASE) / NQ;

    for (unsigned i = 0; i < NQ; i++) {
        uint16_t size = i == CTRLQ && f->qsize > VIRTIO_NET_CTRL_QUEUE_SIZE
                            ? VIRTIO_NET_CTRL_QUEUE_SIZE
                            : f->qsize;

        fdrv_init_at(&f->q[i], f->ram, size, FDRV_RING_BASE + 0x4000 * i);
        f->q[i].data_next = FDRV_DATA_BASE + part * i;
        f->q[i].data_end = FDRV_DATA_BASE + part * (i + 1);
    }
}

/* A device over (caps) with queues of (qsize) entries. */
static struct fx *fx_new(const struct netdev_caps *caps, uint16_t qsize)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    f->ram = fake_ram_new(RAM_SIZE, 0);
    f->n = test_calloc(1, sizeof(*f->n));
    f->qsize = qsize;
    f->be.vnet_hdr = caps && caps->vnet_hdr;
    assert_int_equal(virtio_net_init(f->n, &f->ram->gm, our_mac, &fbe_ops,
                                     &f->be, caps),
                     0);
    virtio_set_irq(&f->n->vdev, &fdrv_irq_ops, &f->irq);
    drv_init(f);
    return f;
}

static void fx_free(struct fx *f)
{
    fake_ram_free(f->ram);
    test_free(f->n);
    test_free(f);
}

static int setup(void **state)
{
    *state = fx_new(NULL, QSIZE);
    return 0;
}

static int setup_vnet(void **state)
{
    const struct netdev_caps caps = {.vnet_hdr = true,
                                     .offloads = ALL_OFFLOADS};

    *state = fx_new(&caps, QSIZE);
    return 0;
}

static int teardown(void **state)
{
    fx_free(*state);
    return 0;
}

/* What the transport does for a (new) driver accepting (features)
 * (VERSION_1 added), through the core: reset, negotiate, fresh rings. */
static void start(struct fx *f, uint64_t features)
{
    struct virtio_dev *v = &f->n->vdev;
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    features |= BIT(VIRTIO_F_VERSION_1);
    virtio_set_status(v, 0);
    drv_init(f);
    f->spare_posted = false;
    virtio_set_status(v, s);
    virtio_set_guest_features(v, 0, (uint32_t)features);
    virtio_set_guest_features(v, 1, (uint32_t)(features >> 32));
    virtio_set_status(v, s | VIRTIO_STATUS_FEATURES_OK);
    assert_true(v->status & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < NQ; q++) {
        fdrv_attach(&f->q[q], &v->vq[q]);
        assert_int_equal(virtio_queue_enable(v, q), 0);
    }
    virtio_set_status(v, s | VIRTIO_STATUS_FEATURES_OK |
                             VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_running(v));
}

/* Everything the device offers. */
static uint64_t offered(const struct fx *f)
{
    return f->n->vdev.host_features;
}

/* ---- frames ---- */

/* An Ethernet frame of (len) bytes at (p): (dst), our MAC as source,
 * ethertype 0x88b5 (local experimental), payload byte 0 = (seq). */
static void make_frame(uint8_t *p, size_t len, const uint8_t *dst,
                       uint8_t seq)
{
    memcpy(p, dst, 6);
    memcpy(p + 6, our_mac, 6);
    p[12] = 0x88;
    p[13] = 0xb5;
    for (size_t i = 14; i < len; i++)
        p[i] = (uint8_t)(i * 13 + seq);
    p[14] = seq;
}

static void put_hdr(uint8_t *h, uint8_t flags, uint8_t gso, uint16_t gso_size,
                    uint16_t start, uint16_t off)
{
    memset(h, 0, HDR);
    h[VIRTIO_NET_HDR_FLAGS] = flags;
    h[VIRTIO_NET_HDR_GSO_TYPE] = gso;
    le16_put(h, VIRTIO_NET_HDR_GSO_SIZE, gso_size);
    le16_put(h, VIRTIO_NET_HDR_CSUM_START, start);
    le16_put(h, VIRTIO_NET_HDR_CSUM_OFFSET, off);
}

/* Post a TX chain: the (HDR)-byte header (hdr) then (len) bytes of
 * (frame), in one buffer. Returns the head. */
static uint16_t tx_add(struct fx *f, const uint8_t *hdr, const uint8_t *frame,
                       uint32_t len)
{
    struct fdrv *d = &f->q[TXQ];
    gpa_t b = fdrv_alloc(d, HDR + len);

    memcpy(fdrv_ptr(d, b, HDR), hdr, HDR);
    memcpy(fdrv_ptr(d, b + HDR, len), frame, len);
    return fdrv_add(d, FDRV_OUT(b, HDR + len));
}

/* A plain frame with a zero header, (seq) in its payload. */
static uint16_t tx_plain(struct fx *f, uint32_t len, uint8_t seq)
{
    uint8_t h[HDR] = {0}, fr[1514];

    assert_true(len <= sizeof(fr));
    make_frame(fr, len, other_mac, seq);
    return tx_add(f, h, fr, len);
}

static void kick_tx(struct fx *f)
{
    virtio_notify(&f->n->vdev, TXQ);
}

/* Reap one used entry of (q): it must be (head) with (len). */
static void reap(struct fx *f, unsigned q, uint16_t head, uint32_t len)
{
    uint16_t id;
    uint32_t l;

    assert_true(fdrv_used(&f->q[q], &id, &l));
    assert_int_equal(id, head);
    assert_int_equal(l, len);
}

static void nothing_used(struct fx *f, unsigned q)
{
    assert_int_equal(fdrv_used_idx(&f->q[q]), f->q[q].last_used);
}

/* Post a receive buffer of (len) bytes, filled with GUARD, with (guard)
 * more GUARD bytes after it that must stay untouched. */
static gpa_t rx_post(struct fx *f, uint32_t len, uint32_t guard,
                     uint16_t *head)
{
    struct fdrv *d = &f->q[RXQ];
    gpa_t b = fdrv_alloc(d, len + guard);

    memset(fdrv_ptr(d, b, len + guard), GUARD, len + guard);
    *head = fdrv_add(d, FDRV_IN(b, len));
    return b;
}

static int rx_frame(struct fx *f, const uint8_t *frame, size_t len)
{
    struct iovec iov = {.iov_base = (void *)frame, .iov_len = len};

    return virtio_net_receive(f->n, &iov, 1);
}

/* A (len)-byte frame to (dst) with (seq), offered to the guest. */
static int rx_to(struct fx *f, const uint8_t *dst, size_t len, uint8_t seq)
{
    uint8_t fr[NETDEV_MAX_FRAME + 1];

    assert_true(len <= sizeof(fr));
    make_frame(fr, len, dst, seq);
    return rx_frame(f, fr, len);
}

static void assert_guard(struct fx *f, gpa_t at, uint32_t len)
{
    const uint8_t *p = fdrv_ptr(&f->q[RXQ], at, len);

    for (uint32_t i = 0; i < len; i++)
        assert_int_equal(p[i], GUARD);
}

/* ---- control queue ---- */

/* Send one command; returns the ack the device wrote. */
static uint8_t ctrl(struct fx *f, uint8_t cls, uint8_t cmd, const void *data,
                    uint32_t len)
{
    struct fdrv *d = &f->q[CTRLQ];
    gpa_t c = fdrv_alloc(d, 2 + len), ack = fdrv_alloc(d, 1);
    uint8_t *p = fdrv_ptr(d, c, 2 + len);
    uint16_t head;

    p[0] = cls;
    p[1] = cmd;
    if (len)
        memcpy(p + 2, data, len);
    *fdrv_ptr(d, ack, 1) = GUARD;
    head = fdrv_add(d, FDRV_OUT(c, 2 + len), FDRV_IN(ack, 1));
    virtio_notify(&f->n->vdev, CTRLQ);
    reap(f, CTRLQ, head, 1);
    return *fdrv_ptr(d, ack, 1);
}

static uint8_t ctrl_u8(struct fx *f, uint8_t cls, uint8_t cmd, uint8_t v)
{
    return ctrl(f, cls, cmd, &v, 1);
}

static uint8_t promisc(struct fx *f, bool on)
{
    return ctrl_u8(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, on);
}

/* MAC_TABLE_SET with (nu) unicast and (nm) multicast entries. */
static uint8_t mac_table(struct fx *f, const uint8_t (*uni)[6], uint32_t nu,
                         const uint8_t (*multi)[6], uint32_t nm)
{
    uint8_t buf[8 + 6 * 80];
    size_t at = 0;

    assert_true(nu + nm <= 80);
    le32_put(buf, at, nu);
    at += 4;
    if (nu)
        memcpy(buf + at, uni, 6 * nu);
    at += 6 * nu;
    le32_put(buf, at, nm);
    at += 4;
    if (nm)
        memcpy(buf + at, multi, 6 * nm);
    at += 6 * nm;
    return ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, buf,
                (uint32_t)at);
}

#define CTRL_FEATURES                                                          \
    (BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX) |                   \
     BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | BIT(VIRTIO_NET_F_CTRL_VLAN) |           \
     BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |      \
     BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS))

/* ================= features and config ================= */

static void test_features_without_vnet_hdr(void **state)
{
    struct fx *f = *state;
    uint64_t o = offered(f);

    assert_true(o & BIT(VIRTIO_F_VERSION_1));
    assert_true((o & (CTRL_FEATURES | BIT(VIRTIO_NET_F_CSUM) |
                      BIT(VIRTIO_NET_F_MRG_RXBUF))) ==
                (CTRL_FEATURES | BIT(VIRTIO_NET_F_CSUM) |
                 BIT(VIRTIO_NET_F_MRG_RXBUF)));
    assert_true(o & BIT(VIRTIO_F_EVENT_IDX));
    assert_true(o & BIT(VIRTIO_F_INDIRECT_DESC));
    /* no headers from the backend: no GSO either way, no guest offloads */
    assert_false(o & (ALL_OFFLOADS & ~BIT(VIRTIO_NET_F_CSUM)));
    assert_false(o & BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    assert_false(o & BIT(VIRTIO_NET_F_MQ));
    assert_false(o & BIT(VIRTIO_NET_F_MTU));
    assert_int_equal(f->n->vdev.device_id, VIRTIO_ID_NET);
    assert_int_equal(f->n->vdev.nqueues, 3);
}

static void test_features_with_vnet_hdr(void **state)
{
    struct fx *f = *state;
    const struct netdev_caps some = {
        .vnet_hdr = true,
        .offloads = BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO4),
    };
    const struct netdev_caps no_hdr = {.offloads = ALL_OFFLOADS};
    const struct netdev_ops no_hook = {.send = fbe_send};
    struct virtio_net *n = f->n;

    assert_true((offered(f) & ALL_OFFLOADS) == ALL_OFFLOADS);
    assert_true(offered(f) & BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    /* TSO without the checksum offloads it depends on is not offered */
    assert_int_equal(virtio_net_init(n, &f->ram->gm, our_mac, &fbe_ops,
                                     &f->be, &some),
                     0);
    assert_false(n->vdev.host_features & ALL_OFFLOADS & ~BIT(VIRTIO_NET_F_CSUM));
    assert_false(n->vdev.host_features &
                 BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    /* offloads without headers mean nothing */
    assert_int_equal(virtio_net_init(n, &f->ram->gm, our_mac, &fbe_ops,
                                     &f->be, &no_hdr),
                     0);
    assert_false(n->vdev.host_features & BIT(VIRTIO_NET_F_GUEST_CSUM));
    /* no set_offloads hook: the guest may not pick receive offloads */
    assert_int_equal(virtio_net_init(n, &f->ram->gm, our_mac, &no_hook,
                                     &f->be, &(struct netdev_caps){
                                         .vnet_hdr = true,
                                         .offloads = ALL_OFFLOADS}),
                     0);
    assert_false(n->vdev.host_features & BIT(VIRTIO_NET_F_GUEST_CSUM));
    assert_true(n->vdev.host_features & BIT(VIRTIO_NET_F_HOST_TSO4));
}

static void test_init_refuses_bad_args(void **state)
{
    struct fx *f = *state;
    const uint8_t mc[6] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06};
    const struct netdev_ops no_send = {.rx_ready = fbe_rx_ready};

    assert_int_equal(virtio_net_init(f->n, &f->ram->gm, mc, &fbe_ops, &f->be,
                                     NULL),
                     -EINVAL);
    assert_int_equal(virtio_net_init(f->n, &f->ram->gm, our_mac, &no_send,
                                     &f->be, NULL),
                     -EINVAL);
}

static void test_config_mac_status(void **state)
{
    struct fx *f = *state;
    struct virtio_dev *v = &f->n->vdev;
    uint8_t b[8], mac[6];

    assert_int_equal(v->config_len, VIRTIO_NET_CFG_LEN);
    for (unsigned i = 0; i < 6; i++) {
        virtio_config_read(v, VIRTIO_NET_CFG_MAC + i, b, 1);
        assert_int_equal(b[0], our_mac[i]);
    }
    virtio_config_read(v, VIRTIO_NET_CFG_STATUS, b, 2);
    assert_int_equal(le16_get(b, 0), VIRTIO_NET_S_LINK_UP);
    virtio_config_read(v, VIRTIO_NET_CFG_MAX_VQ_PAIRS, b, 2);
    assert_int_equal(le16_get(b, 0), 1);
    virtio_config_read(v, VIRTIO_NET_CFG_MTU, b, 2);
    assert_int_equal(le16_get(b, 0), 0);
    /* writes are ignored: the MAC changes only over the control queue */
    memset(b, 0x22, sizeof(b));
    virtio_config_write(v, 0, b, 4);
    virtio_config_read(v, 0, b, 4);
    assert_memory_equal(b, our_mac, 4);
    virtio_net_mac(f->n, mac);
    assert_memory_equal(mac, our_mac, 6);
}

static void test_link_change_config_irq(void **state)
{
    struct fx *f = *state;
    struct virtio_dev *v = &f->n->vdev;
    uint8_t gen, b[2];

    start(f, CTRL_FEATURES);
    gen = v->config_generation;
    virtio_net_set_link(f->n, false);
    assert_int_equal(f->irq.config, 1);
    assert_int_equal((uint8_t)(v->config_generation - gen), 1);
    virtio_config_read(v, VIRTIO_NET_CFG_STATUS, b, 2);
    assert_int_equal(le16_get(b, 0), 0);
    virtio_net_set_link(f->n, false);          /* no change, no interrupt */
    assert_int_equal(f->irq.config, 1);
    /* back up, with GUEST_ANNOUNCE: the driver is asked to announce */
    virtio_net_set_link(f->n, true);
    assert_int_equal(f->irq.config, 2);
    virtio_config_read(v, VIRTIO_NET_CFG_STATUS, b, 2);
    assert_int_equal(le16_get(b, 0),
                     VIRTIO_NET_S_LINK_UP | VIRTIO_NET_S_ANNOUNCE);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_ANNOUNCE,
                          VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
                     VIRTIO_NET_OK);
    virtio_config_read(v, VIRTIO_NET_CFG_STATUS, b, 2);
    assert_int_equal(le16_get(b, 0), VIRTIO_NET_S_LINK_UP);
}

/* Link down: frames are neither sent nor delivered, the TX ring still
 * drains (dropped and counted), and the link survives a reset. */
static void test_link_down_no_frames(void **state)
{
    struct fx *f = *state;
    uint16_t rh, th;

    start(f, 0);
    virtio_net_set_link(f->n, false);
    rx_post(f, 2048, 0, &rh);
    assert_int_equal(rx_to(f, our_mac, 60, 1), -EIO);
    nothing_used(f, RXQ);
    th = tx_plain(f, 60, 1);
    kick_tx(f);
    assert_int_equal(f->be.sends, 0);
    reap(f, TXQ, th, 0);
    assert_int_equal(f->n->stats.tx_dropped, 1);
    virtio_set_status(&f->n->vdev, 0);
    assert_false(f->n->status & VIRTIO_NET_S_LINK_UP);
    /* no announcement without the feature */
    start(f, 0);
    virtio_net_set_link(f->n, true);
    assert_int_equal(f->n->status, VIRTIO_NET_S_LINK_UP);
}

/* ================= transmit ================= */

static void test_tx_strips_header(void **state)
{
    struct fx *f = *state;
    uint8_t fr[100];
    uint16_t head;

    start(f, 0);
    make_frame(fr, sizeof(fr), other_mac, 7);
    head = tx_plain(f, sizeof(fr), 7);
    kick_tx(f);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->be.last_len, sizeof(fr));
    assert_memory_equal(f->be.last, fr, sizeof(fr));
    reap(f, TXQ, head, 0);
    assert_int_equal(f->irq.queue[TXQ], 1);
    assert_int_equal(f->n->stats.tx_frames, 1);
    assert_int_equal(f->n->stats.tx_bytes, sizeof(fr));
    assert_false(virtio_net_tx_pending(f->n));
}

/* Framing does not depend on descriptors (2.6.4): a header split 5 + 7,
 * the frame in pieces, through an indirect table. */
static void test_tx_split_header_indirect(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    gpa_t b = fdrv_alloc(d, HDR + 200);
    uint8_t *p = fdrv_ptr(d, b, HDR + 200);
    uint16_t head;

    start(f, BIT(VIRTIO_F_INDIRECT_DESC));
    memset(p, 0, HDR);
    make_frame(p + HDR, 200, other_mac, 3);
    head = fdrv_add_ind(d, FDRV_OUT(b, 5), FDRV_OUT(b + 5, 7),
                        FDRV_OUT(b + 12, 1), FDRV_OUT(b + 13, 150),
                        FDRV_OUT(b + 163, 49));
    kick_tx(f);
    assert_int_equal(f->be.last_len, 200);
    assert_memory_equal(f->be.last, p + HDR, 200);
    reap(f, TXQ, head, 0);
}

/* ---- checksums: real IPv4 TCP and UDP frames ---- */

/* RFC 1071, written out plainly as the reference. */
static uint16_t ref_csum(const uint8_t *p, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The pseudo-header sum (not complemented) for (proto) over (l4len). */
static uint32_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4len)
{
    uint32_t s = 0;

    for (unsigned i = 12; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    return s + proto + l4len;
}

/* An IPv4 frame carrying (proto) with (plen) payload bytes; its L4
 * checksum field holds the folded pseudo-header sum, as a driver leaves
 * it for NEEDS_CSUM. Returns the frame length; (*csum_off) the field's
 * offset from the L4 header. */
static size_t make_ip_frame(uint8_t *fr, uint8_t proto, size_t plen,
                            uint16_t *csum_off)
{
    size_t l4hdr = proto == 6 ? 20 : 8, l4len = l4hdr + plen;
    uint8_t *ip = fr + 14, *l4 = ip + 20;
    uint32_t ps;

    make_frame(fr, 14 + 20 + l4len, other_mac, 0);
    fr[12] = 0x08;
    fr[13] = 0x00;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    le16_put(ip, 2, 0);
    ip[2] = (uint8_t)((20 + l4len) >> 8);
    ip[3] = (uint8_t)(20 + l4len);
    ip[8] = 64;
    ip[9] = proto;
    memcpy(ip + 12, (const uint8_t[]){10, 0, 2, 15, 10, 0, 2, 2}, 8);
    memset(l4, 0, l4hdr);
    l4[0] = 0x9c;                      /* ports 40000 -> 80 */
    l4[1] = 0x40;
    l4[3] = 80;
    if (proto == 6) {
        l4[12] = 5 << 4;
        l4[13] = 0x18;                 /* PSH ACK */
        *csum_off = 16;
    } else {
        l4[4] = (uint8_t)(l4len >> 8);
        l4[5] = (uint8_t)l4len;
        *csum_off = 6;
    }
    for (size_t i = 0; i < plen; i++)
        l4[l4hdr + i] = (uint8_t)(i * 7 + 1);
    ps = pseudo_sum(ip, proto, (uint16_t)l4len);
    while (ps >> 16)
        ps = (ps & 0xffff) + (ps >> 16);
    l4[*csum_off] = (uint8_t)(ps >> 8);
    l4[*csum_off + 1] = (uint8_t)ps;
    return 14 + 20 + l4len;
}

/* Send (proto) with NEEDS_CSUM; the backend's frame carries the checksum
 * the reference computes, a receiver's check passes, and the guest's
 * buffer (read-only for the device) is unchanged. The checksum field is
 * split across two descriptors to make it harder. */
static void csum_case(struct fx *f, uint8_t proto, size_t plen)
{
    struct fdrv *d = &f->q[TXQ];
    uint8_t fr[1600], h[HDR], copy[1600];
    uint16_t off, got, want;
    size_t len = make_ip_frame(fr, proto, plen, &off);
    uint32_t at = 34 + off + 1;        /* split inside the field */
    gpa_t b = fdrv_alloc(d, HDR + (uint32_t)len);
    const uint8_t *l4 = f->be.last + 34;
    uint16_t head;

    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, off);
    memcpy(fdrv_ptr(d, b, HDR), h, HDR);
    memcpy(fdrv_ptr(d, b + HDR, len), fr, len);
    memcpy(copy, fr, len);
    head = fdrv_add(d, FDRV_OUT(b, HDR + at),
                    FDRV_OUT(b + HDR + at, (uint32_t)len - at));
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->be.last_len, len);
    got = (uint16_t)(l4[off] << 8 | l4[off + 1]);
    memset(fr + 34 + off, 0, 2);
    want = ref_csum(fr + 34, len - 34,
                    pseudo_sum(fr + 14, proto, (uint16_t)(len - 34)));
    assert_int_equal(got, want ? want : 0xffff);
    /* the receiver's view: everything sums to all ones */
    assert_int_equal(ref_csum(l4, len - 34,
                              pseudo_sum(fr + 14, proto,
                                         (uint16_t)(len - 34))),
                     0);
    /* the guest's buffer is untouched; only the checksum differs */
    assert_memory_equal(fdrv_ptr(d, b + HDR, len), copy, len);
    memcpy(copy + 34 + off, l4 + off, 2);
    assert_memory_equal(f->be.last, copy, len);
}

static void test_tx_csum_completion_tcp_udp(void **state)
{
    struct fx *f = *state;

    start(f, BIT(VIRTIO_NET_F_CSUM));
    csum_case(f, 6, 1000);
    csum_case(f, 6, 333);              /* odd length */
    csum_case(f, 17, 512);
    csum_case(f, 17, 1);
    assert_int_equal(f->n->stats.tx_frames, 4);
    assert_int_equal(f->n->stats.tx_errors, 0);
}

/* A backend that takes headers but not CSUM gets finished frames and a
 * header that asks for nothing. */
static void test_tx_csum_for_vnet_backend_without_csum(void **state)
{
    const struct netdev_caps caps = {.vnet_hdr = true, .offloads = 0};
    struct fx *f = fx_new(&caps, QSIZE);
    uint8_t fr[200], h[HDR];
    const uint8_t *got = f->be.last;
    uint16_t off;
    size_t len = make_ip_frame(fr, 17, 100, &off);

    uint16_t head;

    (void)state;
    assert_true(f->n->sw_csum);
    start(f, BIT(VIRTIO_NET_F_CSUM));
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, off);
    head = tx_add(f, h, fr, (uint32_t)len);
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->be.last_len, HDR + len);
    assert_int_equal(got[VIRTIO_NET_HDR_FLAGS], 0);
    assert_int_equal(le16_get(got, VIRTIO_NET_HDR_CSUM_START), 0);
    assert_int_equal(le16_get(got, VIRTIO_NET_HDR_CSUM_OFFSET), 0);
    assert_int_equal(ref_csum(got + HDR + 34, len - 34,
                              pseudo_sum(fr + 14, 17, (uint16_t)(len - 34))),
                     0);
    fx_free(f);
}

/* Without header offloads GSO cannot be negotiated; a GSO frame is
 * refused, never sent. */
static void test_tx_gso_refused_without_offload(void **state)
{
    struct fx *f = *state;
    uint8_t fr[100], h[HDR];
    uint16_t head;

    start(f, BIT(VIRTIO_NET_F_CSUM));
    make_frame(fr, sizeof(fr), other_mac, 1);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448,
            34, 16);
    head = tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    assert_int_equal(f->be.sends, 0);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->n->stats.tx_errors, 1);
    /* NEEDS_CSUM without CSUM negotiated is refused too */
    start(f, 0);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 14, 2);
    tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    assert_int_equal(f->be.sends, 0);
    assert_int_equal(f->n->stats.tx_errors, 2);
}

/* With a header-taking backend the guest's header goes through as it
 * wrote it, GSO and partial checksum included. */
static void test_tx_passthrough_vnet_hdr(void **state)
{
    struct fx *f = *state;
    uint8_t fr[1000], h[HDR];
    uint16_t head;

    start(f, BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
                 BIT(VIRTIO_NET_F_HOST_ECN));
    make_frame(fr, sizeof(fr), other_mac, 9);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM,
            VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 500, 34, 16);
    le16_put(h, VIRTIO_NET_HDR_HDR_LEN, 66);
    head = tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->be.last_len, HDR + sizeof(fr));
    assert_memory_equal(f->be.last, h, HDR);
    assert_memory_equal(f->be.last + HDR, fr, sizeof(fr));
    assert_int_equal(f->n->stats.tx_bytes, sizeof(fr));
    /* not negotiated: TSO6 */
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 500, 54,
            16);
    tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->n->stats.tx_errors, 1);
}

static void test_tx_budget(void **state)
{
    struct fx *f = fx_new(NULL, 256);
    uint16_t id;
    uint32_t len;
    unsigned used = 0;

    (void)state;
    start(f, 0);
    for (unsigned i = 0; i < 200; i++)
        tx_plain(f, 60, (uint8_t)i);
    kick_tx(f);
    assert_int_equal(f->be.nframes, VIRTIO_NET_TX_BUDGET);
    assert_true(virtio_net_tx_pending(f->n));
    virtio_net_tx(f->n);
    assert_int_equal(f->be.nframes, 200);
    assert_false(virtio_net_tx_pending(f->n));
    while (fdrv_used(&f->q[TXQ], &id, &len))
        used++;
    assert_int_equal(used, 200);
    for (unsigned i = 0; i < 200; i++)
        assert_int_equal(f->be.seq[i], (uint8_t)i);
    fx_free(f);
}

/* -EAGAIN keeps the frame in flight; nothing overtakes it, kicks do not
 * retry it, and the backend's tx_ready resumes with it. */
static void test_b9_tx_eagain_parks_frame_in_order(void **state)
{
    struct fx *f = *state;
    struct virtq *q = &f->n->vdev.vq[TXQ];
    uint16_t h[4];

    start(f, 0);
    for (unsigned i = 0; i < 4; i++)
        h[i] = tx_plain(f, 60, (uint8_t)i);
    f->be.fail_rc = -EAGAIN;
    f->be.fail_skip = 1;              /* frame 0 goes, frame 1 waits twice */
    f->be.fail_n = 2;
    kick_tx(f);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->be.sends, 2);
    assert_int_equal(f->n->stats.tx_eagain, 1);
    reap(f, TXQ, h[0], 0);
    nothing_used(f, TXQ);
    assert_int_equal(virtq_inflight(q), 1);
    assert_false(virtio_net_tx_pending(f->n));
    kick_tx(f);                       /* blocked: the backend speaks next */
    virtio_net_tx(f->n);
    assert_int_equal(f->be.sends, 2);
    virtio_net_tx_ready(f->n);        /* still full */
    assert_int_equal(f->be.sends, 3);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->n->stats.tx_eagain, 2);
    nothing_used(f, TXQ);
    virtio_net_tx_ready(f->n);
    assert_int_equal(f->be.nframes, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(f->be.seq[i], i);
    for (unsigned i = 1; i < 4; i++)
        reap(f, TXQ, h[i], 0);
    assert_int_equal(f->n->stats.tx_frames, 4);
    assert_int_equal(virtq_inflight(q), 0);
}

static void test_b11_tx_backend_error_drops_and_counts(void **state)
{
    struct fx *f = *state;
    uint16_t h1, h2;

    start(f, 0);
    h1 = tx_plain(f, 60, 1);
    h2 = tx_plain(f, 60, 2);
    f->be.fail_rc = -EIO;
    f->be.fail_n = 1;
    kick_tx(f);
    reap(f, TXQ, h1, 0);
    reap(f, TXQ, h2, 0);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->be.seq[0], 2);
    assert_int_equal(f->n->stats.tx_dropped, 1);
    assert_int_equal(f->n->stats.tx_frames, 1);
    assert_true(virtio_running(&f->n->vdev));
}

/* A writable buffer on the transmitq is never written; the chain is
 * answered with used.len 0 and counted. */
static void test_tx_writable_chain_refused(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    gpa_t b = fdrv_alloc(d, 200), w = fdrv_alloc(d, 64);
    uint16_t head;

    start(f, 0);
    memset(fdrv_ptr(d, b, 200), 0, 200);
    memset(fdrv_ptr(d, w, 64), GUARD, 64);
    head = fdrv_add(d, FDRV_OUT(b, 200), FDRV_IN(w, 64));
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->be.sends, 0);
    assert_int_equal(f->n->stats.tx_errors, 1);
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(fdrv_ptr(d, w, 64)[i], GUARD);
}

static void test_tx_bad_ring_needs_reset(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    fdrv_publish(&f->q[TXQ], QSIZE);   /* avail entry >= size */
    kick_tx(f);
    assert_true(f->n->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->irq.config, 1);
    assert_int_equal(f->be.sends, 0);
    assert_int_equal(rx_to(f, our_mac, 60, 0), -EIO);
}

/* ================= receive ================= */

static void test_rx_single(void **state)
{
    struct fx *f = *state;
    uint8_t fr[300];
    uint16_t head;
    gpa_t b;
    const uint8_t *p;

    start(f, 0);
    b = rx_post(f, 1526, 16, &head);
    virtio_notify(&f->n->vdev, RXQ);
    assert_int_equal(f->be.rx_ready, 0);     /* nothing was refused */
    make_frame(fr, sizeof(fr), our_mac, 5);
    assert_int_equal(rx_frame(f, fr, sizeof(fr)), 0);
    reap(f, RXQ, head, HDR + sizeof(fr));
    p = fdrv_ptr(&f->q[RXQ], b, HDR + sizeof(fr));
    for (unsigned i = 0; i < HDR; i++)
        assert_int_equal(p[i], i == VIRTIO_NET_HDR_NUM_BUFFERS ? 1 : 0);
    assert_memory_equal(p + HDR, fr, sizeof(fr));
    assert_guard(f, b + HDR + sizeof(fr), 1526 - HDR - sizeof(fr) + 16);
    assert_int_equal(f->irq.queue[RXQ], 1);
    assert_int_equal(f->n->stats.rx_frames, 1);
    assert_int_equal(f->n->stats.rx_bytes, sizeof(fr));
}

/* A 1500-byte frame over three 600-byte buffers: num_buffers 3 in the
 * first header, the bytes in order across them. */
static void test_rx_mergeable_three_buffers(void **state)
{
    struct fx *f = *state;
    uint8_t fr[1500], got[HDR + 1500];
    uint16_t h[4];
    gpa_t b[4];

    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    for (unsigned i = 0; i < 4; i++)
        b[i] = rx_post(f, 600, 0, &h[i]);
    make_frame(fr, sizeof(fr), our_mac, 1);
    assert_int_equal(rx_frame(f, fr, sizeof(fr)), 0);
    reap(f, RXQ, h[0], 600);
    reap(f, RXQ, h[1], 600);
    reap(f, RXQ, h[2], HDR + 1500 - 1200);
    nothing_used(f, RXQ);
    memcpy(got, fdrv_ptr(&f->q[RXQ], b[0], 600), 600);
    memcpy(got + 600, fdrv_ptr(&f->q[RXQ], b[1], 600), 600);
    memcpy(got + 1200, fdrv_ptr(&f->q[RXQ], b[2], HDR + 300), HDR + 300);
    assert_int_equal(le16_get(got, VIRTIO_NET_HDR_NUM_BUFFERS), 3);
    assert_memory_equal(got + HDR, fr, sizeof(fr));
    assert_int_equal(f->irq.queue[RXQ], 1);
    /* the fourth buffer takes the next frame alone */
    assert_int_equal(rx_to(f, our_mac, 100, 2), 0);
    reap(f, RXQ, h[3], HDR + 100);
    assert_int_equal(le16_get(fdrv_ptr(&f->q[RXQ], b[3], HDR),
                              VIRTIO_NET_HDR_NUM_BUFFERS),
                     1);
}

/* The ring runs dry in the middle of a frame: nothing is used, the
 * buffers stay available, -ENOBUFS is counted, the kick that posts more
 * buffers calls rx_ready, and the frame then arrives whole. */
static void test_rx_ring_dry_mid_frame(void **state)
{
    struct fx *f = *state;
    uint8_t fr[1500];
    uint16_t h[4];
    gpa_t b[3];

    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_F_EVENT_IDX));
    f->q[RXQ].event_idx = true;
    b[0] = rx_post(f, 600, 0, &h[0]);
    b[1] = rx_post(f, 600, 0, &h[1]);
    make_frame(fr, sizeof(fr), our_mac, 4);
    assert_int_equal(rx_frame(f, fr, sizeof(fr)), -ENOBUFS);
    nothing_used(f, RXQ);
    assert_int_equal(virtq_inflight(&f->n->vdev.vq[RXQ]), 0);
    assert_int_equal(f->n->stats.rx_nobuf, 1);
    assert_int_equal(f->n->stats.rx_frames, 0);
    assert_int_equal(f->irq.queue[RXQ], 0);
    /* tried again before any new buffer: still refused, same buffers */
    assert_int_equal(rx_frame(f, fr, sizeof(fr)), -ENOBUFS);
    assert_int_equal(f->n->stats.rx_nobuf, 2);
    (void)fdrv_kick(&f->q[RXQ]);
    b[2] = rx_post(f, 600, 0, &h[2]);
    assert_true(fdrv_kick(&f->q[RXQ]));  /* the driver does notify */
    virtio_notify(&f->n->vdev, RXQ);
    assert_int_equal(f->be.rx_ready, 1);
    virtio_notify(&f->n->vdev, RXQ);     /* owed once, told once */
    assert_int_equal(f->be.rx_ready, 1);
    assert_int_equal(rx_frame(f, fr, sizeof(fr)), 0);
    reap(f, RXQ, h[0], 600);
    reap(f, RXQ, h[1], 600);
    reap(f, RXQ, h[2], HDR + 300);
    assert_int_equal(le16_get(fdrv_ptr(&f->q[RXQ], b[0], HDR),
                              VIRTIO_NET_HDR_NUM_BUFFERS),
                     3);
    assert_memory_equal(fdrv_ptr(&f->q[RXQ], b[0] + HDR, 600 - HDR), fr,
                        600 - HDR);
    assert_memory_equal(fdrv_ptr(&f->q[RXQ], b[2], 300), fr + 1200 - HDR,
                        300);
    /* and the next one works */
    rx_post(f, 600, 0, &h[3]);
    assert_int_equal(rx_to(f, our_mac, 64, 9), 0);
    reap(f, RXQ, h[3], HDR + 64);
}

/* Without MRG_RXBUF a frame must fit one chain: too small, the frame is
 * dropped and counted, the buffer stays for a frame that fits. */
static void test_rx_nonmergeable_too_small(void **state)
{
    struct fx *f = *state;
    uint16_t h;
    gpa_t b;

    start(f, 0);
    b = rx_post(f, 100, 32, &h);
    assert_int_equal(rx_to(f, our_mac, 200, 1), -EINVAL);
    assert_int_equal(f->n->stats.rx_errors, 1);
    nothing_used(f, RXQ);
    assert_guard(f, b + 100, 32);
    assert_int_equal(rx_to(f, our_mac, 100 - HDR, 2), 0);
    reap(f, RXQ, h, 100);
    assert_guard(f, b + 100, 32);
}

/* MRG_RXBUF, and the whole ring cannot hold the frame: dropped, not
 * "no buffers" forever. */
static void test_rx_frame_bigger_than_whole_ring(void **state)
{
    struct fx *f = *state;
    uint16_t h;

    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    for (unsigned i = 0; i < QSIZE; i++)
        rx_post(f, 64, 0, &h);
    assert_int_equal(rx_to(f, our_mac, 1500, 0), -EINVAL);
    assert_int_equal(f->n->stats.rx_errors, 1);
    nothing_used(f, RXQ);
    assert_int_equal(rx_to(f, our_mac, 60, 0), 0);
}

/* Frames the device cannot deliver at all. */
static void test_rx_bad_frames(void **state)
{
    struct fx *f = *state;
    uint8_t fr[20] = {0};
    uint16_t h;

    assert_int_equal(rx_frame(f, fr, 20), -EIO);   /* not running */
    start(f, 0);
    rx_post(f, 2048, 0, &h);
    assert_int_equal(rx_frame(f, fr, 13), -EINVAL);  /* no Ethernet header */
    assert_int_equal(rx_to(f, our_mac, NETDEV_MAX_FRAME + 1, 0), -EINVAL);
    assert_int_equal(f->n->stats.rx_errors, 2);
    nothing_used(f, RXQ);
}

/* Frame in several host pieces, header from a header-taking backend:
 * the header is the backend's, num_buffers the device's. */
static void test_rx_vnet_hdr_passthrough(void **state)
{
    struct fx *f = *state;
    uint8_t h[HDR], fr[400];
    struct iovec iov[3] = {
        {.iov_base = h, .iov_len = HDR},
        {.iov_base = fr, .iov_len = 100},
        {.iov_base = fr + 100, .iov_len = 300},
    };
    uint16_t head;
    gpa_t b;

    start(f, BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4));
    assert_int_equal(f->be.offloads, BIT(VIRTIO_NET_F_GUEST_CSUM) |
                                         BIT(VIRTIO_NET_F_GUEST_TSO4));
    make_frame(fr, sizeof(fr), our_mac, 3);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448,
            34, 16);
    b = rx_post(f, 2048, 0, &head);
    assert_int_equal(virtio_net_receive(f->n, iov, 3), 0);
    reap(f, RXQ, head, HDR + sizeof(fr));
    assert_memory_equal(fdrv_ptr(&f->q[RXQ], b, 10), h, 10);
    assert_int_equal(le16_get(fdrv_ptr(&f->q[RXQ], b, HDR),
                              VIRTIO_NET_HDR_NUM_BUFFERS),
                     1);
    assert_memory_equal(fdrv_ptr(&f->q[RXQ], b + HDR, sizeof(fr)), fr,
                        sizeof(fr));
    /* a GSO type the driver did not take is not delivered */
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1448,
            54, 16);
    assert_int_equal(virtio_net_receive(f->n, iov, 3), -EINVAL);
    /* nor a partial checksum past the frame */
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 399, 0);
    assert_int_equal(virtio_net_receive(f->n, iov, 3), -EINVAL);
    assert_int_equal(f->n->stats.rx_errors, 2);
    /* a header shorter than 12 bytes is not a frame */
    assert_int_equal(virtio_net_receive(f->n, iov, 1), -EINVAL);
}

/* Without GUEST_CSUM the guest gets flags 0 (5.1.6.4.1): DATA_VALID is
 * dropped, NEEDS_CSUM cannot be delivered. */
static void test_rx_vnet_hdr_without_guest_csum(void **state)
{
    struct fx *f = *state;
    uint8_t h[HDR], fr[100];
    struct iovec iov[2] = {
        {.iov_base = h, .iov_len = HDR},
        {.iov_base = fr, .iov_len = sizeof(fr)},
    };
    uint16_t head;
    gpa_t b;

    start(f, 0);
    assert_int_equal(f->be.offloads, 0);
    assert_int_equal(f->be.offload_calls, 1);
    make_frame(fr, sizeof(fr), our_mac, 3);
    put_hdr(h, VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0);
    b = rx_post(f, 2048, 0, &head);
    assert_int_equal(virtio_net_receive(f->n, iov, 2), 0);
    reap(f, RXQ, head, HDR + sizeof(fr));
    assert_int_equal(fdrv_ptr(&f->q[RXQ], b, 1)[0], 0);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 14, 2);
    assert_int_equal(virtio_net_receive(f->n, iov, 2), -EINVAL);
}

/* ================= receive filter ================= */

/* Offer (frame, len): it must be delivered into a fresh buffer, or be
 * filtered out (counted, no buffer used, the buffer kept for next time). */
static void expect_frame(struct fx *f, const uint8_t *frame, size_t len,
                         bool delivered)
{
    uint64_t filtered = f->n->stats.rx_filtered;

    if (!f->spare_posted) {
        rx_post(f, 2048, 0, &f->spare);
        f->spare_posted = true;
    }
    assert_int_equal(rx_frame(f, frame, len), 0);
    if (delivered) {
        reap(f, RXQ, f->spare, (uint32_t)(HDR + len));
        f->spare_posted = false;
    } else {
        nothing_used(f, RXQ);
    }
    assert_int_equal(f->n->stats.rx_filtered, filtered + !delivered);
}

static void expect_rx(struct fx *f, const uint8_t *dst, bool delivered)
{
    uint8_t fr[60];

    make_frame(fr, sizeof(fr), dst, 0);
    expect_frame(f, fr, sizeof(fr), delivered);
}

/* Switch receive mode (cmd) (VIRTIO_NET_CTRL_RX_*) on or off. */
static void set_mode(struct fx *f, uint8_t cmd, bool on)
{
    assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_RX, cmd, on), VIRTIO_NET_OK);
}

static void test_filter_default_promiscuous(void **state)
{
    struct fx *f = *state;

    start(f, CTRL_FEATURES);
    expect_rx(f, other_mac, true);
    expect_rx(f, mcast, true);
}

static void test_filter_unicast_broadcast(void **state)
{
    struct fx *f = *state;

    start(f, CTRL_FEATURES);
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, false);
    expect_rx(f, other_mac, false);
    expect_rx(f, our_mac, true);
    expect_rx(f, bcast, true);
    set_mode(f, VIRTIO_NET_CTRL_RX_NOBCAST, true);
    expect_rx(f, bcast, false);
    /* ALLUNI passes any unicast, NOUNI none (even ours) */
    set_mode(f, VIRTIO_NET_CTRL_RX_ALLUNI, true);
    expect_rx(f, other_mac, true);
    set_mode(f, VIRTIO_NET_CTRL_RX_NOUNI, true);
    expect_rx(f, our_mac, false);
    /* promiscuous beats all of them */
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, true);
    expect_rx(f, our_mac, true);
    expect_rx(f, bcast, true);
}

static void test_filter_multicast_tables(void **state)
{
    struct fx *f = *state;
    const uint8_t uni[1][6] = {{0x52, 0x54, 0x00, 0x99, 0x99, 0x99}};
    uint8_t many[40][6];

    start(f, CTRL_FEATURES);
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, false);
    expect_rx(f, mcast, false);
    expect_rx(f, uni[0], false);
    assert_int_equal(mac_table(f, uni, 1, (const uint8_t(*)[6])mcast, 1),
                     VIRTIO_NET_OK);
    expect_rx(f, mcast, true);
    expect_rx(f, uni[0], true);
    /* NOMULTI beats the table; ALLMULTI passes any */
    set_mode(f, VIRTIO_NET_CTRL_RX_NOMULTI, true);
    expect_rx(f, mcast, false);
    set_mode(f, VIRTIO_NET_CTRL_RX_NOMULTI, false);
    assert_int_equal(mac_table(f, NULL, 0, NULL, 0), VIRTIO_NET_OK);
    expect_rx(f, mcast, false);
    set_mode(f, VIRTIO_NET_CTRL_RX_ALLMULTI, true);
    expect_rx(f, mcast, true);
    set_mode(f, VIRTIO_NET_CTRL_RX_ALLMULTI, false);
    /* more multicast addresses than fit: all multicast passes */
    for (unsigned i = 0; i < 40; i++) {
        memcpy(many[i], mcast, 6);
        many[i][5] = (uint8_t)i;
    }
    assert_int_equal(mac_table(f, NULL, 0, (const uint8_t(*)[6])many, 40),
                     VIRTIO_NET_OK);
    assert_true(f->n->filter.multi_overflow);
    expect_rx(f, mcast, true);
    expect_rx(f, uni[0], false);
}

/* With CTRL_VLAN, tagged frames pass only for VLANs the driver added
 * (when not promiscuous); untagged frames are not VLAN-filtered. */
static void test_filter_vlan(void **state)
{
    struct fx *f = *state;
    uint8_t fr[64], vid[2];

    start(f, CTRL_FEATURES);
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, false);
    make_frame(fr, sizeof(fr), our_mac, 0);
    fr[12] = 0x81;
    fr[13] = 0x00;
    fr[14] = 0x20;                 /* PCP 1, VID 5 */
    fr[15] = 0x05;
    expect_frame(f, fr, sizeof(fr), false);
    le16_put(vid, 0, 5);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD,
                          vid, 2),
                     VIRTIO_NET_OK);
    expect_frame(f, fr, sizeof(fr), true);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_DEL,
                          vid, 2),
                     VIRTIO_NET_OK);
    expect_frame(f, fr, sizeof(fr), false);
    expect_rx(f, our_mac, true);   /* untagged */
    /* without CTRL_VLAN every VLAN passes */
    start(f, CTRL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_VLAN));
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, false);
    expect_frame(f, fr, sizeof(fr), true);
}

/* ================= control queue ================= */

static void test_ctrl_rx_commands(void **state)
{
    struct fx *f = *state;
    bool *flags[] = {&f->n->filter.promisc, &f->n->filter.allmulti,
                     &f->n->filter.alluni, &f->n->filter.nomulti,
                     &f->n->filter.nouni, &f->n->filter.nobcast};
    uint8_t two[2] = {1, 1};

    start(f, CTRL_FEATURES);
    for (uint8_t c = 0; c < 6; c++) {
        bool was = *flags[c];

        assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_RX, c, !was),
                         VIRTIO_NET_OK);
        assert_int_equal(*flags[c], !was);
        assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_RX, c, 2), VIRTIO_NET_ERR);
        assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_RX, c, two, 2),
                         VIRTIO_NET_ERR);
        assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_RX, c, NULL, 0),
                         VIRTIO_NET_ERR);
        assert_int_equal(*flags[c], !was);
    }
    assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_RX, 6, 1), VIRTIO_NET_ERR);
    assert_int_equal(f->n->stats.ctrl_cmds, 6 * 4 + 1);
    assert_int_equal(f->n->stats.ctrl_errors, 6 * 3 + 1);
    /* the EXTRA commands need CTRL_RX_EXTRA, all need CTRL_RX */
    start(f, CTRL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_RX_EXTRA));
    assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOUNI,
                             1),
                     VIRTIO_NET_ERR);
    assert_int_equal(promisc(f, false), VIRTIO_NET_OK);
    start(f, BIT(VIRTIO_NET_F_CTRL_VQ));
    assert_int_equal(promisc(f, false), VIRTIO_NET_ERR);
    assert_true(f->n->filter.promisc);
}

static void test_ctrl_mac_table_errors(void **state)
{
    struct fx *f = *state;
    const uint8_t uni[2][6] = {{0x52, 0, 0, 0, 0, 1}, {0x52, 0, 0, 0, 0, 2}};
    uint8_t buf[32];

    start(f, CTRL_FEATURES);
    assert_int_equal(mac_table(f, uni, 2, NULL, 0), VIRTIO_NET_OK);
    assert_int_equal(f->n->filter.nuni, 2);
    /* the unicast count says 3, two follow */
    le32_put(buf, 0, 3);
    memcpy(buf + 4, uni, 12);
    le32_put(buf + 16, 0, 0);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC,
                          VIRTIO_NET_CTRL_MAC_TABLE_SET, buf, 20),
                     VIRTIO_NET_ERR);
    /* a huge count does not wrap */
    le32_put(buf, 0, 0xffffffff);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC,
                          VIRTIO_NET_CTRL_MAC_TABLE_SET, buf, 20),
                     VIRTIO_NET_ERR);
    /* no multicast count; bytes after the tables */
    le32_put(buf, 0, 0);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC,
                          VIRTIO_NET_CTRL_MAC_TABLE_SET, buf, 4),
                     VIRTIO_NET_ERR);
    memset(buf, 0, 9);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC,
                          VIRTIO_NET_CTRL_MAC_TABLE_SET, buf, 9),
                     VIRTIO_NET_ERR);
    /* nothing refused changed the tables */
    assert_int_equal(f->n->filter.nuni, 2);
    assert_memory_equal(f->n->filter.uni, uni, 12);
    /* needs CTRL_RX */
    start(f, BIT(VIRTIO_NET_F_CTRL_VQ));
    assert_int_equal(mac_table(f, NULL, 0, NULL, 0), VIRTIO_NET_ERR);
}

static void test_ctrl_mac_addr(void **state)
{
    struct fx *f = *state;
    const uint8_t mc[6] = {0x03, 0, 0, 0, 0, 1};
    uint8_t mac[6], cfg[6];

    start(f, CTRL_FEATURES);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
                          other_mac, 6),
                     VIRTIO_NET_OK);
    virtio_net_mac(f->n, mac);
    assert_memory_equal(mac, other_mac, 6);
    for (unsigned i = 0; i < 6; i++)
        virtio_config_read(&f->n->vdev, i, &cfg[i], 1);
    assert_memory_equal(cfg, other_mac, 6);
    /* the filter follows the new address */
    set_mode(f, VIRTIO_NET_CTRL_RX_PROMISC, false);
    expect_rx(f, our_mac, false);
    expect_rx(f, other_mac, true);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
                          mc, 6),
                     VIRTIO_NET_ERR);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
                          our_mac, 5),
                     VIRTIO_NET_ERR);
    virtio_net_mac(f->n, mac);
    assert_memory_equal(mac, other_mac, 6);
    /* a reset restores the MAC the VMM gave */
    start(f, BIT(VIRTIO_NET_F_CTRL_VQ));
    virtio_net_mac(f->n, mac);
    assert_memory_equal(mac, our_mac, 6);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
                          other_mac, 6),
                     VIRTIO_NET_ERR);
}

static void test_ctrl_vlan_errors(void **state)
{
    struct fx *f = *state;
    uint8_t vid[3] = {0, 0x10, 0};

    start(f, CTRL_FEATURES);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD,
                          vid, 2),
                     VIRTIO_NET_ERR);           /* 4096 */
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD,
                          vid, 3),
                     VIRTIO_NET_ERR);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, 2, vid, 2),
                     VIRTIO_NET_ERR);
    le16_put(vid, 0, 4095);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD,
                          vid, 2),
                     VIRTIO_NET_OK);
    assert_true(f->n->filter.vlan[4095 / 8] & 0x80);
    start(f, CTRL_FEATURES & ~BIT(VIRTIO_NET_F_CTRL_VLAN));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD,
                          vid, 2),
                     VIRTIO_NET_ERR);
}

static void test_ctrl_announce(void **state)
{
    struct fx *f = *state;

    start(f, CTRL_FEATURES);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_ANNOUNCE,
                          VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
                     VIRTIO_NET_ERR);          /* nothing announced */
    virtio_net_set_link(f->n, false);
    virtio_net_set_link(f->n, true);
    assert_int_equal(ctrl_u8(f, VIRTIO_NET_CTRL_ANNOUNCE,
                             VIRTIO_NET_CTRL_ANNOUNCE_ACK, 0),
                     VIRTIO_NET_ERR);          /* no data expected */
    assert_true(f->n->status & VIRTIO_NET_S_ANNOUNCE);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_ANNOUNCE,
                          VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
                     VIRTIO_NET_OK);
    assert_false(f->n->status & VIRTIO_NET_S_ANNOUNCE);
    start(f, BIT(VIRTIO_NET_F_CTRL_VQ));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_ANNOUNCE,
                          VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
                     VIRTIO_NET_ERR);
}

static void test_ctrl_guest_offloads(void **state)
{
    struct fx *f = *state;
    uint64_t feat = BIT(VIRTIO_NET_F_CTRL_VQ) |
                    BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
                    BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4);
    uint8_t v[8];

    start(f, feat);
    assert_int_equal(f->be.offload_calls, 1);
    assert_int_equal(f->be.offloads, BIT(VIRTIO_NET_F_GUEST_CSUM) |
                                         BIT(VIRTIO_NET_F_GUEST_TSO4));
    le64_put(v, 0, BIT(VIRTIO_NET_F_GUEST_CSUM));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 8),
                     VIRTIO_NET_OK);
    assert_int_equal(f->be.offload_calls, 2);
    assert_int_equal(f->be.offloads, BIT(VIRTIO_NET_F_GUEST_CSUM));
    assert_int_equal(f->n->guest_offloads, BIT(VIRTIO_NET_F_GUEST_CSUM));
    /* not negotiated (TSO6), or not an offload bit at all */
    le64_put(v, 0, BIT(VIRTIO_NET_F_GUEST_TSO6));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 8),
                     VIRTIO_NET_ERR);
    le64_put(v, 0, BIT(VIRTIO_NET_F_MAC));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 8),
                     VIRTIO_NET_ERR);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 4),
                     VIRTIO_NET_ERR);
    assert_int_equal(f->be.offload_calls, 2);
    assert_int_equal(f->n->guest_offloads, BIT(VIRTIO_NET_F_GUEST_CSUM));
    /* all off is fine */
    le64_put(v, 0, 0);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 8),
                     VIRTIO_NET_OK);
    assert_int_equal(f->be.offloads, 0);
    /* without CTRL_GUEST_OFFLOADS */
    start(f, feat & ~BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
                          VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, v, 8),
                     VIRTIO_NET_ERR);
}

/* MQ is not offered: VQ_PAIRS_SET, even to 1, is ERR; so is anything
 * unknown, or a command too short to name itself. */
static void test_ctrl_mq_and_unknown(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[CTRLQ];
    uint8_t pairs[2] = {1, 0};
    gpa_t c = fdrv_alloc(d, 1), ack = fdrv_alloc(d, 1);
    uint16_t head;

    start(f, CTRL_FEATURES);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MQ,
                          VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, pairs, 2),
                     VIRTIO_NET_ERR);
    assert_int_equal(ctrl(f, 99, 0, NULL, 0), VIRTIO_NET_ERR);
    *fdrv_ptr(d, c, 1) = VIRTIO_NET_CTRL_RX;
    head = fdrv_add(d, FDRV_OUT(c, 1), FDRV_IN(ack, 1));
    virtio_notify(&f->n->vdev, CTRLQ);
    reap(f, CTRLQ, head, 1);
    assert_int_equal(*fdrv_ptr(d, ack, 1), VIRTIO_NET_ERR);
    assert_true(virtio_running(&f->n->vdev));
}

/* The ack is the last writable byte, wherever the chain splits; a command
 * with no writable byte cannot be answered: NEEDS_RESET. */
static void test_ctrl_ack_placement_and_no_ack(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[CTRLQ];
    gpa_t c = fdrv_alloc(d, 3), w = fdrv_alloc(d, 4);
    uint16_t head;

    start(f, CTRL_FEATURES);
    memcpy(fdrv_ptr(d, c, 3),
           (uint8_t[]){VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 0}, 3);
    memset(fdrv_ptr(d, w, 4), GUARD, 4);
    head = fdrv_add(d, FDRV_OUT(c, 2), FDRV_OUT(c + 2, 1), FDRV_IN(w, 3),
                    FDRV_IN(w + 3, 1));
    virtio_notify(&f->n->vdev, CTRLQ);
    reap(f, CTRLQ, head, 1);
    assert_memory_equal(fdrv_ptr(d, w, 4),
                        ((uint8_t[]){GUARD, GUARD, GUARD, VIRTIO_NET_OK}), 4);
    assert_false(f->n->filter.promisc);
    fdrv_add(d, FDRV_OUT(c, 3));
    virtio_notify(&f->n->vdev, CTRLQ);
    assert_true(f->n->vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->irq.config, 1);
}

/* ================= activation and reset ================= */

/* Kicks before DRIVER_OK are dropped by the core; activation serves what
 * is queued and tells the backend the offloads in force. */
static void test_activate_serves_queued(void **state)
{
    struct fx *f = *state;
    struct virtio_dev *v = &f->n->vdev;
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                VIRTIO_STATUS_FEATURES_OK;

    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(v, 0, 1u << VIRTIO_NET_F_GUEST_CSUM);
    virtio_set_guest_features(v, 1, 1);
    virtio_set_status(v, s);
    for (unsigned q = 0; q < NQ; q++) {
        fdrv_attach(&f->q[q], &v->vq[q]);
        assert_int_equal(virtio_queue_enable(v, q), 0);
    }
    tx_plain(f, 60, 1);
    kick_tx(f);
    assert_int_equal(f->be.sends, 0);
    assert_int_equal(rx_to(f, our_mac, 60, 0), -EIO);
    assert_int_equal(f->be.offload_calls, 0);
    virtio_set_status(v, s | VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->be.offload_calls, 1);
    assert_int_equal(f->be.offloads, BIT(VIRTIO_NET_F_GUEST_CSUM));
}

/* Reset forgets the held frame and the driver's settings; the link and
 * the backend's "later" stay. */
static void test_reset_clears_state(void **state)
{
    struct fx *f = *state;
    uint8_t mac[6];

    start(f, CTRL_FEATURES);
    assert_int_equal(promisc(f, false), VIRTIO_NET_OK);
    assert_int_equal(ctrl(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
                          other_mac, 6),
                     VIRTIO_NET_OK);
    virtio_net_set_link(f->n, false);
    virtio_net_set_link(f->n, true);
    tx_plain(f, 60, 1);
    f->be.fail_rc = -EAGAIN;
    f->be.fail_n = 1;
    kick_tx(f);
    assert_true(f->n->tx.held);
    virtio_set_status(&f->n->vdev, 0);
    assert_false(f->n->tx.held);
    assert_true(f->n->filter.promisc);
    assert_int_equal(f->n->status, VIRTIO_NET_S_LINK_UP);
    virtio_net_mac(f->n, mac);
    assert_memory_equal(mac, our_mac, 6);
    assert_int_equal(f->n->guest_offloads, 0);
    /* the backend's tx_ready after the reset finds nothing held */
    virtio_net_tx_ready(f->n);
    assert_int_equal(f->be.nframes, 0);
    /* a fresh driver works */
    start(f, 0);
    tx_plain(f, 60, 2);
    kick_tx(f);
    assert_int_equal(f->be.nframes, 1);
    assert_int_equal(f->be.seq[0], 2);
}

/* ================= RELIABILITY (a) 18 ================= */

/* The guest never refills RX: every frame is refused with -ENOBUFS and
 * counted, nothing is queued or consumed, and once buffers come the very
 * next frame arrives (not a backlog). */
static void test_a18_rx_never_refilled(void **state)
{
    struct fx *f = *state;
    struct virtq *q = &f->n->vdev.vq[RXQ];
    uint16_t h, h2;
    gpa_t b;

    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    for (unsigned i = 0; i < 100000; i++)
        assert_int_equal(rx_to(f, our_mac, 60, (uint8_t)i), -ENOBUFS);
    assert_int_equal(f->n->stats.rx_nobuf, 100000);
    assert_int_equal(f->n->stats.rx_frames, 0);
    assert_int_equal(virtq_inflight(q), 0);
    assert_int_equal(q->last_avail, 0);
    nothing_used(f, RXQ);
    /* one buffer, too small for a frame: taken and given back each time */
    b = rx_post(f, 40, 0, &h);
    virtio_notify(&f->n->vdev, RXQ);
    assert_int_equal(f->be.rx_ready, 1);
    for (unsigned i = 0; i < 100000; i++)
        assert_int_equal(rx_to(f, our_mac, 60, (uint8_t)i), -ENOBUFS);
    assert_int_equal(f->n->stats.rx_nobuf, 200000);
    assert_int_equal(virtq_inflight(q), 0);
    assert_int_equal(q->last_avail, 0);
    nothing_used(f, RXQ);
    /* the guest posts more: the next frame arrives, the first one only */
    rx_post(f, 2048, 0, &h2);
    virtio_notify(&f->n->vdev, RXQ);
    assert_int_equal(f->be.rx_ready, 2);
    assert_int_equal(rx_to(f, our_mac, 60, 0x42), 0);
    reap(f, RXQ, h, 40);
    reap(f, RXQ, h2, HDR + 60 - 40);
    assert_int_equal(fdrv_ptr(&f->q[RXQ], b + HDR + 14, 1)[0], 0x42);
    nothing_used(f, RXQ);
    assert_int_equal(f->n->stats.rx_frames, 1);
}

/* The guest posts buffers but never reaps used ones: after a ring's worth
 * of frames the device refuses, holding nothing. */
static void test_a18_rx_never_reaped(void **state)
{
    struct fx *f = *state;
    uint16_t h;

    start(f, 0);
    for (unsigned i = 0; i < QSIZE; i++)
        rx_post(f, 2048, 0, &h);
    for (unsigned i = 0; i < QSIZE; i++)
        assert_int_equal(rx_to(f, our_mac, 60, 0), 0);
    for (unsigned i = 0; i < 1000; i++)
        assert_int_equal(rx_to(f, our_mac, 60, 0), -ENOBUFS);
    assert_int_equal(virtq_inflight(&f->n->vdev.vq[RXQ]), 0);
    assert_int_equal(fdrv_used_idx(&f->q[RXQ]), QSIZE);
    assert_int_equal(f->n->stats.rx_nobuf, 1000);
}

/* ================= RELIABILITY (a) 21 ================= */

/* A TX chain of (len) readable bytes (header included), as 60 KiB
 * pieces; the device must refuse it without calling the backend. */
static void tx_refused(struct fx *f, uint32_t len, uint64_t errors)
{
    struct fdrv *d = &f->q[TXQ];
    struct fdrv_seg segs[4];
    unsigned n = 0;
    uint16_t head;

    for (uint32_t at = 0; at < len; at += 60 * 1024) {
        uint32_t l = len - at < 60 * 1024 ? len - at : 60 * 1024;
        gpa_t b = fdrv_alloc(d, l);

        memset(fdrv_ptr(d, b, l), 0, l);
        segs[n++] = FDRV_OUT(b, l);
    }
    head = fdrv_add_chain(d, segs, n);
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->n->stats.tx_errors, errors);
    assert_int_equal(f->be.sends, 0);
}

static void test_a21_tx_over_64k(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    tx_refused(f, HDR + NETDEV_MAX_FRAME + 1, 1);
    tx_refused(f, 200 * 1024, 2);
    assert_true(virtio_running(&f->n->vdev));
}

static void test_a21_tx_header_only(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    tx_refused(f, HDR, 1);
    tx_refused(f, HDR - 1, 2);
    tx_refused(f, HDR + 13, 3);      /* not even an Ethernet header */
    tx_refused(f, 1, 4);
}

/* csum_start/csum_offset put the field or the range past the frame
 * (CVE-2024-11614): dropped, whether the device would complete the
 * checksum or pass the header on; the exact fit goes. */
static void csum_past_frame(struct fx *f)
{
    const uint16_t bad[][2] = {
        {100, 0}, {99, 0}, {0, 99}, {98, 1}, {0xffff, 0xffff}, {0xffff, 0},
        {0, 0xffff}, {50, 0xfffe},
    };
    uint8_t fr[100], h[HDR];
    uint16_t head;

    start(f, BIT(VIRTIO_NET_F_CSUM));
    make_frame(fr, sizeof(fr), other_mac, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, bad[i][0], bad[i][1]);
        head = tx_add(f, h, fr, sizeof(fr));
        kick_tx(f);
        reap(f, TXQ, head, 0);
        assert_int_equal(f->n->stats.tx_errors, i + 1);
    }
    assert_int_equal(f->be.sends, 0);
    put_hdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 97, 1);   /* ends at 100 */
    head = tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    reap(f, TXQ, head, 0);
    assert_int_equal(f->be.nframes, 1);
}

static void test_a21_csum_start_past_frame(void **state)
{
    const struct netdev_caps pass = {
        .vnet_hdr = true, .offloads = BIT(VIRTIO_NET_F_CSUM)};
    struct fx *f = fx_new(&pass, QSIZE);

    csum_past_frame(*state);
    assert_false(f->n->sw_csum);
    csum_past_frame(f);
    fx_free(f);
}

/* Bogus GSO headers are dropped even with every host offload
 * negotiated. */
static void test_a21_bogus_gso(void **state)
{
    struct fx *f = *state;
    const uint8_t F = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    const struct {
        uint8_t flags, type;
        uint16_t size;
    } bad[] = {
        {F, 2, 1448},                                /* unknown type */
        {F, 5, 1448},
        {F, 0x7f, 1448},
        {F, VIRTIO_NET_HDR_GSO_ECN, 1448},           /* ECN on nothing */
        {0, VIRTIO_NET_HDR_GSO_TCPV4, 1448},         /* no NEEDS_CSUM */
        {F, VIRTIO_NET_HDR_GSO_TCPV4, 0},            /* no segment size */
        {F, VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN, 1448},
    };
    uint8_t fr[200], h[HDR];
    uint16_t head;

    /* everything but HOST_ECN */
    start(f, BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_HOST_TSO4) |
                 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_UFO));
    make_frame(fr, sizeof(fr), other_mac, 0);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        put_hdr(h, bad[i].flags, bad[i].type, bad[i].size, 34, 16);
        head = tx_add(f, h, fr, sizeof(fr));
        kick_tx(f);
        reap(f, TXQ, head, 0);
        assert_int_equal(f->n->stats.tx_errors, i + 1);
    }
    assert_int_equal(f->be.sends, 0);
    put_hdr(h, F, VIRTIO_NET_HDR_GSO_UDP, 1000, 34, 6);
    tx_add(f, h, fr, sizeof(fr));
    kick_tx(f);
    assert_int_equal(f->be.nframes, 1);
}

/* ================= RELIABILITY (a) 22 ================= */

/* A receive buffer smaller than the header: the frame is dropped, the
 * buffer comes back with used.len 0 and nothing written, and the next
 * buffer takes the next frame. */
static void test_a22_rx_buffer_smaller_than_hdr(void **state)
{
    struct fx *f = *state;
    uint16_t small, good, h2;
    gpa_t sb;

    for (unsigned mrg = 0; mrg < 2; mrg++) {
        start(f, mrg ? BIT(VIRTIO_NET_F_MRG_RXBUF) : 0);
        sb = rx_post(f, HDR - 1, 16, &small);
        rx_post(f, 2048, 0, &good);
        assert_int_equal(rx_to(f, our_mac, 60, 0), -EINVAL);
        reap(f, RXQ, small, 0);
        assert_guard(f, sb, HDR - 1 + 16);
        assert_int_equal(f->n->stats.rx_errors, 1 + mrg);
        assert_int_equal(rx_to(f, our_mac, 60, 0), 0);
        reap(f, RXQ, good, HDR + 60);
        assert_true(virtio_running(&f->n->vdev));
    }
    /* mid-frame: the chains already taken come back with used.len 0 */
    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    rx_post(f, 64, 0, &good);
    rx_post(f, 4, 0, &small);
    rx_post(f, 2048, 0, &h2);
    assert_int_equal(rx_to(f, our_mac, 200, 0), -EINVAL);
    reap(f, RXQ, good, 0);
    reap(f, RXQ, small, 0);
    assert_int_equal(rx_to(f, our_mac, 200, 0), 0);
    reap(f, RXQ, h2, HDR + 200);
}

/* The backend's num_buffers (any value) is never what the guest sees. */
static void test_a22_num_buffers_lie(void **state)
{
    struct fx *f = *state;
    uint8_t h[HDR], fr[1000];
    struct iovec iov[2] = {
        {.iov_base = h, .iov_len = HDR},
        {.iov_base = fr, .iov_len = sizeof(fr)},
    };
    uint16_t head[3];
    gpa_t b[3];

    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    make_frame(fr, sizeof(fr), our_mac, 0);
    put_hdr(h, 0, 0, 0, 0, 0);
    le16_put(h, VIRTIO_NET_HDR_NUM_BUFFERS, 77);
    for (unsigned i = 0; i < 3; i++)
        b[i] = rx_post(f, 400, 0, &head[i]);
    assert_int_equal(virtio_net_receive(f->n, iov, 2), 0);
    assert_int_equal(le16_get(fdrv_ptr(&f->q[RXQ], b[0], HDR),
                              VIRTIO_NET_HDR_NUM_BUFFERS),
                     3);
    reap(f, RXQ, head[0], 400);
    reap(f, RXQ, head[1], 400);
    reap(f, RXQ, head[2], HDR + 1000 - 800);
    /* one buffer, one count */
    le16_put(h, VIRTIO_NET_HDR_NUM_BUFFERS, 200);
    b[0] = rx_post(f, 2048, 0, &head[0]);
    assert_int_equal(virtio_net_receive(f->n, iov, 2), 0);
    assert_int_equal(le16_get(fdrv_ptr(&f->q[RXQ], b[0], HDR),
                              VIRTIO_NET_HDR_NUM_BUFFERS),
                     1);
}

/* Nothing is written past a chain: buffers of every awkward size, split
 * into pieces, guard bytes after each piece. */
static void test_a22_no_write_past_chain(void **state)
{
    struct fx *f = fx_new(NULL, 64);
    struct fdrv *d = &f->q[RXQ];
    uint8_t fr[700];
    gpa_t p[3], last;
    uint16_t head, h;

    (void)state;
    start(f, BIT(VIRTIO_NET_F_MRG_RXBUF));
    make_frame(fr, sizeof(fr), our_mac, 0);
    for (unsigned i = 0; i < 3; i++) {
        p[i] = fdrv_alloc(d, 64);
        memset(fdrv_ptr(d, p[i], 64), GUARD, 64);
    }
    /* a chain of 11 + 1 + 33 bytes: the header split inside num_buffers,
     * then 29 chains of 23 bytes for the other 667 frame bytes, and one
     * more that must stay unused */
    head = fdrv_add(d, FDRV_IN(p[0], 11), FDRV_IN(p[1], 1),
                    FDRV_IN(p[2], 33));
    for (unsigned i = 0; i < 30; i++)
        last = rx_post(f, 23, 16, &h);
    assert_int_equal(rx_to(f, our_mac, sizeof(fr), 0), 0);
    reap(f, RXQ, head, 45);
    for (unsigned i = 0; i < 29; i++) {
        uint16_t id;
        uint32_t len;

        assert_true(fdrv_used(d, &id, &len));
        assert_int_equal(len, 23);
    }
    nothing_used(f, RXQ);
    assert_guard(f, last, 23 + 16);
    assert_guard(f, p[0] + 11, 64 - 11);
    assert_guard(f, p[1] + 1, 64 - 1);
    assert_guard(f, p[2] + 33, 64 - 33);
    assert_int_equal(fdrv_ptr(d, p[0], 11)[VIRTIO_NET_HDR_NUM_BUFFERS], 30);
    assert_int_equal(fdrv_ptr(d, p[1], 1)[0], 0);
    assert_memory_equal(fdrv_ptr(d, p[2], 33), fr, 33);
    assert_guard(f, last - 48 + 23, 16);    /* after the 29th buffer */
    fx_free(f);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define V(fn) cmocka_unit_test_setup_teardown(fn, setup_vnet, teardown)
    const struct CMUnitTest tests[] = {
        T(test_features_without_vnet_hdr),
        V(test_features_with_vnet_hdr),
        T(test_init_refuses_bad_args),
        T(test_config_mac_status),
        T(test_link_change_config_irq),
        T(test_link_down_no_frames),
        T(test_tx_strips_header),
        T(test_tx_split_header_indirect),
        T(test_tx_csum_completion_tcp_udp),
        cmocka_unit_test(test_tx_csum_for_vnet_backend_without_csum),
        T(test_tx_gso_refused_without_offload),
        V(test_tx_passthrough_vnet_hdr),
        cmocka_unit_test(test_tx_budget),
        T(test_b9_tx_eagain_parks_frame_in_order),
        T(test_b11_tx_backend_error_drops_and_counts),
        T(test_tx_writable_chain_refused),
        T(test_tx_bad_ring_needs_reset),
        T(test_rx_single),
        T(test_rx_mergeable_three_buffers),
        T(test_rx_ring_dry_mid_frame),
        T(test_rx_nonmergeable_too_small),
        T(test_rx_frame_bigger_than_whole_ring),
        T(test_rx_bad_frames),
        V(test_rx_vnet_hdr_passthrough),
        V(test_rx_vnet_hdr_without_guest_csum),
        T(test_filter_default_promiscuous),
        T(test_filter_unicast_broadcast),
        T(test_filter_multicast_tables),
        T(test_filter_vlan),
        T(test_ctrl_rx_commands),
        T(test_ctrl_mac_table_errors),
        T(test_ctrl_mac_addr),
        T(test_ctrl_vlan_errors),
        T(test_ctrl_announce),
        V(test_ctrl_guest_offloads),
        T(test_ctrl_mq_and_unknown),
        T(test_ctrl_ack_placement_and_no_ack),
        V(test_activate_serves_queued),
        T(test_reset_clears_state),
        T(test_a18_rx_never_refilled),
        T(test_a18_rx_never_reaped),
        T(test_a21_tx_over_64k),
        T(test_a21_tx_header_only),
        T(test_a21_csum_start_past_frame),
        V(test_a21_bogus_gso),
        T(test_a22_rx_buffer_smaller_than_hdr),
        V(test_a22_num_buffers_lie),
        cmocka_unit_test(test_a22_no_write_past_chain),
    };
#undef T
#undef V
    return cmocka_run_group_tests(tests, NULL, NULL);
}
