/* Transport-independent virtio device: feature negotiation, status, reset,
 * NEEDS_RESET, config generation and access, notifications; and the
 * RELIABILITY.md (a) cases that reach this layer (test_aN_* is case N). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/virtio/virtio.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define CFG_LEN 12
#define F(bit) (1ULL << (bit))
#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK
#define S_NR VIRTIO_STATUS_NEEDS_RESET

struct fx {
    struct fake_ram *ram;
    struct fdrv d;
    struct virtio_dev v;
    struct virtq_chain c;
    /* What the device model saw. */
    unsigned activate, reset, notify, cfg_reads, cfg_writes;
    unsigned last_notify_q;
    unsigned inflight_at_reset;   /* queue 0 when ops->reset ran */
    uint8_t cfg[CFG_LEN];
    /* What the transport was asked to deliver. */
    unsigned queue_irq, config_irq, last_irq_q;
};

static void dev_config_read(void *ctx, uint32_t off, void *data, unsigned len)
{
    struct fx *f = ctx;

    assert_true(off + len <= CFG_LEN);
    memcpy(data, f->cfg + off, len);
    f->cfg_reads++;
}

static void dev_config_write(void *ctx, uint32_t off, const void *data,
                             unsigned len)
{
    struct fx *f = ctx;

    assert_true(off + len <= CFG_LEN);
    memcpy(f->cfg + off, data, len);
    f->cfg_writes++;
}

static void dev_activate(void *ctx)
{
    ((struct fx *)ctx)->activate++;
}

static void dev_reset(void *ctx)
{
    struct fx *f = ctx;

    f->reset++;
    f->inflight_at_reset = virtq_inflight(&f->v.vq[0]);
}

static void dev_notify(void *ctx, unsigned q)
{
    struct fx *f = ctx;

    f->notify++;
    f->last_notify_q = q;
}

static const struct virtio_dev_ops dev_ops = {
    .config_read = dev_config_read,
    .config_write = dev_config_write,
    .activate = dev_activate,
    .reset = dev_reset,
    .notify = dev_notify,
};

static void irq_queue(void *ctx, unsigned q)
{
    struct fx *f = ctx;

    f->queue_irq++;
    f->last_irq_q = q;
}

static void irq_config(void *ctx)
{
    ((struct fx *)ctx)->config_irq++;
}

static const struct virtio_irq_ops irq_ops = {
    .queue_irq = irq_queue,
    .config_irq = irq_config,
};

static const uint16_t qmax[2] = {16, 8};
#define OFFERED (F(0) | F(5) | F(VIRTIO_F_INDIRECT_DESC) | F(VIRTIO_F_EVENT_IDX))

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    f->ram = fake_ram_new(FAKE_RAM_SIZE, 0);
    fdrv_init(&f->d, f->ram, 16);
    virtio_init(&f->v, VIRTIO_ID_BLOCK, OFFERED, 2, qmax, CFG_LEN,
                &f->ram->gm, &dev_ops, f);
    virtio_set_irq(&f->v, &irq_ops, f);
    for (unsigned i = 0; i < CFG_LEN; i++)
        f->cfg[i] = (uint8_t)(0xa0 + i);
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

static void write_features(struct fx *f, uint64_t features)
{
    virtio_set_guest_features(&f->v, 0, (uint32_t)features);
    virtio_set_guest_features(&f->v, 1, (uint32_t)(features >> 32));
}

/* 3.1.1 steps 1-5 with (features); returns the status read back. */
static uint8_t negotiate(struct fx *f, uint64_t features)
{
    virtio_set_status(&f->v, S_ACK);
    virtio_set_status(&f->v, S_ACK | S_DRV);
    write_features(f, features);
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK);
    return f->v.status;
}

/* The whole handshake, queue 0 set up from the fake driver. */
static void bring_up(struct fx *f, uint64_t features)
{
    assert_int_equal(negotiate(f, features), S_ACK | S_DRV | S_FOK);
    fdrv_attach(&f->d, &f->v.vq[0]);
    assert_int_equal(virtio_queue_enable(&f->v, 0), 0);
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_true(virtio_running(&f->v));
}

#define V1 F(VIRTIO_F_VERSION_1)

/* ---- setup and negotiation ---- */

