/* libFuzzer target: virtio-console (devices/virtio/console.c).
 *
 * The input picks the queue sizes and the features a driver accepts,
 * then a sequence of operations on both queues in fake guest RAM:
 * transmit chains (readable bytes split anywhere, the same buffer listed
 * again and again so one chain passes the per-run budget, writable
 * descriptors at the end that the device must not touch, readable after
 * writable), receive buffers of any shape (readable ones first, zero
 * length), host input of any length pushed directly or from the rx_ready
 * hook inside a kick, kicks, the VMM's "TX pending" re-run, emerg_wr and
 * other config accesses of every width, a sink that accepts everything,
 * part, nothing, or claims more, resets mid-chain, scribbles over rings,
 * bogus heads.
 *
 * Checked on every step (a failed check traps):
 *  - the sink gets at most VIRTIO_CONSOLE_BOUNCE bytes from the device's
 *    bounce buffer per call, or one emerg_wr byte from a config write
 *    (exactly when the access is a valid one at emerg_wr);
 *  - while the guest has not scribbled on RAM: the sink sees exactly the
 *    readable bytes of the transmit chains in ring order, whatever it
 *    returned; a chain is used only after all of its readable bytes went
 *    out, with used.len 0, and no byte of its region changed; the
 *    device's tx_bytes / tx_dropped equal ours;
 *  - receive: push_input takes a prefix of the input; each used entry
 *    has used.len within its writable bytes, the chain's writable bytes
 *    hold the next used.len input bytes in order and nothing else in its
 *    region changed; all taken bytes are in used entries when the call
 *    returns; input is refused only when no receive buffer is left;
 *  - liveness: after a TX run on a healthy device, a chain left in the
 *    ring or half sent means tx_pending() is true, and another run then
 *    sends more;
 *  - config reads give cols 0, rows 0, max_nr_ports 1, emerg_wr 0 for a
 *    valid access and zeros otherwise. */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/console.h"
#include "fuzz_chain.h"
#include "fuzz_driver.h"

#define RAM_SIZE (256 * 1024)
#define QSIZE 16
#define NQ 2
#define RXQ VIRTIO_CONSOLE_RXQ
#define TXQ VIRTIO_CONSOLE_TXQ
#define RING_GPA(q) (0x400 * (gpa_t)(q))  /* desc; avail +0x100; used +0x200 */
#define REGION_GPA 0x1000
#define REGION 0x1000           /* queue q's head h owns one region */
#define WR_OFF 0x0600           /* readable bytes below, writable above */
#define TABLE_OFF 0x0c00        /* indirect table inside the region */
#define MAX_PIECES 64
#define MAX_OPS 512
#define MAX_INPUT 8192
#define GUARD 0xee

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

_Static_assert(REGION_GPA + NQ * QSIZE * REGION <= RAM_SIZE, "regions fit");
_Static_assert(TABLE_OFF + MAX_PIECES * 16 <= REGION, "table fits");

static uint8_t *ram;
static struct gmem gm;
static struct virtio_console *con;

/* ---- fake driver: chains ---- */

struct rec {
    bool valid;
    uint32_t in_bytes, out_bytes;
    unsigned ndesc, npiece;
    uint16_t desc[QSIZE];
    struct piece p[MAX_PIECES];
};

struct dq {
    uint16_t size, avail_idx, last_used;
    bool desc_used[QSIZE];
    struct rec rec[QSIZE];
    uint16_t order[QSIZE];      /* published heads, oldest first */
    unsigned norder;
};

static struct {
    struct dq q[NQ];
    bool tainted;               /* raw writes: content checks are off */
    /* TX: where the sink is in the oldest published chain */
    unsigned tx_piece;
    uint32_t tx_off;
    /* RX: input taken by the device, not yet seen in a used entry */
    uint8_t rx[MAX_INPUT];
    size_t nrx;
} drv;

/* ---- fake sink and rx_ready hook ---- */

