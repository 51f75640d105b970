/* Byte streams over a validated virtqueue chain (virtq_pop), for
 * virtio-net: the readable bytes in chain order are one stream, the
 * writable bytes another, and nothing depends on where descriptors start
 * or end (virtio 1.2, 2.6.4). A cursor walks one stream once; every piece
 * it yields lies inside one validated segment, so gpa + len cannot wrap
 * and is RAM unless the memory map changed since the pop. */
#ifndef VESSEL_DEVICES_VIRTIO_NET_CHAIN_H
#define VESSEL_DEVICES_VIRTIO_NET_CHAIN_H

#include <sys/uio.h>

#include "devices/virtio/queue.h"

struct net_chain_pos {
    const struct virtq_chain *c;
    unsigned seg;                 /* segment the cursor is in */
    uint32_t off;                 /* bytes of it already passed */
    bool write;                   /* the writable stream, else readable */
};

/* A cursor at the start of (c)'s writable (write) or readable stream. */
void net_chain_pos_init(struct net_chain_pos *p, const struct virtq_chain *c,
                        bool write);

/* The next piece of at most (max > 0) bytes: its guest address in (*gpa)
 * and its length as the return value, 0 at the end of the stream. */
uint32_t net_chain_next(struct net_chain_pos *p, uint32_t max, gpa_t *gpa);

/* Move past (len) bytes. Returns 0, or -EINVAL if the stream is shorter. */
int net_chain_skip(struct net_chain_pos *p, uint64_t len) MUST_CHECK;

/* Copy the next (len) bytes of the stream to (dst). Returns 0, -EINVAL if
 * the stream is shorter, -EFAULT if the memory map changed. */
int net_chain_read(const struct gmem *gm, struct net_chain_pos *p, void *dst,
                   size_t len) MUST_CHECK;

/* Copy (len) bytes of (src) into the stream. Returns the bytes written:
 * fewer at the end of the stream (or if the memory map changed). */
size_t net_chain_write(struct gmem *gm, struct net_chain_pos *p,
                       const void *src, size_t len);

/* Append zero-copy views of the next (len) bytes to (iov), which holds
 * (*cnt) of at most (cap) entries. Returns 0, -EINVAL if the stream is
 * shorter, -E2BIG if (cap) is too small, -EFAULT if the memory map
 * changed. */
int net_chain_map(const struct gmem *gm, struct net_chain_pos *p,
                  uint64_t len, struct iovec *iov, unsigned cap,
                  unsigned *cnt) MUST_CHECK;

#endif
