/* A fake virtio driver for unit tests: the guest side of one split
 * virtqueue (virtio 1.2, 2.7), laid out in fake guest RAM (helpers/fakes.h)
 * the way a Linux driver would, with the same barriers. Device tests offer
 * buffers and reap completions with it; hostile tests use the raw writers
 * at the end to build anything a broken or malicious guest could.
 *
 *     struct fake_ram *ram = fake_ram_new(FAKE_RAM_SIZE, 0);
 *     struct fdrv d;
 *     struct virtq q = {0};
 *     uint16_t head, id;
 *     uint32_t len;
 *
 *     fdrv_init(&d, ram, 16);
 *     virtq_reset(&q, 16);
 *     fdrv_attach(&d, &q);            // what the transport registers do
 *     assert_int_equal(virtq_enable(&q, &ram->gm, false, false), 0);
 *     gpa_t hdr = fdrv_alloc(&d, 16), st = fdrv_alloc(&d, 1);
 *     head = fdrv_add(&d, FDRV_OUT(hdr, 16), FDRV_IN(st, 1));
 *     ... device: virtq_pop(), virtq_push(&q, head, 1) ...
 *     assert_true(fdrv_used(&d, &id, &len));
 *
 * Layout: the rings start at FDRV_RING_BASE (descriptors, then the avail
 * ring, then the used ring on the next 4 KiB boundary); buffers and
 * indirect tables come from a circular data area [FDRV_DATA_BASE, end of
 * RAM). Everything below FDRV_RING_BASE is left alone. Any misuse (RAM too
 * small, out of descriptors, a bogus used entry) fails the test. */
#ifndef VESSEL_TESTS_FAKE_DRIVER_H
#define VESSEL_TESTS_FAKE_DRIVER_H

#include "devices/virtio/virtio.h"
#include "helpers/fakes.h"

#define FDRV_RING_BASE 0x1000
#define FDRV_DATA_BASE 0x10000

/* One buffer of a chain as the driver sees it. */
struct fdrv_seg {
    gpa_t addr;
    uint32_t len;
    bool write;                   /* device-writable */
};

#define FDRV_OUT(a, l) ((struct fdrv_seg){.addr = (a), .len = (l), .write = false})
#define FDRV_IN(a, l) ((struct fdrv_seg){.addr = (a), .len = (l), .write = true})

struct fdrv {
    struct fake_ram *ram;
    uint16_t size;
    gpa_t desc, avail, used;      /* ring addresses in (ram) */
    bool event_idx;               /* driver negotiated EVENT_IDX: set it
                                     directly; fdrv_kick() honours it */
    uint16_t avail_idx;           /* our copy of avail.idx */
    uint16_t last_used;           /* next used entry to reap */
    uint16_t kicked_idx;          /* avail_idx at the last fdrv_kick() */
    uint16_t nfree, free_head;    /* free descriptor list */
    uint16_t next[VIRTQ_MAX_SIZE];   /* free list links, then each chain's
                                        links: the driver's own copy */
    uint16_t ndesc[VIRTQ_MAX_SIZE];  /* descriptors of the chain at this
                                        head while in flight, else 0 */
    gpa_t data_next, data_end;    /* circular buffer area */
};

/* Lay out a queue of (size) entries (a power of two, <= VIRTQ_MAX_SIZE) in
 * (ram), which must be at least FDRV_DATA_BASE + 64 KiB: rings zeroed, all
 * descriptors free, EVENT_IDX off. */
void fdrv_init(struct fdrv *d, struct fake_ram *ram, uint16_t size);

/* fdrv_init() with the rings at (base) rather than FDRV_RING_BASE, so a
 * device with several queues can have them side by side; the rings must
 * still end below FDRV_DATA_BASE. The data area is the same for every
 * queue: narrow data_next/data_end if they must not share it. */
void fdrv_init_at(struct fdrv *d, struct fake_ram *ram, uint16_t size,
                  gpa_t base);

/* Program (q)'s size and ring-address registers as the transport would on
 * the driver's writes. (q) must have been virtq_reset() with a max_size of
 * at least d->size. Enabling is left to the test. */
void fdrv_attach(const struct fdrv *d, struct virtq *q);

/* (len) bytes (1..64 KiB) of the data area, 16-byte aligned. The area is
 * reused circularly; it holds a few hundred KiB at once with the default
 * RAM size, plenty for what one test keeps outstanding. */