static struct {
    unsigned mode;              /* 0 all, 1 half, 2 none, 3 more, 4 alt */
    uint64_t calls, bytes, dropped;
    int emerg;                  /* byte expected from emerg_wr, or -1 */
    uint64_t emerg_bytes;
    bool ever_tainted;
    /* held input the rx_ready hook offers */
    uint8_t held[64];
    size_t nheld;
    unsigned ready_calls;
} be;

static uint8_t shadow[NQ][QSIZE][REGION];

static gpa_t region(unsigned q, unsigned head)
{
    return REGION_GPA + (q * QSIZE + head) * (gpa_t)REGION;
}

/* Drop transmit chains the sink has had every readable byte of from the
 * front of the queue, stopping at the first with bytes left. */
static void tx_skip_done(void)
{
    struct dq *d = &drv.q[TXQ];

    while (d->norder) {
        const struct rec *r = &d->rec[d->order[0]];

        for (; drv.tx_piece < r->npiece; drv.tx_piece++, drv.tx_off = 0) {
            const struct piece *p = &r->p[drv.tx_piece];

            if (!p->write && drv.tx_off < p->len)
                return;
        }
        memmove(d->order, d->order + 1, --d->norder * sizeof(d->order[0]));
        drv.tx_piece = 0;
        drv.tx_off = 0;
    }
}

/* The next byte the guest's transmit chains hold, or -1 when none. */
static int tx_next(void)
{
    const struct dq *d = &drv.q[TXQ];
    const struct piece *p;

    tx_skip_done();
    if (!d->norder)
        return -1;
    p = &d->rec[d->order[0]].p[drv.tx_piece];
    return ram[p->addr + drv.tx_off++];
}

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    size_t ret = len;

    (void)ctx;
    be.calls++;
    if (be.emerg >= 0) {
        CHECK(len == 1 && buf[0] == be.emerg);
        be.emerg = -1;
        be.emerg_bytes++;
        return 1;
    }
    CHECK(buf == con->bounce && len >= 1 && len <= VIRTIO_CONSOLE_BOUNCE);
    if (!drv.tainted)
        for (size_t i = 0; i < len; i++)
            CHECK(tx_next() == buf[i]);
    switch (be.mode) {
    case 1:
        ret = len / 2;
        break;
    case 2:
        ret = 0;
        break;
    case 3:
        ret = len + 1 + be.calls % 100; /* taken as len */
        break;
    case 4:
        ret = be.calls & 1 ? 0 : len;
        break;
    default:
        break;
    }
    be.bytes += len;
    be.dropped += len - (ret < len ? ret : len);
    return ret;
}

static const struct chr_ops sink_ops = {.write = sink_write};

static void take_input(const uint8_t *buf, size_t len, size_t got)
{
    CHECK(got <= len);
    if (drv.tainted)
        return;
    CHECK(drv.nrx + got <= MAX_INPUT);
    memcpy(drv.rx + drv.nrx, buf, got);
    drv.nrx += got;
}

/* What the VMM does: offer held input when the guest posts buffers. */
static void rx_ready(void *ctx)
{
    size_t got;

    (void)ctx;
    be.ready_calls++;
    if (!be.nheld)
        return;
    got = virtio_console_push_input(con, be.held, be.nheld);
    take_input(be.held, be.nheld, got);
    memmove(be.held, be.held + got, be.nheld - got);
    be.nheld -= got;
}

/* ---- fake driver: bring-up and chains ---- */

static void publish(unsigned q, uint16_t head)
{
    struct dq *d = &drv.q[q];

    fuzz_publish(ram, RING_GPA(q) + 0x100, d->size, &d->avail_idx, head);
}

