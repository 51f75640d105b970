/* virtio-rng: requests filled from the entropy source, the per-request
 * cap (RELIABILITY.md (a) 25), honest used.len on short reads and errors
 * ((b) 14), the token bucket and its retry time, kick storms ((a) 17). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "devices/virtio/rng.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define QSIZE 16
#define NS 1000000000ULL

/* An entropy source that counts: byte i of its output is (next + i),
 * and gives at most (limit) bytes per call (SIZE_MAX: all). */
struct src {
    uint8_t next;
    size_t limit;
    size_t extra;        /* claim this many bytes more than written */
    unsigned calls;
    size_t asked;
};

static size_t src_fill(void *ctx, void *buf, size_t len)
{
    struct src *s = ctx;
    size_t n = len < s->limit ? len : s->limit;

    s->calls++;
    s->asked += len;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = s->next++;
    return n + s->extra;
}

static const struct entropy_ops src_ops = {.fill = src_fill};

struct fx {
    struct fake_ram *ram;
    struct virtio_rng r;
    struct src src;
    struct fake_clock clk;
    struct fdrv q;
    unsigned irqs, config_irqs;
};

static void on_queue(void *ctx, unsigned q)
{
    assert_int_equal(q, 0);
    ((struct fx *)ctx)->irqs++;
}

static void on_config(void *ctx)
{
    ((struct fx *)ctx)->config_irqs++;
}

static const struct virtio_irq_ops irq_ops = {
    .queue_irq = on_queue,
    .config_irq = on_config,
};

static void fx_init(struct fx *f, size_t ram_size, uint16_t qsize,
                    uint64_t rate, uint64_t burst)
{
    f->ram = fake_ram_new(ram_size, 0);
    f->src.limit = SIZE_MAX;
    f->clk.ns = 5 * NS;
    virtio_rng_init(&f->r, &f->ram->gm, &src_ops, &f->src, &fake_clock_ops,
                    &f->clk, rate, burst);
    virtio_set_irq(&f->r.vdev, &irq_ops, f);
    fdrv_init(&f->q, f->ram, qsize);
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    fx_init(f, FAKE_RAM_SIZE, QSIZE, 0, 0);   /* unlimited */
    *state = f;
    return 0;
}

static int setup_limited(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    fx_init(f, FAKE_RAM_SIZE, QSIZE, 64 * 1024, 4096);   /* 64 KiB/s */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    fake_ram_free(f->ram);
    test_free(f);
    return 0;
}

static void start(struct fx *f, uint64_t features)
{
    struct virtio_dev *v = &f->r.vdev;
    uint8_t st = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    virtio_set_status(v, 0);
    virtio_set_status(v, st);
    virtio_set_guest_features(v, 0, (uint32_t)features);
    virtio_set_guest_features(v, 1, 1);
    virtio_set_status(v, st | VIRTIO_STATUS_FEATURES_OK);
    fdrv_attach(&f->q, &v->vq[0]);
    assert_int_equal(virtio_queue_enable(v, 0), 0);
    virtio_set_status(v, st | VIRTIO_STATUS_FEATURES_OK |
                             VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_running(v));
}

/* A request for (len) bytes; the buffer is filled with 0xee first so
 * what the device did not write is visible. */
static gpa_t request(struct fx *f, uint32_t len, uint16_t *head)
{
    gpa_t buf = fdrv_alloc(&f->q, len);

    memset(fdrv_ptr(&f->q, buf, len), 0xee, len);
    *head = fdrv_add(&f->q, FDRV_IN(buf, len));
    return buf;
}

static void kick(struct fx *f)
{
    virtio_notify(&f->r.vdev, 0);
}

static void assert_counting(const uint8_t *p, size_t len, uint8_t first)
{
    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], (uint8_t)(first + i));
}

static void assert_untouched(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        assert_int_equal(p[i], 0xee);
}

/* ---- basics ---- */

static void test_fill_request(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    gpa_t buf;

    assert_int_equal(f->r.vdev.device_id, VIRTIO_ID_RNG);
    assert_int_equal(f->r.vdev.config_len, 0);
    assert_int_equal(f->r.vdev.nqueues, 1);
    start(f, 0);
    buf = request(f, 64, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 64);
    assert_counting(fdrv_ptr(&f->q, buf, 64), 64, 0);
    assert_int_equal(f->irqs, 1);
    assert_int_equal(f->r.stats.bytes, 64);
    assert_int_equal(f->r.stats.requests, 1);
    assert_int_equal(virtio_rng_next_refill_ns(&f->r), 0);
}

