/* Split virtqueue, device side: happy paths through the fake driver, and
 * every hostile-guest case of RELIABILITY.md (a) that reaches the queue
 * (test_aN_* is case N). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/virtio/queue.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define QSIZE 16

struct fx {
    struct fake_ram *ram;
    struct fdrv d;
    struct virtq q;
    struct virtq_chain c;
};

/* Lay out and enable a queue of (size) with the given features. */
static void start(struct fx *f, uint16_t size, bool event_idx, bool indirect)
{
    fdrv_init(&f->d, f->ram, size);
    f->d.event_idx = event_idx;
    memset(&f->q, 0, sizeof(f->q));
    virtq_reset(&f->q, VIRTQ_MAX_SIZE);
    fdrv_attach(&f->d, &f->q);
    assert_int_equal(virtq_enable(&f->q, &f->ram->gm, event_idx, indirect), 0);
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    f->ram = fake_ram_new(FAKE_RAM_SIZE, 0);
    start(f, QSIZE, false, true);
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

/* The next pop is a guest error, and nothing is consumed by it. */
static void assert_rejected(struct fx *f)
{
    uint16_t last = f->q.last_avail, used = fdrv_used_idx(&f->d);
    unsigned inflight = virtq_inflight(&f->q);

    assert_int_equal(virtq_pop(&f->q, &f->c), -EPROTO);
    assert_int_equal(f->q.last_avail, last);
    assert_int_equal(virtq_inflight(&f->q), inflight);
    assert_int_equal(fdrv_used_idx(&f->d), used);
    /* Still refused: the bad entry was not skipped either. */
    assert_int_equal(virtq_pop(&f->q, &f->c), -EPROTO);
    assert_int_equal(f->q.last_avail, last);
}

static void assert_seg(const struct virtq_seg *s, gpa_t addr, uint32_t len,
                       bool write)
{
    assert_int_equal(s->addr, addr);
    assert_int_equal(s->len, len);
    assert_int_equal(s->write, write);
}

/* Pop one chain (expected present) and check its head. */
static void pop_ok(struct fx *f, uint16_t head)
{
    assert_int_equal(virtq_pop(&f->q, &f->c), 1);
    assert_int_equal(f->c.head, head);
}

/* Push (head) with (len) and reap it on the driver side. */
static void push_reap(struct fx *f, uint16_t head, uint32_t len)
{
    uint16_t id;
    uint32_t l;

    assert_int_equal(virtq_push(&f->q, head, len), 0);
    assert_true(fdrv_used(&f->d, &id, &l));
    assert_int_equal(id, head);
    assert_int_equal(l, len);
}

/* Register a second RAM region (never touched by the queue's data path)
 * so addresses above the fake RAM can be RAM, with a hole between. */
static uint8_t far_ram[64];

static void add_region(struct fx *f, gpa_t gpa, uint64_t size)
{
    assert_int_equal(gmem_add(&f->ram->gm, gpa, size, far_ram), 0);
}

/* ---- happy paths ---- */

static void test_empty_ring_pops_nothing(void **state)
{
    struct fx *f = *state;

    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    assert_int_equal(virtq_inflight(&f->q), 0);
    assert_int_equal(f->q.last_avail, 0);
}

static void test_disabled_queue_pops_nothing(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    virtq_reset(&f->q, QSIZE);
    fdrv_add(&f->d, FDRV_OUT(b, 8));
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    assert_false(virtq_should_notify(&f->q));
}

static void test_direct_chain_round_trip(void **state)
{
    struct fx *f = *state;
    gpa_t hdr = fdrv_alloc(&f->d, 16), data = fdrv_alloc(&f->d, 512),
          st = fdrv_alloc(&f->d, 1);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(hdr, 16), FDRV_IN(data, 512),
                             FDRV_IN(st, 1));

    pop_ok(f, head);
    assert_int_equal(f->c.nseg, 3);
    assert_seg(&f->c.seg[0], hdr, 16, false);
    assert_seg(&f->c.seg[1], data, 512, true);
    assert_seg(&f->c.seg[2], st, 1, true);
    assert_int_equal(f->c.out_bytes, 16);
    assert_int_equal(f->c.in_bytes, 513);
    assert_int_equal(virtq_inflight(&f->q), 1);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    push_reap(f, head, 513);
    assert_int_equal(virtq_inflight(&f->q), 0);
    assert_int_equal(fdrv_num_free(&f->d), QSIZE);
}

static void test_indirect_chain_round_trip(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 16), b = fdrv_alloc(&f->d, 4096),
          c = fdrv_alloc(&f->d, 1);
    uint16_t head = fdrv_add_ind(&f->d, FDRV_OUT(a, 16), FDRV_IN(b, 4096),
                                 FDRV_IN(c, 1));

    assert_int_equal(fdrv_num_free(&f->d), QSIZE - 1);
    pop_ok(f, head);
    assert_int_equal(f->c.nseg, 3);
    assert_seg(&f->c.seg[0], a, 16, false);
    assert_seg(&f->c.seg[1], b, 4096, true);
    assert_seg(&f->c.seg[2], c, 1, true);
    push_reap(f, head, 4097);
    assert_int_equal(fdrv_num_free(&f->d), QSIZE);
}

