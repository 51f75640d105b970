/* libFuzzer target: virtio-blk requests.
 *
 * The input picks an image size, read-only or not, the features a driver
 * accepts, then a sequence of operations: build a request chain in fake
 * guest RAM (header split, data split, indirect or not, wrong flags, odd
 * lengths, hostile sectors and types), kick, complete backend requests out
 * of order with errors, reset mid-I/O, deliver stale completions, scribble
 * raw bytes over rings and buffers, publish bogus heads, poke the config.
 *
 * Checked on every step (a failed check traps):
 *  - the backend never sees a request outside the image, a write on a
 *    read-only image, a buffer outside guest RAM or an iov sum that
 *    disagrees with the length (the image is malloc'd at its exact size,
 *    so ASan catches the rest);
 *  - the device's in-flight count equals the backend's, never above the
 *    queue size;
 *  - every used entry names a head below the queue size, and while the
 *    guest has not scribbled over its own requests, a request with a
 *    writable last byte gets a valid status there and used.len no larger
 *    than its writable bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/blk.h"
#include "fuzz_chain.h"
#include "fuzz_driver.h"

#define RAM_SIZE (256 * 1024)
#define QSIZE 16
#define DESC_GPA 0x0000
#define AVAIL_GPA 0x0100
#define USED_GPA 0x0200
#define REGION_GPA 0x4000       /* head h owns REGION bytes at + h*REGION */
#define REGION 0x3000
#define TABLE_OFF 0x2400        /* indirect table inside the region */
#define MAX_DATA 8192
#define MAX_PIECES 160
#define MAX_OPS 512
#define MAX_PEND 512
#define UNTOUCHED 0xee

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

_Static_assert(REGION_GPA + QSIZE * REGION <= RAM_SIZE, "regions fit");
_Static_assert(TABLE_OFF + MAX_PIECES * 16 <= REGION, "table fits");

/* ---- input ---- */

/* ---- fake backend ---- */

struct pend {
    struct blkdev_req *req;
    uint64_t cookie;
};

static struct {
    uint8_t *img;
    uint64_t size;
    bool ro;
    int submit_rc;
    struct pend pend[MAX_PEND];
    unsigned npend;
    uint64_t stale[MAX_PEND];   /* drained, not delivered */
    unsigned nstale;
} be;

static uint8_t *ram;
static struct gmem gm;
static struct virtio_blk *blk;

static void be_info(void *ctx, struct blkdev_info *out)
{
    (void)ctx;
    out->size = be.size;
    out->read_only = be.ro;
}

static void check_req(const struct blkdev_req *r)
{
    uint64_t sum = 0;

    CHECK(r->op <= BLKDEV_OP_WRITE_ZEROES);
    CHECK(r->offset <= be.size && r->len <= be.size - r->offset);
    CHECK(!be.ro || r->op == BLKDEV_OP_READ || r->op == BLKDEV_OP_FLUSH);
    CHECK(r->niov <= BLKDEV_MAX_IOV);
    for (unsigned i = 0; i < r->niov; i++) {
        const uint8_t *b = r->iov[i].base;

        CHECK(b >= ram && r->iov[i].len <= RAM_SIZE &&
              (size_t)(b - ram) <= RAM_SIZE - r->iov[i].len);
        sum += r->iov[i].len;
    }
    if (r->op == BLKDEV_OP_READ || r->op == BLKDEV_OP_WRITE)
        CHECK(sum == r->len && r->len > 0);
    else
        CHECK(r->niov == 0);
}

static int be_submit(void *ctx, struct blkdev_req *req)
{
    (void)ctx;
    if (be.submit_rc < 0)
        return be.submit_rc;
    check_req(req);
    CHECK(be.npend < MAX_PEND);
    be.pend[be.npend++] = (struct pend){.req = req, .cookie = req->cookie};
    return 0;
}

