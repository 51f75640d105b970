/* libFuzzer target: virtio-net (devices/virtio/net*.c).
 *
 * The input picks the backend (headers or not, which offloads), the
 * features a driver accepts, then a sequence of operations on three
 * queues in fake guest RAM: transmit chains with any header (partial
 * checksums, GSO, offsets past the frame, frames from 0 bytes to past
 * 64 KiB, split anywhere, indirect, with writable segments), receive
 * buffers of any size and shape, frames from the backend (any length,
 * address, VLAN tag, backend header), control commands (right, wrong and
 * lying lengths, no ack byte), kicks, a backend that says EAGAIN or fails,
 * tx_ready, link flips, resets, config reads, raw scribbles over rings and
 * buffers, bogus heads.
 *
 * Checked on every step (a failed check traps):
 *  - the backend gets frames only while it has not said "later", the
 *    held frame first and unchanged, each iovec piece inside guest RAM or
 *    the device (its header or checksum copy), every byte readable
 *    (ASan), a length between an Ethernet header and NETDEV_MAX_FRAME,
 *    and a header asking only for negotiated offloads with its checksum
 *    field inside the frame;
 *  - a refused receive (-ENOBUFS) consumes nothing; while the device runs
 *    no receive chain and at most the held transmit chain stay in flight;
 *  - while the guest has not scribbled on RAM: used entries name real
 *    heads with used.len within their writable bytes; no byte outside a
 *    receive buffer's writable segments, and no byte of a transmit or
 *    control chain but the ack, is ever written; a delivered frame reads
 *    back byte for byte with num_buffers equal to the buffers it used;
 *  - transmitted frames equal the device's tx_frames count. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/net.h"
#include "fuzz_chain.h"
#include "fuzz_driver.h"

#define RAM_SIZE (256 * 1024)
#define QSIZE 16
#define NQ 3
#define RING_GPA(q) (0x400 * (gpa_t)(q))  /* desc; avail +0x100; used +0x200 */
#define REGION_GPA 0x1000
#define REGION 0x1000        /* queue q's head h owns one region */
#define TABLE_OFF 0xe00      /* indirect table inside the region */
#define MAX_PIECES 24
#define MAX_OPS 512
#define HDR VIRTIO_NET_HDR_LEN
#define GUARD 0xee
#define BIT(f) (1ULL << (f))

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

_Static_assert(REGION_GPA + NQ * QSIZE * REGION <= RAM_SIZE, "regions fit");
_Static_assert(TABLE_OFF + MAX_PIECES * 16 <= REGION, "table fits");

static const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

/* ---- input ---- */

/* ---- state ---- */

static uint8_t *ram;
static struct gmem gm;
static struct virtio_net *net;
static uint8_t frame[HDR + NETDEV_MAX_FRAME + 64];
static uint8_t readback[HDR + NETDEV_MAX_FRAME + 64];

/* A piece of a chain as the fake driver built it. */
/* A chain in flight, by head. */
struct rec {
    bool valid;
    unsigned ndesc;
    uint16_t desc[QSIZE];
    unsigned npiece;
    struct piece p[MAX_PIECES];
    uint32_t in_bytes;
};

static struct {
    bool tainted;                 /* raw writes: content checks are off */
    struct {
        uint16_t avail_idx, last_used;
        bool desc_used[QSIZE];
        struct rec rec[QSIZE];
    } q[NQ];
} drv;

static struct {
    int fail_rc;                  /* the next fail_n sends return this */
    unsigned fail_n;
    bool blocked;                 /* said EAGAIN, tx_ready not yet called */
    bool have_held;               /* the frame it refused, to compare */
    unsigned nheld;
    struct iovec held[VIRTQ_MAX_SEGS + 3];
    uint64_t accepted;
} be;

static gpa_t region(unsigned q, unsigned head)
{
    return REGION_GPA + (q * QSIZE + head) * (gpa_t)REGION;
}

/* ---- fake backend ---- */

static bool inside(const void *p, size_t len, const void *base, size_t size)
{
    const uint8_t *b = base, *x = p;

    return x >= b && len <= size && (size_t)(x - b) <= size - len;
}

/* A header the backend gets asks only for what was negotiated, with a
 * checksum field inside the (flen)-byte frame (RELIABILITY (a) 21). */