/* 2.7.5.3.2: direct descriptors followed by one indirect descriptor. */
static void test_direct_then_indirect_chain(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8), b = fdrv_alloc(&f->d, 8),
          t = fdrv_alloc(&f->d, 32);

    fdrv_write_desc(&f->d, t, 0, b, 8, VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, t, 1, b, 4, VIRTQ_DESC_F_WRITE, 0);
    fdrv_write_desc(&f->d, f->d.desc, 3, a, 8, VIRTQ_DESC_F_NEXT, 5);
    /* The WRITE flag of the descriptor naming the table is ignored. */
    fdrv_write_desc(&f->d, f->d.desc, 5, t, 32,
                    VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
    fdrv_publish(&f->d, 3);
    pop_ok(f, 3);
    assert_int_equal(f->c.nseg, 3);
    assert_seg(&f->c.seg[0], a, 8, false);
    assert_seg(&f->c.seg[1], b, 8, false);
    assert_seg(&f->c.seg[2], b, 4, true);
    assert_int_equal(f->c.out_bytes, 16);
    assert_int_equal(f->c.in_bytes, 4);
}

static void test_fill_whole_ring_then_drain(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 64);
    uint16_t heads[QSIZE];

    for (unsigned i = 0; i < QSIZE; i++)
        heads[i] = fdrv_add(&f->d, FDRV_IN(b, 64));
    for (unsigned i = 0; i < QSIZE; i++)
        pop_ok(f, heads[i]);
    assert_int_equal(virtq_inflight(&f->q), QSIZE);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    /* Completion order need not be pop order. */
    for (unsigned i = QSIZE; i-- > 0;)
        push_reap(f, heads[i], i);
    assert_int_equal(virtq_inflight(&f->q), 0);
}

/* 16-bit avail and used indices wrap past 65535 without a hiccup. */
static void test_index_wrap_past_65535(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    for (unsigned i = 0; i < 70000; i++) {
        uint16_t h1 = fdrv_add(&f->d, FDRV_OUT(b, 8));
        uint16_t h2 = fdrv_add(&f->d, FDRV_IN(b, 8));

        pop_ok(f, h1);
        pop_ok(f, h2);
        push_reap(f, h2, 8);
        push_reap(f, h1, 0);
    }
    assert_int_equal(f->q.last_avail, (uint16_t)140000);
    assert_int_equal(fdrv_used_idx(&f->d), (uint16_t)140000);
    assert_int_equal(virtq_inflight(&f->q), 0);
}

static void test_push_not_in_flight_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    assert_int_equal(virtq_push(&f->q, head, 0), -EPROTO);
    assert_int_equal(virtq_push(&f->q, QSIZE, 0), -EPROTO);
    assert_int_equal(virtq_push(&f->q, 0xffff, 0), -EPROTO);
    pop_ok(f, head);
    assert_int_equal(virtq_push(&f->q, head, 0), 0);
    assert_int_equal(virtq_push(&f->q, head, 0), -EPROTO);
    assert_int_equal(fdrv_used_idx(&f->d), 1);
}

static void test_reset_forgets_everything(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    pop_ok(f, head);
    virtq_reset(&f->q, 64);
    assert_false(f->q.enabled);
    assert_int_equal(virtq_inflight(&f->q), 0);
    assert_int_equal(f->q.size, 64);
    assert_int_equal(f->q.desc, 0);
    assert_int_equal(f->q.msix_vector, VIRTQ_NO_VECTOR);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    /* A completion arriving after the reset writes nothing. */
    assert_int_equal(virtq_push(&f->q, head, 8), -EPROTO);
    assert_int_equal(fdrv_used_idx(&f->d), 0);
    /* Reset clamps the offered size. */
    virtq_reset(&f->q, 1024);
    assert_int_equal(f->q.size, VIRTQ_MAX_SIZE);
}

/* Unpop, newest first, gives the entries back: the next pops take the
 * same heads in the same order, and the guest sees nothing used. */
static void test_unpop_gives_entries_back(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h1 = fdrv_add(&f->d, FDRV_IN(b, 8));
    uint16_t h2 = fdrv_add(&f->d, FDRV_IN(b, 8));

    pop_ok(f, h1);
    pop_ok(f, h2);
    assert_int_equal(virtq_unpop(&f->q, h2), 0);
    assert_int_equal(virtq_unpop(&f->q, h1), 0);
    assert_int_equal(virtq_inflight(&f->q), 0);
    assert_int_equal(f->q.last_avail, 0);
    assert_int_equal(fdrv_used_idx(&f->d), 0);
    /* A head not in flight (any more) is refused and changes nothing. */
    assert_int_equal(virtq_unpop(&f->q, h1), -EINVAL);
    assert_int_equal(virtq_unpop(&f->q, QSIZE), -EINVAL);
    assert_int_equal(f->q.last_avail, 0);
    pop_ok(f, h1);
    pop_ok(f, h2);
    push_reap(f, h1, 8);
    push_reap(f, h2, 8);
}

/* With EVENT_IDX, a driver that adds a buffer after the device gave back
 * what it popped from a drained ring still kicks. */
static void test_unpop_keeps_kick_after_drain(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h;

    start(f, QSIZE, true, false);
    h = fdrv_add(&f->d, FDRV_IN(b, 8));
    pop_ok(f, h);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    assert_int_equal(virtq_unpop(&f->q, h), 0);
    (void)fdrv_kick(&f->d);
    fdrv_add(&f->d, FDRV_IN(b, 8));
    assert_true(fdrv_kick(&f->d));
    pop_ok(f, h);
}

static void test_unpop_disabled_queue(void **state)
{
    struct fx *f = *state;

    virtq_reset(&f->q, QSIZE);
    assert_int_equal(virtq_unpop(&f->q, 0), -EINVAL);
}

/* ---- interrupt and kick suppression ---- */

static void test_interrupt_by_default(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    pop_ok(f, head);
    assert_int_equal(virtq_push(&f->q, head, 0), 0);
    assert_true(virtq_should_notify(&f->q));
}

static void test_no_interrupt_flag_suppresses(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    fdrv_set_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
    pop_ok(f, head);
    assert_int_equal(virtq_push(&f->q, head, 0), 0);
    assert_false(virtq_should_notify(&f->q));
    fdrv_set_avail_flags(&f->d, 0);
    assert_true(virtq_should_notify(&f->q));
}

