/* Internet checksum; see net_csum.h. */
#include "devices/virtio/net_csum.h"

void net_csum_add(struct net_csum *c, const uint8_t *p, size_t len)
{
    size_t i = 0;

    if (len && c->odd) {
        c->sum += p[i++];
        c->odd = false;
    }
    for (; i + 1 < len; i += 2)
        c->sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (i < len) {
        c->sum += (uint32_t)p[i] << 8;
        c->odd = true;
    }
}

uint16_t net_csum_result(const struct net_csum *c)
{
    uint64_t s = c->sum;
    uint16_t r;

    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    r = (uint16_t)~s;
    return r ? r : 0xffff;
}

uint16_t net_csum_iov(const struct iovec *iov, unsigned cnt, size_t off)
{
    struct net_csum c = {0};

    for (unsigned i = 0; i < cnt; i++) {
        size_t len = iov[i].iov_len;

        if (off >= len) {
            off -= len;
            continue;
        }
        net_csum_add(&c, (const uint8_t *)iov[i].iov_base + off, len - off);
        off = 0;
    }
    return net_csum_result(&c);
}