/* Do what (r) asks; a failing read scribbles its buffers first. */
static void be_exec(const struct blkdev_req *r, int result)
{
    uint64_t at = r->offset;

    check_req(r); /* the device must not have changed it meanwhile */
    for (unsigned i = 0; i < r->niov; i++) {
        if (result)
            memset(r->iov[i].base, 0xab, r->iov[i].len);
        else if (r->op == BLKDEV_OP_READ)
            memcpy(r->iov[i].base, be.img + at, r->iov[i].len);
        else
            memcpy(be.img + at, r->iov[i].base, r->iov[i].len);
        at += r->iov[i].len;
    }
    if (!result && (r->op == BLKDEV_OP_DISCARD ||
                    r->op == BLKDEV_OP_WRITE_ZEROES))
        memset(be.img + r->offset, 0, r->len);
}

static void be_drain(void *ctx)
{
    (void)ctx;
    for (unsigned i = 0; i < be.npend; i++) {
        be_exec(be.pend[i].req, 0);
        if (be.nstale < MAX_PEND) /* beyond that, forgotten: allowed */
            be.stale[be.nstale++] = be.pend[i].cookie;
    }
    be.npend = 0;
}

static const struct blkdev_ops be_ops = {
    .info = be_info,
    .submit = be_submit,
    .drain = be_drain,
};

/* ---- fake driver ---- */

struct rec {
    bool valid;
    gpa_t st;                   /* last writable byte */
    bool has_st;
    uint32_t in_bytes;
    unsigned ndesc;
    uint16_t desc[QSIZE];
};

static struct {
    uint16_t avail_idx, last_used;
    bool desc_used[QSIZE];
    struct rec rec[QSIZE];
    bool tainted;               /* raw writes: checks on requests are off */
} drv;

static void publish(uint16_t head)
{
    fuzz_publish(ram, AVAIL_GPA, QSIZE, &drv.avail_idx, head);
}

static void bring_up(uint8_t sel)
{
    struct virtio_dev *v = &blk->vdev;
    uint8_t s;
    uint64_t feat = v->host_features;

    if (sel & 1)
        feat &= ~(1ULL << VIRTIO_BLK_F_FLUSH);
    if (sel & 2)
        feat &= ~(1ULL << VIRTIO_F_INDIRECT_DESC);
    if (sel & 4)
        feat &= ~(1ULL << VIRTIO_F_EVENT_IDX);
    memset(ram, 0, REGION_GPA);
    memset(&drv, 0, sizeof(drv));
    s = fuzz_negotiate(v, feat);
    CHECK(fuzz_place_queue(v, 0, QSIZE, DESC_GPA) == 0);
    virtio_set_status(v, s | VIRTIO_STATUS_DRIVER_OK);
}

static uint32_t pick_type(struct in *in, uint8_t sel)
{
    static const uint32_t types[] = {
        VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
        VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
        VIRTIO_BLK_T_GET_LIFETIME};

    return sel % 8 < 7 ? types[sel % 8] : get32(in);
}

static uint64_t pick_sector(struct in *in)
{
    uint8_t sel = get8(in);
    uint64_t cap = blk->capacity;

    switch (sel % 4) {
    case 0:
        return get8(in);
    case 1:
        return cap - 1 - get8(in) % 4;
    case 2:
        return cap + get8(in) % 4;
    default:
        return get64(in);
    }
}

