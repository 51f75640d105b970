/* virtio-blk device model: requests through the fake driver against an
 * in-memory backend that fails on demand. test_a19_* / test_a20_* are the
 * RELIABILITY.md (a) cases 19 and 20, test_base_* the baseline for every
 * (a) case, test_b1_* the device's side of fault case (b) 1, test_a11_*
 * a second vCPU rewriting the request while the device works on it. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/virtio/blk.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define QSIZE 16
#define IMG_SECTORS 256u
#define IMG_SIZE (IMG_SECTORS * 512u)
#define MAXREQ 64
#define UNTOUCHED 0xee      /* status byte before the device answers */

/* ---- fake backend ---- */

struct fbe {
    uint8_t img[IMG_SIZE];
    uint64_t size;              /* reported by info() */
    bool ro;
    const struct fake_ram *ram; /* every iov must point inside it */
    struct blkdev_req *pend[MAXREQ];
    uint64_t pend_cookie[MAXREQ];
    unsigned npend;
    uint64_t done_cookie[MAXREQ];
    int done_result[MAXREQ];
    unsigned ndone;
    int fail;                   /* result of the next executed requests */
    bool scribble;              /* a failed READ leaves 0xab in its buffers */
    int submit_rc;              /* submit() refuses with this when < 0 */
    unsigned nsubmit, nwrites, ndrain;
    struct blkdev_req last;     /* copy of the last accepted request */
    void (*on_submit)(void *arg);  /* the guest acts while a request is */
    void *on_submit_arg;           /* with the host (test_a11_*) */
};

static void fbe_info(void *ctx, struct blkdev_info *out)
{
    struct fbe *b = ctx;

    out->size = b->size;
    out->read_only = b->ro;
}

/* What any backend may rely on: the request lies inside the image and its
 * buffers inside guest RAM. */
static void check_req(const struct fbe *b, const struct blkdev_req *r)
{
    uint64_t sum = 0;

    assert_true(r->op <= BLKDEV_OP_WRITE_ZEROES);
    assert_true(r->offset <= b->size && r->len <= b->size - r->offset);
    assert_true(r->offset % 512 == 0 && r->len % 512 == 0);
    if (b->ro)
        assert_true(r->op == BLKDEV_OP_READ || r->op == BLKDEV_OP_FLUSH);
    assert_true(r->niov <= BLKDEV_MAX_IOV);
    for (unsigned i = 0; i < r->niov; i++) {
        const uint8_t *p = r->iov[i].base;

        assert_true(p >= b->ram->mem && r->iov[i].len <= b->ram->size &&
                    p - b->ram->mem <= (ptrdiff_t)(b->ram->size -
                                                   r->iov[i].len));
        sum += r->iov[i].len;
    }
    if (r->op == BLKDEV_OP_READ || r->op == BLKDEV_OP_WRITE)
        assert_int_equal(sum, r->len);
    else
        assert_int_equal(r->niov, 0);
}

static int fbe_submit(void *ctx, struct blkdev_req *req)
{
    struct fbe *b = ctx;

    if (b->submit_rc < 0)
        return b->submit_rc;
    check_req(b, req);
    assert_true(b->npend < MAXREQ);
    b->pend[b->npend] = req;
    b->pend_cookie[b->npend++] = req->cookie;
    b->nsubmit++;
    b->last = *req;
    if (b->on_submit)
        b->on_submit(b->on_submit_arg);
    return 0;
}

static void iov_copy(const struct blkdev_req *r, uint8_t *img, bool to_img)
{
    uint64_t at = r->offset;

    for (unsigned i = 0; i < r->niov; i++) {
        if (to_img)
            memcpy(img + at, r->iov[i].base, r->iov[i].len);
        else
            memcpy(r->iov[i].base, img + at, r->iov[i].len);
        at += r->iov[i].len;
    }
}

static int fbe_exec(struct fbe *b, const struct blkdev_req *r)
{
    if (b->fail) {
        for (unsigned i = 0; b->scribble && r->op == BLKDEV_OP_READ &&
                             i < r->niov; i++)
            memset(r->iov[i].base, 0xab, r->iov[i].len);
        return b->fail;
    }
    switch (r->op) {
    case BLKDEV_OP_READ:
        iov_copy(r, b->img, false);
        break;
    case BLKDEV_OP_WRITE:
        iov_copy(r, b->img, true);
        b->nwrites++;
        break;
    case BLKDEV_OP_DISCARD:
    case BLKDEV_OP_WRITE_ZEROES:
        memset(b->img + r->offset, 0, r->len);
        b->nwrites++;
        break;
    case BLKDEV_OP_FLUSH:
        break;
    }
    return 0;
}

/* Run everything pending; completions wait in done[] for fbe_deliver(). */
static void fbe_run(struct fbe *b)
{
    for (unsigned i = 0; i < b->npend; i++) {
        assert_true(b->ndone < MAXREQ);
        b->done_result[b->ndone] = fbe_exec(b, b->pend[i]);
        b->done_cookie[b->ndone++] = b->pend_cookie[i];
    }
    b->npend = 0;
}

static void fbe_drain(void *ctx)
{
    struct fbe *b = ctx;

    b->ndrain++;
    fbe_run(b);
}

static const struct blkdev_ops fbe_ops = {
    .info = fbe_info,
    .submit = fbe_submit,
    .drain = fbe_drain,
};

/* ---- fixture ---- */

struct fx {
    struct fake_ram *ram;
    struct fdrv d;
    struct virtio_blk *blk;
    struct virtio_dev *v;
    unsigned qirq, cirq;
    struct fbe be;
};

static void on_queue_irq(void *ctx, unsigned q)
{
    struct fx *f = ctx;

    assert_int_equal(q, 0);
    f->qirq++;
}

static void on_config_irq(void *ctx)
{
    ((struct fx *)ctx)->cirq++;
}

static const struct virtio_irq_ops irq_ops = {
    .queue_irq = on_queue_irq,
    .config_irq = on_config_irq,
};

/* Hand the completions to the device, as the VMM's I/O thread does. */
static void deliver(struct fx *f)
{
    for (unsigned i = 0; i < f->be.ndone; i++)
        virtio_blk_complete(f->blk, f->be.done_cookie[i], f->be.done_result[i]);
    f->be.ndone = 0;
}