/* Several writable segments, one of them indirect: filled in order. */
static void test_fill_segments(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->q, 3), b = fdrv_alloc(&f->q, 5);
    uint16_t id;
    uint32_t len;

    start(f, 1ULL << VIRTIO_F_INDIRECT_DESC);
    fdrv_add(&f->q, FDRV_IN(a, 3), FDRV_IN(b, 5));
    fdrv_add_ind(&f->q, FDRV_IN(b, 2));
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 8);
    assert_counting(fdrv_ptr(&f->q, a, 3), 3, 0);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 2);
    assert_counting(fdrv_ptr(&f->q, b, 2), 2, 8);
    assert_counting(fdrv_ptr(&f->q, b + 2, 3), 3, 5);
}

/* Readable buffers are never written; a chain with nothing writable gets
 * used.len 0 and costs the source nothing. */
static void test_readable_only_chain(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->q, 8);
    uint16_t id;
    uint32_t len;

    start(f, 0);
    memset(fdrv_ptr(&f->q, a, 8), 0xee, 8);
    fdrv_add(&f->q, FDRV_OUT(a, 8));
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 0);
    assert_untouched(fdrv_ptr(&f->q, a, 8), 8);
    assert_int_equal(f->src.calls, 0);
}

/* RELIABILITY (a) 25: a writable chain of almost 4 GiB gets at most the
 * cap; used.len is what was written; the rest is untouched. */
static void test_a25_4gib_chain_capped(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));
    const uint32_t seg_len = 16 * 1024 * 1024;
    const gpa_t base = FDRV_DATA_BASE + 64 * 1024;
    struct fdrv_seg segs[256];
    uint64_t total = 0;
    uint16_t id;
    uint32_t len;
    uint8_t *p;

    (void)state;
    fx_init(f, base + seg_len, QSIZE, 0, 0);
    f->q.data_end = base;   /* the indirect table stays out of the way */
    for (unsigned i = 0; i < 256; i++) {
        /* the same 16 MiB again and again; the last one a byte short so
         * the total still fits used.len's 32 bits */
        segs[i] = FDRV_IN(base, i == 255 ? seg_len - 1 : seg_len);
        total += segs[i].len;
    }
    assert_int_equal(total, 0xffffffffULL);
    memset(f->ram->mem + base, 0xee, seg_len);
    start(f, 1ULL << VIRTIO_F_INDIRECT_DESC);
    fdrv_add_indirect(&f->q, segs, 256);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, VIRTIO_RNG_REQ_CAP);
    assert_int_equal(f->src.asked, VIRTIO_RNG_REQ_CAP);
    p = f->ram->mem + base;
    assert_counting(p, VIRTIO_RNG_REQ_CAP, 0);
    assert_untouched(p + VIRTIO_RNG_REQ_CAP, 64 * 1024);
    fake_ram_free(f->ram);
    test_free(f);
}

/* ---- RELIABILITY (b) 14: the source fails ---- */

static void test_b14_short_read_reports_real_bytes(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    gpa_t buf;

    start(f, 0);
    f->src.limit = 10;
    buf = request(f, 64, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 10);
    assert_counting(fdrv_ptr(&f->q, buf, 10), 10, 0);
    assert_untouched(fdrv_ptr(&f->q, buf + 10, 54), 54);
    assert_int_equal(f->r.stats.short_fills, 1);
}

static void test_b14_source_error_gives_zero(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    gpa_t buf;

    start(f, 0);
    f->src.limit = 0;   /* EIO */
    buf = request(f, 32, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 0);
    assert_untouched(fdrv_ptr(&f->q, buf, 32), 32);
    assert_true(virtio_running(&f->r.vdev));
    /* the source recovers, so does the device */
    f->src.limit = SIZE_MAX;
    request(f, 8, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 8);
}

/* A source that claims more than it was asked for: only what was asked
 * for (and written) is reported. */
static void test_source_overclaim_capped(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    gpa_t buf;

    start(f, 0);
    f->src.extra = 1000;
    buf = request(f, 16, &head);
    request(f, 16, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 16);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 16);
    assert_counting(fdrv_ptr(&f->q, buf, 16), 16, 0);
}

/* ---- token bucket ---- */

static void test_rate_limit_and_retry(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    uint64_t at;

    start(f, 0);
    request(f, 4096, &head);   /* the whole bucket */
    request(f, 4096, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 4096);
    assert_false(fdrv_used(&f->q, &id, &len));
    assert_int_equal(f->src.asked, 4096);
    /* the VMM learns when to come back: 64 bytes at 64 KiB/s */
    at = virtio_rng_next_refill_ns(&f->r);
    assert_true(at > f->clk.ns);
    assert_true(at - f->clk.ns <= NS * 64 / (64 * 1024) + 2);
    /* too early: still nothing */
    fake_clock_advance(&f->clk, (at - f->clk.ns) / 2);
    virtio_rng_process(&f->r);
    assert_false(fdrv_used(&f->q, &id, &len));
    /* at the time given: at least the minimum grant */
    f->clk.ns = at;
    virtio_rng_process(&f->r);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_true(len >= VIRTIO_RNG_MIN_GRANT && len < 4096);
    assert_int_equal(virtio_rng_next_refill_ns(&f->r) > f->clk.ns, true);
}

