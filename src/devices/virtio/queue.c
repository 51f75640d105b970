/* Split virtqueue, device side (virtio 1.2, 2.7). See queue.h.
 *
 * Layout in guest memory (all little-endian), for a queue of n entries:
 *   desc   16 * n      { le64 addr; le32 len; le16 flags; le16 next; }
 *   avail  6 + 2 * n   { le16 flags; le16 idx; le16 ring[n]; le16 used_event; }
 *   used   6 + 8 * n   { le16 flags; le16 idx; { le32 id; le32 len; } ring[n];
 *                        le16 avail_event; }
 *
 * Memory ordering. The driver runs on another CPU. Each barrier here pairs
 * with one the driver makes (Linux: drivers/virtio/virtio_ring.c):
 *   pop   read avail.idx, ACQUIRE fence, read ring[] and descriptors
 *         <-> driver writes ring[] and descriptors, write barrier, avail.idx
 *   push  write used ring[] (and the buffers before it), RELEASE fence,
 *         used.idx
 *         <-> driver reads used.idx, read barrier, used ring[] and buffers
 *   notify  write used.idx, FULL fence, read used_event / avail.flags
 *         <-> driver writes used_event (or clears NO_INTERRUPT), full
 *         barrier, re-reads used.idx
 *   empty ring (EVENT_IDX): write avail_event, FULL fence, re-read avail.idx
 *         <-> driver writes avail.idx, full barrier, reads avail_event
 * The two full fences close the "both sides go to sleep" races. */
#include "devices/virtio/queue.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define DESC_SIZE 16
#define AVAIL_FLAGS 0
#define AVAIL_IDX 2
#define AVAIL_RING 4
#define USED_IDX 2
#define USED_RING 4
#define USED_ELEM 8

/* Ring field accessors. The address is always inside a ring validated at
 * enable (aligned, in one RAM region whose host view has the same
 * alignment), so the host pointer is aligned for the atomic access. Values
 * go through a byte buffer and core/bytes.h to stay little-endian on any
 * host. False only if the memory map changed under an enabled queue. */
static bool ring_load16(const struct virtq *q, gpa_t gpa, uint16_t *val)
{
    uint16_t *p = gmem_span(q->gm, gpa, sizeof(*p)), raw;
    uint8_t b[sizeof(raw)];

    if (!p || (uintptr_t)p % sizeof(*p))
        return false;
    raw = __atomic_load_n(p, __ATOMIC_RELAXED);
    memcpy(b, &raw, sizeof(b));
    *val = le16_get(b, 0);
    return true;
}

static bool ring_store16(const struct virtq *q, gpa_t gpa, uint16_t val)
{
    uint16_t *p = gmem_span(q->gm, gpa, sizeof(*p)), raw;
    uint8_t b[sizeof(raw)];

    if (!p || (uintptr_t)p % sizeof(*p))
        return false;
    le16_put(b, 0, val);
    memcpy(&raw, b, sizeof(raw));
    __atomic_store_n(p, raw, __ATOMIC_RELAXED);
    return true;
}

static bool ring_store32(const struct virtq *q, gpa_t gpa, uint32_t val)
{
    uint32_t *p = gmem_span(q->gm, gpa, sizeof(*p)), raw;
    uint8_t b[sizeof(raw)];

    if (!p || (uintptr_t)p % sizeof(*p))
        return false;
    le32_put(b, 0, val);
    memcpy(&raw, b, sizeof(raw));
    __atomic_store_n(p, raw, __ATOMIC_RELAXED);
    return true;
}

static int reject(struct virtq *q, const char *why)
{
    log_guest(&q->rl, "guest: virtqueue: %s", why);
    return -EPROTO;
}

static bool inflight_test(const struct virtq *q, uint16_t head)
{
    return q->inflight[head / 8] & (1u << (head % 8));
}

static void inflight_set(struct virtq *q, uint16_t head, bool on)
{
    uint8_t bit = (uint8_t)(1u << (head % 8));

    if (on)
        q->inflight[head / 8] |= bit;
    else
        q->inflight[head / 8] &= (uint8_t)~bit;
}

void virtq_reset(struct virtq *q, uint16_t max_size)
{
    struct ratelimit rl = q->rl;

    memset(q, 0, sizeof(*q));
    q->rl = rl.burst || rl.every ? rl : (struct ratelimit)RATELIMIT_INIT;
    q->max_size = max_size > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : max_size;
    q->size = q->max_size;
    q->msix_vector = VIRTQ_NO_VECTOR;
}

