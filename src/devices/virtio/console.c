/* virtio-console, one port (virtio 1.2, 5.3). See console.h. */
#include "devices/virtio/console.h"

#include <string.h>

#include "core/bytes.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* The queue refused what the driver put in a ring (RELIABILITY (a) 1-10):
 * nothing more is served until the driver resets the device. */
static void guest_error(struct virtio_console *c, const char *queue)
{
    log_guest(&c->rl, "guest: virtio-console: bad %s, needs reset", queue);
    virtio_needs_reset(&c->vdev);
}

/* ---- transmitq: guest output ---- */

/* Send up to (budget) bytes of the chain in progress to the sink, from
 * where the last run stopped. Readable segments come first in a chain;
 * writable ones (a driver mistake on this queue) are never touched, so
 * the chain completes with used.len 0 whatever it holds. Returns the
 * bytes consumed; clears tx.busy when the chain is done. */
static uint32_t tx_chain(struct virtio_console *c, uint32_t budget)
{
    struct virtio_console_tx *t = &c->tx;
    uint32_t used = 0;
    bool failed = false;

    while (t->seg < t->chain.nseg && !t->chain.seg[t->seg].write &&
           used < budget) {
        const struct virtq_seg *s = &t->chain.seg[t->seg];
        uint32_t n = min_u32(min_u32(s->len - t->off, budget - used),
                             VIRTIO_CONSOLE_BOUNCE);
        size_t took;

        /* GUEST: s->addr was validated as RAM when popped; a failure
         * means the memory map changed, and the rest is dropped. */
        if (gmem_read(c->vdev.gm, s->addr + t->off, c->bounce, n) < 0) {
            failed = true;
            break;
        }
        took = c->out->write(c->out_ctx, c->bounce, n);
        c->stats.tx_bytes += n;
        c->stats.tx_dropped += n - (took < n ? took : n);
        used += n;
        t->off += n;
        if (t->off == s->len) {
            t->seg++;
            t->off = 0;
        }
    }
    t->busy = !failed && t->seg < t->chain.nseg &&
              !t->chain.seg[t->seg].write;
    return used;
}

/* Take the next chain into tx. Returns 1, 0 when the ring is empty, or -1
 * after a guest error (the device then needs a reset). */
static int tx_take(struct virtio_console *c, struct virtq *q)
{
    int rc = virtq_pop(q, &c->tx.chain);

    if (rc < 0) {
        guest_error(c, "transmitq");
        return -1;
    }
    if (rc == 0)
        return 0;
    c->tx.busy = true;
    c->tx.seg = 0;
    c->tx.off = 0;
    c->stats.tx_chains++;
    return 1;
}

void virtio_console_tx(struct virtio_console *c)
{
    struct virtq *q = &c->vdev.vq[VIRTIO_CONSOLE_TXQ];
    uint32_t budget = VIRTIO_CONSOLE_TX_BUDGET;
    unsigned chains = 0;
    bool pushed = false;

    c->tx_more = false;
    if (!virtio_running(&c->vdev) || !q->enabled)
        return;
    while (budget > 0) {
        if (!c->tx.busy) {
            /* One ring's worth per run, however fast the guest refills. */
            if (chains++ == q->ring.size) {
                c->tx_more = true;
                break;
            }
            if (tx_take(c, q) <= 0)
                break;
        }
        budget -= tx_chain(c, budget);
        if (c->tx.busy)
            break;
        /* The driver reads nothing back from a TX buffer: used.len 0. */
        if (virtq_push(q, c->tx.chain.head, 0) < 0) {
            guest_error(c, "transmitq");
            break;
        }
        pushed = true;
    }
    if (budget == 0)
        c->tx_more = true;
    if (pushed)
        virtio_queue_done(&c->vdev, VIRTIO_CONSOLE_TXQ);
}

bool virtio_console_tx_pending(const struct virtio_console *c)
{
    return c->tx_more && virtio_running(&c->vdev);
}

/* ---- receiveq: host input ---- */

/* Scatter up to (len) bytes of (src) over the writable segments of (ch).
 * Returns the bytes written, which is what used.len reports. */
static uint32_t rx_fill(struct virtio_console *c, const struct virtq_chain *ch,
                        const uint8_t *src, size_t len)
{
    uint32_t done = 0;

    for (unsigned i = 0; i < ch->nseg && done < len; i++) {
        const struct virtq_seg *s = &ch->seg[i];
        size_t left = len - done;
        uint32_t n = s->len < left ? s->len : (uint32_t)left;

        if (!s->write)
            continue;
        if (gmem_write(c->vdev.gm, s->addr, src + done, n) < 0)
            break;
        done += n;
    }
    return done;
}

