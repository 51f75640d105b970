/* Device windows on a port-I/O or MMIO address space. */
#include "core/bus.h"

#include <errno.h>
#include <string.h>

void bus_init(struct bus *b, const char *name)
{
    memset(b, 0, sizeof(*b));
    b->name = name;
}

int bus_add(struct bus *b, uint64_t base, uint64_t len,
            const struct bus_ops *ops, void *dev, const char *name)
{
    uint64_t end;
    unsigned pos = 0;

    if (len == 0 || __builtin_add_overflow(base, len, &end) || !ops)
        return -EINVAL;
    if (b->nr == BUS_MAX_DEVICES)
        return -ENOSPC;
    for (unsigned i = 0; i < b->nr; i++) {
        const struct bus_dev *d = &b->d[i];
        if (base < d->base + d->len && d->base < end)
            return -EEXIST;
        if (d->base < base)
            pos = i + 1;
    }
    memmove(&b->d[pos + 1], &b->d[pos], (b->nr - pos) * sizeof(b->d[0]));
    b->d[pos] = (struct bus_dev){ base, len, ops, dev, name };
    b->nr++;
    return 0;
}

int bus_remove(struct bus *b, uint64_t base, void *dev)
{
    for (unsigned i = 0; i < b->nr; i++) {
        if (b->d[i].base == base && b->d[i].dev == dev) {
            memmove(&b->d[i], &b->d[i + 1], (b->nr - i - 1) * sizeof(b->d[0]));
            b->nr--;
            return 0;
        }
    }
    return -ENOENT;
}

/* Binary search for the window wholly containing [addr, addr+len). */
static const struct bus_dev *lookup(const struct bus *b, uint64_t addr,
                                    unsigned len)
{
    unsigned lo = 0, hi = b->nr;
    uint64_t end;

    if (__builtin_add_overflow(addr, (uint64_t)len, &end))
        return NULL;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const struct bus_dev *d = &b->d[mid];
        if (addr < d->base)
            hi = mid;
        else if (addr >= d->base + d->len)
            lo = mid + 1;
        else
            return end <= d->base + d->len ? d : NULL;
    }
    return NULL;
}

static bool valid_len(unsigned len)
{
    return len == 1 || len == 2 || len == 4 || len == 8;
}

bool bus_read(struct bus *b, uint64_t addr, void *data, unsigned len)
{
    const struct bus_dev *d = valid_len(len) ? lookup(b, addr, len) : NULL;

    if (!d || !d->ops->read) {
        memset(data, 0xff, len > 8 ? 8 : len);
        __atomic_fetch_add(&b->unclaimed, 1, __ATOMIC_RELAXED);
        return false;
    }
    d->ops->read(d->dev, addr - d->base, data, len);
    return true;
}

bool bus_write(struct bus *b, uint64_t addr, const void *data, unsigned len)
{
    const struct bus_dev *d = valid_len(len) ? lookup(b, addr, len) : NULL;

    if (!d || !d->ops->write) {
        __atomic_fetch_add(&b->unclaimed, 1, __ATOMIC_RELAXED);
        return false;
    }
    d->ops->write(d->dev, addr - d->base, data, len);
    return true;
}

/* Whether byte (i) of an access at (off) is inside a window of (nregs)
 * bytes: off + i < nregs, without computing off + i, which may wrap. */
static bool byte_in_window(uint64_t off, unsigned i, uint64_t nregs)
{
    return i < nregs && off < nregs - i;
}

void bus_read_bytes(void *dev, uint64_t off, void *data, unsigned len,
                    uint64_t nregs, uint8_t (*rd)(void *dev, uint8_t reg))
{
    uint8_t *b = data;

    for (unsigned i = 0; i < len; i++)
        b[i] = byte_in_window(off, i, nregs) ? rd(dev, (uint8_t)(off + i))
                                             : 0xff;
}

void bus_write_bytes(void *dev, uint64_t off, const void *data, unsigned len,
                     uint64_t nregs,
                     void (*wr)(void *dev, uint8_t reg, uint8_t val))
{
    const uint8_t *b = data;

    for (unsigned i = 0; i < len; i++)
        if (byte_in_window(off, i, nregs))
            wr(dev, (uint8_t)(off + i), b[i]);
}
