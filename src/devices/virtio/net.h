/* virtio-net (virtio 1.2, 5.1): one receiveq/transmitq pair and a control
 * queue, in front of a network backend (core/netdev.h).
 *
 * Queues: 0 receiveq, 1 transmitq, 2 controlq.
 *
 * Offered: VERSION_1, MAC, STATUS (link state), MRG_RXBUF, CTRL_VQ,
 * CTRL_RX, CTRL_RX_EXTRA, CTRL_VLAN, CTRL_MAC_ADDR, GUEST_ANNOUNCE, CSUM
 * (the device completes partial checksums itself when the backend takes no
 * headers, or takes them without CSUM), INDIRECT_DESC, EVENT_IDX, and
 * whatever offloads the backend lists (GUEST_CSUM, TSO, ...; with
 * CTRL_GUEST_OFFLOADS when it lists any GUEST_* bit). HOST_* (GSO from the
 * guest) only with the backend's CSUM, GUEST_TSO/UFO/ECN only with its
 * GUEST_CSUM, as the feature dependencies of 5.1.3.1 need, and GUEST_*
 * only when ops->set_offloads exists to tell the backend which it may use.
 *
 * TX: each transmitq chain is a 12-byte header and a frame; the frame goes
 * to the backend straight from guest memory (an iovec of gmem spans) when
 * the backend takes headers, else after checksum completion. A chain that
 * is too short, too long (> NETDEV_MAX_FRAME), writable, or asks for an
 * offload that was not negotiated is answered (used.len 0) and counted as
 * a TX error, never sent. At most VIRTIO_NET_TX_BUDGET chains per run;
 * virtio_net_tx_pending() then asks the VMM to run again.
 *
 * RX: virtio_net_receive() copies one frame into the guest's receive
 * buffers (several with MRG_RXBUF, num_buffers set), applying the
 * receive filter the driver set over the control queue (promiscuous,
 * all-multicast, unicast/multicast MAC tables, VLAN table). No buffers:
 * -ENOBUFS, nothing queued inside the device (bounded memory: the backend
 * holds or drops), and ops->rx_ready when the driver posts more.
 * A frame that needs several buffers takes them all or none: buffers
 * popped before the ring ran dry are given back (virtq_unpop). Dropped
 * and counted in rx_errors (-EINVAL): a frame shorter than an Ethernet
 * header or longer than NETDEV_MAX_FRAME, a backend header asking for an
 * offload the driver does not take, a frame bigger than one buffer
 * without MRG_RXBUF (the buffer stays for the next frame) or than the
 * whole ring with it, and a frame that meets a buffer too small for the
 * header (5.1.6.3.1): the buffers it took go back with used.len 0.
 *
 * TX after -EAGAIN: the frame stays in flight and nothing else is sent,
 * kicks included, until virtio_net_tx_ready(); it then goes first.
 *
 * Control queue (5.1.6.5): RX modes, MAC tables, MAC address, VLAN table,
 * ANNOUNCE_ACK, GUEST_OFFLOADS_SET; MQ and anything else is answered ERR.
 * The receive filter starts promiscuous after every reset (net_filter.h).
 *
 * Link: the link bit survives a device reset (it is the host's cable);
 * going down drops TX frames (counted in tx_dropped) and refuses RX; going
 * up asks the driver to announce itself if it took GUEST_ANNOUNCE. A reset
 * also keeps what the backend was told (waiting for tx_ready, rx_ready
 * owed) and forgets the held TX frame, the filter, ADDR_SET's MAC.
 *
 * No syscalls, no allocation; every entry point runs under the VM's
 * device lock. */
#ifndef VESSEL_DEVICES_VIRTIO_NET_H
#define VESSEL_DEVICES_VIRTIO_NET_H

#include "core/netdev.h"
#include "devices/virtio/net_filter.h"
#include "devices/virtio/virtio.h"

/* Feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN 9
#define VIRTIO_NET_F_GUEST_UFO 10
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_HOST_TSO6 12
#define VIRTIO_NET_F_HOST_ECN 13
#define VIRTIO_NET_F_HOST_UFO 14
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_CTRL_RX 18
#define VIRTIO_NET_F_CTRL_VLAN 19
#define VIRTIO_NET_F_CTRL_RX_EXTRA 20
#define VIRTIO_NET_F_GUEST_ANNOUNCE 21
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_CTRL_MAC_ADDR 23

/* struct virtio_net_hdr (5.1.6): u8 flags, u8 gso_type, le16 hdr_len,
 * le16 gso_size, le16 csum_start, le16 csum_offset, le16 num_buffers */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_UDP 3
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80
#define VIRTIO_NET_HDR_LEN NETDEV_VNET_HDR_LEN
#define VIRTIO_NET_HDR_FLAGS 0              /* byte offsets in the header */
#define VIRTIO_NET_HDR_GSO_TYPE 1
#define VIRTIO_NET_HDR_HDR_LEN 2
#define VIRTIO_NET_HDR_GSO_SIZE 4
#define VIRTIO_NET_HDR_CSUM_START 6
#define VIRTIO_NET_HDR_CSUM_OFFSET 8
#define VIRTIO_NET_HDR_NUM_BUFFERS 10

/* Control queue (5.1.6.5): u8 class, u8 command, data, u8 ack */
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1
#define VIRTIO_NET_CTRL_RX 0
#define VIRTIO_NET_CTRL_RX_PROMISC 0
#define VIRTIO_NET_CTRL_RX_ALLMULTI 1
#define VIRTIO_NET_CTRL_RX_ALLUNI 2
#define VIRTIO_NET_CTRL_RX_NOMULTI 3
#define VIRTIO_NET_CTRL_RX_NOUNI 4
#define VIRTIO_NET_CTRL_RX_NOBCAST 5
#define VIRTIO_NET_CTRL_MAC 1
#define VIRTIO_NET_CTRL_MAC_TABLE_SET 0
#define VIRTIO_NET_CTRL_MAC_ADDR_SET 1
#define VIRTIO_NET_CTRL_VLAN 2
#define VIRTIO_NET_CTRL_VLAN_ADD 0
#define VIRTIO_NET_CTRL_VLAN_DEL 1
#define VIRTIO_NET_CTRL_ANNOUNCE 3
#define VIRTIO_NET_CTRL_ANNOUNCE_ACK 0
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS 5
#define VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET 0

/* Config layout (5.1.4): mac[6], le16 status, le16 max_virtqueue_pairs,
 * le16 mtu */
#define VIRTIO_NET_CFG_MAC 0
#define VIRTIO_NET_CFG_STATUS 6
#define VIRTIO_NET_CFG_MAX_VQ_PAIRS 8
#define VIRTIO_NET_CFG_MTU 10
#define VIRTIO_NET_CFG_LEN 12
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_S_ANNOUNCE 2

#define VIRTIO_NET_RXQ 0
#define VIRTIO_NET_TXQ 1
#define VIRTIO_NET_CTRLQ 2
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_CTRL_QUEUE_SIZE 64
#define VIRTIO_NET_TX_BUDGET 128           /* chains per TX run */

struct virtio_net_stats {
    uint64_t rx_frames, rx_bytes;      /* delivered to the guest */
    uint64_t rx_nobuf;                 /* refused: no receive buffers */
    uint64_t rx_filtered;              /* dropped by the receive filter */
    uint64_t rx_errors;                /* too big for the buffers, bad */
    uint64_t tx_frames, tx_bytes;      /* accepted by the backend */
    uint64_t tx_dropped;               /* the backend refused (not EAGAIN),
                                          or the link was down */
    uint64_t tx_errors;                /* malformed chains from the guest */
    uint64_t tx_eagain;                /* times the backend said "later" */
    uint64_t ctrl_cmds, ctrl_errors;
};

/* The transmit side: the chain being sent, kept whole while the backend
 * says -EAGAIN (its iovec points into guest memory and at hdr/csum). */