/* The payload bytes for the request: a header, then data or ranges. */
static uint32_t fill_payload(struct in *in, uint32_t type, gpa_t base,
                             uint8_t lsel)
{
    uint8_t *h = ram + base;
    uint32_t len;

    le32_put(h, 0, type);
    le32_put(h, 4, get8(in));
    le64_put(h, 8, pick_sector(in));
    if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
        unsigned nrange = lsel & 0x40 ? lsel % 3 : 1;

        for (unsigned i = 0; i < nrange; i++) {
            le64_put(h, 16 + 16 * i, pick_sector(in));
            le32_put(h, 16 + 16 * i + 8, get8(in) & 0x80 ? get32(in)
                                                         : get8(in));
            le32_put(h, 16 + 16 * i + 12, get8(in) & 0x80 ? get32(in)
                                                          : get8(in) & 1);
        }
        return 16 * nrange;
    }
    if (type == VIRTIO_BLK_T_GET_ID)
        return lsel & 0x20 ? 20 : lsel % 32;
    len = (lsel & 15) * 512u + (lsel & 0x10 ? get8(in) : 0);
    len = len > MAX_DATA ? MAX_DATA : len;
    for (uint32_t i = 0; i < len; i++)
        h[16 + i] = (uint8_t)(i * 7);
    return len;
}

/* Lay (p, n) out as one chain: an indirect table or direct descriptors. */
static bool add_chain(struct rec *r, const struct piece *p, unsigned n,
                      bool indirect, gpa_t table)
{
    r->ndesc = fuzz_lay_chain(ram, DESC_GPA, QSIZE, drv.desc_used, p, n,
                              indirect, table, r->desc);
    return r->ndesc != 0;
}

/* Build one request chain from the input and make it available. */
static void op_request(struct in *in)
{
    uint8_t tsel = get8(in), lsel = get8(in), shape = get8(in);
    uint8_t hsplit = get8(in), dsplit = get8(in);
    uint32_t type = pick_type(in, tsel);
    bool data_in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    struct piece p[MAX_PIECES];
    struct rec r = {.valid = true};
    unsigned n = 0, head_guess;
    uint32_t dlen;
    gpa_t base;

    /* Buffers go in the region of the first free descriptor (the head). */
    for (head_guess = 0; head_guess < QSIZE; head_guess++)
        if (!drv.desc_used[head_guess])
            break;
    if (head_guess == QSIZE)
        return;
    base = REGION_GPA + head_guess * (gpa_t)REGION;
    dlen = fill_payload(in, type, base, lsel);
    if (shape & 0x10)
        data_in = !data_in;
    n += split(in, p + n, MAX_PIECES - n, base, 16, hsplit % 4 + 1, false);
    n += split(in, p + n, MAX_PIECES - n - 1, base + 16, dlen,
               dsplit % 8 + 1 + (dsplit & 0x80 ? dsplit : 0), data_in);
    ram[base + 16 + dlen] = UNTOUCHED;
    if (!(shape & 2)) /* else no status byte at all */
        p[n++] = (struct piece){.addr = base + 16 + dlen,
                                .len = shape & 8 ? 0 : 1,
                                .write = !(shape & 4)};
    for (unsigned i = 0; i < n; i++) {
        if (!p[i].write || !p[i].len)
            continue;
        r.in_bytes += p[i].len;
        r.st = p[i].addr + p[i].len - 1;
        r.has_st = true;
    }
    if (!add_chain(&r, p, n, shape & 1, base + TABLE_OFF))
        return;
    CHECK(r.desc[0] == head_guess);
    drv.rec[r.desc[0]] = r;
    publish(r.desc[0]);
}

/* Read what the device returned and check it. */
static void reap_used(void)
{
    uint16_t idx = le16_get(ram, USED_GPA + 2);

    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    while (drv.last_used != idx) {
        const uint8_t *e = ram + USED_GPA + 4 + 8 * (drv.last_used % QSIZE);
        uint32_t id = le32_get(e, 0), len = le32_get(e, 4);
        struct rec *r;

        drv.last_used++;
        /* Once the input has scribbled on RAM, the used ring itself may
         * hold its bytes rather than the device's. */
        CHECK(id < QSIZE || drv.tainted);
        if (id >= QSIZE)
            continue;
        r = &drv.rec[id];
        if (!r->valid)
            continue;
        if (!drv.tainted) {
            CHECK(r->has_st);
            CHECK(ram[r->st] <= VIRTIO_BLK_S_UNSUPP);
            CHECK(len <= r->in_bytes);
        }
        for (unsigned i = 0; i < r->ndesc; i++)
            drv.desc_used[r->desc[i]] = false;
        r->valid = false;
    }
}

