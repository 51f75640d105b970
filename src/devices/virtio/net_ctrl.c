/* virtio-net control queue (virtio 1.2, 5.1.6.5); see net.h.
 *
 * A command is a chain: readable u8 class, u8 command, then its data; the
 * last writable byte is the ack, VIRTIO_NET_OK or VIRTIO_NET_ERR, and
 * used.len is 1. The data must be exactly as long as the command takes
 * (for MAC_TABLE_SET, as long as its two counts say); a command whose
 * feature was not negotiated, or that the device does not know, is ERR. A
 * chain with no writable byte cannot be answered at all: NEEDS_RESET, the
 * rule blk follows for its status byte. A refused command changes
 * nothing. */
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/net_chain.h"
#include "devices/virtio/net_int.h"

#define VAR_LEN 0xff                  /* data length read from the data */

/* A command being served: its data comes copied (fixed size) or from the
 * cursor (MAC_TABLE_SET). */
struct req {
    uint8_t cmd;
    uint8_t data[8];
    struct net_chain_pos pos;         /* at the data */
    uint64_t len;                     /* data bytes left at pos */
};

/* A handler returns NULL (OK) or why it refuses (ERR). */
struct cmd {
    uint8_t cls, cmd;
    uint8_t feature;                  /* must be negotiated */
    uint8_t len;                      /* data bytes, or VAR_LEN */
    const char *(*run)(struct virtio_net *n, struct req *r);
};

/* ---- handlers ---- */

/* 5.1.6.5.1: u8 on; 0 or 1. */
static const char *do_rx_mode(struct virtio_net *n, struct req *r)
{
    struct net_filter *f = &n->filter;
    bool *const flag[] = {
        [VIRTIO_NET_CTRL_RX_PROMISC] = &f->promisc,
        [VIRTIO_NET_CTRL_RX_ALLMULTI] = &f->allmulti,
        [VIRTIO_NET_CTRL_RX_ALLUNI] = &f->alluni,
        [VIRTIO_NET_CTRL_RX_NOMULTI] = &f->nomulti,
        [VIRTIO_NET_CTRL_RX_NOUNI] = &f->nouni,
        [VIRTIO_NET_CTRL_RX_NOBCAST] = &f->nobcast,
    };

    if (r->data[0] > 1)
        return "RX mode neither on nor off";
    *flag[r->cmd] = r->data[0];   /* the table admits only those commands */
    return NULL;
}

/* One table of MAC_TABLE_SET: le32 entries, then entries * 6 bytes. More
 * than fit is remembered as an overflow (net_filter.h). */
static const char *read_table(struct virtio_net *n, struct req *r,
                              uint8_t (*t)[NET_ETH_ALEN], uint8_t *count,
                              bool *overflow)
{
    uint8_t b[4];
    uint64_t bytes;
    uint32_t entries;

    if (r->len < sizeof(b) || net_chain_read(n->vdev.gm, &r->pos, b, 4) < 0)
        return "MAC table without a count";
    r->len -= sizeof(b);
    /* GUEST: any count; 6 * 2^32 fits in 64 bits. */
    entries = le32_get(b, 0);
    bytes = (uint64_t)entries * NET_ETH_ALEN;
    if (bytes > r->len)
        return "MAC table longer than the command";
    r->len -= bytes;
    *overflow = entries > NET_FILTER_MACS;
    *count = *overflow ? 0 : (uint8_t)entries;
    if (*overflow)
        return net_chain_skip(&r->pos, bytes) < 0 ? "MAC table not RAM" : NULL;
    return net_chain_read(n->vdev.gm, &r->pos, t, (size_t)bytes) < 0
               ? "MAC table not RAM"
               : NULL;
}

/* 5.1.6.5.2: the unicast table, then the multicast one, nothing after. */
static const char *do_mac_table(struct virtio_net *n, struct req *r)
{
    struct net_filter f = n->filter;
    const char *why;

    why = read_table(n, r, f.uni, &f.nuni, &f.uni_overflow);
    if (!why)
        why = read_table(n, r, f.multi, &f.nmulti, &f.multi_overflow);
    if (!why && r->len)
        why = "bytes after the MAC tables";
    if (!why)
        n->filter = f;
    return why;
}

static const char *do_mac_addr(struct virtio_net *n, struct req *r)
{
    if (r->data[0] & 1)
        return "multicast MAC address";
    memcpy(n->mac, r->data, NET_ETH_ALEN);
    return NULL;
}

/* 5.1.6.5.3: le16 vid. */
static const char *do_vlan(struct virtio_net *n, struct req *r)
{
    uint16_t vid = le16_get(r->data, 0);

    if (vid >= NET_FILTER_VLANS)
        return "VLAN id beyond 4095";
    net_filter_vlan(&n->filter, vid, r->cmd == VIRTIO_NET_CTRL_VLAN_ADD);
    return NULL;
}

/* 5.1.6.5.4: the driver has announced itself; ERR when nothing was asked
 * (QEMU answers the same). */
static const char *do_announce_ack(struct virtio_net *n, struct req *r)
{
    (void)r;
    if (!(n->status & VIRTIO_NET_S_ANNOUNCE))
        return "ANNOUNCE_ACK without an announcement";
    n->status &= (uint16_t)~VIRTIO_NET_S_ANNOUNCE;
    return NULL;
}