static void run(struct fx *f)
{
    fbe_run(&f->be);
    deliver(f);
}

/* The driver's side of start-up (3.1.1), accepting what the device offers
 * except the bits in (drop) and EVENT_IDX. */
static void bring_up(struct fx *f, uint64_t drop)
{
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
    uint64_t feat = f->v->host_features & ~drop &
                    ~(1ULL << VIRTIO_F_EVENT_IDX);

    virtio_set_status(f->v, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_set_status(f->v, s);
    virtio_set_guest_features(f->v, 0, (uint32_t)feat);
    virtio_set_guest_features(f->v, 1, (uint32_t)(feat >> 32));
    s |= VIRTIO_STATUS_FEATURES_OK;
    virtio_set_status(f->v, s);
    assert_true(f->v->status & VIRTIO_STATUS_FEATURES_OK);
    fdrv_init(&f->d, f->ram, QSIZE);
    fdrv_attach(&f->d, &f->v->vq[0]);
    assert_int_equal(virtio_queue_enable(f->v, 0), 0);
    virtio_set_status(f->v, s | VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_running(f->v));
}

static struct fx *fx_new(bool ro, uint64_t size, const char *serial)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    f->ram = fake_ram_new(FAKE_RAM_SIZE, 0);
    f->blk = test_calloc(1, sizeof(*f->blk));
    f->v = &f->blk->vdev;
    f->be.size = size;
    f->be.ro = ro;
    f->be.ram = f->ram;
    for (unsigned i = 0; i < IMG_SIZE; i++)
        f->be.img[i] = (uint8_t)(i * 7 + i / 512);
    assert_int_equal(virtio_blk_init(f->blk, &f->ram->gm, &fbe_ops, &f->be,
                                     serial), 0);
    virtio_set_irq(f->v, &irq_ops, f);
    bring_up(f, 0);
    return f;
}

static int setup(void **state)
{
    *state = fx_new(false, IMG_SIZE, "vessel-serial-01");
    return 0;
}

static int setup_ro(void **state)
{
    *state = fx_new(true, IMG_SIZE, NULL);
    return 0;
}

static void racer_stop(void);

static int teardown(void **state)
{
    struct fx *f = *state;

    racer_stop();
    /* Every test leaves nothing in flight in the backend. */
    assert_int_equal(f->be.npend, 0);
    fake_ram_free(f->ram);
    test_free(f->blk);
    test_free(f);
    return 0;
}

/* ---- requests, driver side ---- */

struct rq {
    uint16_t head;
    gpa_t hdr, data, st;
    uint32_t len;
};

static gpa_t put_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
    gpa_t a = fdrv_alloc(&f->d, VIRTIO_BLK_HDR_LEN);
    uint8_t *p = fdrv_ptr(&f->d, a, VIRTIO_BLK_HDR_LEN);

    le32_put(p, 0, type);
    le32_put(p, 4, 0x5a5a); /* reserved: Linux puts ioprio here */
    le64_put(p, 8, sector);
    return a;
}

static gpa_t put_status(struct fx *f)
{
    gpa_t a = fdrv_alloc(&f->d, 1);

    *fdrv_ptr(&f->d, a, 1) = UNTOUCHED;
    return a;
}

/* Header, one data buffer of (len) bytes (device-writable if (in)), status;
 * then a kick. OUT data is a pattern; IN data starts as 0x55. */
static struct rq send(struct fx *f, uint32_t type, uint64_t sector,
                      uint32_t len, bool in)
{
    struct rq r = {.hdr = put_hdr(f, type, sector), .len = len};

    if (len) {
        uint8_t *p;

        r.data = fdrv_alloc(&f->d, len);
        p = fdrv_ptr(&f->d, r.data, len);
        for (uint32_t i = 0; i < len; i++)
            p[i] = in ? 0x55 : (uint8_t)(i ^ 0xc3);
    }
    r.st = put_status(f);
    if (len)
        r.head = fdrv_add(&f->d, FDRV_OUT(r.hdr, VIRTIO_BLK_HDR_LEN),
                          in ? FDRV_IN(r.data, len) : FDRV_OUT(r.data, len),
                          FDRV_IN(r.st, 1));
    else
        r.head = fdrv_add(&f->d, FDRV_OUT(r.hdr, VIRTIO_BLK_HDR_LEN),
                          FDRV_IN(r.st, 1));
    virtio_notify(f->v, 0);
    return r;
}

/* DISCARD / WRITE_ZEROES with (nseg) copies of one range segment. */
static struct rq send_dwz(struct fx *f, uint32_t type, uint64_t sector,
                          uint32_t num, uint32_t flags, unsigned nseg)
{
    struct rq r = {.hdr = put_hdr(f, type, 0), .len = 16 * nseg};
    uint8_t *p;

    r.data = fdrv_alloc(&f->d, r.len ? r.len : 1);
    p = fdrv_ptr(&f->d, r.data, r.len);
    for (unsigned i = 0; i < nseg; i++) {
        le64_put(p, 16 * i, sector);
        le32_put(p, 16 * i + 8, num);
        le32_put(p, 16 * i + 12, flags);
    }
    r.st = put_status(f);
    r.head = fdrv_add(&f->d, FDRV_OUT(r.hdr, VIRTIO_BLK_HDR_LEN),
                      FDRV_OUT(r.data, r.len ? r.len : 8), FDRV_IN(r.st, 1));
    virtio_notify(f->v, 0);
    return r;
}

static uint8_t status_of(struct fx *f, const struct rq *r)
{
    return *fdrv_ptr(&f->d, r->st, 1);
}

/* The next used entry is (r) with (status) and used.len (len). */
static void expect(struct fx *f, const struct rq *r, uint8_t status,
                   uint32_t len)
{
    uint16_t head;
    uint32_t used;

    assert_true(fdrv_used(&f->d, &head, &used));
    assert_int_equal(head, r->head);
    assert_int_equal(status_of(f, r), status);
    assert_int_equal(used, len);
}

static void expect_nothing(struct fx *f)
{
    uint16_t head;
    uint32_t used;

    assert_false(fdrv_used(&f->d, &head, &used));
}

