/* virtio-net (virtio 1.2, 5.1): features, config space, the virtio_dev_ops
 * callbacks and link state. Transmit is net_tx.c, receive net_rx.c, the
 * control queue net_ctrl.c; see net.h for the rules. */
#include "devices/virtio/net.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/net_int.h"

/* HOST_x is GUEST_x + 4 for TSO4, TSO6, ECN and UFO (net_gso_ok). */
#define HOST_SHIFT (VIRTIO_NET_F_HOST_TSO4 - VIRTIO_NET_F_GUEST_TSO4)
_Static_assert(VIRTIO_NET_F_HOST_TSO6 - VIRTIO_NET_F_GUEST_TSO6 == HOST_SHIFT &&
                   VIRTIO_NET_F_HOST_ECN - VIRTIO_NET_F_GUEST_ECN ==
                       HOST_SHIFT &&
                   VIRTIO_NET_F_HOST_UFO - VIRTIO_NET_F_GUEST_UFO == HOST_SHIFT,
               "host and guest GSO bits pair up");

#define HOST_GSO                                                               \
    (NET_BIT(VIRTIO_NET_F_HOST_TSO4) | NET_BIT(VIRTIO_NET_F_HOST_TSO6) |       \
     NET_BIT(VIRTIO_NET_F_HOST_ECN) | NET_BIT(VIRTIO_NET_F_HOST_UFO))
#define BACKEND_OFFLOADS                                                       \
    (NET_BIT(VIRTIO_NET_F_CSUM) | NET_GUEST_OFFLOADS | HOST_GSO)
#define BASE_FEATURES                                                          \
    (NET_BIT(VIRTIO_NET_F_CSUM) | NET_BIT(VIRTIO_NET_F_MAC) |                  \
     NET_BIT(VIRTIO_NET_F_STATUS) | NET_BIT(VIRTIO_NET_F_MRG_RXBUF) |          \
     NET_BIT(VIRTIO_NET_F_CTRL_VQ) | NET_BIT(VIRTIO_NET_F_CTRL_RX) |           \
     NET_BIT(VIRTIO_NET_F_CTRL_RX_EXTRA) | NET_BIT(VIRTIO_NET_F_CTRL_VLAN) |   \
     NET_BIT(VIRTIO_NET_F_GUEST_ANNOUNCE) |                                    \
     NET_BIT(VIRTIO_NET_F_CTRL_MAC_ADDR) | NET_BIT(VIRTIO_F_INDIRECT_DESC) |   \
     NET_BIT(VIRTIO_F_EVENT_IDX))

/* ---- shared with net_tx.c, net_rx.c, net_ctrl.c (net_int.h) ---- */

void net_guest_error(struct virtio_net *n, const char *what)
{
    log_guest(&n->rl, "guest: virtio-net: %s, needs reset", what);
    virtio_needs_reset(&n->vdev);
}

bool net_push(struct virtio_net *n, unsigned q, uint16_t head, uint32_t len)
{
    if (virtq_push(&n->vdev.vq[q], head, len) == 0)
        return true;
    net_guest_error(n, "used a head not in flight");
    return false;
}

bool net_gso_ok(const uint8_t *hdr, uint64_t features, bool host)
{
    unsigned shift = host ? HOST_SHIFT : 0, bit;
    uint8_t type = hdr[VIRTIO_NET_HDR_GSO_TYPE];

    if ((type & VIRTIO_NET_HDR_GSO_ECN) &&
        !(features & NET_BIT(VIRTIO_NET_F_GUEST_ECN + shift)))
        return false;
    switch (type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_NONE:
        return !(type & VIRTIO_NET_HDR_GSO_ECN);
    case VIRTIO_NET_HDR_GSO_TCPV4:
        bit = VIRTIO_NET_F_GUEST_TSO4;
        break;
    case VIRTIO_NET_HDR_GSO_TCPV6:
        bit = VIRTIO_NET_F_GUEST_TSO6;
        break;
    case VIRTIO_NET_HDR_GSO_UDP:
        bit = VIRTIO_NET_F_GUEST_UFO;
        break;
    default:
        return false;
    }
    return features & NET_BIT(bit + shift);
}

void net_set_offloads(struct virtio_net *n, uint64_t offloads)
{
    n->guest_offloads = offloads;
    if (n->ops->set_offloads)
        n->ops->set_offloads(n->ctx, offloads);
}

/* ---- virtio_dev_ops ---- */

static void rx_ready(struct virtio_net *n)
{
    if (!n->rx.wanted)
        return;
    /* Cleared first: the backend may deliver, and be refused, right away. */
    n->rx.wanted = false;
    if (n->ops->rx_ready)
        n->ops->rx_ready(n->ctx);
}

/* 5.1.4: mac, status, max_virtqueue_pairs (1: no MQ), mtu (0: no MTU). */
static void net_config_read(void *ctx, uint32_t off, void *data, unsigned len)
{
    const struct virtio_net *n = ctx;
    uint8_t img[VIRTIO_NET_CFG_LEN] = {0};

    memcpy(img + VIRTIO_NET_CFG_MAC, n->mac, sizeof(n->mac));
    le16_put(img, VIRTIO_NET_CFG_STATUS, n->status);
    le16_put(img, VIRTIO_NET_CFG_MAX_VQ_PAIRS, 1);
    if (off < sizeof(img) && len <= sizeof(img) - off)
        memcpy(data, img + off, len);
}