static void test_event_idx_writes_avail_event(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h;

    start(f, QSIZE, true, false);
    /* An empty pop asks for a kick at the next entry. */
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
    assert_int_equal(fdrv_avail_event(&f->d), 0);
    h = fdrv_add(&f->d, FDRV_OUT(b, 8));
    assert_true(fdrv_kick(&f->d));
    fdrv_add(&f->d, FDRV_OUT(b, 8));
    pop_ok(f, h);
    assert_int_equal(fdrv_avail_event(&f->d), 1);
    /* avail.idx moved 1 -> 2, avail_event is 1: the driver must kick. */
    assert_true(fdrv_kick(&f->d));
    assert_int_equal(virtq_pop(&f->q, &f->c), 1);
    assert_int_equal(fdrv_avail_event(&f->d), 2);
    /* Nothing new made available: no kick. */
    assert_false(fdrv_kick(&f->d));
}

static void test_event_idx_kick_suppressed_while_busy(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    start(f, QSIZE, true, false);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);   /* avail_event = 0 */
    fdrv_add(&f->d, FDRV_OUT(b, 8));
    assert_true(fdrv_kick(&f->d));                  /* 0 -> 1 crosses 0 */
    fdrv_add(&f->d, FDRV_OUT(b, 8));
    /* The device has not taken entry 0 yet: it will see entry 1 too. */
    assert_false(fdrv_kick(&f->d));
}

static void test_event_idx_suppresses_interrupt(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h[4];

    start(f, QSIZE, true, false);
    for (unsigned i = 0; i < 4; i++)
        h[i] = fdrv_add(&f->d, FDRV_OUT(b, 8));
    for (unsigned i = 0; i < 4; i++)
        pop_ok(f, h[i]);
    /* The first check after enable always signals (no history). */
    assert_int_equal(virtq_push(&f->q, h[0], 0), 0);
    assert_true(virtq_should_notify(&f->q));
    /* Driver: interrupt me when used entry 3 is written (used.idx 3 -> 4). */
    fdrv_set_used_event(&f->d, 3);
    assert_int_equal(virtq_push(&f->q, h[1], 0), 0);
    assert_false(virtq_should_notify(&f->q));
    assert_int_equal(virtq_push(&f->q, h[2], 0), 0);
    assert_false(virtq_should_notify(&f->q));
    assert_int_equal(virtq_push(&f->q, h[3], 0), 0);
    assert_true(virtq_should_notify(&f->q));
    /* Nothing pushed since: nothing to signal. */
    assert_false(virtq_should_notify(&f->q));
}

static void test_event_idx_notifies_when_batch_crosses(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h[4];

    start(f, QSIZE, true, false);
    for (unsigned i = 0; i < 4; i++)
        h[i] = fdrv_add(&f->d, FDRV_OUT(b, 8));
    for (unsigned i = 0; i < 4; i++)
        pop_ok(f, h[i]);
    assert_int_equal(virtq_push(&f->q, h[0], 0), 0);
    assert_true(virtq_should_notify(&f->q));       /* used.idx 1 */
    fdrv_set_used_event(&f->d, 2);
    /* Three pushes in one batch cross used_event 2 (1 -> 4). */
    for (unsigned i = 1; i < 4; i++)
        assert_int_equal(virtq_push(&f->q, h[i], 0), 0);
    assert_true(virtq_should_notify(&f->q));
}

/* 2.7.7.2: with EVENT_IDX the device ignores avail.flags. */
static void test_event_idx_ignores_no_interrupt_flag(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h;

    start(f, QSIZE, true, false);
    fdrv_set_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
    h = fdrv_add(&f->d, FDRV_OUT(b, 8));
    pop_ok(f, h);
    assert_int_equal(virtq_push(&f->q, h, 0), 0);
    assert_true(virtq_should_notify(&f->q));
    h = fdrv_add(&f->d, FDRV_OUT(b, 8));
    pop_ok(f, h);
    fdrv_set_used_event(&f->d, 1);
    assert_int_equal(virtq_push(&f->q, h, 0), 0);
    assert_true(virtq_should_notify(&f->q));
}

/* Pushing half the index space without asking must not lose a signal. */
static void test_event_idx_long_silence_still_signals(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    start(f, QSIZE, true, false);
    fdrv_set_used_event(&f->d, 0xffff);
    for (unsigned i = 0; i < 0x8001; i++) {
        uint16_t h = fdrv_add(&f->d, FDRV_OUT(b, 8));

        pop_ok(f, h);
        push_reap(f, h, 0);
        if (i == 0)
            assert_true(virtq_should_notify(&f->q));
    }
    /* used_event 0xffff lies outside [1, 0x8001), but after half the index
     * space without a check the comparison cannot be trusted: signal (a
     * spurious interrupt is harmless, a lost one hangs the driver). */
    assert_true(virtq_should_notify(&f->q));
}

/* ---- RELIABILITY (a) 1: chain loops ---- */

static void test_a1_chain_loop_stops_at_size(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    /* 0 -> 1 -> ... -> 15 -> 0: every descriptor is valid on its own. */
    for (uint16_t i = 0; i < QSIZE; i++)
        fdrv_write_desc(&f->d, f->d.desc, i, b, 8, VIRTQ_DESC_F_NEXT,
                        (uint16_t)((i + 1) % QSIZE));
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
}

static void test_a1_self_loop(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    fdrv_write_desc(&f->d, f->d.desc, 7, b, 8, VIRTQ_DESC_F_NEXT, 7);
    fdrv_publish(&f->d, 7);
    assert_rejected(f);
}