static void bring_up(uint8_t sel)
{
    struct virtio_dev *v = &con->vdev;
    uint8_t s;
    uint64_t feat = v->host_features;

    if (sel & 1)
        feat &= ~(1ULL << VIRTIO_F_INDIRECT_DESC);
    if (sel & 2)
        feat &= ~(1ULL << VIRTIO_F_EVENT_IDX);
    if (sel & 4)
        feat &= ~(1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE);
    memset(ram, 0, REGION_GPA);
    memset(&drv, 0, sizeof(drv));
    s = fuzz_negotiate(v, feat);
    for (unsigned q = 0; q < NQ; q++) {
        drv.q[q].size = (uint16_t)(QSIZE >> (sel >> (3 + 2 * q)) % 4);
        CHECK(fuzz_place_queue(v, q, drv.q[q].size, RING_GPA(q)) == 0);
    }
    virtio_set_status(v, s | VIRTIO_STATUS_DRIVER_OK);
}

/* Lay (r->p) out as one chain of queue (q). */
static bool add_chain(unsigned q, struct rec *r, bool indirect, gpa_t table)
{
    struct dq *d = &drv.q[q];

    r->ndesc = fuzz_lay_chain(ram, RING_GPA(q), d->size, d->desc_used, r->p,
                              r->npiece, indirect, table, r->desc);
    return r->ndesc != 0;
}

static uint32_t pick_len(struct in *in, uint32_t max)
{
    uint8_t sel = get8(in);

    switch (sel % 4) {
    case 0:
        return 0;
    case 1:
        return get8(in) % (max + 1);
    case 2:
        return max - get8(in) % 8;
    default:
        return get16(in) % (max + 1);
    }
}

/* One chain on queue (q): readable bytes (listed (rep) times on TX),
 * then writable ones; shape bit 0x40 appends a readable piece after the
 * writable ones, which the device must refuse. */
static void op_chain(struct in *in, unsigned q)
{
    struct dq *d = &drv.q[q];
    uint8_t shape = get8(in), rsplit = get8(in), wsplit = get8(in);
    uint32_t rlen = q == TXQ || (shape & 0x20) ? pick_len(in, WR_OFF) : 0;
    uint32_t wlen = q == RXQ || (shape & 0x20) ? pick_len(in, TABLE_OFF - WR_OFF)
                                               : 0;
    unsigned rep = q == TXQ && (shape & 0x80) ? get8(in) % 16 + 1 : 1;
    struct rec r = {.valid = true};
    unsigned head, nr;
    gpa_t base;

    for (head = 0; head < d->size; head++)
        if (!d->desc_used[head])
            break;
    if (head == d->size)
        return;
    base = region(q, head);
    memset(ram + base, GUARD, REGION);
    for (uint32_t i = 0; i < rlen; i++)
        ram[base + i] = (uint8_t)(i * 13 + head + q);
    nr = split(in, r.p, 8, base, rlen, rsplit % 4 + 1, false);
    for (r.npiece = nr; --rep && r.npiece + nr <= MAX_PIECES - 8;
         r.npiece += nr)
        memcpy(r.p + r.npiece, r.p, nr * sizeof(r.p[0]));
    r.npiece += split(in, r.p + r.npiece, MAX_PIECES - 1 - r.npiece,
                      base + WR_OFF, wlen,
                      wsplit % 8 + 1 + (wsplit & 0x80 ? wsplit % 64 : 0), true);
    if (shape & 0x40)
        r.p[r.npiece++] = (struct piece){.addr = base, .len = 1};
    if (r.npiece == 0)
        r.p[r.npiece++] = (struct piece){.addr = base, .len = 0};
    for (unsigned i = 0; i < r.npiece; i++) {
        if (r.p[i].write)
            r.in_bytes += r.p[i].len;
        else
            r.out_bytes += r.p[i].len;
    }
    if (!add_chain(q, &r, shape & 1, base + TABLE_OFF))
        return;
    CHECK(r.desc[0] == head);
    d->rec[head] = r;
    if (!drv.tainted) /* then order is kept only until the reset */
        d->order[d->norder++] = (uint16_t)head;
    memcpy(shadow[q][head], ram + base, REGION);
    publish(q, (uint16_t)head);
}

/* ---- reaping ---- */

