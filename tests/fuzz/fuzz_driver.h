/* The fake virtio driver of device fuzz targets: feature negotiation,
 * queue placement and publishing a chain, as a driver does them. */
#ifndef VESSEL_TESTS_FUZZ_DRIVER_H
#define VESSEL_TESTS_FUZZ_DRIVER_H

#include "core/bytes.h"
#include "core/types.h"
#include "devices/virtio/virtio.h"

/* ACKNOWLEDGE, DRIVER, (feat), FEATURES_OK; returns the status so far. */
static inline uint8_t fuzz_negotiate(struct virtio_dev *v, uint64_t feat)
{
    uint8_t s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;

    virtio_set_status(v, VIRTIO_STATUS_ACKNOWLEDGE);
    virtio_set_status(v, s);
    virtio_set_guest_features(v, 0, (uint32_t)feat);
    virtio_set_guest_features(v, 1, (uint32_t)(feat >> 32));
    s |= VIRTIO_STATUS_FEATURES_OK;
    virtio_set_status(v, s);
    return s;
}

/* Queue (q) of (size) with its rings at desc, desc + 0x100 (avail) and
 * desc + 0x200 (used); returns virtio_queue_enable()'s result. */
static inline int fuzz_place_queue(struct virtio_dev *v, unsigned q,
                                   uint16_t size, gpa_t desc)
{
    v->vq[q].size = size;
    v->vq[q].desc = desc;
    v->vq[q].avail = desc + 0x100;
    v->vq[q].used = desc + 0x200;
    return virtio_queue_enable(v, q);
}

/* Put (head) in the avail ring at (avail) of a (size)-entry queue and
 * publish it: the entry first, then the index, as a driver must. */
static inline void fuzz_publish(uint8_t *ram, gpa_t avail, uint16_t size,
                                uint16_t *avail_idx, uint16_t head)
{
    le16_put(ram, avail + 4 + 2 * (*avail_idx % size), head);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    (*avail_idx)++;
    le16_put(ram, avail + 2, *avail_idx);
}

#endif
