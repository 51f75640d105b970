/* Fake virtio driver: see fake_driver.h. */
#include "helpers/fake_driver.h"

#include <stdarg.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"

#define DESC_SIZE 16

uint8_t *fdrv_ptr(const struct fdrv *d, gpa_t gpa, size_t len)
{
    assert_true(len <= d->ram->size && gpa <= d->ram->size - len);
    return d->ram->mem + gpa;
}

/* Ring index fields are shared with the device (another CPU in real
 * life): atomic 16-bit accesses, little-endian through a byte buffer. */
static uint16_t load16(const struct fdrv *d, gpa_t gpa)
{
    uint16_t raw = __atomic_load_n((uint16_t *)fdrv_ptr(d, gpa, 2),
                                   __ATOMIC_RELAXED);
    uint8_t b[2];

    memcpy(b, &raw, sizeof(b));
    return le16_get(b, 0);
}

static void store16(struct fdrv *d, gpa_t gpa, uint16_t val)
{
    uint8_t b[2];
    uint16_t raw;

    le16_put(b, 0, val);
    memcpy(&raw, b, sizeof(raw));
    __atomic_store_n((uint16_t *)fdrv_ptr(d, gpa, 2), raw, __ATOMIC_RELAXED);
}

void fdrv_init(struct fdrv *d, struct fake_ram *ram, uint16_t size)
{
    fdrv_init_at(d, ram, size, FDRV_RING_BASE);
}

void fdrv_init_at(struct fdrv *d, struct fake_ram *ram, uint16_t size,
                  gpa_t base)
{
    assert_true(size > 0 && size <= VIRTQ_MAX_SIZE && !(size & (size - 1)));
    assert_true(ram->size >= FDRV_DATA_BASE + 64 * KiB);
    assert_true(base % 4096 == 0);
    memset(d, 0, sizeof(*d));
    d->ram = ram;
    d->size = size;
    d->desc = base;
    d->avail = d->desc + DESC_SIZE * (gpa_t)size;
    d->used = align_up(d->avail + 6 + 2 * (gpa_t)size, 4096);
    assert_true(d->used + 6 + 8 * (gpa_t)size <= FDRV_DATA_BASE);
    memset(fdrv_ptr(d, d->desc, d->used + 6 + 8 * size - d->desc), 0,
           d->used + 6 + 8 * size - d->desc);
    for (uint16_t i = 0; i < size; i++)
        d->next[i] = (uint16_t)(i + 1);
    d->nfree = size;
    d->data_next = FDRV_DATA_BASE;
    d->data_end = ram->size;
}

void fdrv_attach(const struct fdrv *d, struct virtq *q)
{
    q->size = d->size;
    q->desc = d->desc;
    q->avail = d->avail;
    q->used = d->used;
}

gpa_t fdrv_alloc(struct fdrv *d, uint32_t len)
{
    gpa_t at;

    assert_true(len > 0 && len <= 64 * KiB);
    if (d->data_next + len > d->data_end)
        d->data_next = FDRV_DATA_BASE;
    at = d->data_next;
    d->data_next = align_up(at + len, 16);
    return at;
}

void fdrv_write_desc(struct fdrv *d, gpa_t table, uint16_t i, gpa_t addr,
                     uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = fdrv_ptr(d, table + (gpa_t)i * DESC_SIZE, DESC_SIZE);

    le64_put(p, 0, addr);
    le32_put(p, 8, len);
    le16_put(p, 12, flags);
    le16_put(p, 14, next);
}

void fdrv_set_avail_entry(struct fdrv *d, uint16_t slot, uint16_t head)
{
    store16(d, d->avail + 4 + 2 * (gpa_t)(slot & (d->size - 1)), head);
}

void fdrv_set_avail_idx(struct fdrv *d, uint16_t idx)
{
    d->avail_idx = idx;
    store16(d, d->avail + 2, idx);
}