/* [gpa, gpa+len) is in one RAM region and its host view is aligned to
 * (align), as the guest address must be (checked by the caller). */
static bool ring_in_ram(const struct gmem *gm, gpa_t gpa, uint64_t len,
                        uint64_t align)
{
    void *p = gmem_span(gm, gpa, len);

    return p && (uintptr_t)p % align == 0;
}

int virtq_enable(struct virtq *q, struct gmem *gm, bool event_idx,
                 bool indirect)
{
    /* GUEST: size and ring addresses untrusted; read once, here. */
    struct virtq_rings r = {
        .size = q->size, .desc = q->desc, .avail = q->avail, .used = q->used,
    };
    uint64_t n = r.size;

    if (q->enabled)
        return -EBUSY;
    if (n == 0 || n > q->max_size || (n & (n - 1))) {
        log_guest(&q->rl, "guest: virtqueue: bad size %u", r.size);
        return -EINVAL;
    }
    /* 2.7: alignment 16 (desc), 2 (avail), 4 (used). The avail ring ends
     * with used_event and the used ring with avail_event: both always
     * checked so EVENT_IDX never reaches past a validated ring. */
    if (r.desc % 16 || r.avail % 2 || r.used % 4 ||
        !ring_in_ram(gm, r.desc, DESC_SIZE * n, 16) ||
        !ring_in_ram(gm, r.avail, 6 + 2 * n, 2) ||
        !ring_in_ram(gm, r.used, 6 + USED_ELEM * n, 4)) {
        log_guest(&q->rl, "guest: virtqueue: rings misaligned or not RAM");
        return -EINVAL;
    }
    q->ring = r;
    q->gm = gm;
    q->event_idx = event_idx;
    q->indirect = indirect;
    q->last_avail = 0;
    q->used_idx = 0;
    q->signalled_used = 0;
    q->signalled_valid = false;
    memset(q->inflight, 0, sizeof(q->inflight));
    q->enabled = true;
    return 0;
}

/* ---- the descriptor walk ---- */

struct desc {
    gpa_t addr;
    uint32_t len;
    uint16_t flags, next;
};

/* Copy descriptor (i) of the table at (table) in, once. The table was
 * checked to be RAM; a table on an 8-byte boundary (every ring, and any
 * sane indirect table) is read with two relaxed atomic loads so a racing
 * guest store is a well-defined torn value, never a data race. */
static int desc_fetch(const struct virtq *q, gpa_t table, uint16_t i,
                      struct desc *d)
{
    gpa_t gpa = table + (gpa_t)i * DESC_SIZE;
    uint64_t *p = gmem_span(q->gm, gpa, DESC_SIZE);
    uint8_t b[DESC_SIZE];

    if (p && (uintptr_t)p % sizeof(*p) == 0) {
        uint64_t w[2] = {
            __atomic_load_n(&p[0], __ATOMIC_RELAXED),
            __atomic_load_n(&p[1], __ATOMIC_RELAXED),
        };
        memcpy(b, w, sizeof(b));
    } else if (gmem_read(q->gm, gpa, b, sizeof(b)) < 0) {
        return -EFAULT;
    }
    d->addr = le64_get(b, 0);
    d->len = le32_get(b, 8);
    d->flags = le16_get(b, 12);
    d->next = le16_get(b, 14);
    return 0;
}

/* Where the walk is: which table, how big, how many hops taken in it. */
struct walk {
    gpa_t table;
    uint16_t tsize, idx;
    unsigned hops;
    bool in_indirect, seen_write;
    uint64_t total;
};

/* Record the buffer of (d) in (c). Zero-length descriptors are allowed
 * (the spec does not forbid them) but carry nothing: they are skipped
 * whatever their address and flags, so a device never sees a 0-byte
 * segment and never writes through one (RELIABILITY (a) 6). */
static int add_seg(struct virtq *q, struct walk *w, const struct desc *d,
                   struct virtq_chain *c)
{
    bool write = d->flags & VIRTQ_DESC_F_WRITE;

