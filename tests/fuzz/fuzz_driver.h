/* The fake virtio driver of device fuzz targets: feature negotiation,
 * queue placement and publishing a chain, as a driver does them. */
#ifndef VESSEL_TESTS_FUZZ_DRIVER_H
#define VESSEL_TESTS_FUZZ_DRIVER_H

#include "core/bytes.h"
#include "core/types.h"
#include "devices/virtio/virtio.h"
#include "fuzz_chain.h"

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

/* Lay (p[0..n)) out as one chain in the descriptor table at (dt) of a
 * (qsize)-entry queue: direct descriptors, or with (indirect) one
 * descriptor pointing at a table at (table). Free entries are taken from
 * (desc_used) (marked used) and their numbers written to (desc), the head
 * first. Returns how many table entries it took; 0 when there is no room
 * or (n) is 0, and then nothing is written. */
static inline unsigned fuzz_lay_chain(uint8_t *ram, gpa_t dt, uint16_t qsize,
                                      bool *desc_used, const struct piece *p,
                                      unsigned n, bool indirect, gpa_t table,
                                      uint16_t *desc)
{
    unsigned nd = indirect ? 1 : n, k = 0;

    for (uint16_t i = 0; i < qsize && k < nd; i++)
        if (!desc_used[i])
            desc[k++] = i;
    if (k < nd || n == 0)
        return 0;
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = (uint16_t)((p[i].write ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));

        if (indirect)
            fuzz_put_desc(ram, table, i, p[i].addr, p[i].len, flags,
                          (uint16_t)(i + 1 < n ? i + 1 : 0));
        else
            fuzz_put_desc(ram, dt, desc[i], p[i].addr, p[i].len, flags,
                          i + 1 < n ? desc[i + 1] : 0);
    }
    if (indirect)
        fuzz_put_desc(ram, dt, desc[0], table, 16 * n, VIRTQ_DESC_F_INDIRECT,
                      0);
    for (unsigned i = 0; i < nd; i++)
        desc_used[desc[i]] = true;
    return nd;
}

#endif