void fdrv_publish(struct fdrv *d, uint16_t head)
{
    fdrv_set_avail_entry(d, d->avail_idx, head);
    /* The entry and the descriptors before avail.idx: pairs with the
     * device's acquire after it reads avail.idx. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    fdrv_set_avail_idx(d, (uint16_t)(d->avail_idx + 1));
}

/* Take (n) descriptors off the free list, linked in order; the head. */
static uint16_t take_descs(struct fdrv *d, unsigned n, uint16_t *ids)
{
    assert_true(n >= 1 && n <= d->nfree);
    for (unsigned i = 0; i < n; i++) {
        ids[i] = d->free_head;
        d->free_head = d->next[ids[i]];
    }
    for (unsigned i = 0; i + 1 < n; i++)
        d->next[ids[i]] = ids[i + 1];
    d->nfree = (uint16_t)(d->nfree - n);
    d->ndesc[ids[0]] = (uint16_t)n;
    return ids[0];
}

static uint16_t seg_flags(const struct fdrv_seg *s)
{
    return s->write ? VIRTQ_DESC_F_WRITE : 0;
}

uint16_t fdrv_add_chain(struct fdrv *d, const struct fdrv_seg *segs,
                        unsigned n)
{
    uint16_t ids[VIRTQ_MAX_SIZE] = {0}, head = take_descs(d, n, ids);

    for (unsigned i = 0; i < n; i++) {
        bool last = i + 1 == n;
        uint16_t flags = (uint16_t)(seg_flags(&segs[i]) |
                                    (last ? 0 : VIRTQ_DESC_F_NEXT));

        fdrv_write_desc(d, d->desc, ids[i], segs[i].addr, segs[i].len, flags,
                        last ? 0 : ids[i + 1]);
    }
    fdrv_publish(d, head);
    return head;
}

uint16_t fdrv_add_indirect(struct fdrv *d, const struct fdrv_seg *segs,
                           unsigned n)
{
    uint16_t head, id;
    gpa_t table;

    assert_true(n >= 1 && n <= VIRTQ_MAX_SEGS);
    table = fdrv_alloc(d, n * DESC_SIZE);
    for (unsigned i = 0; i < n; i++) {
        bool last = i + 1 == n;
        uint16_t flags = (uint16_t)(seg_flags(&segs[i]) |
                                    (last ? 0 : VIRTQ_DESC_F_NEXT));

        fdrv_write_desc(d, table, (uint16_t)i, segs[i].addr, segs[i].len,
                        flags, last ? 0 : (uint16_t)(i + 1));
    }
    head = take_descs(d, 1, &id);
    fdrv_write_desc(d, d->desc, head, table, n * DESC_SIZE,
                    VIRTQ_DESC_F_INDIRECT, 0);
    fdrv_publish(d, head);
    return head;
}

/* 2.7.10: has (event) been passed going from (old) to (new_idx)? */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool fdrv_kick(struct fdrv *d)
{
    uint16_t old = d->kicked_idx;

    d->kicked_idx = d->avail_idx;
    /* avail.idx before avail_event / used.flags: pairs with the device's
     * full fence between writing avail_event and re-reading avail.idx. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (d->event_idx)
        return need_event(fdrv_avail_event(d), d->avail_idx, old);
    return !(load16(d, d->used) & VIRTQ_USED_F_NO_NOTIFY);
}

bool fdrv_used(struct fdrv *d, uint16_t *head, uint32_t *len)
{
    uint8_t *e;
    uint32_t id;
    uint16_t n, i;

    if (fdrv_used_idx(d) == d->last_used)
        return false;
    /* used.idx before the element: pairs with the device's release. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    e = fdrv_ptr(d, d->used + 4 + 8 * (gpa_t)(d->last_used & (d->size - 1)),
                 8);
    id = le32_get(e, 0);
    *len = le32_get(e, 4);
    d->last_used++;
    assert_true(id < d->size);
    *head = (uint16_t)id;
    /* Give the chain's descriptors back, following our own links. */
    n = d->ndesc[id];
    d->ndesc[id] = 0;
    for (i = (uint16_t)id; n > 0; n--) {
        uint16_t nx = d->next[i];

        d->next[i] = d->free_head;
        d->free_head = i;
        d->nfree++;
        i = nx;
    }
    return true;
}

unsigned fdrv_num_free(const struct fdrv *d)
{
    return d->nfree;
}

void fdrv_set_used_event(struct fdrv *d, uint16_t idx)
{
    store16(d, d->avail + 4 + 2 * (gpa_t)d->size, idx);
    /* Before the driver re-checks used.idx: pairs with the device's full
     * fence between used.idx and reading used_event. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void fdrv_set_avail_flags(struct fdrv *d, uint16_t flags)
{
    store16(d, d->avail, flags);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint16_t fdrv_avail_event(const struct fdrv *d)
{
    return load16(d, d->used + 4 + 8 * (gpa_t)d->size);
}

uint16_t fdrv_used_idx(const struct fdrv *d)
{
    return load16(d, d->used + 2);
}

static void irq_queue(void *ctx, unsigned q)
{
    struct fdrv_irqs *i = ctx;

    assert_true(q < VIRTIO_MAX_QUEUES);
    i->queue[q]++;
}

static void irq_config(void *ctx)
{
    ((struct fdrv_irqs *)ctx)->config++;
}

const struct virtio_irq_ops fdrv_irq_ops = {
    .queue_irq = irq_queue,
    .config_irq = irq_config,
};