static void check_hdr(const struct iovec *iov, size_t flen)
{
    uint8_t h[HDR];
    uint8_t type;
    uint64_t need = 0;

    for (size_t done = 0, i = 0; done < HDR; i++) {
        size_t k = iov[i].iov_len < HDR - done ? iov[i].iov_len : HDR - done;

        memcpy(h + done, iov[i].iov_base, k);
        done += k;
    }
    if (h[VIRTIO_NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        CHECK(virtio_has(&net->vdev, VIRTIO_NET_F_CSUM));
        CHECK((size_t)le16_get(h, VIRTIO_NET_HDR_CSUM_START) +
                  le16_get(h, VIRTIO_NET_HDR_CSUM_OFFSET) + 2 <= flen);
    }
    type = h[VIRTIO_NET_HDR_GSO_TYPE];
    if (type == VIRTIO_NET_HDR_GSO_NONE)
        return;
    CHECK(h[VIRTIO_NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM);
    if (type & VIRTIO_NET_HDR_GSO_ECN)
        need |= BIT(VIRTIO_NET_F_HOST_ECN);
    switch (type & ~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_TCPV4:
        need |= BIT(VIRTIO_NET_F_HOST_TSO4);
        break;
    case VIRTIO_NET_HDR_GSO_TCPV6:
        need |= BIT(VIRTIO_NET_F_HOST_TSO6);
        break;
    case VIRTIO_NET_HDR_GSO_UDP:
        need |= BIT(VIRTIO_NET_F_HOST_UFO);
        break;
    default:
        CHECK(0);
    }
    CHECK((net->vdev.guest_features & net->vdev.host_features & need) == need);
}

static int be_send(void *ctx, const struct iovec *iov, unsigned n)
{
    size_t total = 0, skip = net->caps.vnet_hdr ? HDR : 0;
    volatile uint8_t sink = 0;

    (void)ctx;
    CHECK(!be.blocked);
    CHECK(n >= 1 && n <= VIRTQ_MAX_SEGS + 3);
    if (be.have_held) {
        CHECK(n == be.nheld && !memcmp(iov, be.held, n * sizeof(*iov)));
        be.have_held = false;
    }
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *b = iov[i].iov_base;

        CHECK(iov[i].iov_len > 0);
        CHECK(inside(b, iov[i].iov_len, ram, RAM_SIZE) ||
              inside(b, iov[i].iov_len, net, sizeof(*net)));
        for (size_t k = 0; k < iov[i].iov_len; k++)
            sink ^= b[k];
        total += iov[i].iov_len;
    }
    (void)sink;
    CHECK(total >= skip + 14 && total <= skip + NETDEV_MAX_FRAME);
    if (skip)
        check_hdr(iov, total - skip);
    if (be.fail_n) {
        be.fail_n--;
        if (be.fail_rc == -EAGAIN) {
            be.blocked = true;
            be.have_held = true;
            be.nheld = n;
            memcpy(be.held, iov, n * sizeof(*iov));
        }
        return be.fail_rc;
    }
    be.accepted++;
    return 0;
}

static void be_rx_ready(void *ctx)
{
    (void)ctx;
}

static void be_set_offloads(void *ctx, uint64_t offloads)
{
    (void)ctx;
    CHECK(!(offloads & ~(BIT(VIRTIO_NET_F_GUEST_CSUM) |
                         BIT(VIRTIO_NET_F_GUEST_TSO4) |
                         BIT(VIRTIO_NET_F_GUEST_TSO6) |
                         BIT(VIRTIO_NET_F_GUEST_ECN) |
                         BIT(VIRTIO_NET_F_GUEST_UFO))));
}

static const struct netdev_ops be_ops = {
    .send = be_send,
    .rx_ready = be_rx_ready,
    .set_offloads = be_set_offloads,
};

/* ---- fake driver ---- */

static void publish(unsigned q, uint16_t head)
{
    fuzz_publish(ram, RING_GPA(q) + 0x100, QSIZE, &drv.q[q].avail_idx, head);
}

static int first_free(unsigned q)
{
    for (unsigned i = 0; i < QSIZE; i++)
        if (!drv.q[q].desc_used[i])
            return (int)i;
    return -1;
}

/* Lay (r)'s pieces out as a chain of queue (q): an indirect table in the
 * head's region or direct descriptors; publish it. False if out of
 * descriptors. */
static bool add_chain(unsigned q, struct rec *r, bool indirect)
{
    unsigned nd = indirect ? 1 : r->npiece, k = 0;
    gpa_t table = region(q, (unsigned)first_free(q)) + TABLE_OFF;

    for (uint16_t i = 0; i < QSIZE && k < nd; i++)
        if (!drv.q[q].desc_used[i])
            r->desc[k++] = i;
    if (k < nd || r->npiece == 0)
        return false;
    for (unsigned i = 0; i < r->npiece; i++) {
        const struct piece *p = &r->p[i];
        uint16_t flags = (uint16_t)((p->write ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < r->npiece ? VIRTQ_DESC_F_NEXT : 0));

        if (indirect)
            fuzz_put_desc(ram, table, i, p->addr, p->len, flags,
                     (uint16_t)(i + 1 < r->npiece ? i + 1 : 0));
        else
            fuzz_put_desc(ram, RING_GPA(q), r->desc[i], p->addr, p->len, flags,
                     i + 1 < r->npiece ? r->desc[i + 1] : 0);
    }
    if (indirect)
        fuzz_put_desc(ram, RING_GPA(q), r->desc[0], table, 16 * r->npiece,
                 VIRTQ_DESC_F_INDIRECT, 0);
    r->ndesc = nd;
    r->valid = true;
    r->in_bytes = 0;
    for (unsigned i = 0; i < r->npiece; i++)
        r->in_bytes += r->p[i].write ? r->p[i].len : 0;
    for (unsigned i = 0; i < nd; i++)
        drv.q[q].desc_used[r->desc[i]] = true;
    drv.q[q].rec[r->desc[0]] = *r;
    publish(q, r->desc[0]);
    return true;
}

/* A receive buffer's region outside its writable pieces still holds
 * GUARD: nothing was written past or between them. */
static bool rx_guard_ok(const struct rec *r)
{
    gpa_t base = region(VIRTIO_NET_RXQ, r->desc[0]);

    for (gpa_t a = base; a < base + TABLE_OFF; a++) {
        bool writable = false;

        for (unsigned i = 0; i < r->npiece && !writable; i++)
            writable = r->p[i].write && a >= r->p[i].addr &&
                       a < r->p[i].addr + r->p[i].len;
        if (!writable && ram[a] != GUARD)
            return false;
    }
    return true;
}

/* The writable pieces of a transmit chain are never written; of a
 * control chain only the last byte, the ack, is, with OK or ERR. */
static bool other_ok(const struct rec *r, unsigned q, uint32_t len)
{
    const struct piece *last = &r->p[r->npiece - 1];

    if (q == VIRTIO_NET_CTRLQ && (len != 1 || !last->write ||
                                  ram[last->addr + last->len - 1] > 1))
        return false;
    for (unsigned i = 0; i < r->npiece; i++)
        for (uint32_t k = 0; r->p[i].write && k < r->p[i].len; k++)
            if (ram[r->p[i].addr + k] != GUARD &&
                !(q == VIRTIO_NET_CTRLQ && r->p + i == last &&
                  k == last->len - 1))
                return false;
    return q != VIRTIO_NET_TXQ || len == 0;
}

/* Read (r)'s writable stream, at most (max) bytes, into (out). */
static uint32_t read_stream(const struct rec *r, uint8_t *out, uint32_t max)
{
    uint32_t done = 0;

    for (unsigned i = 0; i < r->npiece && done < max; i++) {
        uint32_t n = r->p[i].len < max - done ? r->p[i].len : max - done;

        if (!r->p[i].write)
            continue;
        memcpy(out + done, ram + r->p[i].addr, n);
        done += n;
    }
    return done;
}

/* Reap queue (q)'s used entries; check each; with (frame_len) >= 0 they
 * are one delivered frame of that length (rx). Returns how many. */
static unsigned reap(unsigned q, long frame_len)
{
    gpa_t used = RING_GPA(q) + 0x200;
    uint16_t idx = le16_get(ram, used + 2);
    uint32_t got = 0;
    unsigned k = 0;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    while (drv.q[q].last_used != idx) {
        const uint8_t *e = ram + used + 4 + 8 * (drv.q[q].last_used % QSIZE);
        uint32_t id = le32_get(e, 0), len = le32_get(e, 4);
        struct rec *r;

        drv.q[q].last_used++;
        CHECK(id < QSIZE || drv.tainted);
        if (id >= QSIZE || !drv.q[q].rec[id].valid)
            continue;
        r = &drv.q[q].rec[id];
        if (!drv.tainted) {
            CHECK(len <= r->in_bytes);
            CHECK(q == VIRTIO_NET_RXQ ? rx_guard_ok(r) : other_ok(r, q, len));
            if (frame_len >= 0 && got + len <= sizeof(readback))
                got += read_stream(r, readback + got, len);
        }
        for (unsigned i = 0; i < r->ndesc; i++)
            drv.q[q].desc_used[r->desc[i]] = false;
        r->valid = false;
        k++;
    }
    if (frame_len >= 0 && !drv.tainted) {
        bool mrg = virtio_has(&net->vdev, VIRTIO_NET_F_MRG_RXBUF);

        CHECK(k >= 1 && (mrg || k == 1));
        CHECK(got == HDR + (uint32_t)frame_len);
        CHECK(le16_get(readback, VIRTIO_NET_HDR_NUM_BUFFERS) == k);
        for (unsigned i = 0; !net->caps.vnet_hdr && i < 10; i++)
            CHECK(readback[i] == 0);
        CHECK(!memcmp(readback + HDR, frame + (net->caps.vnet_hdr ? HDR : 0),
                      (size_t)frame_len));
    }
    return k;
}

static void bring_up(uint8_t sel, uint8_t sel2)
{
    struct virtio_dev *v = &net->vdev;
    uint8_t s;
    uint64_t feat = v->host_features;
    static const unsigned drop[] = {
        VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
        VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_VLAN,
        VIRTIO_F_INDIRECT_DESC, VIRTIO_F_EVENT_IDX, VIRTIO_NET_F_HOST_ECN,
        VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_GUEST_TSO4,
        VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, VIRTIO_NET_F_GUEST_ANNOUNCE,
        VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_HOST_UFO,
        VIRTIO_NET_F_CTRL_RX_EXTRA,
    };
    unsigned bits = sel | (unsigned)sel2 << 8;

    for (unsigned i = 0; i < ARRAY_SIZE(drop); i++)
        if (bits & 1u << i)
            feat &= ~BIT(drop[i]);
    memset(ram, GUARD, RAM_SIZE);
    for (unsigned q = 0; q < NQ; q++)
        memset(ram + RING_GPA(q), 0, 0x400);
    memset(&drv, 0, sizeof(drv));
    virtio_set_status(v, 0);
    s = fuzz_negotiate(v, feat);
    for (unsigned q = 0; q < NQ; q++) {
        CHECK(fuzz_place_queue(v, q, QSIZE, RING_GPA(q)) == 0);
    }
    virtio_set_status(v, s | VIRTIO_STATUS_DRIVER_OK);
}

/* ---- transmit ---- */

static void tx_header(struct in *in, uint8_t *h, uint32_t flen)
{
    static const uint8_t gso[] = {
        VIRTIO_NET_HDR_GSO_NONE, VIRTIO_NET_HDR_GSO_TCPV4,
        VIRTIO_NET_HDR_GSO_TCPV6, VIRTIO_NET_HDR_GSO_UDP,
        VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 2, 0x85,
    };
    uint8_t sel = get8(in);
    uint16_t start = (uint16_t)(flen ? get16(in) % flen : 0);

    memset(h, 0, HDR);
    h[VIRTIO_NET_HDR_FLAGS] = sel & 1 ? VIRTIO_NET_HDR_F_NEEDS_CSUM : 0;
    if (sel & 0x80)
        h[VIRTIO_NET_HDR_FLAGS] = get8(in);
    h[VIRTIO_NET_HDR_GSO_TYPE] = sel & 2 ? gso[get8(in) % ARRAY_SIZE(gso)] : 0;
    le16_put(h, VIRTIO_NET_HDR_GSO_SIZE, sel & 4 ? get16(in) : 1448);
    le16_put(h, VIRTIO_NET_HDR_CSUM_START, sel & 8 ? get16(in) : start);
    le16_put(h, VIRTIO_NET_HDR_CSUM_OFFSET,
             sel & 16 ? get16(in) : (uint16_t)(get8(in) % 32));
    le16_put(h, VIRTIO_NET_HDR_NUM_BUFFERS, get16(in));
}

static uint32_t tx_len(struct in *in)
{
    switch (get8(in) % 6) {
    case 0:
        return get8(in) % 14;                     /* no Ethernet header */
    case 1:
        return NETDEV_MAX_FRAME + get8(in) % 3 - 1;
    case 2:
        return get32(in) % (RAM_SIZE - REGION_GPA);
    default:
        return 14 + get16(in) % 1500;
    }
}

static void op_tx(struct in *in)
{
    int head = first_free(VIRTIO_NET_TXQ);
    uint8_t shape = get8(in), hsplit = get8(in), dsplit = get8(in);
    struct rec r = {.valid = false};
    uint32_t flen = tx_len(in);
    gpa_t base, data;

    if (head < 0)
        return;
    base = region(VIRTIO_NET_TXQ, (unsigned)head);
    tx_header(in, ram + base, flen);
    /* a small frame follows its header; a big one is any span of RAM */
    if (flen <= TABLE_OFF - HDR - 64) {
        data = base + HDR;
        for (uint32_t i = 0; i < flen; i++)
            ram[data + i] = get8(in);
    } else {
        data = REGION_GPA + get32(in) % (RAM_SIZE - REGION_GPA - flen + 1);
    }
    r.npiece = split(in, r.p, MAX_PIECES, base, shape & 0x40 ? 0 : HDR,
                     hsplit % 3 + 1, false);
    r.npiece += split(in, r.p + r.npiece, MAX_PIECES - 1 - r.npiece,
                      shape & 0x40 ? base : data, flen + (shape & 0x40 ? HDR : 0),
                      dsplit % 8 + 1 + (dsplit & 0x80 ? dsplit % 16 : 0), false);
    if (shape & 8) /* a writable buffer: the device must not touch it */
        r.p[r.npiece++] = (struct piece){.addr = base + TABLE_OFF - 32,
                                         .len = 16, .write = true};
    add_chain(VIRTIO_NET_TXQ, &r, shape & 1);
}

/* ---- receive ---- */

static void op_rx_post(struct in *in)
{
    int head = first_free(VIRTIO_NET_RXQ);
    uint8_t n = get8(in), shape = get8(in);
    struct rec r = {.valid = false};
    gpa_t at;

    if (head < 0)
        return;
    at = region(VIRTIO_NET_RXQ, (unsigned)head);
    memset(ram + at, GUARD, TABLE_OFF);
    if (shape & 4) /* a readable piece first: never written */
        r.p[r.npiece++] = (struct piece){.addr = at, .len = 8};
    at += 16;
    for (unsigned i = 0; i < n % 4 + 1; i++) {
        uint32_t len = shape & 1 ? get8(in) % 32 : get16(in) % 1024;

        if (len == 0 || at + len + 16 > region(VIRTIO_NET_RXQ,
                                               (unsigned)head) + TABLE_OFF)
            break;
        r.p[r.npiece++] = (struct piece){.addr = at, .len = len, .write = true};
        at += len + 16;
    }
    add_chain(VIRTIO_NET_RXQ, &r, shape & 2);
}

/* A frame from the backend: length, destination, VLAN tag and backend
 * header from the input; split into up to 4 host pieces. */
static size_t make_rx_frame(struct in *in)
{
    static const uint8_t dsts[][6] = {
        {0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
        {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01},
        {0x52, 0x54, 0x00, 0x00, 0x00, 0x01},
    };
    size_t skip = net->caps.vnet_hdr ? HDR : 0, len;
    uint8_t sel = get8(in);

    switch (sel % 4) {
    case 0:
        len = get8(in) % 20;
        break;
    case 1:
        len = NETDEV_MAX_FRAME + get8(in) % 3 - 1;
        break;
    default:
        len = 14 + get16(in) % 3000;
        break;
    }
    for (size_t i = 0; i < skip + len; i++)
        frame[i] = (uint8_t)(i * 31 + sel);
    if (skip)
        for (size_t i = 0; i < HDR; i++)
            frame[i] = sel & 0x80 ? get8(in) : 0;
    if (len >= 14)
        memcpy(frame + skip, dsts[sel / 4 % 4], 6);
    if (len >= 18 && sel & 0x40) {
        frame[skip + 12] = 0x81;
        frame[skip + 13] = 0x00;
        frame[skip + 14] = get8(in) & 0x0f;
        frame[skip + 15] = get8(in);
    }
    return skip + len;
}

static void op_rx_deliver(struct in *in)
{
    struct virtq *q = &net->vdev.vq[VIRTIO_NET_RXQ];
    size_t total = make_rx_frame(in), cut[3], skip = net->caps.vnet_hdr ? HDR : 0;
    struct iovec iov[4];
    unsigned n = 0;
    uint16_t used = le16_get(ram, RING_GPA(VIRTIO_NET_RXQ) + 0x200 + 2);
    uint16_t last = q->last_avail;
    uint64_t filtered = net->stats.rx_filtered;
    int rc;

    for (unsigned i = 0; i < 3; i++)
        cut[i] = total ? get16(in) % (total + 1) : 0;
    for (unsigned i = 0; i < 3; i++)   /* sort the cuts */
        for (unsigned k = i + 1; k < 3; k++)
            if (cut[k] < cut[i]) {
                size_t t = cut[i];

                cut[i] = cut[k];
                cut[k] = t;
            }
    for (size_t at = 0, i = 0; i <= 3; i++) {
        size_t end = i < 3 ? cut[i] : total;

        iov[n++] = (struct iovec){.iov_base = frame + at, .iov_len = end - at};
        at = end;
    }
    rc = virtio_net_receive(net, iov, n);
    CHECK(rc == 0 || rc == -ENOBUFS || rc == -EIO || rc == -EINVAL);
    if (rc == -ENOBUFS) {
        CHECK(q->last_avail == last);
        CHECK(le16_get(ram, RING_GPA(VIRTIO_NET_RXQ) + 0x200 + 2) == used);
    }
    if (virtio_running(&net->vdev))
        CHECK(virtq_inflight(q) == 0);
    if (rc == 0 && net->stats.rx_filtered == filtered)
        reap(VIRTIO_NET_RXQ, (long)(total - skip));
}

/* ---- control ---- */

static uint32_t ctrl_data(struct in *in, uint8_t *p, uint8_t cls, uint8_t cmd)
{
    uint8_t sel = get8(in);
    uint32_t len;

    if (cls == VIRTIO_NET_CTRL_MAC && cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET) {
        uint32_t nu = get8(in) % 40, nm = get8(in) % 40;

        le32_put(p, 0, sel & 1 ? get32(in) : nu);
        memset(p + 4, 0x02, 6 * nu);
        le32_put(p, 4 + 6 * nu, sel & 2 ? get32(in) : nm);
        memset(p + 8 + 6 * nu, 0x01, 6 * nm);
        return 8 + 6 * nu + 6 * nm - (sel & 4 ? get8(in) % 8 : 0);
    }
    len = sel & 0x80 ? get8(in) % 12 : (cls == VIRTIO_NET_CTRL_RX ? 1
                                        : cls == VIRTIO_NET_CTRL_VLAN ? 2
                                        : cls == VIRTIO_NET_CTRL_MAC ? 6
                                        : cls == VIRTIO_NET_CTRL_GUEST_OFFLOADS
                                            ? 8
                                            : 0);
    for (uint32_t i = 0; i < len; i++)
        p[i] = sel & 0x40 ? get8(in) : (uint8_t)(i == 0 ? sel & 1 : 0);
    return len;
}

static void op_ctrl(struct in *in)
{
    int head = first_free(VIRTIO_NET_CTRLQ);
    uint8_t cls = get8(in) % 7, cmd = get8(in) % 7, shape = get8(in);
    struct rec r = {.valid = false};
    uint32_t len;
    gpa_t base;

    if (head < 0)
        return;
    base = region(VIRTIO_NET_CTRLQ, (unsigned)head);
    ram[base] = cls;
    ram[base + 1] = cmd;
    len = ctrl_data(in, ram + base + 2, cls, cmd);
    r.npiece = split(in, r.p, MAX_PIECES - 2, base, 2 + len, shape % 4 + 1,
                     false);
    memset(ram + base + 0x800, GUARD, 4);
    if (!(shape & 0x10))   /* else no ack: the device needs a reset */
        r.p[r.npiece++] = (struct piece){.addr = base + 0x800,
                                         .len = shape & 0x20 ? 3 : 1,
                                         .write = true};
    add_chain(VIRTIO_NET_CTRLQ, &r, shape & 0x40);
}

/* ---- other operations ---- */

static void op_raw_write(struct in *in)
{
    uint32_t off = get32(in) % RAM_SIZE;
    unsigned len = get8(in) % 32;

    for (unsigned i = 0; i < len && off + i < RAM_SIZE; i++)
        ram[off + i] = get8(in);
    drv.tainted = true;
}

static void op_backend(struct in *in)
{
    static const int rcs[] = {-EAGAIN, -EIO, -ENOBUFS, -EMSGSIZE};
    uint8_t sel = get8(in);

    be.fail_rc = rcs[sel % ARRAY_SIZE(rcs)];
    be.fail_n = sel / 4 % 4;
}

static void op_tx_ready(void)
{
    be.blocked = false;
    virtio_net_tx_ready(net);
}

static void op_misc(struct in *in)
{
    uint8_t sel = get8(in), a = get8(in), b = get8(in), buf[8];

    switch (sel % 6) {
    case 0:
        virtio_net_set_link(net, sel & 8);
        break;
    case 1:
        virtio_config_read(&net->vdev, a % 16, buf, 1u << (b % 4));
        break;
    case 2:
        publish(a % NQ, get16(in));   /* any head, even a bogus one */
        drv.tainted = true;
        break;
    case 3:
        bring_up(a, b);
        be.have_held = false;
        break;
    case 4:
        if (virtio_net_tx_pending(net))
            virtio_net_tx(net);
        break;
    default:
        virtio_notify(&net->vdev, a % 4);
        break;
    }
}

static void step(struct in *in)
{
    switch (get8(in) % 12) {
    case 0:
    case 1:
        op_tx(in);
        break;
    case 2:
        virtio_notify(&net->vdev, VIRTIO_NET_TXQ);
        break;
    case 3:
        op_rx_post(in);
        break;
    case 4:
    case 5:
        op_rx_deliver(in);
        break;
    case 6:
        op_ctrl(in);
        virtio_notify(&net->vdev, VIRTIO_NET_CTRLQ);
        break;
    case 7:
        op_backend(in);
        break;
    case 8:
        op_tx_ready();
        break;
    case 9:
        op_raw_write(in);
        break;
    default:
        op_misc(in);
        break;
    }
    /* A frame the device forgot (reset, link down) is not retried. */
    if (!net->tx.held)
        be.have_held = false;
    CHECK(!be.blocked || !virtio_net_tx_pending(net));
    CHECK(be.accepted == net->stats.tx_frames);
    if (virtio_running(&net->vdev)) {
        CHECK(virtq_inflight(&net->vdev.vq[VIRTIO_NET_TXQ]) ==
              (net->tx.held ? 1u : 0u));
        CHECK(virtq_inflight(&net->vdev.vq[VIRTIO_NET_CTRLQ]) == 0);
    }
    reap(VIRTIO_NET_TXQ, -1);
    reap(VIRTIO_NET_CTRLQ, -1);
    reap(VIRTIO_NET_RXQ, -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};
    uint8_t csel = get8(&in), f0, f1;
    struct netdev_caps caps = {.vnet_hdr = csel & 1};

    if (!ram) {
        ram = malloc(RAM_SIZE);
        net = calloc(1, sizeof(*net));
        CHECK(ram && net);
    }
    if (caps.vnet_hdr)
        caps.offloads = get16(&in) & 0x7fffu;
    gmem_init(&gm);
    CHECK(gmem_add(&gm, 0, RAM_SIZE, ram) == 0);
    memset(&be, 0, sizeof(be));
    CHECK(virtio_net_init(net, &gm, our_mac, &be_ops, NULL,
                          csel & 2 ? NULL : &caps) == 0);
    f0 = get8(&in);
    f1 = get8(&in);
    bring_up(f0, f1);
    for (unsigned i = 0; i < MAX_OPS && in.n; i++)
        step(&in);
    virtio_set_status(&net->vdev, 0);
    return 0;
}
