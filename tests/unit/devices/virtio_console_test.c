/* virtio-console: output to the sink, input into receive buffers, the
 * config space, and RELIABILITY.md (a) 23 (1 GiB of output with a sink
 * that never reads, input floods) and (b) 13 (a sink that fails). The
 * device is driven through the transport-independent core. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/virtio/console.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define QSIZE 16
#define RXQ VIRTIO_CONSOLE_RXQ
#define TXQ VIRTIO_CONSOLE_TXQ

struct irqs {
    unsigned queue[2];
    unsigned config;
};

static void on_queue(void *ctx, unsigned q)
{
    struct irqs *i = ctx;

    assert_true(q < 2);
    i->queue[q]++;
}

static void on_config(void *ctx)
{
    ((struct irqs *)ctx)->config++;
}

static const struct virtio_irq_ops irq_ops = {
    .queue_irq = on_queue,
    .config_irq = on_config,
};

struct fx {
    struct fake_ram *ram;
    struct virtio_console c;
    struct chr_cap out;
    struct irqs irq;
    struct fdrv q[2];
    unsigned rx_ready;
};

static void on_rx_ready(void *ctx)
{
    ((struct fx *)ctx)->rx_ready++;
}

/* fdrv_init() puts every queue's rings at FDRV_RING_BASE: move (d)'s up
 * by (delta) (zeroed there) so a second queue can live beside the first. */
static void fdrv_move(struct fdrv *d, gpa_t delta)
{
    gpa_t len = d->used + 6 + 8 * (gpa_t)d->size - d->desc;

    d->desc += delta;
    d->avail += delta;
    d->used += delta;
    memset(fdrv_ptr(d, d->desc, len), 0, len);
}

static void setup_ram(struct fx *f, size_t ram_size, uint16_t qsize)
{
    f->ram = fake_ram_new(ram_size, 0);
    virtio_console_init(&f->c, &f->ram->gm, &chr_cap_ops, &f->out);
    virtio_set_irq(&f->c.vdev, &irq_ops, &f->irq);
    virtio_console_set_rx_ready(&f->c, on_rx_ready, f);
    fdrv_init(&f->q[RXQ], f->ram, qsize);
    fdrv_init(&f->q[TXQ], f->ram, qsize);
    /* two queues: the second one's rings 32 KiB up; the data area split */
    fdrv_move(&f->q[TXQ], 0x8000);
    f->q[RXQ].data_end = FDRV_DATA_BASE + (ram_size - FDRV_DATA_BASE) / 2;
    f->q[TXQ].data_next = f->q[RXQ].data_end;
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    setup_ram(f, FAKE_RAM_SIZE, QSIZE);
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

/* What the transport does for a Linux driver, through the core. */
static void start(struct fx *f, uint64_t features)
{
    struct virtio_dev *v = &f->c.vdev;

    virtio_set_status(v, 0);
    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(v, 0, (uint32_t)features);
    virtio_set_guest_features(v, 1, (uint32_t)(features >> 32) | 1);
    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK);
    assert_true(v->status & VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 2; q++) {
        fdrv_attach(&f->q[q], &v->vq[q]);
        assert_int_equal(virtio_queue_enable(v, q), 0);
    }
    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK |
                             VIRTIO_STATUS_DRIVER_OK);
    assert_true(virtio_running(v));
}

static uint16_t add_out(struct fx *f, const char *s)
{
    struct fdrv *d = &f->q[TXQ];
    uint32_t len = (uint32_t)strlen(s);
    gpa_t buf = fdrv_alloc(d, len);

    memcpy(fdrv_ptr(d, buf, len), s, len);
    return fdrv_add(d, FDRV_OUT(buf, len));
}

static gpa_t add_in(struct fx *f, uint32_t len, uint16_t *head)
{
    struct fdrv *d = &f->q[RXQ];
    gpa_t buf = fdrv_alloc(d, len);

    memset(fdrv_ptr(d, buf, len), '.', len);
    *head = fdrv_add(d, FDRV_IN(buf, len));
    return buf;
}