/* A request the checks refuse: answered at once, no host I/O at all. */
static void expect_refused(struct fx *f, const struct rq *r, uint8_t status)
{
    unsigned before = f->be.nsubmit;

    expect(f, r, status, 1);
    assert_int_equal(f->be.nsubmit, before);
    assert_int_equal(f->be.npend, 0);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
    assert_true(virtio_running(f->v));
}

/* ---- happy paths ---- */

static void test_config_and_features(void **state)
{
    struct fx *f = *state;
    uint8_t b[8];

    virtio_config_read(f->v, VIRTIO_BLK_CFG_CAPACITY, b, 8);
    assert_int_equal(le64_get(b, 0), IMG_SECTORS);
    virtio_config_read(f->v, VIRTIO_BLK_CFG_SEG_MAX, b, 4);
    assert_int_equal(le32_get(b, 0), VIRTIO_BLK_SEG_MAX);
    virtio_config_read(f->v, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, b, 4);
    assert_int_equal(le32_get(b, 0), 1);
    virtio_config_read(f->v, VIRTIO_BLK_CFG_MAX_WZ_SECTORS, b, 4);
    assert_int_equal(le32_get(b, 0), VIRTIO_BLK_MAX_DWZ_SECTORS);
    virtio_config_read(f->v, VIRTIO_BLK_CFG_WZ_MAY_UNMAP, b, 1);
    assert_int_equal(b[0], 1);
    assert_true(virtio_has(f->v, VIRTIO_BLK_F_FLUSH));
    assert_true(virtio_has(f->v, VIRTIO_BLK_F_SEG_MAX));
    assert_true(virtio_has(f->v, VIRTIO_BLK_F_DISCARD));
    assert_true(virtio_has(f->v, VIRTIO_BLK_F_WRITE_ZEROES));
    assert_true(virtio_has(f->v, VIRTIO_F_INDIRECT_DESC));
    assert_false(f->v->host_features & 1ULL << VIRTIO_BLK_F_RO);
    assert_int_equal(f->v->device_id, VIRTIO_ID_BLOCK);
}

static void test_read(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_IN, 3, 1024, true);

    assert_int_equal(virtio_blk_inflight(f->blk), 1);
    assert_int_equal(f->be.last.op, BLKDEV_OP_READ);
    assert_int_equal(f->be.last.offset, 3 * 512);
    expect_nothing(f);      /* not before the backend completes */
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1025);
    assert_memory_equal(fdrv_ptr(&f->d, r.data, 1024), f->be.img + 1536, 1024);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
    assert_int_equal(f->blk->stats.reads, 1);
    assert_true(f->qirq >= 1);
}

static void test_write(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_OUT, IMG_SECTORS - 2, 1024, false);

    assert_int_equal(f->be.last.op, BLKDEV_OP_WRITE);
    assert_int_equal(f->be.last.flags, 0); /* FLUSH negotiated: writeback */
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(f->be.img + IMG_SIZE - 1024,
                        fdrv_ptr(&f->d, r.data, 1024), 1024);
}

/* Framing is independent of descriptors (2.6.4): the header split over
 * two buffers, the OUT data starting inside the second, and the IN status
 * sharing a buffer with the end of the data. */
static void test_multi_segment_framing(void **state)
{
    struct fx *f = *state;
    gpa_t out = fdrv_alloc(&f->d, 16 + 1536), in = fdrv_alloc(&f->d, 1537);
    uint8_t *p = fdrv_ptr(&f->d, out, 16 + 1536);
    struct rq w = {.st = put_status(f)}, r = {.st = in + 1536};

    le32_put(p, 0, VIRTIO_BLK_T_OUT);
    le32_put(p, 4, 0);
    le64_put(p, 8, 10);
    for (unsigned i = 0; i < 1536; i++)
        p[16 + i] = (uint8_t)(i * 13);
    w.head = fdrv_add(&f->d, FDRV_OUT(out, 10), FDRV_OUT(out + 10, 700),
                      FDRV_OUT(out + 710, 1), FDRV_OUT(out + 711, 841),
                      FDRV_IN(w.st, 1));
    virtio_notify(f->v, 0);
    assert_int_equal(f->be.last.niov, 3);
    run(f);
    expect(f, &w, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(f->be.img + 10 * 512, p + 16, 1536);

    r.hdr = put_hdr(f, VIRTIO_BLK_T_IN, 10);
    *fdrv_ptr(&f->d, r.st, 1) = UNTOUCHED;
    r.head = fdrv_add(&f->d, FDRV_OUT(r.hdr, 3), FDRV_OUT(r.hdr + 3, 13),
                      FDRV_IN(in, 300), FDRV_IN(in + 300, 1237));
    virtio_notify(f->v, 0);
    assert_int_equal(f->be.last.niov, 2);
    assert_int_equal(f->be.last.len, 1536);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1537);
    assert_memory_equal(fdrv_ptr(&f->d, in, 1536), p + 16, 1536);
}

/* Many data segments through an indirect table, up to seg_max exactly. */
static void test_indirect_seg_max(void **state)
{
    struct fx *f = *state;
    struct fdrv_seg segs[VIRTIO_BLK_SEG_MAX + 2];
    struct rq r = {.hdr = put_hdr(f, VIRTIO_BLK_T_IN, 0), .st = put_status(f)};
    gpa_t data[VIRTIO_BLK_SEG_MAX];

    segs[0] = FDRV_OUT(r.hdr, 16);
    for (unsigned i = 0; i < VIRTIO_BLK_SEG_MAX; i++) {
        data[i] = fdrv_alloc(&f->d, 512);
        segs[1 + i] = FDRV_IN(data[i], 512);
    }
    segs[VIRTIO_BLK_SEG_MAX + 1] = FDRV_IN(r.st, 1);
    r.head = fdrv_add_indirect(&f->d, segs, VIRTIO_BLK_SEG_MAX + 2);
    virtio_notify(f->v, 0);
    assert_int_equal(f->be.last.niov, VIRTIO_BLK_SEG_MAX);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, VIRTIO_BLK_SEG_MAX * 512 + 1);
    for (unsigned i = 0; i < VIRTIO_BLK_SEG_MAX; i++)
        assert_memory_equal(fdrv_ptr(&f->d, data[i], 512),
                            f->be.img + 512 * i, 512);
}

