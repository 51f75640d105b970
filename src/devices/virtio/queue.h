/* Split virtqueues (virtio 1.2, 2.7): the device side of the rings.
 *
 * Every ring field is guest memory and hostile. The rules (RELIABILITY.md
 * (a) 1-15): ring addresses and size are checked and frozen at enable;
 * descriptors are copied in once through gmem and validated before a chain
 * is handed out; a walk stops after queue-size hops; a head stays "in
 * flight" until pushed, and a second pop of the same head is refused; the
 * guest's avail.idx may run ahead of ours by at most the queue size. Any
 * violation returns -EPROTO: the caller marks the device NEEDS_RESET.
 *
 * The guest is another CPU: ring indices are read and written with
 * __atomic operations, and every barrier in queue.c names the driver-side
 * barrier it pairs with. Callers serialise calls on one queue (the VM's
 * device lock). */
#ifndef VESSEL_DEVICES_VIRTIO_QUEUE_H
#define VESSEL_DEVICES_VIRTIO_QUEUE_H

#include "core/gmem.h"
#include "core/log.h"

#define VIRTQ_MAX_SIZE 256          /* largest queue a device offers */
#define VIRTQ_MAX_SEGS 256          /* segments in one chain, incl. indirect */
#define VIRTQ_NO_VECTOR 0xffff      /* msix_vector after reset (4.1.4.3) */

/* Descriptor flags (2.7.5) */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

/* One guest buffer of a chain, validated: [addr, addr+len) is RAM, in one
 * region, and len > 0. */
struct virtq_seg {
    gpa_t addr;
    uint32_t len;
    bool write;                     /* device-writable (guest reads it) */
};

/* A validated chain: readable segments first, then writable ones
 * (seg[0..nseg) in chain order); out_bytes + in_bytes <= UINT32_MAX.
 * Zero-length descriptors are skipped, so nseg may be 0. */
struct virtq_chain {
    uint16_t head;
    unsigned nseg;
    uint32_t out_bytes, in_bytes;   /* readable, writable totals */
    struct virtq_seg seg[VIRTQ_MAX_SEGS];
};

/* Ring geometry as validated at enable. */
struct virtq_rings {
    uint16_t size;
    gpa_t desc, avail, used;
};

struct virtq {
    /* Written by the driver through the transport (the queue_size,
     * queue_desc, queue_driver and queue_device registers). Read only by
     * virtq_enable(); a later rewrite changes nothing (see ring). */
    uint16_t size;
    gpa_t desc, avail, used;
    uint16_t msix_vector;           /* transport's; VIRTQ_NO_VECTOR at reset */
    bool enabled;
    /* Device side. */
    uint16_t max_size;              /* offered; enable refuses size above */
    struct virtq_rings ring;        /* frozen copy the rings are used from */
    bool event_idx;                 /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;                  /* VIRTIO_F_INDIRECT_DESC negotiated */
    uint16_t last_avail;            /* next avail entry to take */
    uint16_t used_idx;              /* next used entry to fill */
    uint16_t signalled_used;        /* used_idx at the last interrupt */
    bool signalled_valid;
    uint8_t inflight[VIRTQ_MAX_SIZE / 8];  /* heads popped, not pushed */
    struct gmem *gm;
    struct ratelimit rl;
};

/* Reset (q) to the power-on state: disabled, nothing in flight, the size
 * register reading (max_size) (clamped to VIRTQ_MAX_SIZE), msix_vector
 * VIRTQ_NO_VECTOR. (q) must be zeroed or previously reset: the log rate
 * limit survives resets so a reset loop cannot flood the log. Touches no
 * guest memory; bounded work. */
void virtq_reset(struct virtq *q, uint16_t max_size);

/* Validate and freeze the rings the driver set in (size, desc, avail,
 * used): size a power of two in [1, max_size], each ring aligned (2.7:
 * 16/2/4) and wholly in one RAM region of (gm), including used_event and
 * avail_event. (event_idx) and (indirect) are the negotiated features.
 * Returns 0, -EINVAL (the transport then refuses to enable), or -EBUSY if
 * already enabled (the frozen rings stay). */
int virtq_enable(struct virtq *q, struct gmem *gm, bool event_idx,
                 bool indirect) MUST_CHECK;

/* Take the next available chain into (c), which the caller owns. Returns
 * 1, 0 if the ring is empty (or the queue disabled), or -EPROTO on a guest
 * error: nothing was consumed (last_avail unchanged, nothing marked in
 * flight, (c) undefined). With EVENT_IDX, also writes avail_event. */
int virtq_pop(struct virtq *q, struct virtq_chain *c) MUST_CHECK;

/* Give back (head), taken by the newest virtq_pop() not yet pushed or
 * given back: the next pop takes the same avail entry again, as if it had
 * never been popped. For a device that learns only after popping that it
 * cannot use the buffers yet (virtio-net: a frame bigger than the receive
 * buffers posted so far must not consume them). Undo pops newest first.
 * avail_event is left as it is, so a driver that adds buffers still kicks.
 * Returns 0, or -EINVAL if (head) is not in flight (nothing changes). */
int virtq_unpop(struct virtq *q, uint16_t head) MUST_CHECK;

/* Return (head) to the guest with (len) bytes written; the device writes
 * the buffers before this call. Returns 0, or -EPROTO if (head) is not in
 * flight (nothing is written to guest memory then). */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len) MUST_CHECK;

/* After pushes: does the driver want an interrupt now (EVENT_IDX's
 * used_event, or the NO_INTERRUPT flag)? Updates the signalled state.
 * False on a disabled queue. */
bool virtq_should_notify(struct virtq *q);

/* Number of chains popped and not yet pushed (<= the queue size). */
unsigned virtq_inflight(const struct virtq *q);

#endif
