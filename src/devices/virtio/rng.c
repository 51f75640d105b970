/* virtio-rng (virtio 1.2, 5.4). See rng.h. */
#include "devices/virtio/rng.h"

#include <string.h>

#define NS_PER_SEC 1000000000ULL
#define RNG_REQUESTQ 0

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* ---- token bucket, in nano-bytes so no fraction is ever lost ---- */

static void bucket_refill(struct virtio_rng *r, uint64_t now)
{
    uint64_t cap = r->burst * NS_PER_SEC, room, dt;

    /* A monotonic clock that stepped back is taken as no time passing. */
    if (now <= r->last_ns) {
        r->last_ns = now;
        return;
    }
    dt = now - r->last_ns;
    r->last_ns = now;
    room = cap - r->tokens_nb;
    /* dt * rate would overflow for a long idle time: compare first. */
    if (dt > room / r->rate)
        r->tokens_nb = cap;
    else
        r->tokens_nb += dt * r->rate;
}

static uint64_t bucket_bytes(const struct virtio_rng *r)
{
    return r->rate ? r->tokens_nb / NS_PER_SEC : UINT64_MAX;
}

/* When the bucket will hold (bytes), at the earliest; never 0. */
static uint64_t bucket_time_for(const struct virtio_rng *r, uint64_t now,
                                uint64_t bytes)
{
    uint64_t need = bytes * NS_PER_SEC - r->tokens_nb;

    return now + (need + r->rate - 1) / r->rate + 1;
}

/* ---- requests ---- */

static void guest_error(struct virtio_rng *r)
{
    log_guest(&r->rl, "guest: virtio-rng: bad requestq, needs reset");
    virtio_needs_reset(&r->vdev);
}

/* Copy (len) bytes of the bounce buffer over the writable segments of
 * (ch), in order. Returns the bytes written. */
static uint32_t scatter(struct virtio_rng *r, const struct virtq_chain *ch,
                        uint32_t len)
{
    uint32_t done = 0;

    for (unsigned i = 0; i < ch->nseg && done < len; i++) {
        const struct virtq_seg *s = &ch->seg[i];
        uint32_t n = s->len < len - done ? s->len : len - done;

        if (!s->write)
            continue;
        /* GUEST: validated as RAM at pop; fails only if the map moved. */
        if (gmem_write(r->vdev.gm, s->addr, r->bounce + done, n) < 0)
            break;
        done += n;
    }
    return done;
}

/* Fill one request with at most VIRTIO_RNG_REQ_CAP and (avail) bytes
 * (RELIABILITY (a) 25). Only bytes the source produced are written, and
 * used.len counts exactly those ((b) 14). */
static uint32_t serve(struct virtio_rng *r, const struct virtq_chain *ch,
                      uint64_t avail)
{
    uint32_t want = (uint32_t)min_u64(min_u64(ch->in_bytes,
                                              VIRTIO_RNG_REQ_CAP), avail);
    size_t got;

    if (want == 0 || !r->src)
        return 0;
    got = r->src->fill(r->src_ctx, r->bounce, want);
    if (got < want)
        r->stats.short_fills++;
    return scatter(r, ch, got < want ? (uint32_t)got : want);
}

void virtio_rng_process(struct virtio_rng *r)
{
    struct virtq *q = &r->vdev.vq[RNG_REQUESTQ];
    unsigned chains = 0;
    bool pushed = false;
    uint64_t now;

    r->retry_ns = 0;
    if (!virtio_running(&r->vdev) || !q->enabled)
        return;
    now = r->clk ? r->clk->mono_ns(r->clk_ctx) : 0;
    if (r->rate)
        bucket_refill(r, now);
    for (;;) {
        uint64_t avail = bucket_bytes(r);
        uint32_t n;
        int rc;

        if (avail < VIRTIO_RNG_MIN_GRANT) {
            /* Requests stay queued until the bucket has refilled. */
            r->retry_ns = bucket_time_for(r, now, VIRTIO_RNG_MIN_GRANT);
            r->stats.throttled++;
            break;
        }
        if (chains++ == q->ring.size) {
            r->retry_ns = now ? now : 1;   /* a ring's worth per run */
            break;
        }
        rc = virtq_pop(q, &r->chain);
        if (rc < 0)
            guest_error(r);
        if (rc <= 0)
            break;
        n = serve(r, &r->chain, avail);
        if (virtq_push(q, r->chain.head, n) < 0) {
            guest_error(r);
            break;
        }
        pushed = true;
        r->stats.bytes += n;
        r->stats.requests++;
        if (r->rate)
            r->tokens_nb -= (uint64_t)n * NS_PER_SEC;
    }
    if (pushed)
        virtio_queue_done(&r->vdev, RNG_REQUESTQ);
}

uint64_t virtio_rng_next_refill_ns(const struct virtio_rng *r)
{
    return virtio_running(&r->vdev) ? r->retry_ns : 0;
}

/* ---- virtio_dev_ops ---- */

static void rng_activate(void *ctx)
{
    virtio_rng_process(ctx);
}

/* The bucket survives a reset: a reset loop must not refill it. */
static void rng_reset(void *ctx)
{
    struct virtio_rng *r = ctx;

    r->retry_ns = 0;
}

static void rng_notify(void *ctx, unsigned q)
{
    if (q == RNG_REQUESTQ)
        virtio_rng_process(ctx);
}

static const struct virtio_dev_ops rng_ops = {
    .activate = rng_activate,
    .reset = rng_reset,
    .notify = rng_notify,
};

void virtio_rng_init(struct virtio_rng *r, struct gmem *gm,
                     const struct entropy_ops *src, void *src_ctx,
                     const struct clock_ops *clk, void *clk_ctx,
                     uint64_t rate, uint64_t burst)
{
    static const uint16_t qmax[1] = {VIRTIO_RNG_QUEUE_SIZE};
    uint64_t features = 1ULL << VIRTIO_F_INDIRECT_DESC |
                        1ULL << VIRTIO_F_EVENT_IDX;

    memset(r, 0, sizeof(*r));
    virtio_init(&r->vdev, VIRTIO_ID_RNG, features, 1, qmax, 0, gm, &rng_ops,
                r);
    r->src = src;
    r->src_ctx = src_ctx;
    r->clk = clk;
    r->clk_ctx = clk_ctx;
    r->rate = clk ? min_u64(rate, VIRTIO_RNG_MAX_RATE) : 0;
    r->burst = min_u64(burst < VIRTIO_RNG_REQ_CAP ? VIRTIO_RNG_REQ_CAP : burst,
                       VIRTIO_RNG_MAX_RATE);
    r->tokens_nb = r->burst * NS_PER_SEC;
    r->last_ns = clk ? clk->mono_ns(clk_ctx) : 0;
    r->rl = (struct ratelimit)RATELIMIT_INIT;
}
