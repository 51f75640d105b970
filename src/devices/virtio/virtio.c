/* Transport-independent virtio device: see virtio.h. */
#include "devices/virtio/virtio.h"

#include <errno.h>
#include <string.h>

void virtio_init(struct virtio_dev *v, uint32_t device_id, uint64_t features,
                 unsigned nqueues, const uint16_t *queue_max,
                 uint32_t config_len, struct gmem *gm,
                 const struct virtio_dev_ops *ops, void *ctx)
{
    memset(v, 0, sizeof(*v));
    v->device_id = device_id;
    v->host_features = (features & VIRTIO_F_CORE_MASK) |
                       1ULL << VIRTIO_F_VERSION_1;
    v->config_len = config_len;
    v->nqueues = nqueues < VIRTIO_MAX_QUEUES ? nqueues : VIRTIO_MAX_QUEUES;
    for (unsigned i = 0; i < v->nqueues; i++) {
        v->queue_max[i] = queue_max[i] < VIRTQ_MAX_SIZE ? queue_max[i]
                                                        : VIRTQ_MAX_SIZE;
        virtq_reset(&v->vq[i], v->queue_max[i]);
    }
    v->gm = gm;
    v->ops = ops;
    v->ctx = ctx;
    v->rl = (struct ratelimit)RATELIMIT_INIT;
}

void virtio_set_irq(struct virtio_dev *v, const struct virtio_irq_ops *irq,
                    void *irq_ctx)
{
    v->irq = irq;
    v->irq_ctx = irq_ctx;
}

static void config_irq(struct virtio_dev *v)
{
    if (v->irq && v->irq->config_irq)
        v->irq->config_irq(v->irq_ctx);
}

/* Status 0 (2.4): the device model first stops using guest memory and
 * drains its host I/O, then the queues forget everything, so a completion
 * can never land in a ring the driver has freed. Bounded work: one
 * ops->reset and a fixed-size clear per queue. */
static void dev_reset(struct virtio_dev *v)
{
    if (v->ops && v->ops->reset)
        v->ops->reset(v->ctx);
    for (unsigned i = 0; i < v->nqueues; i++)
        virtq_reset(&v->vq[i], v->queue_max[i]);
    v->guest_features = 0;
    v->status = 0;
}

/* 3.1.1 step 5: the driver's features are a subset of ours, and include
 * VERSION_1 (this is a modern-only device, 6.1). */
static bool features_ok(const struct virtio_dev *v)
{
    return !(v->guest_features & ~v->host_features) &&
           (v->guest_features & 1ULL << VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *v, uint8_t status)
{
    uint8_t set;

    if (status == 0) {
        dev_reset(v);
        return;
    }
    /* GUEST: any byte. Only newly set bits matter; NEEDS_RESET is ours. */
    set = (uint8_t)(status & ~v->status & ~VIRTIO_STATUS_NEEDS_RESET);
    if ((set & VIRTIO_STATUS_FEATURES_OK) && !features_ok(v)) {
        log_guest(&v->rl, "guest: virtio %u: features %#llx refused",
                  v->device_id, (unsigned long long)v->guest_features);
        set &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    }
    v->status |= set;
    if (!(set & VIRTIO_STATUS_DRIVER_OK))
        return;
    if (!(v->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* 3.1.1: DRIVER_OK comes after FEATURES_OK; a device whose
         * features were never settled must not start (RELIABILITY (a) 15). */
        log_guest(&v->rl, "guest: virtio %u: DRIVER_OK without FEATURES_OK",
                  v->device_id);
        virtio_needs_reset(v);
        return;
    }
    if (virtio_running(v) && v->ops && v->ops->activate)
        v->ops->activate(v->ctx);
}

void virtio_set_guest_features(struct virtio_dev *v, unsigned sel,
                               uint32_t bits)
{
    unsigned shift;

    /* GUEST: (sel) and (bits) untrusted. 3.1.1: features are final once
     * FEATURES_OK is set. */
    if (sel > 1 || (v->status & VIRTIO_STATUS_FEATURES_OK))
        return;
    shift = 32 * sel;
    v->guest_features = (v->guest_features & ~(0xffffffffULL << shift)) |
                        (uint64_t)bits << shift;
}

uint32_t virtio_host_features(const struct virtio_dev *v, unsigned sel)
{
    return sel > 1 ? 0 : (uint32_t)(v->host_features >> (32 * sel));
}

bool virtio_has(const struct virtio_dev *v, unsigned feature)
{
    return feature < 64 &&
           (v->host_features & v->guest_features & 1ULL << feature);
}

int virtio_queue_enable(struct virtio_dev *v, unsigned q)
{
    /* GUEST: (q) is the driver's queue_select. */
    if (q >= v->nqueues || !(v->status & VIRTIO_STATUS_FEATURES_OK) ||
        (v->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)))
        return -EINVAL;
    return virtq_enable(&v->vq[q], v->gm,
                        virtio_has(v, VIRTIO_F_EVENT_IDX),
                        virtio_has(v, VIRTIO_F_INDIRECT_DESC));
}

void virtio_notify(struct virtio_dev *v, unsigned q)
{
    /* GUEST: (q) comes from the notify write (CVE-2011-2512 class). */
    if (q >= v->nqueues) {
        log_guest(&v->rl, "guest: virtio %u: notify of queue %u",
                  v->device_id, q);
        return;
    }
    if (!virtio_running(v) || !v->vq[q].enabled)
        return;
    if (v->ops && v->ops->notify)
        v->ops->notify(v->ctx, q);
}

/* A config access the device model may see: a natural width, aligned,
 * inside the config space. */
static bool config_access_ok(const struct virtio_dev *v, uint32_t off,
                             unsigned len)
{
    return (len == 1 || len == 2 || len == 4 || len == 8) && off % len == 0 &&
           off < v->config_len && len <= v->config_len - off;
}

void virtio_config_read(struct virtio_dev *v, uint32_t off, void *data,
                        unsigned len)
{
    memset(data, 0, len);
    if (config_access_ok(v, off, len) && v->ops && v->ops->config_read)
        v->ops->config_read(v->ctx, off, data, len);
}

void virtio_config_write(struct virtio_dev *v, uint32_t off,
                         const void *data, unsigned len)
{
    if (config_access_ok(v, off, len) && v->ops && v->ops->config_write)
        v->ops->config_write(v->ctx, off, data, len);
}

void virtio_needs_reset(struct virtio_dev *v)
{
    if (v->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    /* 2.1.2: after DRIVER_OK the driver learns through a config change
     * notification; before it, the driver reads status during setup. */
    if (v->status & VIRTIO_STATUS_DRIVER_OK)
        config_irq(v);
}

void virtio_queue_done(struct virtio_dev *v, unsigned q)
{
    if (q >= v->nqueues || !virtq_should_notify(&v->vq[q]))
        return;
    if (v->irq && v->irq->queue_irq)
        v->irq->queue_irq(v->irq_ctx, q);
}

void virtio_config_changed(struct virtio_dev *v)
{
    v->config_generation++;
    if (v->status & VIRTIO_STATUS_DRIVER_OK)
        config_irq(v);
}

bool virtio_running(const struct virtio_dev *v)
{
    return (v->status & VIRTIO_STATUS_DRIVER_OK) &&
           !(v->status & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED));
}
