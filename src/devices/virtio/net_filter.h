/* The receive filter of virtio-net (virtio 1.2, 5.1.6.5.1-3): which frames
 * for the guest it wants, as its driver set over the control queue.
 *
 * Modes: PROMISC (everything), ALLMULTI, ALLUNI, NOMULTI, NOUNI, NOBCAST;
 * two bounded MAC tables (unicast, multicast); a 4096-bit VLAN table. A
 * table set with more entries than fit is remembered as "overflowed" and
 * then passes all of its kind, as QEMU does: the driver asked for more
 * than we can hold, and dropping frames it wants is worse than passing a
 * few it does not. Plain state, no guest memory. */
#ifndef VESSEL_DEVICES_VIRTIO_NET_FILTER_H
#define VESSEL_DEVICES_VIRTIO_NET_FILTER_H

#include "core/types.h"

#define NET_FILTER_MACS 32          /* entries in each MAC table */
#define NET_FILTER_VLANS 4096
#define NET_ETH_ALEN 6
#define NET_ETH_HLEN 14             /* dst, src, ethertype */
#define NET_ETH_VLAN_HLEN 18        /* with one 802.1Q tag */

struct net_filter {
    bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
    bool uni_overflow, multi_overflow;
    uint8_t nuni, nmulti;
    uint8_t uni[NET_FILTER_MACS][NET_ETH_ALEN];
    uint8_t multi[NET_FILTER_MACS][NET_ETH_ALEN];
    uint8_t vlan[NET_FILTER_VLANS / 8];   /* bit v: VLAN v passes */
};

/* The state after a device reset: promiscuous, tables empty. (vlan_table)
 * is VIRTIO_NET_F_CTRL_VLAN negotiated: then tagged frames pass only for
 * VLANs the driver adds; otherwise every VLAN passes (QEMU does the
 * same; Linux adds VLAN 0 and each VLAN device it creates). */
void net_filter_reset(struct net_filter *f, bool vlan_table);

/* Does the guest want the frame whose first (len) bytes (at least
 * NET_ETH_HLEN; NET_ETH_VLAN_HLEN to see a VLAN tag) are (eth), with its
 * MAC address (mac)? */
bool net_filter_accept(const struct net_filter *f,
                       const uint8_t mac[NET_ETH_ALEN], const uint8_t *eth,
                       size_t len);

/* VLAN (vid) (below NET_FILTER_VLANS) passes or not. */
void net_filter_vlan(struct net_filter *f, uint16_t vid, bool on);

#endif