/* ---- output ---- */

static void test_tx_to_sink(void **state)
{
    struct fx *f = *state;
    uint16_t head, id;
    uint32_t len;

    start(f, 0);
    head = add_out(f, "login: ");
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->out.len, 7);
    assert_memory_equal(f->out.buf, "login: ", 7);
    assert_true(fdrv_used(&f->q[TXQ], &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 0);
    assert_int_equal(f->irq.queue[TXQ], 1);
    assert_int_equal(f->c.stats.tx_bytes, 7);
    assert_int_equal(f->c.stats.tx_chains, 1);
    assert_false(virtio_console_tx_pending(&f->c));
}

static void test_tx_segments_and_indirect(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    gpa_t a = fdrv_alloc(d, 2), b = fdrv_alloc(d, 3), c = fdrv_alloc(d, 1);
    uint16_t id;
    uint32_t len;

    start(f, 1ULL << VIRTIO_F_INDIRECT_DESC);
    memcpy(fdrv_ptr(d, a, 2), "ab", 2);
    memcpy(fdrv_ptr(d, b, 3), "cde", 3);
    memcpy(fdrv_ptr(d, c, 1), "f", 1);
    fdrv_add(d, FDRV_OUT(a, 2), FDRV_OUT(b, 3));
    fdrv_add_ind(d, FDRV_OUT(c, 1), FDRV_OUT(a, 2));
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->out.len, 8);
    assert_memory_equal(f->out.buf, "abcdefab", 8);
    assert_true(fdrv_used(d, &id, &len));
    assert_true(fdrv_used(d, &id, &len));
    assert_false(fdrv_used(d, &id, &len));
}

/* Writable buffers on transmitq are never written: used.len 0. */
static void test_tx_writable_segments_untouched(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    gpa_t a = fdrv_alloc(d, 2), w = fdrv_alloc(d, 8);
    uint16_t id;
    uint32_t len;

    start(f, 0);
    memcpy(fdrv_ptr(d, a, 2), "hi", 2);
    memset(fdrv_ptr(d, w, 8), 0x77, 8);
    fdrv_add(d, FDRV_OUT(a, 2), FDRV_IN(w, 8));
    fdrv_add(d, FDRV_IN(w, 8));
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->out.len, 2);
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(fdrv_ptr(d, w, 8)[i], 0x77);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(len, 0);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(len, 0);
}

/* Kicks before DRIVER_OK are dropped by the core; activation serves
 * what was queued, and tells the host it may offer input. */
static void test_activate_serves_early_output(void **state)
{
    struct fx *f = *state;
    struct virtio_dev *v = &f->c.vdev;

    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    virtio_set_guest_features(v, 1, 1);
    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK);
    for (unsigned q = 0; q < 2; q++) {
        fdrv_attach(&f->q[q], &v->vq[q]);
        assert_int_equal(virtio_queue_enable(v, q), 0);
    }
    add_out(f, "early");
    virtio_notify(v, TXQ);
    assert_int_equal(f->out.len, 0);
    assert_int_equal(f->rx_ready, 0);
    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
                             VIRTIO_STATUS_FEATURES_OK |
                             VIRTIO_STATUS_DRIVER_OK);
    assert_int_equal(f->out.len, 5);
    assert_int_equal(f->rx_ready, 1);
}

/* RELIABILITY (a) 23: 1 GiB of output in one chain, with a sink that
 * keeps only 4 KiB. Each run moves at most the budget; the chain is used
 * once, at the end; every byte is either captured or counted as dropped. */
