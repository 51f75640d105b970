/* The Internet checksum (RFC 1071) as virtio-net's checksum offload needs
 * it (virtio 1.2, 5.1.6.2): the ones' complement sum of 16-bit big-endian
 * words over [csum_start, end of frame), its field already holding the
 * pseudo-header sum the driver put there, folded and complemented.
 * Byte order and alignment do not matter: bytes are summed one by one,
 * each at its parity in the checksummed range. */
#ifndef VESSEL_DEVICES_VIRTIO_NET_CSUM_H
#define VESSEL_DEVICES_VIRTIO_NET_CSUM_H

#include <sys/uio.h>

#include "core/types.h"

struct net_csum {
    uint64_t sum;        /* unfolded; 2^48 words before it could wrap */
    bool odd;            /* an odd number of bytes summed so far */
};

/* Add (len) bytes at (p) to (c). */
void net_csum_add(struct net_csum *c, const uint8_t *p, size_t len);

/* The checksum to store, in host order: the complement of the folded sum;
 * 0 becomes 0xffff (the same in ones' complement, and UDP reads 0 as "no
 * checksum"), as Linux's skb_checksum_help() does. */
uint16_t net_csum_result(const struct net_csum *c);

/* The checksum of the bytes of (iov, cnt) from offset (off) to the end. */
uint16_t net_csum_iov(const struct iovec *iov, unsigned cnt, size_t off);

#endif