static void test_flush(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);

    assert_int_equal(f->be.last.op, BLKDEV_OP_FLUSH);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
    assert_int_equal(f->blk->stats.flushes, 1);
}

/* 5.2.6.2 case 1: FLUSH offered but not negotiated -> writethrough. */
static void test_writethrough_without_flush(void **state)
{
    struct fx *f = *state;
    struct rq r;

    virtio_set_status(f->v, 0);
    bring_up(f, 1ULL << VIRTIO_BLK_F_FLUSH);
    r = send(f, VIRTIO_BLK_T_OUT, 0, 512, false);
    assert_true(f->be.last.flags & BLKDEV_F_FUA);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 0, 1);
    assert_true(f->be.last.flags & BLKDEV_F_FUA);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
}

static void test_get_id(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_GET_ID, 0, 20, true);
    uint8_t want[20] = "vessel-serial-01";

    expect(f, &r, VIRTIO_BLK_S_OK, 21);
    assert_memory_equal(fdrv_ptr(&f->d, r.data, 20), want, 20);
    assert_int_equal(f->be.nsubmit, 0);
}

static void test_get_id_full_20_bytes(void **state)
{
    struct fx *f = fx_new(false, IMG_SIZE, "ABCDEFGHIJKLMNOPQRST");
    struct rq r = send(f, VIRTIO_BLK_T_GET_ID, 0, 20, true);

    (void)state;
    expect(f, &r, VIRTIO_BLK_S_OK, 21);
    assert_memory_equal(fdrv_ptr(&f->d, r.data, 20), "ABCDEFGHIJKLMNOPQRST",
                        20);
    teardown((void **)&f);
}

static void test_serial_too_long_refused(void **state)
{
    struct fx *f = *state;

    assert_int_equal(virtio_blk_init(f->blk, &f->ram->gm, &fbe_ops, &f->be,
                                     "123456789012345678901"),
                     -EINVAL);
}

static void test_discard(void **state)
{
    struct fx *f = *state;
    struct rq r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 4, 8, 0, 1);

    assert_int_equal(f->be.last.op, BLKDEV_OP_DISCARD);
    assert_int_equal(f->be.last.offset, 4 * 512);
    assert_int_equal(f->be.last.len, 8 * 512);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
}

static void test_write_zeroes_unmap(void **state)
{
    struct fx *f = *state;
    struct rq r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, 2, 0, 1);
    uint8_t zero[1024] = {0};

    assert_int_equal(f->be.last.op, BLKDEV_OP_WRITE_ZEROES);
    assert_int_equal(f->be.last.flags, 0);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
    assert_memory_equal(f->be.img + 512, zero, 1024);
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 1, 2, VIRTIO_BLK_DWZ_F_UNMAP, 1);
    assert_int_equal(f->be.last.flags, BLKDEV_F_UNMAP);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
}

/* Zero sectors: OK, and no host I/O. */
static void test_zero_length_requests_ok(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_IN, 5, 0, true);

    expect_refused(f, &r, VIRTIO_BLK_S_OK);
    r = send(f, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 0, false);
    expect_refused(f, &r, VIRTIO_BLK_S_OK);
    r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 5, 0, 0, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_OK);
}

/* Capacity counts whole sectors of an image whose size is not a multiple
 * of 512; the tail is never reached. */
static void test_capacity_whole_sectors(void **state)
{
    struct fx *f = fx_new(false, IMG_SIZE - 100, NULL);
    struct rq r;

    (void)state;
    assert_int_equal(f->blk->capacity, IMG_SECTORS - 1);
    r = send(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 2, 512, true);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 513);
    r = send(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 512, true);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    teardown((void **)&f);
}

/* ---- RELIABILITY (a) 19 ---- */

static void test_a19_sector_at_capacity(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_IN, IMG_SECTORS, 512, true);

    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    assert_int_equal(*fdrv_ptr(&f->d, r.data, 1), 0x55); /* untouched */
    r = send(f, VIRTIO_BLK_T_OUT, IMG_SECTORS, 512, false);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send(f, VIRTIO_BLK_T_IN, IMG_SECTORS, 0, true);  /* even empty */
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send(f, VIRTIO_BLK_T_IN, UINT64_MAX, 512, true);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->blk->stats.guest_errors, 4);
}

static void test_a19_sector_plus_len_past_capacity(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 1024, false);

    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->be.nwrites, 0);
    r = send(f, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, 1024, true);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
}

/* sector * 512 and offset + len must not wrap into the image. */
static void test_a19_sector_overflow(void **state)
{
    struct fx *f = *state;
    uint64_t wraps[] = {UINT64_MAX / 512 + 1, (1ULL << 55), UINT64_MAX - 1,
                        (UINT64_MAX / 512) & ~0xffULL};

    for (size_t i = 0; i < ARRAY_SIZE(wraps); i++) {
        struct rq r = send(f, VIRTIO_BLK_T_OUT, wraps[i], 512, false);

        expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
        r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, wraps[i], 8, 0, 1);
        expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    }
    assert_int_equal(f->be.nwrites, 0);
}

static void test_a19_len_not_multiple_of_512(void **state)
{
    struct fx *f = *state;
    uint32_t lens[] = {1, 511, 513, 1000};

    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        struct rq r = send(f, VIRTIO_BLK_T_IN, 0, lens[i], true);

        expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
        r = send(f, VIRTIO_BLK_T_OUT, 0, lens[i], false);
        expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    }
}

/* The driver MUST give exactly 20 bytes (5.2.6.1): anything else is IOERR
 * and nothing is written into its buffer. */
static void test_a19_get_id_not_20_bytes(void **state)
{
    struct fx *f = *state;
    uint32_t lens[] = {0, 1, 19, 21, 512};

    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        struct rq r = send(f, VIRTIO_BLK_T_GET_ID, 0, lens[i], true);

        expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
        for (uint32_t k = 0; k < lens[i]; k++)
            assert_int_equal(*fdrv_ptr(&f->d, r.data + k, 1), 0x55);
    }
}