    if (d->len == 0)
        return 0;
    /* 2.7.4.2: the driver MUST place device-writable descriptors after
     * device-readable ones; a readable one after that is a lie about the
     * request layout (RELIABILITY (a) 7). */
    if (!write && w->seen_write)
        return reject(q, "readable descriptor after a writable one");
    /* One region holds the whole buffer: no wrap, no byte past RAM, no
     * hole or MMIO window inside (RELIABILITY (a) 3, 4). */
    if (!gmem_is_ram(q->gm, d->addr, d->len))
        return reject(q, "buffer outside guest RAM");
    if (c->nseg == VIRTQ_MAX_SEGS)
        return reject(q, "too many segments");
    /* 2.7.4.1: a chain is at most 2^32 - 1 bytes (RELIABILITY (a) 5). */
    w->total += d->len;
    if (w->total > UINT32_MAX)
        return reject(q, "chain longer than 4 GiB");
    w->seen_write |= write;
    c->seg[c->nseg++] = (struct virtq_seg){
        .addr = d->addr, .len = d->len, .write = write,
    };
    if (write)
        c->in_bytes += d->len;
    else
        c->out_bytes += d->len;
    return 0;
}

/* Switch the walk into the indirect table (d) points at (2.7.5.3). The
 * device MUST handle zero or more direct descriptors followed by one
 * indirect one (2.7.5.3.2), so this may happen mid-chain, but once only
 * and only at the chain's end; the WRITE flag of (d) is ignored. */
static int enter_indirect(struct virtq *q, struct walk *w, const struct desc *d)
{
    if (!q->indirect)
        return reject(q, "indirect descriptor not negotiated");
    if (w->in_indirect)
        return reject(q, "nested indirect descriptor");
    if (d->flags & VIRTQ_DESC_F_NEXT)
        return reject(q, "indirect descriptor with NEXT");
    if (d->len == 0 || d->len % DESC_SIZE ||
        d->len / DESC_SIZE > VIRTQ_MAX_SEGS)
        return reject(q, "bad indirect table length");
    if (!gmem_is_ram(q->gm, d->addr, d->len))
        return reject(q, "indirect table outside guest RAM");
    w->table = d->addr;
    w->tsize = (uint16_t)(d->len / DESC_SIZE);
    w->idx = 0;
    w->hops = 0;
    w->in_indirect = true;
    return 0;
}

/* Walk the chain at (head) into (c). Bounded: at most ring.size hops in
 * the descriptor table plus at most VIRTQ_MAX_SEGS in one indirect table;
 * a chain that needs more has a loop (RELIABILITY (a) 1). */
static int walk_chain(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
    struct walk w = {.table = q->ring.desc, .tsize = q->ring.size, .idx = head};
    struct desc d;
    int rc;

    c->head = head;
    c->nseg = 0;
    c->out_bytes = c->in_bytes = 0;
    for (;;) {
        if (w.hops++ == w.tsize)
            return reject(q, "descriptor chain loops");
        /* GUEST: d is a private copy; nothing below re-reads the guest's. */
        if (desc_fetch(q, w.table, w.idx, &d) < 0)
            return reject(q, "descriptor table not RAM");
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            rc = enter_indirect(q, &w, &d);
            if (rc < 0)
                return rc;
            continue;
        }
        rc = add_seg(q, &w, &d, c);
        if (rc < 0)
            return rc;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return 0;
        if (d.next >= w.tsize)
            return reject(q, "next descriptor out of range");
        w.idx = d.next;
    }
}

/* ---- pop / push / notify ---- */

/* Entries the driver has published beyond ours: 0..size, or -EPROTO. */
static int avail_pending(struct virtq *q)
{
    uint16_t idx, n;

    if (!ring_load16(q, q->ring.avail + AVAIL_IDX, &idx))
        return reject(q, "avail ring not RAM");
    /* Pairs with the driver's write barrier between filling avail.ring[]
     * (and the descriptors) and publishing avail.idx (2.7.13): what we read
     * below is at least as new as (idx). */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    /* GUEST: idx may be anything. More than a ring's worth ahead means the
     * driver overwrote entries we have not taken (RELIABILITY (a) 8). */
    n = (uint16_t)(idx - q->last_avail);
    if (n > q->ring.size)
        return reject(q, "avail.idx ran ahead by more than the queue size");
    return n;
}

