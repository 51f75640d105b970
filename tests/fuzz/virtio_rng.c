/* libFuzzer target: virtio-rng requests (devices/virtio/rng.c).
 *
 * The input picks the queue size, the features a driver accepts, whether
 * there is an entropy source and a clock, the token bucket's rate and
 * burst, then a sequence of operations: build a request chain in fake
 * guest RAM (readable bytes first, writable ones split anywhere, up to
 * past the per-request cap, indirect or not, sometimes in the wrong
 * order), kick, let time pass (or step back), fire the refill timer the
 * device asked for, switch the source between full, short, failing and
 * over-reporting answers, reset mid-run, scribble over rings, publish
 * bogus heads.
 *
 * Checked on every step (a failed check traps):
 *  - the source is asked only for 1..VIRTIO_RNG_REQ_CAP bytes into the
 *    device's bounce buffer, never more than the chain can hold;
 *  - while the guest has not scribbled on RAM: each used entry names a
 *    published head, used.len is exactly what the source produced for it
 *    (short answers give short used.len, failures 0), those bytes are the
 *    source's bytes in writable-segment order, and no other byte of the
 *    request's region changed (readable buffers, the rest of the writable
 *    ones, the gaps, the indirect table); every fill is reaped at once;
 *  - always: the bytes given out never exceed burst + rate * (time the
 *    clock moved forward), and the device's byte count equals ours while
 *    the guest behaves;
 *  - liveness: after a kick or timer run on a healthy device, requests
 *    left in the ring mean a refill time is set, and a timer run at that
 *    time takes at least one more request. */
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/rng.h"
#include "fuzz_chain.h"
#include "fuzz_driver.h"

#define RAM_SIZE (256 * 1024)
#define QSIZE 16
#define DESC_GPA 0x0000
#define AVAIL_GPA 0x0100
#define USED_GPA 0x0200
#define REGION_GPA 0x1000       /* head h owns REGION bytes at + h*REGION */
#define REGION 0x2000
#define WR_OFF 0x0400           /* readable bytes below, writable above */
#define WR_MAX 0x1800           /* writable bytes, past VIRTIO_RNG_REQ_CAP */
#define TABLE_OFF 0x1c00        /* indirect table inside the region */
#define MAX_PIECES 64
#define MAX_OPS 512
#define MAX_FILLS 1024
#define GUARD 0xee
#define NS 1000000000ULL

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

_Static_assert(REGION_GPA + QSIZE * REGION <= RAM_SIZE, "regions fit");
_Static_assert(WR_OFF + WR_MAX <= TABLE_OFF, "writable area fits");
_Static_assert(TABLE_OFF + MAX_PIECES * 16 <= REGION, "table fits");
_Static_assert(WR_MAX > VIRTIO_RNG_REQ_CAP, "chains can pass the cap");

/* ---- fake entropy source and clock ---- */

enum src_mode { SRC_FULL, SRC_SHORT, SRC_FAIL, SRC_OVER, SRC_ALTERNATE };

struct fill {
    uint32_t seq, asked, gave;  /* gave: bytes written, <= asked */
};

static struct {
    enum src_mode mode;
    uint32_t seq;
    struct fill q[MAX_FILLS];
    unsigned nq;
    uint64_t now, forward;      /* clock; sum of its forward steps */
    uint64_t bytes;             /* used.len summed */
    bool ever_tainted;          /* then (bytes) may miss some */
} be;

static uint8_t *ram;
static struct gmem gm;
static struct virtio_rng *rng;

static uint8_t pattern(uint32_t seq, uint32_t i)
{
    return (uint8_t)(seq * 131 + i * 7 + 1);
}

static size_t src_fill(void *ctx, void *buf, size_t len)
{
    uint32_t seq = ++be.seq, gave = (uint32_t)len;
    size_t ret;

    (void)ctx;
    CHECK(buf == rng->bounce && len >= 1 && len <= VIRTIO_RNG_REQ_CAP);
    switch (be.mode) {
    case SRC_SHORT:
        gave = (uint32_t)(len * (seq % 8) / 8);
        break;
    case SRC_FAIL:
        gave = 0;
        break;
    case SRC_ALTERNATE:
        gave = seq & 1 ? 0 : (uint32_t)len;
        break;
    default:
        break;
    }
    for (uint32_t i = 0; i < gave; i++)
        ((uint8_t *)buf)[i] = pattern(seq, i);
    /* Anything above len must be taken as len. */
    ret = be.mode == SRC_OVER ? len + 1 + seq % 5000 : gave;
    CHECK(be.nq < MAX_FILLS);
    be.q[be.nq++] = (struct fill){.seq = seq, .asked = (uint32_t)len,
                                  .gave = gave};
    return ret;
}

static const struct entropy_ops src_ops = {.fill = src_fill};

static uint64_t clk_mono(void *ctx)
{
    (void)ctx;
    return be.now;
}

static const struct clock_ops clk_ops = {.mono_ns = clk_mono};

static void clock_to(uint64_t t)
{
    if (t > be.now)
        be.forward += t - be.now;
    be.now = t;
}

/* ---- fake driver ---- */