static void test_a19_unknown_type_unsupp(void **state)
{
    struct fx *f = *state;
    uint32_t types[] = {2, 3, 5, 7, VIRTIO_BLK_T_GET_LIFETIME,
                        VIRTIO_BLK_T_SECURE_ERASE, 15, 16, 0x80000000u,
                        0x80000001u, UINT32_MAX};

    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        struct rq r = send(f, types[i], 0, 512, true);

        expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
        assert_int_equal(*fdrv_ptr(&f->d, r.data, 1), 0x55);
    }
    assert_int_equal(f->blk->stats.unsupported, ARRAY_SIZE(types));
}

/* 5.2.6.2: an unknown flag, or UNMAP on a discard, is UNSUPP. */
static void test_a19_unknown_flags_unsupp(void **state)
{
    struct fx *f = *state;
    struct rq r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, 8,
                           VIRTIO_BLK_DWZ_F_UNMAP, 1);

    expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
    r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, 8, 2, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x80000001u, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
    /* UNSUPP is decided before the range is looked at. */
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, UINT64_MAX, 8, 4, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
}

static void test_a19_range_segments(void **state)
{
    struct fx *f = *state;
    struct rq r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 2);

    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);      /* max_discard_seg 1 */
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0, 0);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);      /* 8-byte payload */
    r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, VIRTIO_BLK_MAX_DWZ_SECTORS + 1,
                 0, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, IMG_SECTORS - 4, 5, 0, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send_dwz(f, VIRTIO_BLK_T_DISCARD, IMG_SECTORS, 0, 0, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->be.nwrites, 0);
}

static void test_a19_too_many_segments(void **state)
{
    struct fx *f = *state;
    struct fdrv_seg segs[VIRTIO_BLK_SEG_MAX + 3];
    struct rq r = {.hdr = put_hdr(f, VIRTIO_BLK_T_OUT, 0), .st = put_status(f)};

    segs[0] = FDRV_OUT(r.hdr, 16);
    for (unsigned i = 0; i <= VIRTIO_BLK_SEG_MAX; i++)
        segs[1 + i] = FDRV_OUT(fdrv_alloc(&f->d, 512), 512);
    segs[VIRTIO_BLK_SEG_MAX + 2] = FDRV_IN(r.st, 1);
    r.head = fdrv_add_indirect(&f->d, segs, VIRTIO_BLK_SEG_MAX + 3);
    virtio_notify(f->v, 0);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    assert_int_equal(f->be.nwrites, 0);
}

static void test_a19_short_header(void **state)
{
    struct fx *f = *state;
    struct rq r = {.hdr = put_hdr(f, VIRTIO_BLK_T_IN, 0), .st = put_status(f)};

    r.head = fdrv_add(&f->d, FDRV_OUT(r.hdr, 15), FDRV_IN(r.st, 1));
    virtio_notify(f->v, 0);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    /* A header made of sixteen one-byte buffers is fine. */
    r.hdr = put_hdr(f, VIRTIO_BLK_T_FLUSH, 0);
    r.st = put_status(f);
    {
        struct fdrv_seg segs[17];

        for (unsigned i = 0; i < 16; i++)
            segs[i] = FDRV_OUT(r.hdr + i, 1);
        segs[16] = FDRV_IN(r.st, 1);
        r.head = fdrv_add_indirect(&f->d, segs, 17);
    }
    virtio_notify(f->v, 0);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1);
}

/* No writable byte (none at all, or only a zero-length one): the request
 * cannot be answered, so the device needs a reset; nothing is written. */
static void test_a19_no_status_byte_needs_reset(void **state)
{
    struct fx *f = *state;
    gpa_t hdr = put_hdr(f, VIRTIO_BLK_T_IN, 0), st = put_status(f);

    fdrv_add(&f->d, FDRV_OUT(hdr, 16), FDRV_IN(st, 0));
    virtio_notify(f->v, 0);
    assert_true(f->v->status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->cirq, 1);
    assert_int_equal(*fdrv_ptr(&f->d, st, 1), UNTOUCHED);
    expect_nothing(f);
    assert_int_equal(f->be.nsubmit, 0);
    /* The driver resets, and the device works again. */
    virtio_set_status(f->v, 0);
    bring_up(f, 0);
    {
        struct rq r = send(f, VIRTIO_BLK_T_IN, 0, 512, true);

        run(f);
        expect(f, &r, VIRTIO_BLK_S_OK, 513);
    }
}

/* ---- RELIABILITY (a) 20 ---- */

static void test_a20_read_only_refuses_writes(void **state)
{
    struct fx *f = *state;
    uint8_t before[IMG_SIZE];
    struct rq r;
    uint8_t b[4];

    assert_true(virtio_has(f->v, VIRTIO_BLK_F_RO));
    assert_false(f->v->host_features & 1ULL << VIRTIO_BLK_F_DISCARD);
    assert_false(f->v->host_features & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
    virtio_config_read(f->v, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, b, 4);
    assert_int_equal(le32_get(b, 0), 0);
    memcpy(before, f->be.img, IMG_SIZE);
    r = send(f, VIRTIO_BLK_T_OUT, 0, 512, false);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    r = send_dwz(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, VIRTIO_BLK_DWZ_F_UNMAP, 1);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    /* Even a write that would otherwise be malformed: RO comes first. */
    r = send(f, VIRTIO_BLK_T_OUT, UINT64_MAX, 3, false);
    expect_refused(f, &r, VIRTIO_BLK_S_IOERR);
    /* FLUSH: nothing to make durable, no host call. */
    r = send(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);
    expect_refused(f, &r, VIRTIO_BLK_S_OK);
    assert_int_equal(f->be.nsubmit, 0);
    assert_memory_equal(f->be.img, before, IMG_SIZE);
    /* Reads still work. */
    r = send(f, VIRTIO_BLK_T_IN, 1, 512, true);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 513);
    assert_int_equal(f->be.nwrites, 0);
}

/* ---- baseline and host faults ---- */

/* (b) 1: a host read error is IOERR; the data area is zeroed (never the
 * backend's partial bytes), used.len stays exact, the error is counted,
 * and the next request works. */