size_t virtio_console_push_input(struct virtio_console *c, const uint8_t *buf,
                                 size_t len)
{
    struct virtq *q = &c->vdev.vq[VIRTIO_CONSOLE_RXQ];
    struct virtq_chain *ch = &c->rx_chain;
    size_t done = 0;
    unsigned chains = 0;
    bool pushed = false;

    if (!virtio_running(&c->vdev) || !q->enabled)
        return 0;
    while (done < len && chains++ < q->ring.size) {
        int rc = virtq_pop(q, ch);
        uint32_t n;

        if (rc < 0)
            guest_error(c, "receiveq");
        if (rc <= 0)
            break;
        n = rx_fill(c, ch, buf + done, len - done);
        if (virtq_push(q, ch->head, n) < 0) {
            guest_error(c, "receiveq");
            break;
        }
        pushed = true;
        done += n;
        c->stats.rx_bytes += n;
        c->stats.rx_chains++;
    }
    if (pushed)
        virtio_queue_done(&c->vdev, VIRTIO_CONSOLE_RXQ);
    return done;
}

void virtio_console_set_rx_ready(struct virtio_console *c,
                                 void (*fn)(void *ctx), void *ctx)
{
    c->rx_ready = fn;
    c->rx_ctx = ctx;
}

static void rx_ready(struct virtio_console *c)
{
    if (c->rx_ready)
        c->rx_ready(c->rx_ctx);
}

/* ---- virtio_dev_ops ---- */

/* cols and rows read 0 (no F_SIZE); one port; emerg_wr reads 0. */
static void con_config_read(void *ctx, uint32_t off, void *data,
                            unsigned len)
{
    uint8_t img[VIRTIO_CONSOLE_CFG_LEN] = {0};

    (void)ctx;
    le32_put(img, VIRTIO_CONSOLE_CFG_MAX_NR_PORTS, 1);
    if (off < sizeof(img) && len <= sizeof(img) - off)
        memcpy(data, img + off, len);
}

/* Only emerg_wr is writable (5.3.4): its low byte goes to the sink. */
static void con_config_write(void *ctx, uint32_t off, const void *data,
                             unsigned len)
{
    struct virtio_console *c = ctx;

    if (off != VIRTIO_CONSOLE_CFG_EMERG_WR || len == 0 || len > 4)
        return;
    c->out->write(c->out_ctx, data, 1);
    c->stats.emerg_bytes++;
}

static void con_activate(void *ctx)
{
    struct virtio_console *c = ctx;

    /* Kicks before DRIVER_OK were dropped: look at both queues now. */
    virtio_console_tx(c);
    rx_ready(c);
}

static void con_reset(void *ctx)
{
    struct virtio_console *c = ctx;

    c->tx.busy = false;
    c->tx_more = false;
}

static void con_notify(void *ctx, unsigned q)
{
    struct virtio_console *c = ctx;

    if (q == VIRTIO_CONSOLE_TXQ)
        virtio_console_tx(c);
    else if (q == VIRTIO_CONSOLE_RXQ)
        rx_ready(c);
}

static const struct virtio_dev_ops con_ops = {
    .config_read = con_config_read,
    .config_write = con_config_write,
    .activate = con_activate,
    .reset = con_reset,
    .notify = con_notify,
};

void virtio_console_init(struct virtio_console *c, struct gmem *gm,
                         const struct chr_ops *out, void *out_ctx)
{
    static const uint16_t qmax[2] = {VIRTIO_CONSOLE_QUEUE_SIZE,
                                     VIRTIO_CONSOLE_QUEUE_SIZE};
    uint64_t features = 1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE |
                        1ULL << VIRTIO_F_INDIRECT_DESC |
                        1ULL << VIRTIO_F_EVENT_IDX;

    memset(c, 0, sizeof(*c));
    virtio_init(&c->vdev, VIRTIO_ID_CONSOLE, features, 2, qmax,
                VIRTIO_CONSOLE_CFG_LEN, gm, &con_ops, c);
    c->out = out ? out : &chr_null_ops;
    c->out_ctx = out_ctx;
    c->rl = (struct ratelimit)RATELIMIT_INIT;
}