struct rec {
    bool valid;
    uint32_t in_bytes;
    unsigned ndesc, npiece;
    uint16_t desc[QSIZE];
    struct piece p[MAX_PIECES];
};

static struct {
    uint16_t qsize, avail_idx, last_used;
    bool desc_used[QSIZE];
    struct rec rec[QSIZE];
    bool tainted;               /* raw writes: content checks are off */
} drv;

static uint8_t shadow[QSIZE][REGION];   /* each request's region as built */

static void publish(uint16_t head)
{
    fuzz_publish(ram, AVAIL_GPA, drv.qsize, &drv.avail_idx, head);
}

static void bring_up(uint8_t sel)
{
    struct virtio_dev *v = &rng->vdev;
    uint8_t s;
    uint64_t feat = v->host_features;

    if (sel & 1)
        feat &= ~(1ULL << VIRTIO_F_INDIRECT_DESC);
    if (sel & 2)
        feat &= ~(1ULL << VIRTIO_F_EVENT_IDX);
    memset(ram, 0, REGION_GPA);
    memset(&drv, 0, sizeof(drv));
    drv.qsize = (uint16_t)(QSIZE >> (sel >> 2) % 5);
    s = fuzz_negotiate(v, feat);
    CHECK(fuzz_place_queue(v, 0, drv.qsize, DESC_GPA) == 0);
    virtio_set_status(v, s | VIRTIO_STATUS_DRIVER_OK);
}

