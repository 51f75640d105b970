/* A virtio 1.x device, independent of its transport (virtio 1.2, 2-3):
 * feature negotiation, device status, queues, config generation, reset.
 *
 * A device model (blk, console, rng) fills struct virtio_dev_ops and owns
 * a struct virtio_dev; a transport (virtio_pci.h) turns register accesses
 * into the calls below and delivers interrupts through virtio_irq_ops. */
#ifndef VESSEL_DEVICES_VIRTIO_H
#define VESSEL_DEVICES_VIRTIO_H

#include "devices/virtio/queue.h"

#define VIRTIO_MAX_QUEUES 8

/* Device status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Transport-independent feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32
#define VIRTIO_F_ACCESS_PLATFORM 33

/* What this core implements: device-specific bits 0-23 pass through;
 * of the transport bits only these may be offered (virtio_init masks the
 * rest away, e.g. RING_PACKED or ACCESS_PLATFORM, which it cannot honour). */
#define VIRTIO_F_DEVICE_MASK 0xffffffULL
#define VIRTIO_F_CORE_MASK                                                     \
    (VIRTIO_F_DEVICE_MASK | 1ULL << VIRTIO_F_INDIRECT_DESC |                   \
     1ULL << VIRTIO_F_EVENT_IDX | 1ULL << VIRTIO_F_VERSION_1)

/* Device IDs (5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_CONSOLE 3
#define VIRTIO_ID_RNG 4

struct virtio_dev;

/* What the device model provides. Called with the VM's device lock held. */
struct virtio_dev_ops {
    /* Driver wrote (len) bytes at (off) of the device config, or reads. */
    void (*config_read)(void *ctx, uint32_t off, void *data, unsigned len);
    void (*config_write)(void *ctx, uint32_t off, const void *data,
                         unsigned len);
    /* DRIVER_OK: queues are enabled and frozen; start serving. */
    void (*activate)(void *ctx);
    /* Reset (status 0 or NEEDS_RESET handling): stop using guest memory;
     * in-flight host I/O must be finished or cancelled before return. */
    void (*reset)(void *ctx);
    /* The driver kicked queue (q). */
    void (*notify)(void *ctx, unsigned q);
};

/* What the transport provides: interrupts to the guest. */
struct virtio_irq_ops {
    void (*queue_irq)(void *ctx, unsigned q);   /* used buffers in q */
    void (*config_irq)(void *ctx);              /* config/status changed */
};

struct virtio_dev {
    uint32_t device_id;
    uint64_t host_features;          /* offered */
    uint64_t guest_features;         /* accepted by the driver */
    uint8_t status;
    uint8_t config_generation;
    uint32_t config_len;             /* bytes of device config */
    unsigned nqueues;
    struct virtq vq[VIRTIO_MAX_QUEUES];
    uint16_t queue_max[VIRTIO_MAX_QUEUES];
    struct gmem *gm;
    const struct virtio_dev_ops *ops;
    void *ctx;
    const struct virtio_irq_ops *irq;
    void *irq_ctx;
    struct ratelimit rl;
};

/* Set up (v) in the reset state. (features) is masked to
 * VIRTIO_F_CORE_MASK and always gets VIRTIO_F_VERSION_1 added; (nqueues)
 * is capped at VIRTIO_MAX_QUEUES and each (queue_max[i]) at VIRTQ_MAX_SIZE.
 * (gm), (ops) and (ctx) are borrowed for the device's lifetime. */
void virtio_init(struct virtio_dev *v, uint32_t device_id, uint64_t features,
                 unsigned nqueues, const uint16_t *queue_max,
                 uint32_t config_len, struct gmem *gm,
                 const struct virtio_dev_ops *ops, void *ctx);
void virtio_set_irq(struct virtio_dev *v, const struct virtio_irq_ops *irq,
                    void *irq_ctx);

/* Driver writes the status register (2.1/3.1): 0 resets (ops->reset,
 * then every queue virtq_reset, accepted features cleared; the config
 * generation is kept so it stays monotonic). Otherwise bits only
 * accumulate until a reset (3.1.1: the driver MUST NOT clear one) and
 * NEEDS_RESET stays the device's. FEATURES_OK is refused (stays clear)
 * when unoffered features are set or VERSION_1 is not accepted; DRIVER_OK
 * without FEATURES_OK sets NEEDS_RESET. Queues are enabled one by one by
 * the transport (queue_enable: virtio_queue_enable); DRIVER_OK calls
 * ops->activate unless the device needs a reset. */
void virtio_set_status(struct virtio_dev *v, uint8_t status);

/* Driver writes 32 bits of accepted features at word (sel) (0 or 1;
 * others ignored); ignored once FEATURES_OK is set. Kept as written, so
 * unoffered bits make FEATURES_OK fail rather than vanish. */
void virtio_set_guest_features(struct virtio_dev *v, unsigned sel,
                               uint32_t bits);
/* 32 bits of offered features at word (sel); 0 beyond word 1. */
uint32_t virtio_host_features(const struct virtio_dev *v, unsigned sel);
/* (feature) is offered and accepted by the driver. */
bool virtio_has(const struct virtio_dev *v, unsigned feature);

/* The driver wrote 1 to queue_enable of queue (q): enable it with the
 * negotiated INDIRECT_DESC / EVENT_IDX (virtq_enable). Returns 0, or
 * -EINVAL when (q) is out of range, FEATURES_OK is not set yet, the device
 * needs a reset, or the rings are refused; -EBUSY when already enabled.
 * The transport leaves queue_enable reading 0 on error. */
int virtio_queue_enable(struct virtio_dev *v, unsigned q) MUST_CHECK;

/* The driver kicked queue (q) (a notify write or its ioeventfd): calls
 * ops->notify only while the device runs and (q) is an enabled queue. A
 * guest index out of range is dropped (RELIABILITY (a) 14). */
void virtio_notify(struct virtio_dev *v, unsigned q);

/* Device config access at (off) of (len) bytes: forwarded to ops only for
 * len 1, 2, 4 or 8, naturally aligned and inside config_len (2.5.1 asks
 * drivers for aligned accesses); otherwise reads return zeros and writes
 * are dropped. */
void virtio_config_read(struct virtio_dev *v, uint32_t off, void *data,
                        unsigned len);
void virtio_config_write(struct virtio_dev *v, uint32_t off,
                         const void *data, unsigned len);

/* The device hit a guest error it cannot answer with a status: set
 * NEEDS_RESET, raise a config interrupt (once, and only after DRIVER_OK,
 * 2.1.2), stop serving until reset: virtio_running() turns false and
 * virtio_notify() stops forwarding kicks. Popped chains stay in flight and
 * may still be pushed; the driver's reset clears them. */
void virtio_needs_reset(struct virtio_dev *v);

/* After pushing used buffers on (q): irq->queue_irq if the driver wants
 * an interrupt (virtq_should_notify). */
void virtio_queue_done(struct virtio_dev *v, unsigned q);

/* The device's config changed: bump the generation (2.5.1); config
 * interrupt if DRIVER_OK is set. */
void virtio_config_changed(struct virtio_dev *v);

/* DRIVER_OK set, and neither NEEDS_RESET nor FAILED. */
bool virtio_running(const struct virtio_dev *v);

#endif