static void check_tx_done(uint16_t head, const struct rec *r, uint32_t len)
{
    const struct dq *d = &drv.q[TXQ];

    (void)r;
    CHECK(len == 0);
    /* Every readable byte went out: the chain left the sink's queue. */
    tx_skip_done();
    for (unsigned i = 0; i < d->norder; i++)
        CHECK(d->order[i] != head);
    CHECK(!memcmp(ram + region(TXQ, head), shadow[TXQ][head], REGION));
}

static void check_rx_done(uint16_t head, const struct rec *r, uint32_t len)
{
    struct dq *d = &drv.q[RXQ];
    uint8_t want[REGION];
    gpa_t base = region(RXQ, head);
    uint32_t k = 0;

    CHECK(len <= r->in_bytes && len <= drv.nrx);
    memcpy(want, shadow[RXQ][head], REGION);
    for (unsigned i = 0; i < r->npiece && k < len; i++) {
        const struct piece *p = &r->p[i];
        uint32_t n = p->len < len - k ? p->len : len - k;

        if (!p->write)
            continue;
        memcpy(want + (p->addr - base), drv.rx + k, n);
        k += n;
    }
    CHECK(k == len);
    CHECK(!memcmp(ram + base, want, REGION));
    memmove(drv.rx, drv.rx + len, drv.nrx - len);
    drv.nrx -= len;
    /* RX chains are used in ring order. */
    CHECK(d->norder && d->order[0] == head);
    memmove(d->order, d->order + 1, --d->norder * sizeof(d->order[0]));
}

static void reap(unsigned q)
{
    struct dq *d = &drv.q[q];
    gpa_t used = RING_GPA(q) + 0x200;
    uint16_t idx = le16_get(ram, used + 2);

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    while (d->last_used != idx) {
        const uint8_t *e = ram + used + 4 + 8 * (d->last_used % d->size);
        uint32_t id = le32_get(e, 0), len = le32_get(e, 4);
        struct rec *r;

        d->last_used++;
        CHECK(id < d->size || drv.tainted);
        if (id >= d->size)
            continue;
        r = &d->rec[id];
        CHECK(r->valid || drv.tainted);
        if (!r->valid)
            continue;
        if (!drv.tainted && q == TXQ)
            check_tx_done((uint16_t)id, r, len);
        else if (!drv.tainted)
            check_rx_done((uint16_t)id, r, len);
        for (unsigned i = 0; i < r->ndesc; i++)
            d->desc_used[r->desc[i]] = false;
        r->valid = false;
    }
    /* All taken input is in used entries by now. */
    CHECK(q != RXQ || drv.tainted || drv.nrx == 0);
}

/* ---- operations ---- */

static bool healthy(void)
{
    return virtio_running(&con->vdev) && !drv.tainted;
}

static uint16_t pending(unsigned q)
{
    return (uint16_t)(drv.q[q].avail_idx - con->vdev.vq[q].last_avail);
}

static void check_tx_liveness(void)
{
    if (healthy() && (pending(TXQ) || con->tx.busy))
        CHECK(virtio_console_tx_pending(con));
}

/* The VMM's re-run while TX is pending: it must make progress. */
static void op_tx_again(void)
{
    uint64_t bytes = con->stats.tx_bytes;
    uint16_t before = pending(TXQ);
    bool busy = con->tx.busy;

    if (!virtio_console_tx_pending(con))
        return;
    virtio_console_tx(con);
    if (healthy() && (before || busy))
        CHECK(con->stats.tx_bytes > bytes || pending(TXQ) < before ||
              (busy && !con->tx.busy));
    check_tx_liveness();
}

static void op_push(struct in *in)
{
    uint8_t buf[MAX_INPUT];
    uint8_t sel = get8(in);
    size_t len = sel & 0x80 ? get16(in) % MAX_INPUT : sel % 64, got;

    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 3 + sel);
    got = virtio_console_push_input(con, len ? buf : NULL, len);
    take_input(buf, len, got);
    /* Input is left over only when no receive buffer is. */
    if (healthy() && got < len)
        CHECK(pending(RXQ) == 0);
}