/* Zero-length descriptors record nothing, but still count as hops. */
static void test_a1_loop_of_empty_descriptors(void **state)
{
    struct fx *f = *state;

    fdrv_write_desc(&f->d, f->d.desc, 0, 0, 0, VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, 0, 0, VIRTQ_DESC_F_NEXT, 0);
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
}

static void test_a1_chain_of_queue_size_accepted(void **state)
{
    struct fx *f = *state;
    struct fdrv_seg segs[QSIZE];
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head;

    for (unsigned i = 0; i < QSIZE; i++)
        segs[i] = FDRV_OUT(b, 8);
    head = fdrv_add_chain(&f->d, segs, QSIZE);
    pop_ok(f, head);
    assert_int_equal(f->c.nseg, QSIZE);
}

static void test_a1_indirect_loop_stops_at_table_size(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8), t = fdrv_alloc(&f->d, 4 * 16);

    for (uint16_t i = 0; i < 4; i++)
        fdrv_write_desc(&f->d, t, i, b, 8, VIRTQ_DESC_F_NEXT,
                        (uint16_t)((i + 1) % 4));
    fdrv_write_desc(&f->d, f->d.desc, 0, t, 4 * 16, VIRTQ_DESC_F_INDIRECT, 0);
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
}

/* ---- (a) 2: indirect tables ---- */

static void publish_indirect(struct fx *f, gpa_t table, uint32_t len,
                             uint16_t flags)
{
    fdrv_write_desc(&f->d, f->d.desc, 0, table, len, flags, 1);
    fdrv_publish(&f->d, 0);
}

/* An indirect table of (n) valid readable entries. */
static gpa_t make_table(struct fx *f, unsigned n)
{
    gpa_t b = fdrv_alloc(&f->d, 8), t = fdrv_alloc(&f->d, n * 16);

    for (unsigned i = 0; i < n; i++)
        fdrv_write_desc(&f->d, t, (uint16_t)i, b, 8,
                        i + 1 < n ? VIRTQ_DESC_F_NEXT : 0, (uint16_t)(i + 1));
    return t;
}