static void test_a23_tx_1gib_bounded_per_run(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));
    const uint32_t seg_len = 8 * 1024 * 1024;
    const unsigned nseg = 128;   /* 128 x 8 MiB = 1 GiB */
    struct fdrv_seg segs[128];
    uint64_t total = (uint64_t)seg_len * nseg, runs = 1;
    uint16_t id;
    uint32_t len;

    (void)state;
    setup_ram(f, FDRV_DATA_BASE + seg_len + 64 * 1024, 128);
    for (unsigned i = 0; i < nseg; i++)
        segs[i] = FDRV_OUT(FDRV_DATA_BASE, seg_len);   /* the same 8 MiB */
    start(f, 0);
    fdrv_add_chain(&f->q[TXQ], segs, nseg);
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->c.stats.tx_bytes, VIRTIO_CONSOLE_TX_BUDGET);
    assert_true(virtio_console_tx_pending(&f->c));
    assert_false(fdrv_used(&f->q[TXQ], &id, &len));
    while (virtio_console_tx_pending(&f->c)) {
        uint64_t before = f->c.stats.tx_bytes;

        virtio_console_tx(&f->c);
        assert_true(f->c.stats.tx_bytes - before <= VIRTIO_CONSOLE_TX_BUDGET);
        runs++;
        assert_true(runs <= total / VIRTIO_CONSOLE_TX_BUDGET + 1);
    }
    /* the last full run cannot know the ring is empty: one more look */
    assert_true(runs >= total / VIRTIO_CONSOLE_TX_BUDGET);
    assert_int_equal(f->c.stats.tx_bytes, total);
    assert_int_equal(f->out.len, CHR_CAP_SIZE);
    assert_int_equal(f->c.stats.tx_dropped, total - CHR_CAP_SIZE);
    assert_true(fdrv_used(&f->q[TXQ], &id, &len));
    assert_int_equal(len, 0);
    fake_ram_free(f->ram);
    test_free(f);
}

/* Many small chains: the budget stops a run, the rest waits for the next
 * run, nothing is lost or done twice. */
static void test_tx_budget_across_chains(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    const uint32_t n = 40 * 1024;
    gpa_t buf = fdrv_alloc(d, n);
    uint16_t id;
    uint32_t len;
    unsigned used = 0;

    start(f, 0);
    for (unsigned i = 0; i < 4; i++)
        fdrv_add(d, FDRV_OUT(buf, n));
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->c.stats.tx_bytes, VIRTIO_CONSOLE_TX_BUDGET);
    assert_true(virtio_console_tx_pending(&f->c));
    while (fdrv_used(d, &id, &len))
        used++;
    assert_int_equal(used, 1);
    virtio_console_tx(&f->c);
    virtio_console_tx(&f->c);
    assert_false(virtio_console_tx_pending(&f->c));
    while (fdrv_used(d, &id, &len))
        used++;
    assert_int_equal(used, 4);
    assert_int_equal(f->c.stats.tx_bytes, 4 * n);
}

/* RELIABILITY (b) 13: the sink fails (EPIPE): output is dropped and
 * counted, the guest's buffers still come back. */
static size_t sink_broken(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx, (void)buf, (void)len;
    return 0;
}

static const struct chr_ops broken_ops = {.write = sink_broken};

static void test_b13_tx_sink_fails(void **state)
{
    struct fx *f = *state;
    uint16_t id;
    uint32_t len;

    f->c.out = &broken_ops;
    start(f, 0);
    add_out(f, "lost");
    add_out(f, "too");
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->c.stats.tx_dropped, 7);
    assert_true(fdrv_used(&f->q[TXQ], &id, &len));
    assert_true(fdrv_used(&f->q[TXQ], &id, &len));
    assert_true(virtio_running(&f->c.vdev));
}

/* ---- input ---- */

