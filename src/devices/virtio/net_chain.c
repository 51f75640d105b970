/* Byte streams over a virtqueue chain; see net_chain.h. */
#include "devices/virtio/net_chain.h"

#include <errno.h>

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

void net_chain_pos_init(struct net_chain_pos *p, const struct virtq_chain *c,
                        bool write)
{
    *p = (struct net_chain_pos){.c = c, .write = write};
}

uint32_t net_chain_next(struct net_chain_pos *p, uint32_t max, gpa_t *gpa)
{
    for (; p->seg < p->c->nseg; p->seg++, p->off = 0) {
        const struct virtq_seg *s = &p->c->seg[p->seg];
        uint32_t n;

        if (s->write != p->write || p->off == s->len)
            continue;
        n = s->len - p->off < max ? s->len - p->off : max;
        *gpa = s->addr + p->off;
        p->off += n;
        return n;
    }
    return 0;
}

int net_chain_skip(struct net_chain_pos *p, uint64_t len)
{
    gpa_t gpa;

    while (len) {
        uint32_t n = net_chain_next(p, clamp32(len), &gpa);

        if (!n)
            return -EINVAL;
        len -= n;
    }
    return 0;
}

int net_chain_read(const struct gmem *gm, struct net_chain_pos *p, void *dst,
                   size_t len)
{
    uint8_t *out = dst;
    gpa_t gpa;

    while (len) {
        uint32_t n = net_chain_next(p, clamp32(len), &gpa);

        if (!n)
            return -EINVAL;
        if (gmem_read(gm, gpa, out, n) < 0)
            return -EFAULT;
        out += n;
        len -= n;
    }
    return 0;
}

size_t net_chain_write(struct gmem *gm, struct net_chain_pos *p,
                       const void *src, size_t len)
{
    const uint8_t *in = src;
    size_t done = 0;
    gpa_t gpa;

    while (done < len) {
        uint32_t n = net_chain_next(p, clamp32(len - done), &gpa);

        if (!n || gmem_write(gm, gpa, in + done, n) < 0)
            break;
        done += n;
    }
    return done;
}

int net_chain_map(const struct gmem *gm, struct net_chain_pos *p,
                  uint64_t len, struct iovec *iov, unsigned cap,
                  unsigned *cnt)
{
    gpa_t gpa;

    while (len) {
        uint32_t n = net_chain_next(p, clamp32(len), &gpa);
        void *host;

        if (!n)
            return -EINVAL;
        if (*cnt == cap)
            return -E2BIG;
        host = gmem_span(gm, gpa, n);
        if (!host)
            return -EFAULT;
        iov[(*cnt)++] = (struct iovec){.iov_base = host, .iov_len = n};
        len -= n;
    }
    return 0;
}