static void test_a2_indirect_len_not_multiple_of_16(void **state)
{
    struct fx *f = *state;

    publish_indirect(f, make_table(f, 2), 24, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

static void test_a2_indirect_len_zero(void **state)
{
    struct fx *f = *state;

    publish_indirect(f, make_table(f, 2), 0, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

static void test_a2_indirect_too_many_entries(void **state)
{
    struct fx *f = *state;
    gpa_t t = make_table(f, VIRTQ_MAX_SEGS + 1);

    publish_indirect(f, t, (VIRTQ_MAX_SEGS + 1) * 16, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
    /* Too long even when its entries carry no bytes at all. */
    t = fdrv_alloc(&f->d, 300 * 16);
    for (uint16_t i = 0; i < 300; i++)
        fdrv_write_desc(&f->d, t, i, 0, 0, i + 1 < 300 ? VIRTQ_DESC_F_NEXT : 0,
                        (uint16_t)(i + 1));
    fdrv_write_desc(&f->d, f->d.desc, 0, t, 300 * 16, VIRTQ_DESC_F_INDIRECT,
                    0);
    assert_rejected(f);
    /* 65536 entries (1 MiB) is still refused, even where it is all RAM. */
    fdrv_write_desc(&f->d, f->d.desc, 0, 0, 65536 * 16, VIRTQ_DESC_F_INDIRECT,
                    0);
    assert_rejected(f);
    fdrv_write_desc(&f->d, f->d.desc, 0, 0, UINT32_MAX & ~15u,
                    VIRTQ_DESC_F_INDIRECT, 0);
    assert_rejected(f);
}

static void test_a2_indirect_max_entries_accepted(void **state)
{
    struct fx *f = *state;

    publish_indirect(f, make_table(f, VIRTQ_MAX_SEGS),
                     VIRTQ_MAX_SEGS * 16, VIRTQ_DESC_F_INDIRECT);
    pop_ok(f, 0);
    assert_int_equal(f->c.nseg, VIRTQ_MAX_SEGS);
}

static void test_a2_nested_indirect(void **state)
{
    struct fx *f = *state;
    gpa_t inner = make_table(f, 2), outer = fdrv_alloc(&f->d, 32);

    fdrv_write_desc(&f->d, outer, 0, inner, 32, VIRTQ_DESC_F_INDIRECT, 0);
    publish_indirect(f, outer, 16, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

static void test_a2_indirect_with_next(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    fdrv_write_desc(&f->d, f->d.desc, 1, b, 8, 0, 0);
    publish_indirect(f, make_table(f, 2), 32,
                     VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT);
    assert_rejected(f);
}

static void test_a2_indirect_not_negotiated(void **state)
{
    struct fx *f = *state;

    start(f, QSIZE, false, false);
    publish_indirect(f, make_table(f, 2), 32, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

static void test_a2_indirect_table_outside_ram(void **state)
{
    struct fx *f = *state;

    publish_indirect(f, FAKE_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
    publish_indirect(f, UINT64_MAX - 15, 32, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

static void test_a2_indirect_next_beyond_table(void **state)
{
    struct fx *f = *state;
    gpa_t t = make_table(f, 2);

    /* Entry 1 links to entry 2 of a 2-entry table. */
    fdrv_write_desc(&f->d, t, 1, fdrv_alloc(&f->d, 8), 8, VIRTQ_DESC_F_NEXT,
                    2);
    publish_indirect(f, t, 32, VIRTQ_DESC_F_INDIRECT);
    assert_rejected(f);
}

/* ---- (a) 3: buffers outside RAM ---- */

/* Publish a chain: a good readable buffer, then (addr, len) writable. */
static void publish_pair(struct fx *f, gpa_t addr, uint32_t len)
{
    fdrv_write_desc(&f->d, f->d.desc, 0, fdrv_alloc(&f->d, 8), 8,
                    VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, addr, len, VIRTQ_DESC_F_WRITE, 0);
    fdrv_publish(&f->d, 0);
}

static void test_a3_addr_len_wraps(void **state)
{
    struct fx *f = *state;

    publish_pair(f, UINT64_MAX - 7, 16);
    assert_rejected(f);
    fdrv_write_desc(&f->d, f->d.desc, 1, UINT64_MAX, UINT32_MAX,
                    VIRTQ_DESC_F_WRITE, 0);
    assert_rejected(f);
}

static void test_a3_ends_one_byte_past_ram(void **state)
{
    struct fx *f = *state;

    publish_pair(f, FAKE_RAM_SIZE - 64, 65);
    assert_rejected(f);
    /* Exactly to the end is fine. */
    fdrv_write_desc(&f->d, f->d.desc, 1, FAKE_RAM_SIZE - 64, 64,
                    VIRTQ_DESC_F_WRITE, 0);
    pop_ok(f, 0);
    assert_seg(&f->c.seg[1], FAKE_RAM_SIZE - 64, 64, true);
}

static void test_a3_spans_hole(void **state)
{
    struct fx *f = *state;

    add_region(f, 2 * MiB, 1 * MiB);
    /* From the end of the first region, across [1 MiB, 2 MiB). */
    publish_pair(f, FAKE_RAM_SIZE - 16, 1 * MiB + 32);
    assert_rejected(f);
    /* Inside the hole. */
    fdrv_write_desc(&f->d, f->d.desc, 1, FAKE_RAM_SIZE + 4096, 16,
                    VIRTQ_DESC_F_WRITE, 0);
    assert_rejected(f);
    /* Inside the second region. */
    fdrv_write_desc(&f->d, f->d.desc, 1, 2 * MiB + 16, 16,
                    VIRTQ_DESC_F_WRITE, 0);
    pop_ok(f, 0);
}

/* A bad last segment rejects the whole chain: the device never sees the
 * good first half. */
static void test_a3_no_partial_chain(void **state)
{
    struct fx *f = *state;

    start(f, QSIZE, true, true);
    publish_pair(f, FAKE_RAM_SIZE, 8);
    assert_rejected(f);
    assert_int_equal(f->q.last_avail, 0);
    assert_int_equal(fdrv_avail_event(&f->d), 0);
}

static void test_a3_next_out_of_range(void **state)
{
    struct fx *f = *state;

    fdrv_write_desc(&f->d, f->d.desc, 0, fdrv_alloc(&f->d, 8), 8,
                    VIRTQ_DESC_F_NEXT, QSIZE);
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
    fdrv_write_desc(&f->d, f->d.desc, 0, fdrv_alloc(&f->d, 8), 8,
                    VIRTQ_DESC_F_NEXT, 0xffff);
    assert_rejected(f);
}

/* ---- (a) 4: MMIO windows are not RAM ---- */

static void test_a4_buffer_in_mmio_window(void **state)
{
    struct fx *f = *state;

    /* RAM above and below an MMIO-sized hole, like a real memory map. */
    add_region(f, 4 * GiB, 1 * GiB);
    publish_pair(f, 0xfebf0000, 0x1000);      /* a PCI BAR */
    assert_rejected(f);
    fdrv_write_desc(&f->d, f->d.desc, 1, 0xfee00000, 4, VIRTQ_DESC_F_WRITE,
                    0);                        /* the LAPIC */
    assert_rejected(f);
    fdrv_write_desc(&f->d, f->d.desc, 1, 4 * GiB - 8, 16, VIRTQ_DESC_F_WRITE,
                    0);                        /* window edge into RAM */
    assert_rejected(f);
}

static void test_a4_ring_in_mmio_window_refused(void **state)
{
    struct fx *f = *state;

    virtq_reset(&f->q, QSIZE);
    fdrv_attach(&f->d, &f->q);
    f->q.used = 0xfebf0000;
    assert_int_equal(virtq_enable(&f->q, &f->ram->gm, false, false), -EINVAL);
    assert_false(f->q.enabled);
}

/* ---- (a) 5: chain length ---- */

static void test_a5_total_over_4g_rejected(void **state)
{
    struct fx *f = *state;

    add_region(f, 1ULL << 40, 8 * GiB);    /* never dereferenced */
    fdrv_write_desc(&f->d, f->d.desc, 0, 1ULL << 40, UINT32_MAX,
                    VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, 1ULL << 40, 1, VIRTQ_DESC_F_WRITE, 0);
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
    /* Many large segments: the sum must not wrap a u32. */
    for (uint16_t i = 0; i < QSIZE; i++)
        fdrv_write_desc(&f->d, f->d.desc, i, (1ULL << 40) + i, 0x40000000,
                        i + 1 < QSIZE ? VIRTQ_DESC_F_NEXT : 0,
                        (uint16_t)(i + 1));
    assert_rejected(f);
}

static void test_a5_total_u32_max_accepted(void **state)
{
    struct fx *f = *state;

    add_region(f, 1ULL << 40, 8 * GiB);
    fdrv_write_desc(&f->d, f->d.desc, 0, 1ULL << 40, 0x80000000,
                    VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, 1ULL << 40, 0x7fffffff,
                    VIRTQ_DESC_F_WRITE, 0);
    fdrv_publish(&f->d, 0);
    pop_ok(f, 0);
    assert_int_equal(f->c.out_bytes, 0x80000000);
    assert_int_equal(f->c.in_bytes, 0x7fffffff);
}

/* One direct segment plus a full indirect table: one segment more than a
 * chain may hold. */
static void test_a5_too_many_segments_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t t = make_table(f, VIRTQ_MAX_SEGS);

    fdrv_write_desc(&f->d, f->d.desc, 0, fdrv_alloc(&f->d, 8), 8,
                    VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, t, VIRTQ_MAX_SEGS * 16,
                    VIRTQ_DESC_F_INDIRECT, 0);
    fdrv_publish(&f->d, 0);
    assert_rejected(f);
    /* Without the direct one it fits exactly. */
    fdrv_set_avail_entry(&f->d, 0, 1);
    pop_ok(f, 1);
    assert_int_equal(f->c.nseg, VIRTQ_MAX_SEGS);
}

/* ---- (a) 6: zero-length descriptors ---- */

static void test_a6_zero_length_descriptor_records_nothing(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8), st = fdrv_alloc(&f->d, 1);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(a, 8), FDRV_IN(a, 0),
                             FDRV_IN(st, 1));

    pop_ok(f, head);
    assert_int_equal(f->c.nseg, 2);
    assert_seg(&f->c.seg[0], a, 8, false);
    assert_seg(&f->c.seg[1], st, 1, true);
}

/* A zero-length descriptor's address and WRITE flag are never looked at:
 * not RAM, and readable after writable, yet harmless. */
static void test_a6_zero_length_ignored_whatever_it_says(void **state)
{
    struct fx *f = *state;
    gpa_t st = fdrv_alloc(&f->d, 1);

    fdrv_write_desc(&f->d, f->d.desc, 0, st, 1,
                    VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    fdrv_write_desc(&f->d, f->d.desc, 1, UINT64_MAX, 0, 0, 0);
    fdrv_publish(&f->d, 0);
    pop_ok(f, 0);
    assert_int_equal(f->c.nseg, 1);
    assert_int_equal(f->c.in_bytes, 1);
}

static void test_a6_all_zero_length_chain_is_empty(void **state)
{
    struct fx *f = *state;
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(0, 0), FDRV_IN(0, 0));

    pop_ok(f, head);
    assert_int_equal(f->c.nseg, 0);
    assert_int_equal(f->c.out_bytes + f->c.in_bytes, 0);
    push_reap(f, head, 0);
}

/* ---- (a) 7: WRITE flags ---- */

static void test_a7_readable_after_writable_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8), b = fdrv_alloc(&f->d, 8);

    fdrv_add(&f->d, FDRV_OUT(a, 8), FDRV_IN(b, 8), FDRV_OUT(a, 8));
    assert_rejected(f);
}

static void test_a7_readable_after_writable_in_indirect_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8);

    fdrv_add_ind(&f->d, FDRV_IN(a, 8), FDRV_OUT(a, 8));
    assert_rejected(f);
}

static void test_a7_write_flags_reported_per_segment(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_IN(a, 4), FDRV_IN(a, 2));

    pop_ok(f, head);
    assert_true(f->c.seg[0].write && f->c.seg[1].write);
    assert_int_equal(f->c.out_bytes, 0);
    assert_int_equal(f->c.in_bytes, 6);
}

/* ---- (a) 8: avail.idx running ahead ---- */

static void test_a8_avail_idx_ahead_by_more_than_size(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    fdrv_add(&f->d, FDRV_OUT(b, 8));
    fdrv_set_avail_idx(&f->d, QSIZE + 1);
    assert_rejected(f);
    fdrv_set_avail_idx(&f->d, 0x8000);
    assert_rejected(f);
}

static void test_a8_avail_idx_ahead_by_exactly_size(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    for (unsigned i = 0; i < QSIZE; i++)
        fdrv_add(&f->d, FDRV_OUT(b, 8));
    assert_int_equal(f->d.avail_idx, QSIZE);
    assert_int_equal(virtq_pop(&f->q, &f->c), 1);
}

/* The driver winds avail.idx back: nothing is taken twice. */
static void test_a8_avail_idx_moved_backwards(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    pop_ok(f, head);
    push_reap(f, head, 0);
    fdrv_set_avail_idx(&f->d, 0);
    assert_rejected(f);
    fdrv_set_avail_idx(&f->d, 1);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
}

/* ---- (a) 9: avail entries ---- */

static void test_a9_avail_entry_beyond_size(void **state)
{
    struct fx *f = *state;

    fdrv_publish(&f->d, QSIZE);
    assert_rejected(f);
    fdrv_set_avail_entry(&f->d, 0, 0xffff);
    assert_rejected(f);
}

/* ---- (a) 10: same head twice ---- */

static void test_a10_same_head_twice_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    fdrv_publish(&f->d, head);
    pop_ok(f, head);
    assert_rejected(f);
    assert_int_equal(virtq_inflight(&f->q), 1);
    /* Once the first use is back, the second is a new request. */
    push_reap(f, head, 0);
    pop_ok(f, head);
}

static void test_a10_push_twice_rejected(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    pop_ok(f, head);
    assert_int_equal(virtq_push(&f->q, head, 0), 0);
    assert_int_equal(virtq_push(&f->q, head, 0), -EPROTO);
    assert_int_equal(fdrv_used_idx(&f->d), 1);
}

/* ---- (a) 11: single fetch ---- */

/* The chain is a private copy: the guest rewriting its descriptors after
 * the pop changes nothing the device sees. */
static void test_a11_chain_is_a_private_copy(void **state)
{
    struct fx *f = *state;
    gpa_t a = fdrv_alloc(&f->d, 8), b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(a, 8), FDRV_IN(b, 8));
    struct virtq_chain copy;

    pop_ok(f, head);
    copy = f->c;
    memset(fdrv_ptr(&f->d, f->d.desc, QSIZE * 16), 0xff, QSIZE * 16);
    assert_memory_equal(&copy, &f->c, sizeof(copy));
    assert_seg(&f->c.seg[0], a, 8, false);
    assert_seg(&f->c.seg[1], b, 8, true);
}

struct racer {
    struct fdrv *d;
    gpa_t good, bad;
    bool stop;
    unsigned long flips;
};

/* A second "vCPU": flips descriptor 0 between a valid buffer and one that
 * runs past the end of RAM, and its length and flags, as fast as it can. */
static void *race_desc(void *arg)
{
    struct racer *r = arg;
    uint8_t *p = fdrv_ptr(r->d, r->d->desc, 16);
    uint64_t *addr = (uint64_t *)p;
    uint32_t *len = (uint32_t *)(p + 8);
    uint16_t *flags = (uint16_t *)(p + 12);

    for (unsigned i = 0; !__atomic_load_n(&r->stop, __ATOMIC_RELAXED); i++) {
        __atomic_store_n(addr, i & 1 ? r->bad : r->good, __ATOMIC_RELAXED);
        __atomic_store_n(len, i & 2 ? 64 : 128, __ATOMIC_RELAXED);
        __atomic_store_n(flags, i & 4 ? VIRTQ_DESC_F_WRITE : 0,
                         __ATOMIC_RELAXED);
        __atomic_store_n(&r->flips, i + 1ul, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_a11_racing_writer_never_escapes_ram(void **state)
{
    struct fx *f = *state;
    struct racer r = {
        .d = &f->d, .good = fdrv_alloc(&f->d, 128), .bad = FAKE_RAM_SIZE - 64,
    };
    /* States: (good, 64|128) valid; (bad, 64) ends exactly at the end of
     * RAM, valid; (bad, 128) runs 64 bytes past it, refused. */
    unsigned ok = 0, refused = 0;
    pthread_t t;

    fdrv_write_desc(&f->d, f->d.desc, 0, r.good, 64, 0, 0);
    assert_int_equal(pthread_create(&t, NULL, race_desc, &r), 0);
    while (__atomic_load_n(&r.flips, __ATOMIC_RELAXED) < 1000)
        sched_yield();
    /* At least 20000 chains, and on until the racer has made 100000
     * writes during the loop (it may not get a CPU at first). */
    for (unsigned long from = __atomic_load_n(&r.flips, __ATOMIC_RELAXED);
         ok < 20000 ||
         (__atomic_load_n(&r.flips, __ATOMIC_RELAXED) - from < 100000 &&
          ok < 2000000);) {
        int rc;

        fdrv_publish(&f->d, 0);
        while ((rc = virtq_pop(&f->q, &f->c)) == -EPROTO)
            refused++;
        assert_int_equal(rc, 1);
        ok++;
        /* Whatever mix of old and new the copy caught, it is one
         * consistent, validated descriptor. */
        assert_int_equal(f->c.nseg, 1);
        assert_true(gmem_is_ram(&f->ram->gm, f->c.seg[0].addr,
                                f->c.seg[0].len));
        assert_int_equal(f->c.seg[0].len,
                         f->c.seg[0].write ? f->c.in_bytes : f->c.out_bytes);
        assert_int_equal(virtq_push(&f->q, 0, 0), 0);
    }
    __atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(virtq_inflight(&f->q), 0);
    print_message("a11: %u chains taken, %u refused, %lu racing writes\n",
                  ok, refused, r.flips);
}

/* ---- (a) 12: enable-time validation ---- */

/* Reset the queue, program the default rings, apply (size) and the given
 * ring addresses, and return what virtq_enable says. */
static int try_enable(struct fx *f, uint16_t size, gpa_t desc, gpa_t avail,
                      gpa_t used)
{
    int rc;

    virtq_reset(&f->q, VIRTQ_MAX_SIZE);
    f->q.size = size;
    f->q.desc = desc;
    f->q.avail = avail;
    f->q.used = used;
    rc = virtq_enable(&f->q, &f->ram->gm, false, false);
    assert_int_equal(f->q.enabled, rc == 0);
    return rc;
}

#define D(f) (f)->d.desc
#define A(f) (f)->d.avail
#define U(f) (f)->d.used

static void test_a12_size_zero(void **state)
{
    struct fx *f = *state;

    assert_int_equal(try_enable(f, 0, D(f), A(f), U(f)), -EINVAL);
    assert_int_equal(virtq_pop(&f->q, &f->c), 0);
}

static void test_a12_size_not_power_of_2(void **state)
{
    struct fx *f = *state;

    assert_int_equal(try_enable(f, 3, D(f), A(f), U(f)), -EINVAL);
    assert_int_equal(try_enable(f, 12, D(f), A(f), U(f)), -EINVAL);
    assert_int_equal(try_enable(f, 255, D(f), A(f), U(f)), -EINVAL);
    assert_int_equal(try_enable(f, 1, D(f), A(f), U(f)), 0);
}

static void test_a12_size_over_max(void **state)
{
    struct fx *f = *state;

    assert_int_equal(try_enable(f, 512, D(f), A(f), U(f)), -EINVAL);
    assert_int_equal(try_enable(f, 0x8000, D(f), A(f), U(f)), -EINVAL);
    /* Above what this queue offered, though below VIRTQ_MAX_SIZE. */
    virtq_reset(&f->q, 8);
    fdrv_attach(&f->d, &f->q);
    assert_int_equal(virtq_enable(&f->q, &f->ram->gm, false, false), -EINVAL);
    f->q.size = 8;
    assert_int_equal(virtq_enable(&f->q, &f->ram->gm, false, false), 0);
}

static void test_a12_misaligned_rings(void **state)
{
    struct fx *f = *state;

    assert_int_equal(try_enable(f, QSIZE, D(f) + 8, A(f), U(f)), -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), A(f) + 1, U(f)), -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), A(f), U(f) + 2), -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), A(f), U(f)), 0);
}