static void test_rx_fills_buffers(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[RXQ];
    uint16_t h1, h2, id;
    uint32_t len;
    gpa_t b1, b2;

    start(f, 0);
    b1 = add_in(f, 4, &h1);
    b2 = add_in(f, 4, &h2);
    virtio_notify(&f->c.vdev, RXQ);
    assert_int_equal(f->rx_ready, 2);   /* activate + kick */
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"abcdefghij",
                                               10),
                     8);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(id, h1);
    assert_int_equal(len, 4);
    assert_memory_equal(fdrv_ptr(d, b1, 4), "abcd", 4);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(id, h2);
    assert_memory_equal(fdrv_ptr(d, b2, 4), "efgh", 4);
    assert_int_equal(f->irq.queue[RXQ], 1);
    /* the host keeps "ij" until there is room */
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"ij", 2),
                     0);
    b1 = add_in(f, 64, &h1);
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"ij", 2),
                     2);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(len, 2);
    assert_memory_equal(fdrv_ptr(d, b1, 3), "ij.", 3);
    assert_int_equal(f->c.stats.rx_bytes, 10);
}

/* A receive chain with readable parts: only the writable part is filled;
 * a chain with nothing writable comes back with used.len 0. */
static void test_rx_skips_readable(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[RXQ];
    gpa_t r = fdrv_alloc(d, 4), w = fdrv_alloc(d, 4);
    uint16_t id;
    uint32_t len;

    start(f, 0);
    memcpy(fdrv_ptr(d, r, 4), "RRRR", 4);
    fdrv_add(d, FDRV_OUT(r, 4));
    fdrv_add(d, FDRV_OUT(r, 4), FDRV_IN(w, 4));
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"xyz", 3),
                     3);
    assert_memory_equal(fdrv_ptr(d, r, 4), "RRRR", 4);
    assert_memory_equal(fdrv_ptr(d, w, 3), "xyz", 3);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(len, 0);
    assert_true(fdrv_used(d, &id, &len));
    assert_int_equal(len, 3);
}

/* RELIABILITY (a) 23, input side: a flood with no buffers takes nothing;
 * with a ring full of buffers it takes at most the ring's room. */
static void test_a23_rx_flood_bounded(void **state)
{
    struct fx *f = *state;
    static uint8_t flood[1 << 20];
    uint16_t h;

    memset(flood, 'z', sizeof(flood));
    start(f, 0);
    assert_int_equal(virtio_console_push_input(&f->c, flood, sizeof(flood)),
                     0);
    for (unsigned i = 0; i < QSIZE; i++)
        add_in(f, 256, &h);
    assert_int_equal(virtio_console_push_input(&f->c, flood, sizeof(flood)),
                     QSIZE * 256);
    assert_int_equal(virtio_console_push_input(&f->c, flood, sizeof(flood)),
                     0);
}

static void test_rx_not_running(void **state)
{
    struct fx *f = *state;

    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"a", 1),
                     0);
    start(f, 0);
    virtio_needs_reset(&f->c.vdev);
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"a", 1),
                     0);
}

/* ---- config space (5.3.4) ---- */

static void test_config_and_features(void **state)
{
    struct fx *f = *state;
    struct virtio_dev *v = &f->c.vdev;
    uint8_t b[8];
    uint32_t word;

    word = virtio_host_features(v, 0);
    assert_true(word & 1u << VIRTIO_CONSOLE_F_EMERG_WRITE);
    assert_false(word & 1u << VIRTIO_CONSOLE_F_SIZE);
    assert_false(word & 1u << VIRTIO_CONSOLE_F_MULTIPORT);
    assert_int_equal(v->config_len, VIRTIO_CONSOLE_CFG_LEN);
    virtio_config_read(v, VIRTIO_CONSOLE_CFG_COLS, b, 2);
    assert_int_equal(le16_get(b, 0), 0);
    virtio_config_read(v, VIRTIO_CONSOLE_CFG_ROWS, b, 2);
    assert_int_equal(le16_get(b, 0), 0);
    virtio_config_read(v, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, b, 4);
    assert_int_equal(le32_get(b, 0), 1);
    virtio_config_read(v, VIRTIO_CONSOLE_CFG_EMERG_WR, b, 4);
    assert_int_equal(le32_get(b, 0), 0);
    virtio_config_read(v, 8, b, 8);       /* runs past the end */
    assert_int_equal(le64_get(b, 0), 0);
    /* emerg_wr: one character, even before the driver is up */
    le32_put(b, 0, '!');
    virtio_config_write(v, VIRTIO_CONSOLE_CFG_EMERG_WR, b, 4);
    virtio_config_write(v, VIRTIO_CONSOLE_CFG_COLS, b, 2);   /* read-only */
    assert_int_equal(f->out.len, 1);
    assert_int_equal(f->out.buf[0], '!');
}