/* Read-only: a modern driver sets its MAC with CTRL_MAC_ADDR_SET (the
 * config write is legacy only, 5.1.4.3). */
static void net_config_write(void *ctx, uint32_t off, const void *data,
                             unsigned len)
{
    (void)ctx, (void)off, (void)data, (void)len;
}

static void net_activate(void *ctx)
{
    struct virtio_net *n = ctx;

    net_filter_reset(&n->filter, virtio_has(&n->vdev, VIRTIO_NET_F_CTRL_VLAN));
    net_set_offloads(n, n->vdev.guest_features & n->vdev.host_features &
                            NET_GUEST_OFFLOADS);
    /* Kicks before DRIVER_OK were dropped: look at every queue now. */
    virtio_net_tx(n);
    net_ctrl_serve(n);
    rx_ready(n);
}

/* Forget the held TX frame and the driver's settings. Kept: the link (the
 * host's cable), tx.blocked and rx.wanted (what the backend was told). */
static void net_reset(void *ctx)
{
    struct virtio_net *n = ctx;

    n->tx.held = false;
    n->tx.more = false;
    memcpy(n->mac, n->init_mac, sizeof(n->mac));
    n->status &= VIRTIO_NET_S_LINK_UP;
    n->guest_offloads = 0;
    net_filter_reset(&n->filter, false);
}

static void net_notify(void *ctx, unsigned q)
{
    struct virtio_net *n = ctx;

    if (q == VIRTIO_NET_RXQ)
        rx_ready(n);
    else if (q == VIRTIO_NET_TXQ)
        virtio_net_tx(n);
    else if (q == VIRTIO_NET_CTRLQ)
        net_ctrl_serve(n);
}

static const struct virtio_dev_ops net_virtio_ops = {
    .config_read = net_config_read,
    .config_write = net_config_write,
    .activate = net_activate,
    .reset = net_reset,
    .notify = net_notify,
};

/* ---- public ---- */

/* What to offer for a backend with (caps) and (ops). Offload bits follow
 * the dependencies of 5.1.3.1; GUEST_* need set_offloads, or the backend
 * could not learn which of them the driver took. */
static uint64_t features_for(const struct netdev_caps *caps,
                             const struct netdev_ops *ops)
{
    uint64_t o = caps->vnet_hdr ? caps->offloads & BACKEND_OFFLOADS : 0;

    if (!(o & NET_BIT(VIRTIO_NET_F_CSUM)))
        o &= ~HOST_GSO;
    if (!(o & NET_BIT(VIRTIO_NET_F_GUEST_CSUM)) || !ops->set_offloads)
        o &= ~NET_GUEST_OFFLOADS;
    if (o & NET_GUEST_OFFLOADS)
        o |= NET_BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
    return o | BASE_FEATURES;
}

int virtio_net_init(struct virtio_net *n, struct gmem *gm, const uint8_t mac[6],
                    const struct netdev_ops *ops, void *ctx,
                    const struct netdev_caps *caps)
{
    static const uint16_t qmax[3] = {VIRTIO_NET_QUEUE_SIZE,
                                     VIRTIO_NET_QUEUE_SIZE,
                                     VIRTIO_NET_CTRL_QUEUE_SIZE};
    const struct netdev_caps none = {.vnet_hdr = false};

    if (mac[0] & 1 || !ops || !ops->send)
        return -EINVAL;
    memset(n, 0, sizeof(*n));
    n->caps = caps ? *caps : none;
    virtio_init(&n->vdev, VIRTIO_ID_NET, features_for(&n->caps, ops), 3, qmax,
                VIRTIO_NET_CFG_LEN, gm, &net_virtio_ops, n);
    memcpy(n->init_mac, mac, sizeof(n->init_mac));
    memcpy(n->mac, mac, sizeof(n->mac));
    n->ops = ops;
    n->ctx = ctx;
    /* CSUM is always offered: a backend that cannot finish checksums
     * gets finished frames. */
    n->sw_csum = !(n->caps.vnet_hdr &&
                   n->caps.offloads & NET_BIT(VIRTIO_NET_F_CSUM));
    n->status = VIRTIO_NET_S_LINK_UP;
    net_filter_reset(&n->filter, false);
    n->rl = (struct ratelimit)RATELIMIT_INIT;
    n->io_rl = (struct ratelimit)RATELIMIT_INIT;
    return 0;
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
    uint16_t st = up ? n->status | VIRTIO_NET_S_LINK_UP
                     : n->status & (uint16_t)~VIRTIO_NET_S_LINK_UP;

    if (st == n->status)
        return;
    /* Back on the wire: ask the driver to announce itself (5.1.6.5.4),
     * so switches and peers learn where its MAC is now. */
    if (up && virtio_running(&n->vdev) &&
        virtio_has(&n->vdev, VIRTIO_NET_F_GUEST_ANNOUNCE))
        st |= VIRTIO_NET_S_ANNOUNCE;
    n->status = st;
    virtio_config_changed(&n->vdev);
}

const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n)
{
    return &n->stats;
}

void virtio_net_mac(const struct virtio_net *n, uint8_t mac[6])
{
    memcpy(mac, n->mac, sizeof(n->mac));
}