static void test_a12_rings_outside_ram(void **state)
{
    struct fx *f = *state;
    gpa_t end = FAKE_RAM_SIZE;

    /* Each ring ends just past RAM (as far as its alignment allows: for
     * avail that is its used_event, for used its avail_event), then all
     * three end inside. */
    assert_int_equal(try_enable(f, QSIZE, end - 16 * QSIZE + 16, A(f), U(f)),
                     -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), end - (6 + 2 * QSIZE) + 2,
                                U(f)), -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), A(f),
                                end - (6 + 8 * QSIZE) + 2), -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, end - 16 * QSIZE,
                                end - 1024 - (6 + 2 * QSIZE) - 2,
                                end - 2048 - (6 + 8 * QSIZE) - 2), 0);
    /* Wrapping addresses. */
    assert_int_equal(try_enable(f, QSIZE, UINT64_MAX & ~15ULL, A(f), U(f)),
                     -EINVAL);
    assert_int_equal(try_enable(f, QSIZE, D(f), A(f), UINT64_MAX & ~3ULL),
                     -EINVAL);
}

static void test_a12_rings_spanning_hole(void **state)
{
    struct fx *f = *state;

    add_region(f, FAKE_RAM_SIZE + 4096, 4096);
    assert_int_equal(try_enable(f, QSIZE, FAKE_RAM_SIZE - 128, A(f), U(f)),
                     -EINVAL);
}