static void test_b1_read_eio_ioerr_then_usable(void **state)
{
    struct fx *f = *state;
    uint8_t zero[1024] = {0};
    struct rq r = send(f, VIRTIO_BLK_T_IN, 0, 1024, true);

    f->be.fail = -EIO;
    f->be.scribble = true;
    run(f);
    expect(f, &r, VIRTIO_BLK_S_IOERR, 1025);
    assert_memory_equal(fdrv_ptr(&f->d, r.data, 1024), zero, 1024);
    assert_int_equal(f->blk->stats.io_errors, 1);
    f->be.fail = 0;
    r = send(f, VIRTIO_BLK_T_IN, 0, 1024, true);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 1025);
    assert_true(virtio_running(f->v));
}

static void test_base_write_errors_reach_status(void **state)
{
    struct fx *f = *state;
    int errs[] = {-EIO, -ENOSPC, -EROFS, -EINVAL};

    for (size_t i = 0; i < ARRAY_SIZE(errs); i++) {
        struct rq r = send(f, VIRTIO_BLK_T_OUT, 0, 512, false);

        f->be.fail = errs[i];
        run(f);
        expect(f, &r, VIRTIO_BLK_S_IOERR, 1);
        r = send(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);
        run(f);
        expect(f, &r, VIRTIO_BLK_S_IOERR, 1);
    }
    f->be.fail = -EOPNOTSUPP;
    {
        struct rq r = send_dwz(f, VIRTIO_BLK_T_DISCARD, 0, 8, 0, 1);

        run(f);
        expect(f, &r, VIRTIO_BLK_S_UNSUPP, 1);
    }
    assert_int_equal(f->blk->stats.io_errors, 2 * ARRAY_SIZE(errs) + 1);
}

/* submit() refusing (backend full, shut down): IOERR at once. */
static void test_base_submit_refused(void **state)
{
    struct fx *f = *state;
    struct rq r;

    f->be.submit_rc = -EAGAIN;
    r = send(f, VIRTIO_BLK_T_IN, 0, 512, true);
    expect(f, &r, VIRTIO_BLK_S_IOERR, 1);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
    assert_int_equal(f->blk->stats.refused, 1);
    f->be.submit_rc = 0;
    r = send(f, VIRTIO_BLK_T_IN, 0, 512, true);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 513);
}

/* A full ring of requests: one slot each, nothing more. */
static void test_base_inflight_bounded_by_queue(void **state)
{
    struct fx *f = *state;
    struct rq r[QSIZE];

    /* One descriptor each (indirect), so every head is in use. */
    for (unsigned i = 0; i < QSIZE; i++) {
        r[i] = (struct rq){.hdr = put_hdr(f, VIRTIO_BLK_T_IN, i),
                           .data = fdrv_alloc(&f->d, 512),
                           .st = put_status(f)};
        r[i].head = fdrv_add_ind(&f->d, FDRV_OUT(r[i].hdr, 16),
                                 FDRV_IN(r[i].data, 512), FDRV_IN(r[i].st, 1));
        virtio_notify(f->v, 0);
        assert_int_equal(r[i].head, i);
        assert_true(f->blk->slot[i].busy);
    }
    assert_int_equal(virtio_blk_inflight(f->blk), QSIZE);
    assert_int_equal(f->be.npend, QSIZE);
    run(f);
    for (unsigned i = 0; i < QSIZE; i++)
        expect(f, &r[i], VIRTIO_BLK_S_OK, 513);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
}

/* Reset mid-I/O (CVE-2023-5088 class): reset drains the backend before
 * returning, and completions that arrive afterwards touch nothing. */
static void test_base_reset_drains_inflight(void **state)
{
    struct fx *f = *state;
    struct rq r1 = send(f, VIRTIO_BLK_T_IN, 0, 512, true);
    struct rq r2 = send(f, VIRTIO_BLK_T_OUT, 8, 512, false);
    struct rq r3 = send(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);
    uint16_t used = fdrv_used_idx(&f->d);

    assert_int_equal(virtio_blk_inflight(f->blk), 3);
    virtio_set_status(f->v, 0);
    assert_int_equal(f->be.ndrain, 1);
    assert_int_equal(f->be.npend, 0);   /* all finished before return */
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
    deliver(f);                         /* the stale completions */
    assert_int_equal(f->blk->stats.stale, 3);
    assert_int_equal(status_of(f, &r1), UNTOUCHED);
    assert_int_equal(status_of(f, &r2), UNTOUCHED);
    assert_int_equal(status_of(f, &r3), UNTOUCHED);
    assert_int_equal(fdrv_used_idx(&f->d), used);
    /* No drain when nothing is in flight. */
    virtio_set_status(f->v, 0);
    assert_int_equal(f->be.ndrain, 1);
}

/* After a reset the same heads (slots) are reused; an old completion for
 * a reused slot must not complete the new request. */
static void test_base_stale_completion_after_slot_reuse(void **state)
{
    struct fx *f = *state;
    struct rq r = send(f, VIRTIO_BLK_T_IN, 0, 512, true);
    uint64_t old_cookie;
    struct rq n;

    virtio_set_status(f->v, 0);
    old_cookie = f->be.done_cookie[0];
    f->be.ndone = 0;                    /* held back, as if in flight */
    bring_up(f, 0);
    n = send(f, VIRTIO_BLK_T_IN, 1, 512, true);
    assert_int_equal(n.head, r.head);
    virtio_blk_complete(f->blk, old_cookie, 0);
    assert_int_equal(f->blk->stats.stale, 1);
    expect_nothing(f);
    assert_int_equal(virtio_blk_inflight(f->blk), 1);
    run(f);
    expect(f, &n, VIRTIO_BLK_S_OK, 513);
    assert_memory_equal(fdrv_ptr(&f->d, n.data, 512), f->be.img + 512, 512);
}

/* Garbage cookies (a confused backend or VMM) are dropped. */
static void test_base_bogus_completion_dropped(void **state)
{
    struct fx *f = *state;
    uint64_t cookies[] = {0, 1, 0xffff, UINT64_MAX, 1ULL << 16 | 3};

    for (size_t i = 0; i < ARRAY_SIZE(cookies); i++)
        virtio_blk_complete(f->blk, cookies[i], 0);
    assert_int_equal(f->blk->stats.stale, ARRAY_SIZE(cookies));
    expect_nothing(f);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
}