static void test_init_offers_version_1_only_known_bits(void **state)
{
    struct fx *f = *state;
    struct virtio_dev v;

    assert_int_equal(f->v.host_features, OFFERED | V1);
    assert_int_equal(virtio_host_features(&f->v, 0), (uint32_t)OFFERED);
    assert_int_equal(virtio_host_features(&f->v, 1), 1);
    assert_int_equal(virtio_host_features(&f->v, 2), 0);
    assert_int_equal(virtio_host_features(&f->v, 0xffffffff), 0);
    /* Transport bits the core does not implement are never offered. */
    virtio_init(&v, VIRTIO_ID_RNG, F(VIRTIO_F_ACCESS_PLATFORM) | F(34) |
                F(27) | F(63) | F(3), 1, qmax, 0, &f->ram->gm, &dev_ops, f);
    assert_int_equal(v.host_features, F(3) | V1);
    assert_int_equal(v.status, 0);
    assert_int_equal(v.config_generation, 0);
}

static void test_init_caps_queues_and_sizes(void **state)
{
    struct fx *f = *state;
    uint16_t big[VIRTIO_MAX_QUEUES + 4];
    struct virtio_dev *v = &f->v;

    for (unsigned i = 0; i < ARRAY_SIZE(big); i++)
        big[i] = 1024;
    virtio_init(v, VIRTIO_ID_NET, 0, ARRAY_SIZE(big), big, 0, &f->ram->gm,
                &dev_ops, f);
    assert_int_equal(v->nqueues, VIRTIO_MAX_QUEUES);
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        assert_int_equal(v->queue_max[i], VIRTQ_MAX_SIZE);
        assert_int_equal(v->vq[i].size, VIRTQ_MAX_SIZE);
        assert_int_equal(v->vq[i].msix_vector, VIRTQ_NO_VECTOR);
        assert_false(v->vq[i].enabled);
    }
}

static void test_handshake_activates_once(void **state)
{
    struct fx *f = *state;

    assert_false(virtio_running(&f->v));
    bring_up(f, V1 | F(0));
    assert_int_equal(f->activate, 1);
    assert_int_equal(f->v.status, S_ACK | S_DRV | S_FOK | S_DOK);
    /* Writing the same status again starts nothing twice. */
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(f->activate, 1);
    assert_int_equal(f->config_irq, 0);
}

static void test_guest_features_words(void **state)
{
    struct fx *f = *state;

    virtio_set_guest_features(&f->v, 0, 0x20000021);
    virtio_set_guest_features(&f->v, 1, 1);
    virtio_set_guest_features(&f->v, 2, 0xffffffff);
    virtio_set_guest_features(&f->v, 0xffffffff, 0xffffffff);
    assert_int_equal(f->v.guest_features, 0x120000021ULL);
    assert_true(virtio_has(&f->v, 0));
    assert_true(virtio_has(&f->v, 5));
    assert_true(virtio_has(&f->v, VIRTIO_F_EVENT_IDX));
    assert_true(virtio_has(&f->v, VIRTIO_F_VERSION_1));
    assert_false(virtio_has(&f->v, VIRTIO_F_INDIRECT_DESC));
    assert_false(virtio_has(&f->v, 64));
    assert_false(virtio_has(&f->v, 0xffffffff));
}

static void test_status_bits_only_accumulate(void **state)
{
    struct fx *f = *state;

    virtio_set_status(&f->v, S_ACK | S_DRV);
    virtio_set_status(&f->v, S_ACK);
    assert_int_equal(f->v.status, S_ACK | S_DRV);
    /* NEEDS_RESET belongs to the device. */
    virtio_set_status(&f->v, S_ACK | S_DRV | S_NR);
    assert_int_equal(f->v.status, S_ACK | S_DRV);
}

static void test_failed_stops_device(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1);
    virtio_set_status(&f->v, (uint8_t)(f->v.status | VIRTIO_STATUS_FAILED));
    assert_false(virtio_running(&f->v));
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 0);
}

static void test_queue_enable_uses_negotiated_features(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1 | F(VIRTIO_F_EVENT_IDX));
    assert_true(f->v.vq[0].enabled);
    assert_true(f->v.vq[0].event_idx);
    assert_false(f->v.vq[0].indirect);
    assert_int_equal(virtio_queue_enable(&f->v, 0), -EBUSY);
}

static void test_queue_enable_checks(void **state)
{
    struct fx *f = *state;

    fdrv_attach(&f->d, &f->v.vq[0]);
    /* Before FEATURES_OK the ring format is not settled. */
    assert_int_equal(virtio_queue_enable(&f->v, 0), -EINVAL);
    assert_int_equal(negotiate(f, V1), S_ACK | S_DRV | S_FOK);
    assert_int_equal(virtio_queue_enable(&f->v, 2), -EINVAL);
    assert_int_equal(virtio_queue_enable(&f->v, 0xffff), -EINVAL);
    /* Queue 1 offers 8: the driver's 16 is too big. */
    fdrv_attach(&f->d, &f->v.vq[1]);
    assert_int_equal(virtio_queue_enable(&f->v, 1), -EINVAL);
    assert_int_equal(virtio_queue_enable(&f->v, 0), 0);
}