/* 5.1.6.5.6: le64 offloads, only GUEST_* bits the driver negotiated. */
static const char *do_offloads(struct virtio_net *n, struct req *r)
{
    uint64_t want = le64_get(r->data, 0);
    uint64_t allowed = n->vdev.guest_features & n->vdev.host_features &
                       NET_GUEST_OFFLOADS;

    if (want & ~allowed)
        return "offload not negotiated";
    net_set_offloads(n, want);
    return NULL;
}

/* VIRTIO_NET_CTRL_MQ is absent: MQ is never offered, so VQ_PAIRS_SET (and
 * RSS, HASH) are unknown commands and get ERR (5.1.6.5.5). */
static const struct cmd cmds[] = {
#define RX_MODE(c, feat) {VIRTIO_NET_CTRL_RX, c, feat, 1, do_rx_mode}
    RX_MODE(VIRTIO_NET_CTRL_RX_PROMISC, VIRTIO_NET_F_CTRL_RX),
    RX_MODE(VIRTIO_NET_CTRL_RX_ALLMULTI, VIRTIO_NET_F_CTRL_RX),
    RX_MODE(VIRTIO_NET_CTRL_RX_ALLUNI, VIRTIO_NET_F_CTRL_RX_EXTRA),
    RX_MODE(VIRTIO_NET_CTRL_RX_NOMULTI, VIRTIO_NET_F_CTRL_RX_EXTRA),
    RX_MODE(VIRTIO_NET_CTRL_RX_NOUNI, VIRTIO_NET_F_CTRL_RX_EXTRA),
    RX_MODE(VIRTIO_NET_CTRL_RX_NOBCAST, VIRTIO_NET_F_CTRL_RX_EXTRA),
#undef RX_MODE
    {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, VIRTIO_NET_F_CTRL_RX,
     VAR_LEN, do_mac_table},
    {VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
     VIRTIO_NET_F_CTRL_MAC_ADDR, NET_ETH_ALEN, do_mac_addr},
    {VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, VIRTIO_NET_F_CTRL_VLAN, 2,
     do_vlan},
    {VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_DEL, VIRTIO_NET_F_CTRL_VLAN, 2,
     do_vlan},
    {VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK,
     VIRTIO_NET_F_GUEST_ANNOUNCE, 0, do_announce_ack},
    {VIRTIO_NET_CTRL_GUEST_OFFLOADS, VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
     VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, 8, do_offloads},
};

/* ---- serving ---- */

static const struct cmd *find(uint8_t cls, uint8_t cmd)
{
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
        if (cmds[i].cls == cls && cmds[i].cmd == cmd)
            return &cmds[i];
    return NULL;
}

/* Run the command in (c). NULL, or why it gets ERR. */
static const char *run(struct virtio_net *n, const struct virtq_chain *c)
{
    const struct cmd *cmd;
    uint8_t head[2];
    struct req r;

    net_chain_pos_init(&r.pos, c, false);
    /* GUEST: class, command and data are copied once, then checked. */
    if (c->out_bytes < 2 || net_chain_read(n->vdev.gm, &r.pos, head, 2) < 0)
        return "no class and command";
    cmd = find(head[0], head[1]);
    if (!cmd)
        return "unknown command";
    if (!virtio_has(&n->vdev, cmd->feature))
        return "command's feature not negotiated";
    r.cmd = head[1];
    r.len = c->out_bytes - 2;
    if (cmd->len != VAR_LEN &&
        (r.len != cmd->len ||
         net_chain_read(n->vdev.gm, &r.pos, r.data, cmd->len) < 0))
        return "data of the wrong length";
    return cmd->run(n, &r);
}

/* Answer the command in (c). False after a guest error. */
static bool answer(struct virtio_net *n, const struct virtq_chain *c)
{
    struct net_chain_pos w;
    const char *why;
    uint8_t ack = VIRTIO_NET_OK;
    gpa_t at;

    net_chain_pos_init(&w, c, true);
    if (!c->in_bytes || net_chain_skip(&w, c->in_bytes - 1) < 0 ||
        !net_chain_next(&w, 1, &at)) {
        net_guest_error(n, "control command without an ack byte");
        return false;
    }
    why = run(n, c);
    n->stats.ctrl_cmds++;
    if (why) {
        ack = VIRTIO_NET_ERR;
        n->stats.ctrl_errors++;
        log_guest(&n->rl, "guest: virtio-net: control command refused: %s",
                  why);
    }
    return net_push(n, VIRTIO_NET_CTRLQ, c->head,
                    gmem_write(n->vdev.gm, at, &ack, 1) == 0 ? 1 : 0);
}

void net_ctrl_serve(struct virtio_net *n)
{
    struct virtq *q = &n->vdev.vq[VIRTIO_NET_CTRLQ];
    bool pushed = false;

    /* A ring's worth per kick, however fast the driver refills. */
    for (unsigned i = 0; i < q->ring.size && virtio_running(&n->vdev); i++) {
        int rc = virtq_pop(q, &n->ctrl_chain);

        if (rc < 0)
            net_guest_error(n, "bad controlq");
        if (rc <= 0 || !answer(n, &n->ctrl_chain))
            break;
        pushed = true;
    }
    if (pushed)
        virtio_queue_done(&n->vdev, VIRTIO_NET_CTRLQ);
}