/* (a) 15: many resets with I/O in flight: nothing leaks, nothing grows. */
static void test_base_reset_loop(void **state)
{
    struct fx *f = *state;

    for (unsigned i = 0; i < 10000; i++) {
        send(f, VIRTIO_BLK_T_IN, i % IMG_SECTORS, 512, true);
        send(f, VIRTIO_BLK_T_OUT, i % IMG_SECTORS, 512, false);
        virtio_set_status(f->v, 0);
        assert_int_equal(virtio_blk_inflight(f->blk), 0);
        deliver(f);
        bring_up(f, 0);
    }
    assert_int_equal(f->be.ndrain, 10000);
    assert_int_equal(f->blk->stats.stale, 20000);
}

/* (a) 16: config space at every offset and width; nothing is writable. */
static void test_base_config_sweep(void **state)
{
    struct fx *f = *state;
    static const unsigned widths[] = {1, 2, 3, 4, 8};
    uint8_t before[VIRTIO_BLK_CONFIG_LEN];

    memcpy(before, f->blk->config, sizeof(before));
    for (uint32_t off = 0; off < VIRTIO_BLK_CONFIG_LEN + 16; off++) {
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            uint8_t buf[8], ones[8];

            memset(ones, 0xff, sizeof(ones));
            virtio_config_read(f->v, off, buf, widths[w]);
            if (off + widths[w] > VIRTIO_BLK_CONFIG_LEN)
                for (unsigned i = 0; i < widths[w]; i++)
                    assert_int_equal(buf[i], 0);
            virtio_config_write(f->v, off, ones, widths[w]);
        }
    }
    assert_memory_equal(f->blk->config, before, sizeof(before));
    {
        uint8_t buf[4] = {1, 2, 3, 4};

        virtio_config_read(f->v, UINT32_MAX - 3, buf, 4);
        assert_int_equal(le32_get(buf, 0), 0);
    }
    assert_int_equal(le64_get(f->blk->config, 0), IMG_SECTORS);
}

static unsigned log_lines;

static void count_line(void *ctx, enum log_level lvl, const char *msg)
{
    (void)ctx;
    (void)lvl;
    (void)msg;
    log_lines++;
}

/* Guest errors are logged through a rate limit. */
static void test_base_guest_errors_rate_limited(void **state)
{
    struct fx *f = *state;
    struct log_sink sink = {.emit = count_line, .max = LOG_DEBUG};
    struct log_sink none = {0};

    log_lines = 0;
    log_set_sink(&sink);
    for (unsigned i = 0; i < 500; i++) {
        struct rq r = send(f, 99, 0, 0, false);

        expect_refused(f, &r, VIRTIO_BLK_S_UNSUPP);
    }
    log_set_sink(&none);
    assert_true(log_lines >= 1 && log_lines <= 11);
}

/* ---- (a) 11: one fetch, whatever a second vCPU does ---- */

#define ALT_BUF 0x80000     /* where the rewritten descriptors point */

/* The second vCPU, while the request is with the host: the header now says
 * "write sector 7" and every descriptor points at another buffer. */
static void rewrite_everything(void *arg)
{
    struct fx *f = arg;
    uint8_t *table = fdrv_ptr(&f->d, f->d.desc, QSIZE * 16);
    uint8_t *hdr = fdrv_ptr(&f->d, le64_get(table, 0), VIRTIO_BLK_HDR_LEN);

    le32_put(hdr, 0, VIRTIO_BLK_T_OUT);
    le64_put(hdr, 8, 7);
    for (unsigned i = 0; i < QSIZE; i++)
        fdrv_write_desc(&f->d, f->d.desc, (uint16_t)i, ALT_BUF, 512,
                        VIRTQ_DESC_F_WRITE, 0);
}

/* The request is finished from the copies taken at pop: the status goes to
 * the status byte the chain had then, used.len is its length, and the
 * rewritten header is never looked at again. */
static void test_a11_rewrite_in_flight_uses_first_fetch(void **state)
{
    struct fx *f = *state;
    uint8_t *alt = fdrv_ptr(&f->d, ALT_BUF, 512);
    struct rq r;

    memset(alt, 0x77, 512);
    f->be.on_submit = rewrite_everything;
    f->be.on_submit_arg = f;
    r = send(f, VIRTIO_BLK_T_IN, 2, 512, true);
    f->be.on_submit = NULL;
    assert_int_equal(f->be.nsubmit, 1);
    assert_int_equal(f->be.last.op, BLKDEV_OP_READ);
    assert_int_equal(f->be.last.offset, 2 * 512);
    run(f);
    expect(f, &r, VIRTIO_BLK_S_OK, 513);
    assert_memory_equal(fdrv_ptr(&f->d, r.data, 512), f->be.img + 1024, 512);
    assert_int_equal(f->be.nwrites, 0);
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(alt[i], 0x77);
}

/* Best effort: the racer and the device on different CPUs, so the racer's
 * stores land while the device is between reads (a single CPU only ever
 * interleaves them at time-slice boundaries). */
static void pin_to_cpu(unsigned cpu)
{
    cpu_set_t set;

    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof(set), &set);
}

struct hdr_racer {
    uint64_t *sector;           /* the header's sector field */
    uint32_t *data_len;         /* descriptor 1's len field */
    bool stop;
    unsigned long flips;
};

#define RACE_BAD_SECTOR (IMG_SECTORS + 5)

/* The racer of a running test_a11_racing_*: a failed assertion leaves the
 * test by longjmp, so teardown stops it before the RAM it writes is freed
 * (and it lives here, not on the stack the longjmp unwinds). */
static struct hdr_racer racer, *live_racer;
static pthread_t live_thread;

static void racer_stop(void)
{
    if (!live_racer)
        return;
    __atomic_store_n(&live_racer->stop, true, __ATOMIC_RELAXED);
    assert_int_equal(pthread_join(live_thread, NULL), 0);
    live_racer = NULL;
}