static void test_a12_enable_twice_busy(void **state)
{
    struct fx *f = *state;

    assert_int_equal(virtq_enable(&f->q, &f->ram->gm, false, false), -EBUSY);
    assert_true(f->q.enabled);
}

/* ---- (a) 13: registers rewritten after enable ---- */

static void test_a13_ring_registers_rewritten_after_enable(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head = fdrv_add(&f->d, FDRV_OUT(b, 8));

    /* A transport that forgot to ignore these writes still cannot move
     * the rings: the queue works from its frozen copy. */
    f->q.size = 256;
    f->q.desc = FAKE_RAM_SIZE - 16;
    f->q.avail = UINT64_MAX - 1;
    f->q.used = 0xfebf0000;
    pop_ok(f, head);
    assert_seg(&f->c.seg[0], b, 8, false);
    push_reap(f, head, 8);
    assert_true(virtq_should_notify(&f->q));
    assert_int_equal(f->q.ring.size, QSIZE);
    assert_int_equal(f->q.ring.desc, f->d.desc);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_ring_pops_nothing),
        T(test_disabled_queue_pops_nothing),
        T(test_direct_chain_round_trip),
        T(test_indirect_chain_round_trip),
        T(test_direct_then_indirect_chain),
        T(test_fill_whole_ring_then_drain),
        T(test_index_wrap_past_65535),
        T(test_push_not_in_flight_rejected),
        T(test_reset_forgets_everything),
        T(test_unpop_gives_entries_back),
        T(test_unpop_keeps_kick_after_drain),
        T(test_unpop_disabled_queue),
        T(test_interrupt_by_default),
        T(test_no_interrupt_flag_suppresses),
        T(test_event_idx_writes_avail_event),
        T(test_event_idx_kick_suppressed_while_busy),
        T(test_event_idx_suppresses_interrupt),
        T(test_event_idx_notifies_when_batch_crosses),
        T(test_event_idx_ignores_no_interrupt_flag),
        T(test_event_idx_long_silence_still_signals),
        T(test_a1_chain_loop_stops_at_size),
        T(test_a1_self_loop),
        T(test_a1_loop_of_empty_descriptors),
        T(test_a1_chain_of_queue_size_accepted),
        T(test_a1_indirect_loop_stops_at_table_size),
        T(test_a2_indirect_len_not_multiple_of_16),
        T(test_a2_indirect_len_zero),
        T(test_a2_indirect_too_many_entries),
        T(test_a2_indirect_max_entries_accepted),
        T(test_a2_nested_indirect),
        T(test_a2_indirect_with_next),
        T(test_a2_indirect_not_negotiated),
        T(test_a2_indirect_table_outside_ram),
        T(test_a2_indirect_next_beyond_table),
        T(test_a3_addr_len_wraps),
        T(test_a3_ends_one_byte_past_ram),
        T(test_a3_spans_hole),
        T(test_a3_no_partial_chain),
        T(test_a3_next_out_of_range),
        T(test_a4_buffer_in_mmio_window),
        T(test_a4_ring_in_mmio_window_refused),
        T(test_a5_total_over_4g_rejected),
        T(test_a5_total_u32_max_accepted),
        T(test_a5_too_many_segments_rejected),
        T(test_a6_zero_length_descriptor_records_nothing),
        T(test_a6_zero_length_ignored_whatever_it_says),
        T(test_a6_all_zero_length_chain_is_empty),
        T(test_a7_readable_after_writable_rejected),
        T(test_a7_readable_after_writable_in_indirect_rejected),
        T(test_a7_write_flags_reported_per_segment),
        T(test_a8_avail_idx_ahead_by_more_than_size),
        T(test_a8_avail_idx_ahead_by_exactly_size),
        T(test_a8_avail_idx_moved_backwards),
        T(test_a9_avail_entry_beyond_size),
        T(test_a10_same_head_twice_rejected),
        T(test_a10_push_twice_rejected),
        T(test_a11_chain_is_a_private_copy),
        T(test_a11_racing_writer_never_escapes_ram),
        T(test_a12_size_zero),
        T(test_a12_size_not_power_of_2),
        T(test_a12_size_over_max),
        T(test_a12_misaligned_rings),
        T(test_a12_rings_outside_ram),
        T(test_a12_rings_spanning_hole),
        T(test_a12_enable_twice_busy),
        T(test_a13_ring_registers_rewritten_after_enable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