/* ---- operations ---- */

static const int results[] = {0, 0, 0, -EIO, -ENOSPC, -EOPNOTSUPP, -EROFS};

static void complete_one(unsigned i, int result)
{
    struct pend p = be.pend[i];

    be.pend[i] = be.pend[--be.npend];
    be_exec(p.req, result);
    virtio_blk_complete(blk, p.cookie, result);
}

static void op_complete(struct in *in)
{
    unsigned k = get8(in) % 4 + 1;

    while (k-- && be.npend) {
        unsigned i = get8(in) % be.npend;

        complete_one(i, results[get8(in) % ARRAY_SIZE(results)]);
    }
}

static void op_reset(struct in *in)
{
    virtio_set_status(&blk->vdev, 0);
    CHECK(virtio_blk_inflight(blk) == 0 && be.npend == 0);
    bring_up(get8(in));
}

static void op_stale(struct in *in)
{
    for (unsigned i = 0; i < be.nstale; i++)
        virtio_blk_complete(blk, be.stale[i], results[get8(in) % 3]);
    be.nstale = 0;
}

static void op_raw_write(struct in *in)
{
    uint32_t off = get16(in) % (REGION_GPA + QSIZE * REGION);
    unsigned len = get8(in) % 32;

    for (unsigned i = 0; i < len && off + i < RAM_SIZE; i++)
        ram[off + i] = get8(in);
    drv.tainted = true;
}

static void op_config(struct in *in)
{
    uint8_t buf[8] = {0};
    uint32_t off = get8(in);
    unsigned len = 1u << (get8(in) % 4);

    if (get8(in) & 1)
        virtio_config_write(&blk->vdev, off, buf, len);
    else
        virtio_config_read(&blk->vdev, off, buf, len);
}

static void step(struct in *in)
{
    switch (get8(in) % 10) {
    case 0:
    case 1:
        op_request(in);
        break;
    case 2:
    case 3:
        virtio_notify(&blk->vdev, 0);
        break;
    case 4:
        op_complete(in);
        break;
    case 5:
        op_reset(in);
        break;
    case 6:
        op_stale(in);
        break;
    case 7:
        op_raw_write(in);
        break;
    case 8:
        publish(get16(in));  /* any head, even a bogus one */
        drv.tainted = true;
        break;
    default:
        op_config(in);
        be.submit_rc = get8(in) % 8 == 0 ? -EAGAIN : 0;
        break;
    }
    CHECK(virtio_blk_inflight(blk) == be.npend);
    CHECK(be.npend <= QSIZE);
    reap_used();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};
    uint8_t ssel = get8(&in);

    if (!ram) {
        ram = malloc(RAM_SIZE);
        blk = calloc(1, sizeof(*blk));
        CHECK(ram && blk);
    }
    memset(ram, 0, RAM_SIZE);
    gmem_init(&gm);
    CHECK(gmem_add(&gm, 0, RAM_SIZE, ram) == 0);
    memset(&be, 0, sizeof(be));
    be.size = 64 * 1024 + (ssel & 3) * 512u + (ssel & 4 ? 100 : 0);
    be.ro = ssel & 8;
    be.img = malloc(be.size);
    CHECK(be.img);
    memset(be.img, 0x11, be.size);
    CHECK(virtio_blk_init(blk, &gm, &be_ops, NULL,
                          ssel & 16 ? "fuzz-serial" : NULL) == 0);
    bring_up(get8(&in));
    for (unsigned i = 0; i < MAX_OPS && in.n; i++)
        step(&in);
    while (be.npend)
        complete_one(0, 0);
    reap_used();
    virtio_set_status(&blk->vdev, 0);
    free(be.img);
    return 0;
}