/* Over a long run the guest gets what the rate allows, never more. */
static void test_rate_holds_over_time(void **state)
{
    struct fx *f = *state;
    uint64_t start_ns;
    uint16_t head, id;
    uint32_t len;

    start(f, 0);
    start_ns = f->clk.ns;
    for (unsigned step = 0; step < 1000; step++) {
        while (fdrv_used(&f->q, &id, &len))
            ;
        while (fdrv_num_free(&f->q) > 0)
            request(f, 1024, &head);
        kick(f);
        fake_clock_advance(&f->clk, NS / 100);   /* 10 ms */
    }
    /* 10 s at 64 KiB/s plus the starting bucket */
    assert_true(f->r.stats.bytes <= 10 * 64 * 1024 + 4096);
    assert_true(f->r.stats.bytes >= 9 * 64 * 1024);
    assert_true(f->clk.ns - start_ns == 10 * NS);
}

/* A reset does not refill the bucket (a reset loop is no way around the
 * limit). */
static void test_reset_keeps_bucket(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;

    start(f, 0);
    request(f, 4096, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    for (unsigned i = 0; i < 100; i++) {
        fdrv_init(&f->q, f->ram, QSIZE);
        start(f, 0);
    }
    request(f, 4096, &head);
    kick(f);
    assert_false(fdrv_used(&f->q, &id, &len));
    assert_int_equal(f->src.asked, 4096);
}

/* RELIABILITY (a) 17: kicks while throttled never reach the source. */
static void test_a17_kick_storm_throttled(void **state)
{
    struct fx *f = *state;
    uint16_t head;

    start(f, 0);
    request(f, 4096, &head);
    request(f, 4096, &head);
    kick(f);
    for (unsigned i = 0; i < 100000; i++)
        kick(f);
    assert_int_equal(f->src.calls, 1);
    assert_true(f->r.stats.throttled >= 100000);
}

static void test_kick_storm_empty(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    for (unsigned i = 0; i < 100000; i++)
        kick(f);
    assert_int_equal(f->src.calls, 0);
    assert_int_equal(f->irqs, 0);
}

/* With no limit, one run still serves at most a ring's worth. */
static void test_unlimited_ring_per_run(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;
    unsigned n = 0;

    start(f, 0);
    for (unsigned i = 0; i < QSIZE; i++)
        request(f, 4096, &head);
    kick(f);
    while (fdrv_used(&f->q, &id, &len)) {
        assert_int_equal(len, 4096);
        n++;
    }
    assert_int_equal(n, QSIZE);
}

/* ---- guest errors ---- */

static void test_bad_ring_needs_reset(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    fdrv_publish(&f->q, QSIZE);   /* avail entry >= size */
    kick(f);
    assert_true(f->r.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->config_irqs, 1);
    assert_int_equal(f->src.calls, 0);
    assert_int_equal(virtio_rng_next_refill_ns(&f->r), 0);
}

static void test_not_running(void **state)
{
    struct fx *f = *state;
    uint16_t head;

    request(f, 16, &head);
    virtio_rng_process(&f->r);
    assert_int_equal(f->src.calls, 0);
    assert_int_equal(virtio_rng_next_refill_ns(&f->r), 0);
}

/* The clock stepping back is no time passing, not a huge refill. */
static void test_clock_backwards(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;

    start(f, 0);
    request(f, 4096, &head);
    kick(f);
    assert_true(fdrv_used(&f->q, &id, &len));
    f->clk.ns -= 3 * NS;
    request(f, 4096, &head);
    kick(f);
    assert_false(fdrv_used(&f->q, &id, &len));
    /* a very long idle time fills the bucket to its size, no more */
    f->clk.ns += 1000000ULL * NS;
    virtio_rng_process(&f->r);
    assert_true(fdrv_used(&f->q, &id, &len));
    assert_int_equal(len, 4096);
    assert_true(f->r.tokens_nb < 4096 * NS);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define L(fn) cmocka_unit_test_setup_teardown(fn, setup_limited, teardown)
    const struct CMUnitTest tests[] = {
        T(test_fill_request),
        T(test_fill_segments),
        T(test_readable_only_chain),
        cmocka_unit_test(test_a25_4gib_chain_capped),
        T(test_b14_short_read_reports_real_bytes),
        T(test_b14_source_error_gives_zero),
        T(test_source_overclaim_capped),
        L(test_rate_limit_and_retry),
        L(test_rate_holds_over_time),
        L(test_reset_keeps_bucket),
        L(test_a17_kick_storm_throttled),
        T(test_kick_storm_empty),
        T(test_unlimited_ring_per_run),
        T(test_bad_ring_needs_reset),
        T(test_not_running),
        L(test_clock_backwards),
    };
#undef T
#undef L
    return cmocka_run_group_tests(tests, NULL, NULL);
}
