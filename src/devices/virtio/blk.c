/* virtio-blk request handling; see blk.h for the rules and the protocol. */
#include "devices/virtio/blk.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define COOKIE_SLOT_BITS 16
#define COOKIE_SLOT_MASK ((1ULL << COOKIE_SLOT_BITS) - 1)
#define EPOCH_MASK (UINT64_MAX >> COOKIE_SLOT_BITS)

_Static_assert(VIRTIO_BLK_QUEUE_SIZE <= (1 << COOKIE_SLOT_BITS),
               "slot index fits the cookie");

/* A chain split into its two byte streams (blk.h: framing). */
struct blk_layout {
    const struct virtq_chain *c;
    uint64_t out, in;       /* readable, writable bytes */
    gpa_t status;           /* last writable byte */
};

/* ---- byte streams over a chain ---- */

/* Visit [off, off+len) of the readable (write false) or writable stream of
 * (c) as per-segment pieces. Returns 0, or -EINVAL if the stream is short.
 * Each piece is inside one validated segment, so gpa+n cannot wrap. */
static int stream_walk(const struct virtq_chain *c, bool write, uint64_t off,
                       uint64_t len,
                       int (*fn)(void *arg, gpa_t gpa, uint64_t n), void *arg)
{
    for (unsigned i = 0; i < c->nseg && len; i++) {
        const struct virtq_seg *s = &c->seg[i];
        uint64_t n;
        int rc;

        if (s->write != write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        n = s->len - off < len ? s->len - off : len;
        rc = fn(arg, s->addr + off, n);
        if (rc < 0)
            return rc;
        len -= n;
        off = 0;
    }
    return len ? -EINVAL : 0;
}

struct copy_arg {
    struct gmem *gm;
    uint8_t *buf;           /* read into, or write from */
    bool to_guest;
};

static int copy_piece(void *arg, gpa_t gpa, uint64_t n)
{
    struct copy_arg *a = arg;
    int rc = a->to_guest ? gmem_write(a->gm, gpa, a->buf, (size_t)n)
                         : gmem_read(a->gm, gpa, a->buf, (size_t)n);

    a->buf += n;
    return rc;
}

struct map_arg {
    const struct gmem *gm;
    struct blkdev_req *req;
};

static int map_piece(void *arg, gpa_t gpa, uint64_t n)
{
    struct map_arg *a = arg;
    void *p;

    if (a->req->niov == BLKDEV_MAX_IOV)
        return -E2BIG;
    p = gmem_span(a->gm, gpa, (size_t)n);
    if (!p)
        return -EFAULT;
    a->req->iov[a->req->niov++] = (struct blkdev_iov){.base = p,
                                                      .len = (size_t)n};
    return 0;
}

static int locate_piece(void *arg, gpa_t gpa, uint64_t n)
{
    (void)n;
    *(gpa_t *)arg = gpa;
    return 0;
}

/* Split (c) into streams: virtq_pop hands out readable segments first,
 * then writable ones, none empty. Returns 0, or -EPROTO if there is no
 * writable byte for the status. */
static int layout(struct blk_layout *l, const struct virtq_chain *c)
{
    l->c = c;
    l->out = c->out_bytes;
    l->in = c->in_bytes;
    if (l->in == 0 ||
        stream_walk(c, true, l->in - 1, 1, locate_piece, &l->status) < 0)
        return -EPROTO;
    return 0;
}

/* ---- answering the guest ---- */

static void push(struct virtio_blk *blk, uint16_t head, uint32_t len)
{
    if (virtq_push(&blk->vdev.vq[0], head, len) < 0) {
        log_guest(&blk->rl, "guest: virtio-blk: head %u not in flight", head);
        virtio_needs_reset(&blk->vdev);
    }
}

/* Write (status) at (at) and return (head) with (len) bytes used. The
 * status byte was RAM at pop; if the memory map changed since, nothing is
 * written and used.len is 0. */
static void answer(struct virtio_blk *blk, uint16_t head, gpa_t at,
                   uint8_t status, uint32_t len)
{
    if (gmem_write(blk->vdev.gm, at, &status, 1) < 0)
        len = 0;
    push(blk, head, len);
}

/* A request refused by a check: one rate-limited line, IOERR or UNSUPP. */
static void refuse(struct virtio_blk *blk, const struct blk_layout *l,
                   uint8_t status, const char *why)
{
    if (status == VIRTIO_BLK_S_UNSUPP)
        blk->stats.unsupported++;
    else
        blk->stats.guest_errors++;
    log_guest(&blk->rl, "guest: virtio-blk: request %u refused: %s", l->c->head,
              why);
    answer(blk, l->c->head, l->status, status, 1);
}

/* ---- requests ---- */

/* [sector*512, +bytes) inside the capacity, overflow-safe. */
static bool range_ok(const struct virtio_blk *blk, uint64_t sector,
                     uint64_t bytes, uint64_t *off)
{
    uint64_t end;

    if (sector >= blk->capacity)
        return false;
    *off = sector * BLKDEV_SECTOR; /* < capacity * 512 <= image size */
    return !__builtin_add_overflow(*off, bytes, &end) &&
           end <= blk->capacity * BLKDEV_SECTOR;
}

/* Hand slot (head) to the backend; answer IOERR if it refuses. */
static void submit(struct virtio_blk *blk, const struct blk_layout *l,
                   bool read, uint32_t used_len)
{
    struct virtio_blk_slot *s = &blk->slot[l->c->head];
    int rc;

    s->busy = true;
    s->read = read;
    s->status = l->status;
    s->used_len = used_len;
    s->req.cookie = (blk->epoch & EPOCH_MASK) << COOKIE_SLOT_BITS | l->c->head;
    blk->inflight++;
    rc = blk->be->submit(blk->be_ctx, &s->req);
    if (rc < 0) {
        s->busy = false;
        blk->inflight--;
        blk->stats.refused++;
        if (ratelimit_ok(&blk->io_rl))
            log_warn("virtio-blk: backend refused a request (%d)", rc);
        answer(blk, l->c->head, l->status, VIRTIO_BLK_S_IOERR, 1);
    }
}

/* Request handlers: each answers or submits the request and returns NULL,
 * or returns why it refuses it with (*st) (IOERR unless set otherwise). */

/* IN or OUT: data is the writable stream before the status (IN) or the
 * readable stream after the header (OUT). */
static const char *do_rw(struct virtio_blk *blk, const struct blk_layout *l,
                         uint64_t sector, bool read)
{
    struct blkdev_req *req = &blk->slot[l->c->head].req;
    uint64_t len = read ? l->in - 1 : l->out - VIRTIO_BLK_HDR_LEN, off;
    struct map_arg m = {.gm = blk->vdev.gm, .req = req};
    int rc;

    if (len % BLKDEV_SECTOR)
        return "length not whole sectors";
    if (!range_ok(blk, sector, len, &off))
        return "outside the disk";
    if (len == 0) {
        answer(blk, l->c->head, l->status, VIRTIO_BLK_S_OK, 1);
        return NULL;
    }
    req->op = read ? BLKDEV_OP_READ : BLKDEV_OP_WRITE;
    req->flags = !read && blk->writethrough ? BLKDEV_F_FUA : 0;
    req->offset = off;
    req->len = len;
    req->niov = 0;
    rc = stream_walk(l->c, read, read ? 0 : VIRTIO_BLK_HDR_LEN, len,
                     map_piece, &m);
    if (rc == -E2BIG)
        return "too many segments";
    if (rc < 0)
        return "buffer not in one RAM span";
    if (read) {
        blk->stats.reads++;
        blk->stats.read_bytes += len;
    } else {
        blk->stats.writes++;
        blk->stats.write_bytes += len;
    }
    submit(blk, l, read, read ? (uint32_t)l->in : 1);
    return NULL;
}

static const char *do_flush(struct virtio_blk *blk,
                            const struct blk_layout *l)
{
    struct blkdev_req *req = &blk->slot[l->c->head].req;

    blk->stats.flushes++;
    if (blk->read_only) { /* nothing was ever written */
        answer(blk, l->c->head, l->status, VIRTIO_BLK_S_OK, 1);
        return NULL;
    }
    req->op = BLKDEV_OP_FLUSH;
    req->flags = 0;
    req->offset = req->len = 0;
    req->niov = 0;
    submit(blk, l, false, 1);
    return NULL;
}

static const char *do_get_id(struct virtio_blk *blk,
                             const struct blk_layout *l)
{
    uint8_t id[VIRTIO_BLK_ID_BYTES];
    struct copy_arg a = {.gm = blk->vdev.gm, .buf = id, .to_guest = true};

    if (l->in - 1 != VIRTIO_BLK_ID_BYTES)
        return "GET_ID buffer not 20 bytes";
    memcpy(id, blk->serial, sizeof(id));
    if (stream_walk(l->c, true, 0, sizeof(id), copy_piece, &a) < 0)
        return "GET_ID buffer not RAM";
    blk->stats.get_ids++;
    answer(blk, l->c->head, l->status, VIRTIO_BLK_S_OK,
           VIRTIO_BLK_ID_BYTES + 1);
    return NULL;
}

/* DISCARD or WRITE_ZEROES with exactly one segment (max_*_seg is 1). */
static const char *do_dwz(struct virtio_blk *blk, const struct blk_layout *l,
                          bool zeroes, uint8_t *st)
{
    struct blkdev_req *req = &blk->slot[l->c->head].req;
    uint8_t seg[VIRTIO_BLK_DWZ_LEN];
    struct copy_arg a = {.gm = blk->vdev.gm, .buf = seg, .to_guest = false};
    uint32_t num, flags;
    uint64_t off;

    if (l->out - VIRTIO_BLK_HDR_LEN != VIRTIO_BLK_DWZ_LEN)
        return "not one range segment";
    if (stream_walk(l->c, false, VIRTIO_BLK_HDR_LEN, sizeof(seg), copy_piece,
                    &a) < 0)
        return "range segment not RAM";
    num = le32_get(seg, 8);
    flags = le32_get(seg, 12);
    /* 5.2.6.2: unknown flags, and UNMAP on a discard, are UNSUPP. */
    if (flags & ~VIRTIO_BLK_DWZ_F_UNMAP || (!zeroes && flags)) {
        *st = VIRTIO_BLK_S_UNSUPP;
        return "range flags";
    }
    if (num > VIRTIO_BLK_MAX_DWZ_SECTORS)
        return "range too long";
    if (!range_ok(blk, le64_get(seg, 0), (uint64_t)num * BLKDEV_SECTOR, &off))
        return "range outside the disk";
    if (zeroes)
        blk->stats.write_zeroes++;
    else
        blk->stats.discards++;
    if (num == 0) {
        answer(blk, l->c->head, l->status, VIRTIO_BLK_S_OK, 1);
        return NULL;
    }
    req->op = zeroes ? BLKDEV_OP_WRITE_ZEROES : BLKDEV_OP_DISCARD;
    req->flags = 0;
    if (zeroes && (flags & VIRTIO_BLK_DWZ_F_UNMAP))
        req->flags |= BLKDEV_F_UNMAP;
    if (zeroes && blk->writethrough)
        req->flags |= BLKDEV_F_FUA;
    req->offset = off;
    req->len = (uint64_t)num * BLKDEV_SECTOR;
    req->niov = 0;
    submit(blk, l, false, 1);
    return NULL;
}

static bool is_write(uint32_t type)
{
    return type == VIRTIO_BLK_T_OUT || type == VIRTIO_BLK_T_DISCARD ||
           type == VIRTIO_BLK_T_WRITE_ZEROES;
}

/* The request in (l) after its header (hdr) was copied. */
static const char *dispatch(struct virtio_blk *blk, const struct blk_layout *l,
                            const uint8_t *hdr, uint8_t *st)
{
    uint32_t type = le32_get(hdr, 0);

    if (blk->read_only && is_write(type))
        return "write to a read-only disk";
    switch (type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        return do_rw(blk, l, le64_get(hdr, 8), type == VIRTIO_BLK_T_IN);
    case VIRTIO_BLK_T_FLUSH:
        return do_flush(blk, l);
    case VIRTIO_BLK_T_GET_ID:
        return do_get_id(blk, l);
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        return do_dwz(blk, l, type == VIRTIO_BLK_T_WRITE_ZEROES, st);
    default:
        *st = VIRTIO_BLK_S_UNSUPP;
        return "unknown type";
    }
}

/* One popped chain: answer it now or hand it to the backend. */
static void handle(struct virtio_blk *blk, const struct virtq_chain *c)
{
    uint8_t hdr[VIRTIO_BLK_HDR_LEN], st = VIRTIO_BLK_S_IOERR;
    struct copy_arg a = {.gm = blk->vdev.gm, .buf = hdr, .to_guest = false};
    struct blk_layout l;
    const char *why;

    if (layout(&l, c) < 0) {
        log_guest(&blk->rl, "guest: virtio-blk: request %u has no status byte",
                  c->head);
        virtio_needs_reset(&blk->vdev);
        return;
    }
    /* GUEST: the header is copied once; only the copy is used. */
    if (l.out < VIRTIO_BLK_HDR_LEN ||
        stream_walk(c, false, 0, sizeof(hdr), copy_piece, &a) < 0)
        why = "short header";
    else
        why = dispatch(blk, &l, hdr, &st);
    if (why)
        refuse(blk, &l, st, why);
}

/* ---- virtio_dev_ops ---- */

static void blk_notify(void *ctx, unsigned q)
{
    struct virtio_blk *blk = ctx;
    struct virtq *vq = &blk->vdev.vq[0];
    unsigned done = 0;

    if (q != 0 || !virtio_running(&blk->vdev) || !vq->enabled)
        return;
    /* Every pop takes a head that is not in flight, so this ends after at
     * most queue-size requests unless the guest keeps refilling. */
    while (virtio_running(&blk->vdev)) {
        int rc = virtq_pop(vq, &blk->chain);

        if (rc == 0)
            break;
        if (rc < 0) {
            virtio_needs_reset(&blk->vdev);
            break;
        }
        if (blk->chain.head >= VIRTIO_BLK_QUEUE_SIZE ||
            blk->slot[blk->chain.head].busy) {
            log_guest(&blk->rl, "guest: virtio-blk: head %u reused in flight",
                      blk->chain.head);
            virtio_needs_reset(&blk->vdev);
            break;
        }
        handle(blk, &blk->chain);
        done++;
    }
    if (done)
        virtio_queue_done(&blk->vdev, 0);
}

static void blk_config_read(void *ctx, uint32_t off, void *data, unsigned len)
{
    struct virtio_blk *blk = ctx;

    memset(data, 0, len);
    if (off < VIRTIO_BLK_CONFIG_LEN && len <= VIRTIO_BLK_CONFIG_LEN - off)
        memcpy(data, blk->config + off, len);
}

/* Nothing is writable: writeback needs CONFIG_WCE, which is not offered. */
static void blk_config_write(void *ctx, uint32_t off, const void *data,
                             unsigned len)
{
    (void)ctx;
    (void)off;
    (void)data;
    (void)len;
}

static void blk_activate(void *ctx)
{
    struct virtio_blk *blk = ctx;

    blk->writethrough = !virtio_has(&blk->vdev, VIRTIO_BLK_F_FLUSH);
}

/* Wait for the backend to finish everything in flight, then forget it:
 * completions that still arrive carry the old epoch and are dropped. */
static void blk_reset(void *ctx)
{
    struct virtio_blk *blk = ctx;

    if (blk->inflight)
        blk->be->drain(blk->be_ctx);
    for (unsigned i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++)
        blk->slot[i].busy = false;
    blk->inflight = 0;
    blk->epoch++;
    blk->writethrough = false;
}

static const struct virtio_dev_ops blk_virtio_ops = {
    .config_read = blk_config_read,
    .config_write = blk_config_write,
    .activate = blk_activate,
    .reset = blk_reset,
    .notify = blk_notify,
};

/* ---- public ---- */

void virtio_blk_complete(struct virtio_blk *blk, uint64_t cookie, int result)
{
    uint64_t idx = cookie & COOKIE_SLOT_MASK;
    struct virtio_blk_slot *s;
    uint8_t status = VIRTIO_BLK_S_OK;

    if (cookie >> COOKIE_SLOT_BITS != (blk->epoch & EPOCH_MASK) ||
        idx >= VIRTIO_BLK_QUEUE_SIZE || !blk->slot[idx].busy) {
        blk->stats.stale++;
        return;
    }
    s = &blk->slot[idx];
    s->busy = false;
    blk->inflight--;
    if (result < 0) {
        status = result == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP
                                       : VIRTIO_BLK_S_IOERR;
        blk->stats.io_errors++;
        if (ratelimit_ok(&blk->io_rl))
            log_warn("virtio-blk: host I/O error %d at offset %llu", result,
                     (unsigned long long)s->req.offset);
        /* The backend may have filled part of the buffers: make every data
         * byte defined so used.len stays exact. */
        for (unsigned i = 0; s->read && i < s->req.niov; i++)
            memset(s->req.iov[i].base, 0, s->req.iov[i].len);
    }
    answer(blk, (uint16_t)idx, s->status, status, s->used_len);
    virtio_queue_done(&blk->vdev, 0);
}

unsigned virtio_blk_inflight(const struct virtio_blk *blk)
{
    return blk->inflight;
}

static void fill_config(struct virtio_blk *blk)
{
    uint8_t *c = blk->config;

    memset(c, 0, sizeof(blk->config));
    le64_put(c, VIRTIO_BLK_CFG_CAPACITY, blk->capacity);
    le32_put(c, VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_SEG_MAX);
    if (blk->read_only)
        return;
    le32_put(c, VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS, VIRTIO_BLK_MAX_DWZ_SECTORS);
    le32_put(c, VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
    le32_put(c, VIRTIO_BLK_CFG_DISCARD_ALIGN, VIRTIO_BLK_DISCARD_ALIGN);
    le32_put(c, VIRTIO_BLK_CFG_MAX_WZ_SECTORS, VIRTIO_BLK_MAX_DWZ_SECTORS);
    le32_put(c, VIRTIO_BLK_CFG_MAX_WZ_SEG, 1);
    c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

int virtio_blk_init(struct virtio_blk *blk, struct gmem *gm,
                    const struct blkdev_ops *be, void *be_ctx,
                    const char *serial)
{
    const uint16_t qmax[1] = {VIRTIO_BLK_QUEUE_SIZE};
    size_t slen = serial ? strnlen(serial, VIRTIO_BLK_ID_BYTES + 1) : 0;
    struct blkdev_info info = {0};
    uint64_t features;

    if (slen > VIRTIO_BLK_ID_BYTES)
        return -EINVAL;
    memset(blk, 0, sizeof(*blk));
    be->info(be_ctx, &info);
    blk->be = be;
    blk->be_ctx = be_ctx;
    blk->capacity = info.size / BLKDEV_SECTOR;
    blk->read_only = info.read_only;
    if (slen)
        memcpy(blk->serial, serial, slen);
    blk->rl = (struct ratelimit)RATELIMIT_INIT;
    blk->io_rl = (struct ratelimit)RATELIMIT_INIT;
    fill_config(blk);
    features = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_FLUSH |
               1ULL << VIRTIO_F_INDIRECT_DESC | 1ULL << VIRTIO_F_EVENT_IDX;
    features |= blk->read_only ? 1ULL << VIRTIO_BLK_F_RO
                               : 1ULL << VIRTIO_BLK_F_DISCARD |
                                     1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    virtio_init(&blk->vdev, VIRTIO_ID_BLOCK, features, 1, qmax,
                VIRTIO_BLK_CONFIG_LEN, gm, &blk_virtio_ops, blk);
    return 0;
}