/* Lay (r->p) out as one chain: an indirect table or direct descriptors. */
static bool add_chain(struct rec *r, bool indirect, gpa_t table)
{
    r->ndesc = fuzz_lay_chain(ram, DESC_GPA, drv.qsize, drv.desc_used, r->p,
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

/* Build one request chain from the input and make it available. */
static void op_request(struct in *in)
{
    uint8_t shape = get8(in), rsplit = get8(in), wsplit = get8(in);
    uint32_t rlen = shape & 0x20 ? pick_len(in, WR_OFF) : 0;
    uint32_t wlen = pick_len(in, WR_MAX);
    struct rec r = {.valid = true};
    unsigned head;
    gpa_t base;

    for (head = 0; head < drv.qsize; head++)
        if (!drv.desc_used[head])
            break;
    if (head == drv.qsize)
        return;
    base = REGION_GPA + head * (gpa_t)REGION;
    memset(ram + base, GUARD, REGION);
    for (uint32_t i = 0; i < rlen; i++)
        ram[base + i] = (uint8_t)i;
    r.npiece = split(in, r.p, MAX_PIECES, base, rlen, rsplit % 4 + 1, false);
    r.npiece += split(in, r.p + r.npiece, MAX_PIECES - r.npiece,
                      base + WR_OFF, wlen,
                      wsplit % 8 + 1 + (wsplit & 0x80 ? wsplit % 64 : 0), true);
    /* A readable piece after the writable ones: the device refuses it. */
    if ((shape & 0x40) && r.npiece < MAX_PIECES)
        r.p[r.npiece++] = (struct piece){.addr = base, .len = 1};
    if (r.npiece == 0) /* one zero-length descriptor: a chain of nothing */
        r.p[r.npiece++] = (struct piece){.addr = base, .len = 0,
                                         .write = true};
    for (unsigned i = 0; i < r.npiece; i++)
        r.in_bytes += r.p[i].write ? r.p[i].len : 0;
    if (!add_chain(&r, shape & 1, base + TABLE_OFF))
        return;
    CHECK(r.desc[0] == head);
    drv.rec[head] = r;
    memcpy(shadow[head], ram + base, REGION);
    publish((uint16_t)head);
}

/* The region of (r) after the device answered with (len) bytes from
 * (f): those bytes in writable order, everything else as built. */
static void check_region(uint16_t head, const struct rec *r, uint32_t len,
                         const struct fill *f)
{
    const uint8_t *now = ram + REGION_GPA + head * (gpa_t)REGION;
    uint8_t want[REGION];
    uint32_t k = 0;

    memcpy(want, shadow[head], REGION);
    for (unsigned i = 0; i < r->npiece && k < len; i++) {
        const struct piece *p = &r->p[i];
        gpa_t off = p->addr - (REGION_GPA + head * (gpa_t)REGION);

        if (!p->write)
            continue;
        for (uint32_t j = 0; j < p->len && k < len; j++, k++)
            want[off + j] = pattern(f->seq, k);
    }
    CHECK(k == len);
    CHECK(memcmp(want, now, REGION) == 0);
}

/* Read what the device returned and check it. */
static void reap_used(void)
{
    uint16_t idx = le16_get(ram, USED_GPA + 2);
    unsigned nf = 0;

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    while (drv.last_used != idx) {
        const uint8_t *e = ram + USED_GPA + 4 + 8 * (drv.last_used % drv.qsize);
        uint32_t id = le32_get(e, 0), len = le32_get(e, 4);
        struct fill none = {0}, *f = &none;
        struct rec *r;

        drv.last_used++;
        CHECK(id < drv.qsize || drv.tainted);
        if (id >= drv.qsize)
            continue;
        r = &drv.rec[id];
        CHECK(r->valid || drv.tainted);
        if (!r->valid)
            continue;
        if (!drv.tainted) {
            /* The source is asked only for chains that can hold bytes. */
            if (r->in_bytes && rng->src) {
                CHECK(nf < be.nq);
                f = &be.q[nf++];
                CHECK(f->asked <= r->in_bytes);
            }
            CHECK(len == f->gave && len <= r->in_bytes);
            check_region((uint16_t)id, r, len, f);
            be.bytes += len;
        }
        for (unsigned i = 0; i < r->ndesc; i++)
            drv.desc_used[r->desc[i]] = false;
        r->valid = false;
    }
    /* Every fill belongs to a request pushed by now. */
    CHECK(drv.tainted || nf == be.nq);
    be.nq = 0;
}

/* ---- operations ---- */

static void check_bucket(void)
{
    const struct virtio_rng_stats *s = &rng->stats;
    unsigned __int128 bound;

    be.ever_tainted |= drv.tainted;
    if (!be.ever_tainted)
        CHECK(s->bytes == be.bytes);
    if (!rng->rate)
        return;
    bound = (unsigned __int128)rng->burst * NS +
            (unsigned __int128)rng->rate * be.forward;
    CHECK((unsigned __int128)s->bytes * NS <= bound);
}

static bool healthy(void)
{
    return virtio_running(&rng->vdev) && !drv.tainted;
}

static uint16_t pending(void)
{
    return (uint16_t)(drv.avail_idx - rng->vdev.vq[0].last_avail);
}

/* After a run: requests left behind must have a time to go on. */
static void check_liveness(void)
{
    if (healthy() && pending())
        CHECK(virtio_rng_next_refill_ns(rng) != 0);
}

static void op_timer(void)
{
    uint64_t t = virtio_rng_next_refill_ns(rng);
    uint16_t before = pending();

    if (!t)
        return;
    if (t > be.now)
        clock_to(t);
    virtio_rng_process(rng);
    if (healthy() && before)
        CHECK(pending() < before);
    check_liveness();
}

static void op_time(struct in *in)
{
    uint8_t sel = get8(in);

    switch (sel % 4) {
    case 0:
        clock_to(be.now + get8(in));
        break;
    case 1:
        clock_to(be.now + get32(in));
        break;
    case 2:
        clock_to(be.now + (uint64_t)get16(in) * 1000000);
        break;
    default: { /* a clock that steps back: taken as no time passing */
        uint64_t back = get16(in);

        clock_to(be.now - (back < be.now ? back : be.now));
        break;
    }
    }
}

static void op_raw_write(struct in *in)
{
    uint32_t off = get16(in) % REGION_GPA;
    unsigned len = get8(in) % 16;

    for (unsigned i = 0; i < len; i++)
        ram[off + i] = get8(in);
    drv.tainted = true;
}

static void op_reset(struct in *in)
{
    virtio_set_status(&rng->vdev, 0);
    CHECK(virtio_rng_next_refill_ns(rng) == 0);
    bring_up(get8(in));
}

static void step(struct in *in)
{
    uint8_t op = get8(in);

    switch (op % 12) {
    case 0:
    case 1:
    case 2:
        op_request(in);
        break;
    case 3:
    case 4:
        virtio_notify(&rng->vdev, 0);
        check_liveness();
        break;
    case 5:
        op_time(in);
        break;
    case 6:
        op_timer();
        break;
    case 7:
        be.mode = (enum src_mode)((op >> 4) % 5);
        break;
    case 8:
        op_reset(in);
        break;
    case 9:
        op_raw_write(in);
        break;
    case 10:
        publish(get16(in)); /* any head, even a bogus one */
        drv.tainted = true;
        break;
    default:
        virtio_notify(&rng->vdev, get8(in)); /* no such queue: dropped */
        break;
    }
    reap_used();
    check_bucket();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};
    uint8_t ssel = get8(&in), fsel = get8(&in);
    uint64_t rate, burst;

    if (!ram) {
        ram = malloc(RAM_SIZE);
        rng = calloc(1, sizeof(*rng));
        CHECK(ram && rng);
    }
    memset(ram, 0, RAM_SIZE);
    gmem_init(&gm);
    CHECK(gmem_add(&gm, 0, RAM_SIZE, ram) == 0);
    memset(&be, 0, sizeof(be));
    /* Below 2^62 ns (146 years): a monotonic clock never wraps. */
    be.now = ssel & 4 ? get64(&in) >> 2 : get16(&in);
    be.mode = (enum src_mode)(ssel >> 3) % 5;
    rate = ssel & 2 ? (ssel & 0x40 ? get32(&in) : get16(&in) % 5000) : 0;
    burst = get8(&in) & 1 ? get64(&in) : get16(&in);
    virtio_rng_init(rng, &gm, ssel & 0x80 ? NULL : &src_ops, NULL,
                    ssel & 1 ? &clk_ops : NULL, NULL, rate, burst);
    bring_up(fsel);
    for (unsigned i = 0; i < MAX_OPS && in.n; i++)
        step(&in);
    virtio_set_status(&rng->vdev, 0);
    return 0;
}