/* ---- notifications and interrupts ---- */

static void test_notify_reaches_device(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1);
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 1);
    assert_int_equal(f->last_notify_q, 0);
    /* Queue 1 exists but the driver never enabled it. */
    virtio_notify(&f->v, 1);
    assert_int_equal(f->notify, 1);
}

static void test_queue_done_raises_irq(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head;

    bring_up(f, V1);
    head = fdrv_add(&f->d, FDRV_IN(b, 8));
    assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
    assert_int_equal(virtq_push(&f->v.vq[0], head, 8), 0);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 1);
    assert_int_equal(f->last_irq_q, 0);
    /* Out of range and disabled queues raise nothing. */
    virtio_queue_done(&f->v, 1);
    virtio_queue_done(&f->v, 0xffff);
    assert_int_equal(f->queue_irq, 1);
}

static void test_queue_done_honours_no_interrupt(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head;

    bring_up(f, V1);
    fdrv_set_avail_flags(&f->d, VIRTQ_AVAIL_F_NO_INTERRUPT);
    head = fdrv_add(&f->d, FDRV_IN(b, 8));
    assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
    assert_int_equal(virtq_push(&f->v.vq[0], head, 8), 0);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 0);
}

static void test_queue_done_honours_used_event(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t h[3];

    bring_up(f, V1 | F(VIRTIO_F_EVENT_IDX));
    for (unsigned i = 0; i < 3; i++)
        h[i] = fdrv_add(&f->d, FDRV_IN(b, 8));
    for (unsigned i = 0; i < 3; i++)
        assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
    assert_int_equal(virtq_push(&f->v.vq[0], h[0], 8), 0);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 1);
    fdrv_set_used_event(&f->d, 2);
    assert_int_equal(virtq_push(&f->v.vq[0], h[1], 8), 0);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 1);
    assert_int_equal(virtq_push(&f->v.vq[0], h[2], 8), 0);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 2);
}

static void test_no_irq_ops_is_safe(void **state)
{
    struct fx *f = *state;

    virtio_set_irq(&f->v, NULL, NULL);
    bring_up(f, V1);
    virtio_config_changed(&f->v);
    virtio_needs_reset(&f->v);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->config_irq + f->queue_irq, 0);
}

/* ---- config space ---- */

static void test_config_changed_bumps_generation(void **state)
{
    struct fx *f = *state;

    virtio_config_changed(&f->v);
    assert_int_equal(f->v.config_generation, 1);
    assert_int_equal(f->config_irq, 0);        /* before DRIVER_OK */
    bring_up(f, V1);
    virtio_config_changed(&f->v);
    assert_int_equal(f->v.config_generation, 2);
    assert_int_equal(f->config_irq, 1);
}

static void test_config_access_bounds(void **state)
{
    struct fx *f = *state;
    uint8_t buf[8], w[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    virtio_config_read(&f->v, 4, buf, 4);
    assert_memory_equal(buf, f->cfg + 4, 4);
    virtio_config_read(&f->v, 8, buf, 4);       /* the last word */
    assert_memory_equal(buf, f->cfg + 8, 4);
    virtio_config_read(&f->v, 11, buf, 1);
    assert_int_equal(buf[0], f->cfg[11]);
    assert_int_equal(f->cfg_reads, 3);
    /* Past the end, straddling it, misaligned, odd widths, wrapping. */
    const struct { uint32_t off; unsigned len; } bad[] = {
        {12, 1}, {8, 8}, {10, 4}, {1, 2}, {2, 4}, {4, 8}, {0, 3}, {0, 0},
        {0, 5}, {0xfffffffc, 4}, {0xffffffff, 1}, {0xfffffff8, 8},
    };
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        memset(buf, 0x5a, sizeof(buf));
        virtio_config_read(&f->v, bad[i].off, buf, bad[i].len);
        for (unsigned j = 0; j < bad[i].len; j++)
            assert_int_equal(buf[j], 0);
        virtio_config_write(&f->v, bad[i].off, w, bad[i].len);
    }
    assert_int_equal(f->cfg_reads, 3);
    assert_int_equal(f->cfg_writes, 0);
    virtio_config_write(&f->v, 0, w, 8);
    assert_int_equal(f->cfg_writes, 1);
    assert_memory_equal(f->cfg, w, 8);
}

/* ---- NEEDS_RESET ---- */