/* ---- guest errors and reset ---- */

static void test_bad_ring_needs_reset(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    fdrv_publish(&f->q[TXQ], QSIZE);   /* avail entry >= size */
    virtio_notify(&f->c.vdev, TXQ);
    assert_true(f->c.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->irq.config, 1);
    assert_int_equal(f->out.len, 0);
    /* RX on a broken device takes nothing */
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"a", 1),
                     0);
}

static void test_bad_rx_ring_needs_reset(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    fdrv_set_avail_idx(&f->q[RXQ], QSIZE + 1);   /* runs ahead by > size */
    assert_int_equal(virtio_console_push_input(&f->c,
                                               (const uint8_t *)"a", 1),
                     0);
    assert_true(f->c.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

/* Reset in the middle of a long chain: nothing pending afterwards, and
 * the device works again after a new probe. */
static void test_reset_mid_tx(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[TXQ];
    const uint32_t n = 60 * 1024;
    gpa_t buf = fdrv_alloc(d, n);

    start(f, 0);
    fdrv_add(d, FDRV_OUT(buf, n), FDRV_OUT(buf, n));
    virtio_notify(&f->c.vdev, TXQ);
    assert_true(virtio_console_tx_pending(&f->c));
    virtio_set_status(&f->c.vdev, 0);
    assert_false(virtio_console_tx_pending(&f->c));
    virtio_console_tx(&f->c);   /* the VMM's retry after the reset */
    assert_int_equal(f->c.stats.tx_bytes, VIRTIO_CONSOLE_TX_BUDGET);
    fdrv_init(&f->q[RXQ], f->ram, QSIZE);
    fdrv_init(&f->q[TXQ], f->ram, QSIZE);
    fdrv_move(&f->q[TXQ], 0x8000);
    start(f, 0);
    add_out(f, "back");
    virtio_notify(&f->c.vdev, TXQ);
    assert_int_equal(f->c.stats.tx_bytes, VIRTIO_CONSOLE_TX_BUDGET + 4);
}

/* RELIABILITY (a) 17: kicks on an empty ring cost a look at avail.idx. */
static void test_kick_storm_empty(void **state)
{
    struct fx *f = *state;

    start(f, 0);
    for (unsigned i = 0; i < 100000; i++)
        virtio_notify(&f->c.vdev, i & 1);
    assert_int_equal(f->c.stats.tx_chains, 0);
    assert_int_equal(f->irq.queue[TXQ], 0);
    assert_int_equal(f->rx_ready, 1 + 50000);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_tx_to_sink),
        T(test_tx_segments_and_indirect),
        T(test_tx_writable_segments_untouched),
        T(test_activate_serves_early_output),
        cmocka_unit_test(test_a23_tx_1gib_bounded_per_run),
        T(test_tx_budget_across_chains),
        T(test_b13_tx_sink_fails),
        T(test_rx_fills_buffers),
        T(test_rx_skips_readable),
        T(test_a23_rx_flood_bounded),
        T(test_rx_not_running),
        T(test_config_and_features),
        T(test_bad_ring_needs_reset),
        T(test_bad_rx_ring_needs_reset),
        T(test_reset_mid_tx),
        T(test_kick_storm_empty),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
