/* virtio-net receive (virtio 1.2, 5.1.6.3-4); see net.h.
 *
 * A frame fills one receive chain, or with MRG_RXBUF as many as it needs,
 * num_buffers in the first one's header saying how many. It is copied
 * straight from the backend's iovec into the chains as they are popped,
 * and the chains are pushed together once the frame is whole. If the ring
 * runs dry first, every chain taken is given back (virtq_unpop) and the
 * frame stays the backend's: nothing lost, nothing half-delivered, no
 * buffer inside the device. The bytes already copied are harmless: the
 * buffers are still the device's, and the driver looks at a buffer only
 * once it is used. */
#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/net_chain.h"
#include "devices/virtio/net_int.h"

#define HDR_LEN VIRTIO_NET_HDR_LEN

/* One frame from the backend, and how far it has been copied. */
struct frame {
    const struct iovec *iov;
    unsigned cnt;
    unsigned i;                   /* copy cursor: iov[i], byte off */
    size_t off;
    size_t len;                   /* frame bytes, header not included */
    uint8_t hdr[HDR_LEN];         /* the header the guest gets */
};

/* Copy up to (len) bytes from byte (off) of the frame's iovec. */
static size_t iov_peek(const struct frame *f, size_t off, void *dst,
                       size_t len)
{
    uint8_t *out = dst;
    size_t done = 0;

    for (unsigned i = 0; i < f->cnt && done < len; i++) {
        size_t n = f->iov[i].iov_len;

        if (off >= n) {
            off -= n;
            continue;
        }
        n = n - off < len - done ? n - off : len - done;
        memcpy(out + done, (const uint8_t *)f->iov[i].iov_base + off, n);
        done += n;
        off = 0;
    }
    return done;
}

/* A header from the backend asks only for what the driver accepts now
 * (5.1.6.4.1); a backend told our offloads never sends anything else. */
