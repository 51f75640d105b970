/* virtio-rng (virtio 1.2, 5.4): one requestq whose device-writable
 * buffers the device fills with entropy.
 *
 * Bytes come from an injected source (host/ uses getrandom). Each request
 * gets at most VIRTIO_RNG_REQ_CAP bytes, so a 4 GiB writable chain costs
 * the same as a small one (RELIABILITY (a) 25), and used.len is exactly
 * what the source produced: a short read or an error gives a short or
 * empty answer, never bytes the source did not produce ((b) 14).
 *
 * A token bucket on an injected monotonic clock limits the rate (bytes per
 * second, with a burst). When it runs dry, requests stay in the ring and
 * virtio_rng_next_refill_ns() tells the VMM when to call
 * virtio_rng_process() again (a timer on its event loop).
 *
 * No syscalls, no allocation; every entry point runs under the VM's
 * device lock. */
#ifndef VESSEL_DEVICES_VIRTIO_RNG_H
#define VESSEL_DEVICES_VIRTIO_RNG_H

#include "core/clock.h"
#include "devices/virtio/virtio.h"

#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_REQ_CAP 4096              /* bytes per request, at most */
#define VIRTIO_RNG_MIN_GRANT 64              /* serve once this many tokens */
#define VIRTIO_RNG_DEFAULT_RATE (1024 * 1024) /* bytes per second */
#define VIRTIO_RNG_DEFAULT_BURST (64 * 1024)  /* bytes */
#define VIRTIO_RNG_MAX_RATE (1ULL << 30)      /* bytes/s, and burst cap */

/* The entropy source. fill() writes up to (len) bytes at (buf) and
 * returns how many it wrote (0 on failure); anything above (len) is taken
 * as (len). It must not block for long: it runs under the device lock. */
struct entropy_ops {
    size_t (*fill)(void *ctx, void *buf, size_t len);
};

struct virtio_rng_stats {
    uint64_t bytes;           /* given to the guest */
    uint64_t requests;        /* chains answered */
    uint64_t short_fills;     /* the source gave less than asked */
    uint64_t throttled;       /* runs that stopped on the bucket */
};

struct virtio_rng {
    struct virtio_dev vdev;
    const struct entropy_ops *src;
    void *src_ctx;
    const struct clock_ops *clk;
    void *clk_ctx;
    /* token bucket; rate 0: unlimited */
    uint64_t rate;            /* bytes per second */
    uint64_t burst;           /* bucket size, bytes */
    uint64_t tokens_nb;       /* tokens in nano-bytes (bytes * 1e9) */
    uint64_t last_ns;         /* clock at the last refill */
    uint64_t retry_ns;        /* 0, or when a stopped run should retry */
    struct virtio_rng_stats stats;
    struct virtq_chain chain;
    uint8_t bounce[VIRTIO_RNG_REQ_CAP];
    struct ratelimit rl;
};

/* Set (r) up in the reset state with guest memory (gm), entropy from
 * (src, src_ctx) (NULL: every request is answered with 0 bytes) and time
 * from (clk, clk_ctx)'s mono_ns (NULL: no limit). (rate) bytes per
 * second with a bucket of (burst) bytes; rate 0 means unlimited; both are
 * capped at VIRTIO_RNG_MAX_RATE and burst is raised to at least
 * VIRTIO_RNG_REQ_CAP. The bucket starts full. Everything is borrowed for
 * (r)'s lifetime. Then hand &r->vdev to a transport (virtio_pci_init). */
void virtio_rng_init(struct virtio_rng *r, struct gmem *gm,
                     const struct entropy_ops *src, void *src_ctx,
                     const struct clock_ops *clk, void *clk_ctx,
                     uint64_t rate, uint64_t burst);

/* Serve the requestq: at most one queue's worth of chains, and no more
 * bytes than the bucket holds. The kick handler runs this; so does the
 * VMM when the time from virtio_rng_next_refill_ns() has come. */
void virtio_rng_process(struct virtio_rng *r);

/* 0 when nothing waits; otherwise the mono_ns time at which the last run,
 * stopped for lack of tokens (or on its chain limit), can go on. */
uint64_t virtio_rng_next_refill_ns(const struct virtio_rng *r);

#endif
