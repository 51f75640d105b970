/* virtio-net receive filter; see net_filter.h. */
#include "devices/virtio/net_filter.h"

#include <string.h>

#define ETH_P_8021Q 0x8100

void net_filter_reset(struct net_filter *f, bool vlan_table)
{
    memset(f, 0, sizeof(*f));
    /* Promiscuous until the driver says otherwise, as QEMU: a driver that
     * never programs the filter (no CTRL_RX, or firmware) still receives
     * what it needs, multicast included (IPv6 neighbour discovery). Linux
     * sets its own mode when the interface comes up. */
    f->promisc = true;
    memset(f->vlan, vlan_table ? 0 : 0xff, sizeof(f->vlan));
}

void net_filter_vlan(struct net_filter *f, uint16_t vid, bool on)
{
    uint8_t bit = (uint8_t)(1u << (vid % 8));

    if (vid >= NET_FILTER_VLANS)
        return;
    if (on)
        f->vlan[vid / 8] |= bit;
    else
        f->vlan[vid / 8] &= (uint8_t)~bit;
}

static bool in_table(const uint8_t (*t)[NET_ETH_ALEN], unsigned n,
                     const uint8_t *mac)
{
    for (unsigned i = 0; i < n; i++)
        if (!memcmp(t[i], mac, NET_ETH_ALEN))
            return true;
    return false;
}

static bool vlan_ok(const struct net_filter *f, const uint8_t *eth,
                    size_t len)
{
    unsigned vid;

    if (len < NET_ETH_VLAN_HLEN ||
        (eth[12] << 8 | eth[13]) != ETH_P_8021Q)
        return true;   /* untagged frames are not VLAN-filtered */
    vid = (unsigned)(eth[14] << 8 | eth[15]) & (NET_FILTER_VLANS - 1);
    return f->vlan[vid / 8] & (1u << (vid % 8));
}

static bool multicast_ok(const struct net_filter *f, const uint8_t *dst)
{
    static const uint8_t bcast[NET_ETH_ALEN] = {0xff, 0xff, 0xff,
                                                0xff, 0xff, 0xff};

    if (!memcmp(dst, bcast, sizeof(bcast)))
        return !f->nobcast;
    if (f->nomulti)
        return false;
    return f->allmulti || f->multi_overflow ||
           in_table(f->multi, f->nmulti, dst);
}

static bool unicast_ok(const struct net_filter *f, const uint8_t *mac,
                       const uint8_t *dst)
{
    if (f->nouni)
        return false;
    return f->alluni || f->uni_overflow || !memcmp(dst, mac, NET_ETH_ALEN) ||
           in_table(f->uni, f->nuni, dst);
}

/* The order QEMU uses: promiscuous passes everything, then the VLAN
 * table, then the destination address. */
bool net_filter_accept(const struct net_filter *f,
                       const uint8_t mac[NET_ETH_ALEN], const uint8_t *eth,
                       size_t len)
{
    if (f->promisc)
        return true;
    if (len < NET_ETH_HLEN || !vlan_ok(f, eth, len))
        return false;
    return eth[0] & 1 ? multicast_ok(f, eth) : unicast_ok(f, mac, eth);
}
