/* virtio-net transmit (virtio 1.2, 5.1.6.2); see net.h.
 *
 * Each transmitq chain is a 12-byte header and a frame, read-only for the
 * device. The header is copied once and checked (RELIABILITY (a) 21); the
 * frame goes to the backend as views of guest memory. When the device
 * completes a partial checksum itself, the two checksum bytes come from
 * tx.csum: the guest's buffer is never written. */
#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/net_chain.h"
#include "devices/virtio/net_csum.h"
#include "devices/virtio/net_int.h"

#define HDR_LEN VIRTIO_NET_HDR_LEN

/* Why the header (h) of a (flen)-byte frame is refused, or NULL. */
static const char *check_hdr(const struct virtio_net *n, const uint8_t *h,
                             uint32_t flen)
{
    bool partial = h[VIRTIO_NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM;
    uint32_t start = le16_get(h, VIRTIO_NET_HDR_CSUM_START);
    uint32_t off = le16_get(h, VIRTIO_NET_HDR_CSUM_OFFSET);

    /* 5.1.6.2.1: NEEDS_CSUM only with CSUM negotiated. */
    if (partial && !virtio_has(&n->vdev, VIRTIO_NET_F_CSUM))
        return "partial checksum without CSUM";
    /* The 16-bit field and the range it sums lie inside the frame
     * (CVE-2024-11614); no overflow: each offset is below 2^16. */
    if (partial && start + off + 2 > flen)
        return "checksum offsets outside the frame";
    if (h[VIRTIO_NET_HDR_GSO_TYPE] == VIRTIO_NET_HDR_GSO_NONE)
        return NULL;
    if (!net_gso_ok(h, n->vdev.guest_features & n->vdev.host_features, true))
        return "GSO not negotiated";
    /* 5.1.6.2.1: a GSO frame also asks for a partial checksum. */
    if (!partial || le16_get(h, VIRTIO_NET_HDR_GSO_SIZE) == 0)
        return "GSO without a checksum or a segment size";
    return NULL;
}

static int map(struct virtio_net *n, struct net_chain_pos *p, uint64_t len)
{
    return net_chain_map(n->vdev.gm, p, len, n->tx.iov,
                         ARRAY_SIZE(n->tx.iov), &n->tx.niov);
}

/* Map the (flen)-byte frame at (p) with its partial checksum completed:
 * summed over the guest's bytes, then the field's two bytes replaced by
 * tx.csum in the iovec. */
static int map_with_csum(struct virtio_net *n, struct net_chain_pos *p,
                         uint32_t flen)
{
    struct virtio_net_tx *t = &n->tx;
    struct net_chain_pos frame = *p;
    unsigned first = t->niov;
    uint32_t start = le16_get(t->hdr, VIRTIO_NET_HDR_CSUM_START);
    uint32_t at = start + le16_get(t->hdr, VIRTIO_NET_HDR_CSUM_OFFSET);
    uint16_t sum;

    if (map(n, p, flen) < 0)
        return -EFAULT;
    sum = net_csum_iov(t->iov + first, t->niov - first, start);
    t->csum[0] = (uint8_t)(sum >> 8);
    t->csum[1] = (uint8_t)sum;
    t->niov = first;
    *p = frame;
    if (map(n, p, at) < 0 || net_chain_skip(p, 2) < 0 ||
        t->niov == ARRAY_SIZE(t->iov))
        return -EFAULT;
    t->iov[t->niov++] = (struct iovec){.iov_base = t->csum, .iov_len = 2};
    if (map(n, p, flen - at - 2) < 0)
        return -EFAULT;
    /* A backend that takes headers gets a finished frame. */
    t->hdr[VIRTIO_NET_HDR_FLAGS] &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
    le16_put(t->hdr, VIRTIO_NET_HDR_CSUM_START, 0);
    le16_put(t->hdr, VIRTIO_NET_HDR_CSUM_OFFSET, 0);
    return 0;
}

/* Check the chain in tx.chain and build tx.iov. NULL, or why it is
 * refused. */
static const char *prepare(struct virtio_net *n)
{
    struct virtio_net_tx *t = &n->tx;
    const struct virtq_chain *c = &t->chain;
    struct net_chain_pos p;
    const char *why;
    uint32_t flen;

    if (c->in_bytes)
        return "writable buffer";
    if (c->out_bytes < HDR_LEN + NET_ETH_HLEN)
        return "no room for an Ethernet frame";
    flen = c->out_bytes - HDR_LEN;
    if (flen > NETDEV_MAX_FRAME)
        return "frame too long";
    net_chain_pos_init(&p, c, false);
    /* GUEST: the header is copied once; only the copy is checked, used
     * and handed to the backend. */
    if (net_chain_read(n->vdev.gm, &p, t->hdr, HDR_LEN) < 0)
        return "header not RAM";
    why = check_hdr(n, t->hdr, flen);
    if (why)
        return why;
    t->niov = 0;
    if (n->caps.vnet_hdr)
        t->iov[t->niov++] = (struct iovec){.iov_base = t->hdr,
                                           .iov_len = HDR_LEN};
    if (n->sw_csum && (t->hdr[VIRTIO_NET_HDR_FLAGS] &
                       VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return map_with_csum(n, &p, flen) < 0 ? "buffer not RAM" : NULL;
    return map(n, &p, flen) < 0 ? "buffer not RAM" : NULL;
}

/* Hand tx.iov to the backend. -EAGAIN keeps the chain (held); anything
 * else finishes it. */
static int transmit(struct virtio_net *n)
{
    struct virtio_net_tx *t = &n->tx;
    int rc;

    /* Link down: the frame goes nowhere, as on a NIC without carrier. */
    rc = n->status & VIRTIO_NET_S_LINK_UP
             ? n->ops->send(n->ctx, t->iov, t->niov)
             : -ENETDOWN;
    t->held = rc == -EAGAIN;
    if (t->held) {
        t->blocked = true;
        n->stats.tx_eagain++;
        return rc;
    }
    if (rc < 0) {
        n->stats.tx_dropped++;
        if (rc != -ENETDOWN && ratelimit_ok(&n->io_rl))
            log_warn("virtio-net: backend dropped a frame (%d)", rc);
        return 0;
    }
    n->stats.tx_frames++;
    n->stats.tx_bytes += t->chain.out_bytes - HDR_LEN;
    return 0;
}

/* Send the held chain, or take the next one and send it. Returns 1 when
 * it is finished (to be pushed), 0 when the ring is empty or broken,
 * -EAGAIN when held. */
static int serve_one(struct virtio_net *n, struct virtq *q)
{
    const char *why;
    int rc;

    if (!n->tx.held) {
        rc = virtq_pop(q, &n->tx.chain);
        if (rc < 0)
            net_guest_error(n, "bad transmitq");
        if (rc <= 0)
            return 0;
        why = prepare(n);
        if (why) {
            n->stats.tx_errors++;
            log_guest(&n->rl, "guest: virtio-net: TX chain %u dropped: %s",
                      n->tx.chain.head, why);
            return 1;
        }
    }
    return transmit(n) == -EAGAIN ? -EAGAIN : 1;
}

void virtio_net_tx(struct virtio_net *n)
{
    struct virtq *q = &n->vdev.vq[VIRTIO_NET_TXQ];
    bool pushed = false;

    n->tx.more = false;
    /* Blocked: the held frame goes first, when the backend says so. */
    if (!virtio_running(&n->vdev) || !q->enabled || n->tx.blocked)
        return;
    for (unsigned chains = 0; virtio_running(&n->vdev); chains++) {
        if (chains == VIRTIO_NET_TX_BUDGET) {
            n->tx.more = true;
            break;
        }
        if (serve_one(n, q) <= 0)
            break;
        /* The driver reads nothing back from a TX buffer: used.len 0. */
        if (!net_push(n, VIRTIO_NET_TXQ, n->tx.chain.head, 0))
            break;
        pushed = true;
    }
    if (pushed)
        virtio_queue_done(&n->vdev, VIRTIO_NET_TXQ);
}

void virtio_net_tx_ready(struct virtio_net *n)
{
    n->tx.blocked = false;
    virtio_net_tx(n);
}

bool virtio_net_tx_pending(const struct virtio_net *n)
{
    return n->tx.more && !n->tx.blocked && virtio_running(&n->vdev);
}