static void test_needs_reset_signals_once(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1);
    virtio_needs_reset(&f->v);
    virtio_needs_reset(&f->v);
    assert_int_equal(f->config_irq, 1);
    assert_true(f->v.status & S_NR);
    assert_false(virtio_running(&f->v));
    /* The driver cannot clear it except by resetting. */
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_true(f->v.status & S_NR);
    virtio_set_status(&f->v, 0);
    assert_int_equal(f->v.status, 0);
}

static void test_needs_reset_before_driver_ok_is_silent(void **state)
{
    struct fx *f = *state;

    assert_int_equal(negotiate(f, V1), S_ACK | S_DRV | S_FOK);
    virtio_needs_reset(&f->v);
    assert_int_equal(f->config_irq, 0);
    assert_true(f->v.status & S_NR);
    /* ... and the device does not start afterwards. */
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(f->activate, 0);
    assert_false(virtio_running(&f->v));
}

/* ---- reset ---- */

static void test_reset_clears_features_keeps_generation(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1 | F(5));
    virtio_config_changed(&f->v);
    virtio_config_changed(&f->v);
    virtio_set_status(&f->v, 0);
    assert_int_equal(f->reset, 1);
    assert_int_equal(f->v.status, 0);
    assert_int_equal(f->v.guest_features, 0);
    assert_false(virtio_has(&f->v, 5));
    assert_false(f->v.vq[0].enabled);
    assert_int_equal(f->v.vq[0].size, 16);
    assert_int_equal(f->v.vq[1].size, 8);
    /* The generation never goes back: a driver comparing it across a
     * reset cannot be fooled into mixing old and new config. */
    assert_int_equal(f->v.config_generation, 2);
    virtio_config_changed(&f->v);
    assert_int_equal(f->v.config_generation, 3);
    /* And the device comes back up. */
    fdrv_init(&f->d, f->ram, 16);
    bring_up(f, V1);
    assert_int_equal(f->activate, 2);
}

/* ---- RELIABILITY (a) 14 ---- */

static void test_a14_notify_index_ffff_ignored(void **state)
{
    struct fx *f = *state;

    bring_up(f, V1);
    virtio_notify(&f->v, 0xffff);
    virtio_notify(&f->v, 2);
    virtio_notify(&f->v, VIRTIO_MAX_QUEUES);
    virtio_notify(&f->v, 0xffffffff);
    assert_int_equal(f->notify, 0);
    assert_true(virtio_running(&f->v));
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 1);
}

/* ---- (a) 15: status-machine abuse ---- */

static void test_a15_driver_ok_without_features_ok(void **state)
{
    struct fx *f = *state;

    virtio_set_status(&f->v, S_ACK | S_DRV);
    write_features(f, V1);
    fdrv_attach(&f->d, &f->v.vq[0]);
    assert_int_equal(virtio_queue_enable(&f->v, 0), -EINVAL);
    virtio_set_status(&f->v, S_ACK | S_DRV | S_DOK);
    assert_int_equal(f->activate, 0);
    assert_true(f->v.status & S_NR);
    assert_int_equal(f->config_irq, 1);
    assert_false(virtio_running(&f->v));
    /* Nothing is consumed: kicks are dropped, the ring stays untouched. */
    fdrv_add(&f->d, FDRV_OUT(fdrv_alloc(&f->d, 8), 8));
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 0);
    assert_int_equal(f->v.vq[0].last_avail, 0);
}

static void test_a15_unoffered_features_refused(void **state)
{
    struct fx *f = *state;

    /* Bit 6 and RING_PACKED are not offered: FEATURES_OK reads back 0. */
    assert_int_equal(negotiate(f, V1 | F(6)), S_ACK | S_DRV);
    assert_int_equal(negotiate(f, V1 | F(34)), S_ACK | S_DRV);
    /* Going on regardless ends in NEEDS_RESET, not a running device. */
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    assert_int_equal(f->activate, 0);
    assert_true(f->v.status & S_NR);
    assert_false(f->v.status & S_FOK);
}

static void test_a15_version_1_required(void **state)
{
    struct fx *f = *state;

    assert_int_equal(negotiate(f, F(0)), S_ACK | S_DRV);
    assert_int_equal(negotiate(f, F(0) | V1), S_ACK | S_DRV | S_FOK);
}

static void test_a15_features_frozen_after_features_ok(void **state)
{
    struct fx *f = *state;

    assert_int_equal(negotiate(f, V1), S_ACK | S_DRV | S_FOK);
    virtio_set_guest_features(&f->v, 0, 0xffffffff);
    virtio_set_guest_features(&f->v, 1, 0xffffffff);
    assert_int_equal(f->v.guest_features, V1);
    assert_false(virtio_has(&f->v, VIRTIO_F_INDIRECT_DESC));
}