/* A second vCPU flipping the header's sector between 1 and past the disk,
 * and (less often) the data descriptor's length between 512 and 4096, as
 * fast as it can. Relaxed atomic stores: the guest's writes are plain stores to
 * memory the device reads, and the device must cope with any mix. */
static void *race_hdr(void *arg)
{
    struct hdr_racer *r = arg;

    pin_to_cpu(1);
    for (unsigned i = 0; !__atomic_load_n(&r->stop, __ATOMIC_RELAXED); i++) {
        __atomic_store_n(r->sector, i & 1 ? RACE_BAD_SECTOR : 1,
                         __ATOMIC_RELAXED);
        if (!(i & 7))
            __atomic_store_n(r->data_len, i & 8 ? 4096 : 512,
                             __ATOMIC_RELAXED);
        __atomic_store_n(&r->flips, i + 1ul, __ATOMIC_RELAXED);
    }
    return NULL;
}

/* One request from the racing chain: either refused with IOERR and no host
 * I/O, or a read of exactly what one fetch of header and descriptors said.
 * A device that checked one fetch and used another would hand the backend
 * a range past the disk (check_req fails) or a length used.len disagrees
 * with. Returns true if it was carried out. */
static bool race_one(struct fx *f, gpa_t st)
{
    unsigned before = f->be.nsubmit;
    uint16_t head;
    uint32_t used;

    *fdrv_ptr(&f->d, st, 1) = UNTOUCHED;
    fdrv_publish(&f->d, 0);
    virtio_notify(f->v, 0);
    run(f);
    assert_true(fdrv_used(&f->d, &head, &used));
    assert_int_equal(head, 0);
    if (*fdrv_ptr(&f->d, st, 1) == VIRTIO_BLK_S_IOERR) {
        assert_int_equal(used, 1);
        assert_int_equal(f->be.nsubmit, before);
        return false;
    }
    assert_int_equal(*fdrv_ptr(&f->d, st, 1), VIRTIO_BLK_S_OK);
    assert_int_equal(f->be.nsubmit, before + 1);
    assert_int_equal(f->be.last.op, BLKDEV_OP_READ);
    assert_int_equal(f->be.last.offset, 512);
    assert_true(f->be.last.len == 512 || f->be.last.len == 4096);
    assert_int_equal(used, f->be.last.len + 1);
    return true;
}

static void test_a11_racing_header_single_fetch(void **state)
{
    struct fx *f = *state;
    gpa_t hdr = put_hdr(f, VIRTIO_BLK_T_IN, 1);
    gpa_t data = fdrv_alloc(&f->d, 4096), st = put_status(f);
    struct hdr_racer *r = &racer;
    unsigned ok = 0, refused = 0;
    cpu_set_t cpus;

    fdrv_write_desc(&f->d, f->d.desc, 0, hdr, VIRTIO_BLK_HDR_LEN,
                    VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, data, 512,
                    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    fdrv_write_desc(&f->d, f->d.desc, 2, st, 1, VIRTQ_DESC_F_WRITE, 0);
    assert_int_equal(sched_getaffinity(0, sizeof(cpus), &cpus), 0);
    pin_to_cpu(0);
    *r = (struct hdr_racer){
        .sector = (uint64_t *)fdrv_ptr(&f->d, hdr + 8, 8),
        .data_len = (uint32_t *)fdrv_ptr(&f->d, f->d.desc + 16 + 8, 4),
    };
    assert_int_equal(pthread_create(&live_thread, NULL, race_hdr, r), 0);
    live_racer = r;
    while (__atomic_load_n(&r->flips, __ATOMIC_RELAXED) < 1000)
        sched_yield();
    /* At least 400000 requests, and on until the racer has made 100000
     * writes during the loop (it may not get a CPU at first). */
    for (unsigned long from = __atomic_load_n(&r->flips, __ATOMIC_RELAXED);
         ok + refused < 400000 ||
         (__atomic_load_n(&r->flips, __ATOMIC_RELAXED) - from < 100000 &&
          ok + refused < 2000000);) {
        if (race_one(f, st))
            ok++;
        else
            refused++;
    }
    racer_stop();
    (void)sched_setaffinity(0, sizeof(cpus), &cpus);
    assert_int_equal(virtio_blk_inflight(f->blk), 0);
    assert_true(virtio_running(f->v));
    print_message("a11: %u requests read, %u refused, %lu racing writes\n",
                  ok, refused, r->flips);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_RO(fn) cmocka_unit_test_setup_teardown(fn, setup_ro, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_config_and_features),
        T(test_read),
        T(test_write),
        T(test_multi_segment_framing),
        T(test_indirect_seg_max),
        T(test_flush),
        T(test_writethrough_without_flush),
        T(test_get_id),
        cmocka_unit_test(test_get_id_full_20_bytes),
        T(test_serial_too_long_refused),
        T(test_discard),
        T(test_write_zeroes_unmap),
        T(test_zero_length_requests_ok),
        cmocka_unit_test(test_capacity_whole_sectors),
        T(test_a19_sector_at_capacity),
        T(test_a19_sector_plus_len_past_capacity),
        T(test_a19_sector_overflow),
        T(test_a19_len_not_multiple_of_512),
        T(test_a19_get_id_not_20_bytes),
        T(test_a19_unknown_type_unsupp),
        T(test_a19_unknown_flags_unsupp),
        T(test_a19_range_segments),
        T(test_a19_too_many_segments),
        T(test_a19_short_header),
        T(test_a19_no_status_byte_needs_reset),
        T_RO(test_a20_read_only_refuses_writes),
        T(test_b1_read_eio_ioerr_then_usable),
        T(test_base_write_errors_reach_status),
        T(test_base_submit_refused),
        T(test_base_inflight_bounded_by_queue),
        T(test_base_reset_drains_inflight),
        T(test_base_stale_completion_after_slot_reuse),
        T(test_base_bogus_completion_dropped),
        T(test_base_reset_loop),
        T(test_base_config_sweep),
        T(test_base_guest_errors_rate_limited),
        T(test_a11_rewrite_in_flight_uses_first_fetch),
        T(test_a11_racing_header_single_fetch),
    };

    return cmocka_run_group_tests_name("virtio_blk", tests, NULL, NULL);
}