struct virtio_net_tx {
    bool held;                         /* chain popped, backend said later */
    bool blocked;                      /* wait for virtio_net_tx_ready() */
    bool more;                         /* last run stopped on its budget */
    uint8_t hdr[VIRTIO_NET_HDR_LEN];   /* the guest's header, copied once */
    uint8_t csum[2];                   /* a completed checksum, big-endian */
    unsigned niov;
    struct iovec iov[VIRTQ_MAX_SEGS + 3]; /* header, frame pieces, csum */
    struct virtq_chain chain;
};

/* The receive side: the chains one frame is filling, so they can all be
 * pushed together, or all given back when the ring runs dry. */
struct virtio_net_rx {
    bool wanted;                       /* -ENOBUFS given: rx_ready is owed */
    uint16_t head[VIRTIO_NET_QUEUE_SIZE];
    uint32_t len[VIRTIO_NET_QUEUE_SIZE];
    struct virtq_chain chain;
};

struct virtio_net {
    struct virtio_dev vdev;            /* hand &vdev to the transport */
    /* Guest-visible state (a snapshot copies these). */
    uint8_t mac[6];                    /* in use: ADDR_SET changes it */
    uint16_t status;                   /* config status: LINK_UP, ANNOUNCE */
    uint64_t guest_offloads;           /* VIRTIO_NET_F_GUEST_* in force */
    struct net_filter filter;
    /* Wiring and host-side state. */
    uint8_t init_mac[6];               /* a reset returns to it */
    const struct netdev_ops *ops;
    void *ctx;
    struct netdev_caps caps;
    bool sw_csum;                      /* the device completes checksums */
    struct virtio_net_tx tx;
    struct virtio_net_rx rx;
    struct virtq_chain ctrl_chain;
    struct virtio_net_stats stats;
    struct ratelimit rl;               /* guest errors */
    struct ratelimit io_rl;            /* backend errors */
};

/* Set (n) up in the reset state: MAC (mac), frames to (ops, ctx), whose
 * capabilities are (caps) (NULL: no headers, no offloads). The link starts
 * up. Everything is borrowed for (n)'s lifetime. (n) is about 20 KiB:
 * allocate it. Returns 0 or -EINVAL (a multicast (mac), or no ops->send).
 * Then hand &n->vdev to a transport (virtio_pci_init). */
int virtio_net_init(struct virtio_net *n, struct gmem *gm, const uint8_t mac[6],
                    const struct netdev_ops *ops, void *ctx,
                    const struct netdev_caps *caps) MUST_CHECK;

/* A frame for the guest: (iov, cnt), with a 12-byte header first when
 * the backend has caps.vnet_hdr. Returns 0 when delivered or filtered
 * out (counted), -ENOBUFS when the receiveq has too few buffers (nothing
 * was consumed; ops->rx_ready follows when the driver adds some), -EIO
 * when the device is not running or the link is down, -EINVAL for a
 * frame the device cannot deliver (counted in rx_errors). */
int virtio_net_receive(struct virtio_net *n, const struct iovec *iov,
                       unsigned cnt);

/* The backend can take frames again after an -EAGAIN: resume TX. */
void virtio_net_tx_ready(struct virtio_net *n);

/* Serve the transmitq (the kick handler; also after tx_pending). */
void virtio_net_tx(struct virtio_net *n);

/* The last TX run stopped on its budget with chains left. */
bool virtio_net_tx_pending(const struct virtio_net *n);

/* Link state as the guest sees it (STATUS): a change raises a config
 * interrupt. Frames are neither sent nor delivered while it is down. */
void virtio_net_set_link(struct virtio_net *n, bool up);

const struct virtio_net_stats *virtio_net_stats(const struct virtio_net *n);

/* The MAC the driver uses now (CTRL_MAC_ADDR_SET may change it). */
void virtio_net_mac(const struct virtio_net *n, uint8_t mac[6]);

#endif