gpa_t fdrv_alloc(struct fdrv *d, uint32_t len);

/* Host view of guest bytes [gpa, gpa+len) for filling or checking buffers;
 * fails the test unless they are all RAM. */
uint8_t *fdrv_ptr(const struct fdrv *d, gpa_t gpa, size_t len);

/* Make a chain of (n >= 1) buffers available: direct descriptors
 * (fdrv_add_chain), or one descriptor pointing at an indirect table in the
 * data area (fdrv_add_indirect). Writes the avail entry, then a write
 * barrier, then avail.idx, as a driver does. Returns the head. */
uint16_t fdrv_add_chain(struct fdrv *d, const struct fdrv_seg *segs,
                        unsigned n);
uint16_t fdrv_add_indirect(struct fdrv *d, const struct fdrv_seg *segs,
                           unsigned n);

/* The same with the buffers as arguments:
 *     head = fdrv_add(&d, FDRV_OUT(a, 16), FDRV_IN(b, 512));  */
#define FDRV_SEGS(...) ((const struct fdrv_seg[]){__VA_ARGS__})
#define FDRV_NSEGS(...) (unsigned)(sizeof(FDRV_SEGS(__VA_ARGS__)) /         \
                                   sizeof(struct fdrv_seg))
#define fdrv_add(d, ...)                                                       \
    fdrv_add_chain(d, FDRV_SEGS(__VA_ARGS__), FDRV_NSEGS(__VA_ARGS__))
#define fdrv_add_ind(d, ...)                                                   \
    fdrv_add_indirect(d, FDRV_SEGS(__VA_ARGS__), FDRV_NSEGS(__VA_ARGS__))

/* Would the driver notify the device now, for what it made available
 * since the last call? With d->event_idx: avail_event crossed
 * (vring_need_event); without: used.flags lacks NO_NOTIFY. */
bool fdrv_kick(struct fdrv *d);

/* Reap the next used entry: true with (*head, *len) set and the chain's
 * descriptors free again, or false if the device has returned nothing
 * new. An id >= the queue size fails the test; a head published raw
 * (fdrv_publish) frees nothing. */
bool fdrv_used(struct fdrv *d, uint16_t *head, uint32_t *len);

/* Free descriptors left. */
unsigned fdrv_num_free(const struct fdrv *d);

/* Interrupt suppression, driver side: used_event (EVENT_IDX) and the
 * avail ring's flags (VIRTQ_AVAIL_F_NO_INTERRUPT). */
void fdrv_set_used_event(struct fdrv *d, uint16_t idx);
void fdrv_set_avail_flags(struct fdrv *d, uint16_t flags);

/* What the device wrote: avail_event (EVENT_IDX) and used.idx. */
uint16_t fdrv_avail_event(const struct fdrv *d);
uint16_t fdrv_used_idx(const struct fdrv *d);

/* ---- interrupts the driver gets ---- */

/* What fdrv_irq_ops counted; ctx = struct fdrv_irqs *. A queue index
 * beyond VIRTIO_MAX_QUEUES fails the test. */
struct fdrv_irqs {
    unsigned queue[VIRTIO_MAX_QUEUES];   /* queue_irq calls per queue */
    unsigned config;                     /* config_irq calls */
};
extern const struct virtio_irq_ops fdrv_irq_ops;

/* ---- raw writers for hostile tests: no bookkeeping, no checks ---- */

/* Write descriptor (i) of the table at (table): d->desc for the ring's
 * own table, or an indirect table from fdrv_alloc(). Descriptors written
 * into d->desc this way should not be mixed with fdrv_add_chain(). */
void fdrv_write_desc(struct fdrv *d, gpa_t table, uint16_t i, gpa_t addr,
                     uint32_t len, uint16_t flags, uint16_t next);

/* Put (head) in the next avail slot and bump avail.idx (with the barrier
 * between). (head) need not be valid. */
void fdrv_publish(struct fdrv *d, uint16_t head);

/* Write avail.idx (and our copy) directly, or one avail ring entry. */
void fdrv_set_avail_idx(struct fdrv *d, uint16_t idx);
void fdrv_set_avail_entry(struct fdrv *d, uint16_t slot, uint16_t head);

#endif