/* EVENT_IDX (2.7.10): ask to be kicked when avail.idx passes (idx). */
static void set_avail_event(struct virtq *q, uint16_t idx)
{
    gpa_t at = q->ring.used + USED_RING + (gpa_t)USED_ELEM * q->ring.size;

    (void)ring_store16(q, at, idx);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t head, slot;
    int n, rc;

    if (!q->enabled)
        return 0;
    n = avail_pending(q);
    if (n == 0 && q->event_idx) {
        set_avail_event(q, q->last_avail);
        /* Our avail_event store must be visible before we look at avail.idx
         * again; pairs with the driver's full barrier between publishing
         * avail.idx and reading avail_event. Otherwise it may skip the kick
         * while we see an empty ring. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        n = avail_pending(q);
    }
    if (n <= 0)
        return n;
    slot = (uint16_t)(q->last_avail & (q->ring.size - 1));
    /* GUEST: head is checked before it indexes anything. */
    if (!ring_load16(q, q->ring.avail + AVAIL_RING + 2 * (gpa_t)slot, &head))
        return reject(q, "avail ring not RAM");
    if (head >= q->ring.size)
        return reject(q, "avail entry beyond the queue size");
    if (inflight_test(q, head))
        return reject(q, "head made available twice");
    rc = walk_chain(q, head, c);
    if (rc < 0)
        return rc;
    inflight_set(q, head, true);
    q->last_avail++;
    if (q->event_idx)
        set_avail_event(q, q->last_avail);
    return 1;
}

int virtq_unpop(struct virtq *q, uint16_t head)
{
    /* Device-internal: the caller names the heads it popped, newest first,
     * so the entry at last_avail - 1 is (head)'s. Nothing in guest memory
     * changes; the guest cannot tell the pop happened. */
    if (!q->enabled || head >= q->ring.size || !inflight_test(q, head))
        return -EINVAL;
    inflight_set(q, head, false);
    q->last_avail--;
    return 0;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    uint16_t slot = (uint16_t)(q->used_idx & (q->ring.size - 1));
    gpa_t elem = q->ring.used + USED_RING + (gpa_t)USED_ELEM * slot;

    /* A disabled queue has size 0 and nothing in flight. */
    if (!q->enabled || head >= q->ring.size || !inflight_test(q, head))
        return -EPROTO;
    if (!ring_store32(q, elem, head) || !ring_store32(q, elem + 4, len))
        return -EPROTO;
    /* The used element, and the buffer bytes the device wrote before this
     * call, become visible before used.idx; pairs with the driver's read
     * barrier after it reads used.idx (2.7.14). */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    if (!ring_store16(q, q->ring.used + USED_IDX, (uint16_t)(q->used_idx + 1)))
        return -EPROTO;
    q->used_idx++;
    inflight_set(q, head, false);
    /* Half the index space since the last signal: the comparison in
     * vring_need_event would wrap, so signal unconditionally next time. */
    if ((uint16_t)(q->used_idx - q->signalled_used) >= 0x8000)
        q->signalled_valid = false;
    return 0;
}

/* 2.7.10: the driver asked for an interrupt once used.idx passes
 * (event): true if (event) lies in [old, new). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool virtq_should_notify(struct virtq *q)
{
    gpa_t used_event_at = q->ring.avail + AVAIL_RING + 2 * (gpa_t)q->ring.size;
    uint16_t v, old;
    bool valid;

    if (!q->enabled)
        return false;
    /* Our used.idx store before the read of used_event / avail.flags; pairs
     * with the driver's full barrier between writing those and re-reading
     * used.idx. Otherwise it may wait for an interrupt we decide to skip. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!q->event_idx) {
        /* 2.7.7: without EVENT_IDX, NO_INTERRUPT asks us not to bother. */
        return !ring_load16(q, q->ring.avail + AVAIL_FLAGS, &v) ||
               !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    /* 2.7.7.2: with EVENT_IDX the flags are ignored, used_event rules. */
    old = q->signalled_used;
    valid = q->signalled_valid;
    q->signalled_used = q->used_idx;
    q->signalled_valid = true;
    if (!valid || !ring_load16(q, used_event_at, &v))
        return true;
    return need_event(v, q->used_idx, old);
}

unsigned virtq_inflight(const struct virtq *q)
{
    unsigned n = 0;

    /* Bit by bit: __builtin_popcount may become a libgcc call, which
     * libvcore must not need. */
    for (size_t i = 0; i < sizeof(q->inflight); i++)
        for (unsigned b = q->inflight[i]; b; b &= b - 1)
            n++;
    return n;
}