static void test_a15_nothing_served_before_driver_ok(void **state)
{
    struct fx *f = *state;

    assert_int_equal(negotiate(f, V1), S_ACK | S_DRV | S_FOK);
    fdrv_attach(&f->d, &f->v.vq[0]);
    assert_int_equal(virtio_queue_enable(&f->v, 0), 0);
    fdrv_add(&f->d, FDRV_OUT(fdrv_alloc(&f->d, 8), 8));
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 0);
    virtio_set_status(&f->v, S_ACK | S_DRV | S_FOK | S_DOK);
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 1);
}

static void test_a15_needs_reset_stops_serving(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head;

    bring_up(f, V1);
    head = fdrv_add(&f->d, FDRV_IN(b, 8));
    assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
    virtio_needs_reset(&f->v);
    virtio_notify(&f->v, 0);
    assert_int_equal(f->notify, 0);
    assert_int_equal(virtio_queue_enable(&f->v, 1), -EINVAL);
    /* What was in flight may still complete; the driver then resets. */
    assert_int_equal(virtq_push(&f->v.vq[0], head, 8), 0);
    virtio_set_status(&f->v, 0);
    assert_int_equal(virtq_inflight(&f->v.vq[0]), 0);
}

/* Reset with a request in flight: the device model is told first (it
 * must drain or cancel), then the queue forgets the chain, and a late
 * completion cannot reach the guest's (now freed) rings. */
static void test_a15_reset_mid_io(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);
    uint16_t head, used;

    bring_up(f, V1);
    head = fdrv_add(&f->d, FDRV_IN(b, 8));
    assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
    used = fdrv_used_idx(&f->d);
    virtio_set_status(&f->v, 0);
    assert_int_equal(f->reset, 1);
    assert_int_equal(f->inflight_at_reset, 1);
    assert_int_equal(virtq_inflight(&f->v.vq[0]), 0);
    assert_int_equal(virtq_push(&f->v.vq[0], head, 8), -EPROTO);
    assert_int_equal(fdrv_used_idx(&f->d), used);
    virtio_queue_done(&f->v, 0);
    assert_int_equal(f->queue_irq, 0);
}

/* 10^5 resets, each with a chain in flight: every one costs one device
 * reset and a fixed clear, and none leaves anything behind. */
static void test_a15_100k_resets_bounded(void **state)
{
    struct fx *f = *state;
    gpa_t b = fdrv_alloc(&f->d, 8);

    for (unsigned i = 0; i < 100000; i++) {
        fdrv_init(&f->d, f->ram, 16);
        bring_up(f, V1 | F(VIRTIO_F_EVENT_IDX));
        fdrv_add(&f->d, FDRV_IN(b, 8));
        assert_int_equal(virtq_pop(&f->v.vq[0], &f->c), 1);
        virtio_set_status(&f->v, 0);
        assert_int_equal(virtq_inflight(&f->v.vq[0]), 0);
        assert_false(f->v.vq[0].enabled);
    }
    assert_int_equal(f->reset, 100000);
    assert_int_equal(f->activate, 100000);
    assert_int_equal(f->inflight_at_reset, 1);
    assert_int_equal(f->v.config_generation, 0);
    /* Guest-error logging is rate-limited, not reset by the loop. */
    assert_true(f->v.rl.burst != 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init_offers_version_1_only_known_bits),
        T(test_init_caps_queues_and_sizes),
        T(test_handshake_activates_once),
        T(test_guest_features_words),
        T(test_status_bits_only_accumulate),
        T(test_failed_stops_device),
        T(test_queue_enable_uses_negotiated_features),
        T(test_queue_enable_checks),
        T(test_notify_reaches_device),
        T(test_queue_done_raises_irq),
        T(test_queue_done_honours_no_interrupt),
        T(test_queue_done_honours_used_event),
        T(test_no_irq_ops_is_safe),
        T(test_config_changed_bumps_generation),
        T(test_config_access_bounds),
        T(test_needs_reset_signals_once),
        T(test_needs_reset_before_driver_ok_is_silent),
        T(test_reset_clears_features_keeps_generation),
        T(test_a14_notify_index_ffff_ignored),
        T(test_a15_driver_ok_without_features_ok),
        T(test_a15_unoffered_features_refused),
        T(test_a15_version_1_required),
        T(test_a15_features_frozen_after_features_ok),
        T(test_a15_nothing_served_before_driver_ok),
        T(test_a15_needs_reset_stops_serving),
        T(test_a15_reset_mid_io),
        T(test_a15_100k_resets_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