static void op_hold(struct in *in)
{
    be.nheld = get8(in) % (sizeof(be.held) + 1);
    for (size_t i = 0; i < be.nheld; i++)
        be.held[i] = get8(in);
}

static void op_config(struct in *in)
{
    static const uint8_t img[VIRTIO_CONSOLE_CFG_LEN] = {0, 0, 0, 0, 1};
    uint8_t buf[8] = {0};
    uint32_t off = get8(in) % 20;
    unsigned len = 1u << (get8(in) % 4);
    bool ok = off % len == 0 && off + len <= VIRTIO_CONSOLE_CFG_LEN;

    if (get8(in) & 1) {
        for (unsigned i = 0; i < len; i++)
            buf[i] = get8(in);
        be.emerg = ok && off == VIRTIO_CONSOLE_CFG_EMERG_WR && len <= 4
                       ? buf[0] : -1;
        virtio_config_write(&con->vdev, off, buf, len);
        CHECK(be.emerg == -1);   /* the byte came, or none was due */
        return;
    }
    memset(buf, 0xa5, sizeof(buf));
    virtio_config_read(&con->vdev, off, buf, len);
    for (unsigned i = 0; i < len; i++)
        CHECK(buf[i] == (ok ? img[off + i] : 0));
}

static void op_raw_write(struct in *in)
{
    uint32_t off = get16(in) % REGION_GPA;
    unsigned len = get8(in) % 16;

    for (unsigned i = 0; i < len; i++)
        ram[off + i] = get8(in);
    drv.tainted = true;
}

static void check_counts(void)
{
    const struct virtio_console_stats *s = &con->stats;

    be.ever_tainted |= drv.tainted;
    CHECK(s->tx_bytes == be.bytes && s->tx_dropped == be.dropped);
    CHECK(s->emerg_bytes == be.emerg_bytes);
    /* Only the chain being sent is held; receive chains never are. */
    CHECK(virtq_inflight(&con->vdev.vq[TXQ]) == (con->tx.busy ? 1u : 0u));
    CHECK(virtq_inflight(&con->vdev.vq[RXQ]) == 0);
}

static void step(struct in *in)
{
    uint8_t op = get8(in);

    switch (op % 14) {
    case 0:
    case 1:
        op_chain(in, TXQ);
        break;
    case 2:
    case 3:
        op_chain(in, RXQ);
        break;
    case 4:
        virtio_notify(&con->vdev, TXQ);
        check_tx_liveness();
        break;
    case 5:
        virtio_notify(&con->vdev, RXQ); /* rx_ready may push held input */
        break;
    case 6:
        op_tx_again();
        break;
    case 7:
        op_push(in);
        break;
    case 8:
        op_hold(in);
        break;
    case 9:
        op_config(in);
        break;
    case 10:
        be.mode = (op >> 4) % 5;
        break;
    case 11:
        virtio_set_status(&con->vdev, 0);
        CHECK(!virtio_console_tx_pending(con));
        bring_up(get8(in));
        break;
    case 12:
        op_raw_write(in);
        break;
    default:
        publish(op >> 7, get16(in)); /* any head, even a bogus one */
        drv.tainted = true;
        break;
    }
    reap(TXQ);
    reap(RXQ);
    check_counts();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};
    uint8_t sel = get8(&in);

    if (!ram) {
        ram = malloc(RAM_SIZE);
        con = calloc(1, sizeof(*con));
        CHECK(ram && con);
    }
    memset(ram, 0, RAM_SIZE);
    gmem_init(&gm);
    CHECK(gmem_add(&gm, 0, RAM_SIZE, ram) == 0);
    memset(&be, 0, sizeof(be));
    be.emerg = -1;
    be.mode = sel % 5;
    virtio_console_init(con, &gm, &sink_ops, NULL);
    virtio_console_set_rx_ready(con, rx_ready, NULL);
    bring_up(get8(&in));
    for (unsigned i = 0; i < MAX_OPS && in.n; i++)
        step(&in);
    virtio_set_status(&con->vdev, 0);
    return 0;
}