static bool backend_hdr_ok(const struct virtio_net *n, uint8_t *h,
                           size_t len)
{
    uint32_t end = (uint32_t)le16_get(h, VIRTIO_NET_HDR_CSUM_START) +
                   le16_get(h, VIRTIO_NET_HDR_CSUM_OFFSET) + 2;

    if (!(n->guest_offloads & NET_BIT(VIRTIO_NET_F_GUEST_CSUM))) {
        if (h[VIRTIO_NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM)
            return false;
        h[VIRTIO_NET_HDR_FLAGS] = 0;   /* flags 0 without GUEST_CSUM */
    }
    if ((h[VIRTIO_NET_HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM) && end > len)
        return false;
    return net_gso_ok(h, n->guest_offloads, false);
}

/* Describe (iov, cnt) in (f). Returns 0, 1 if the filter drops it, or
 * -EINVAL for a frame that cannot be delivered. */
static int frame_init(const struct virtio_net *n, struct frame *f,
                      const struct iovec *iov, unsigned cnt)
{
    size_t skip = n->caps.vnet_hdr ? HDR_LEN : 0, total = 0;
    uint8_t eth[NET_ETH_VLAN_HLEN];

    for (unsigned i = 0; i < cnt; i++)
        if (__builtin_add_overflow(total, iov[i].iov_len, &total))
            return -EINVAL;
    if (total < skip + NET_ETH_HLEN || total - skip > NETDEV_MAX_FRAME)
        return -EINVAL;
    *f = (struct frame){.iov = iov, .cnt = cnt, .len = total - skip};
    if (skip) {
        iov_peek(f, 0, f->hdr, HDR_LEN);
        if (!backend_hdr_ok(n, f->hdr, f->len))
            return -EINVAL;
    }
    /* 5.1.6.4: the device sets num_buffers; whatever the backend put
     * there is overwritten (RELIABILITY (a) 22). */
    le16_put(f->hdr, VIRTIO_NET_HDR_NUM_BUFFERS, 1);
    if (!net_filter_accept(&n->filter, n->mac, eth,
                           iov_peek(f, skip, eth, sizeof(eth))))
        return 1;
    /* Start the copy cursor after the backend's header. */
    for (f->off = skip; f->i < cnt && f->off >= iov[f->i].iov_len; f->i++)
        f->off -= iov[f->i].iov_len;
    return 0;
}

/* Copy the rest of the frame into the stream at (p) until either ends.
 * Returns the bytes copied. */
static uint32_t copy_frame(struct virtio_net *n, struct frame *f,
                           struct net_chain_pos *p)
{
    uint32_t done = 0;

    for (; f->i < f->cnt; f->i++, f->off = 0) {
        const struct iovec *v = &f->iov[f->i];
        size_t want = v->iov_len - f->off;
        size_t got = net_chain_write(n->vdev.gm, p,
                                     (const uint8_t *)v->iov_base + f->off,
                                     want);

        f->off += got;
        done += (uint32_t)got;
        if (got < want)
            break;
    }
    return done;
}

/* Every byte of the frame has been copied. */
static bool frame_done(const struct frame *f)
{
    size_t off = f->off;

    for (unsigned i = f->i; i < f->cnt; i++, off = 0)
        if (off < f->iov[i].iov_len)
            return false;
    return true;
}

/* Where num_buffers of the first chain's header is: the header may be
 * split anywhere, so each of its two bytes has its own guest address. */
struct num_buffers {
    gpa_t at[2];
    bool ok;
};

/* Fill chain rx.chain, the (k)th of the frame, which has room for a
 * header; the first gets the header, and (nb) is located in it. Returns
 * used.len. */
static uint32_t fill(struct virtio_net *n, struct frame *f, unsigned k,
                     struct num_buffers *nb)
{
    struct net_chain_pos p;
    uint32_t len = 0;

    net_chain_pos_init(&p, &n->rx.chain, true);
    if (k == 0) {
        struct net_chain_pos at = p;

        len = (uint32_t)net_chain_write(n->vdev.gm, &p, f->hdr, HDR_LEN);
        nb->ok = net_chain_skip(&at, VIRTIO_NET_HDR_NUM_BUFFERS) == 0 &&
                 net_chain_next(&at, 1, &nb->at[0]) &&
                 net_chain_next(&at, 1, &nb->at[1]);
    }
    return len + copy_frame(n, f, &p);
}

/* Write (count) into num_buffers. False if the memory map changed. */
static bool set_num_buffers(struct virtio_net *n, const struct num_buffers *nb,
                            unsigned count)
{
    uint8_t b[2];

    le16_put(b, 0, (uint16_t)count);
    return nb->ok && gmem_write(n->vdev.gm, nb->at[0], &b[0], 1) == 0 &&
           gmem_write(n->vdev.gm, nb->at[1], &b[1], 1) == 0;
}

/* Give the (k) chains taken for this frame back, newest first. */
static void give_back(struct virtio_net *n, unsigned k)
{
    struct virtq *q = &n->vdev.vq[VIRTIO_NET_RXQ];

    while (k-- > 0)
        if (virtq_unpop(q, n->rx.head[k]) < 0)
            net_guest_error(n, "receiveq changed under the device");
}

/* Return the (k) chains with used.len from rx.len; interrupt. */
static int push_all(struct virtio_net *n, unsigned k)
{
    for (unsigned i = 0; i < k; i++)
        if (!net_push(n, VIRTIO_NET_RXQ, n->rx.head[i], n->rx.len[i]))
            return -EIO;
    virtio_queue_done(&n->vdev, VIRTIO_NET_RXQ);
    return 0;
}

/* A chain with no room for the header (5.1.6.3.1 asks for at least that)
 * ends the frame: every chain it took goes back with used.len 0, so the
 * driver can repost them (RELIABILITY (a) 22). */
static int bad_chain(struct virtio_net *n, unsigned k)
{
    log_guest(&n->rl, "guest: virtio-net: receive buffer %u shorter than "
              "the header", n->rx.chain.head);
    memset(n->rx.len, 0, k * sizeof(n->rx.len[0]));
    n->stats.rx_errors++;
    return push_all(n, k) < 0 ? -EIO : -EINVAL;
}

/* Pop the next chain for the frame into rx.chain as number (k): 1, 0 when
 * the ring is empty, -EIO after a guest error. */
static int take(struct virtio_net *n, unsigned k)
{
    int rc = virtq_pop(&n->vdev.vq[VIRTIO_NET_RXQ], &n->rx.chain);

    if (rc < 0) {
        net_guest_error(n, "bad receiveq");
        return -EIO;
    }
    if (rc > 0)
        n->rx.head[k] = n->rx.chain.head;
    return rc;
}

static int deliver(struct virtio_net *n, struct frame *f)
{
    struct virtq *q = &n->vdev.vq[VIRTIO_NET_RXQ];
    bool mrg = virtio_has(&n->vdev, VIRTIO_NET_F_MRG_RXBUF);
    unsigned max = mrg ? q->ring.size : 1, k = 0;
    struct num_buffers nb = {.ok = false};
    int rc;

    do {
        if (k == max) {            /* every buffer it may use is too few */
            give_back(n, k);
            n->stats.rx_errors++;
            return -EINVAL;
        }
        rc = take(n, k);
        if (rc <= 0) {
            give_back(n, k);
            n->stats.rx_nobuf += rc == 0;
            n->rx.wanted |= rc == 0;
            return rc == 0 ? -ENOBUFS : rc;
        }
        if (n->rx.chain.in_bytes < HDR_LEN)
            return bad_chain(n, k + 1);
        n->rx.len[k] = fill(n, f, k, &nb);
        k++;
    } while (!frame_done(f));
    if (k > 1 && !set_num_buffers(n, &nb, k))
        n->rx.len[0] = 0;          /* the memory map changed: say nothing */
    return push_all(n, k);
}

int virtio_net_receive(struct virtio_net *n, const struct iovec *iov,
                       unsigned cnt)
{
    struct frame f;
    int rc;

    if (!virtio_running(&n->vdev) || !n->vdev.vq[VIRTIO_NET_RXQ].enabled ||
        !(n->status & VIRTIO_NET_S_LINK_UP))
        return -EIO;
    rc = frame_init(n, &f, iov, cnt);
    if (rc < 0) {
        n->stats.rx_errors++;
        return rc;
    }
    if (rc == 1) {
        n->stats.rx_filtered++;
        return 0;
    }
    rc = deliver(n, &f);
    if (rc == 0) {
        n->stats.rx_frames++;
        n->stats.rx_bytes += f.len;
    }
    return rc;
}
