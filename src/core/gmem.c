/* Guest physical memory accessors: every guest address is checked here. */
#include "core/gmem.h"

#include <errno.h>
#include <string.h>

void gmem_init(struct gmem *gm)
{
    memset(gm, 0, sizeof(*gm));
}

/* End (exclusive) of [gpa, gpa+len), or false if it overflows. */
static bool range_end(gpa_t gpa, uint64_t len, uint64_t *end)
{
    return !__builtin_add_overflow(gpa, len, end);
}

int gmem_add(struct gmem *gm, gpa_t gpa, uint64_t size, void *hva)
{
    uint64_t end;

    if (size == 0 || !hva || !range_end(gpa, size, &end))
        return -EINVAL;
    if (gm->nr == GMEM_MAX_REGIONS)
        return -ENOSPC;
    for (unsigned i = 0; i < gm->nr; i++) {
        const struct gmem_region *r = &gm->r[i];
        if (gpa < r->gpa + r->size && r->gpa < end)
            return -EEXIST;
    }
    gm->r[gm->nr++] = (struct gmem_region){ .gpa = gpa, .size = size, .hva = hva };
    return 0;
}

/* The region wholly containing [gpa, gpa+len), or NULL. */
static const struct gmem_region *find(const struct gmem *gm, gpa_t gpa,
                                      uint64_t len)
{
    uint64_t end;

    if (len == 0 || !range_end(gpa, len, &end))
        return NULL;
    for (unsigned i = 0; i < gm->nr; i++) {
        const struct gmem_region *r = &gm->r[i];
        if (gpa >= r->gpa && end <= r->gpa + r->size)
            return r;
    }
    return NULL;
}

void *gmem_span(const struct gmem *gm, gpa_t gpa, size_t len)
{
    const struct gmem_region *r = find(gm, gpa, len);

    return r ? r->hva + (gpa - r->gpa) : NULL;
}

bool gmem_is_ram(const struct gmem *gm, gpa_t gpa, uint64_t len)
{
    return find(gm, gpa, len) != NULL;
}

/* Accesses may not straddle two regions: regions are never adjacent in a
 * way a single guest buffer may span (the layout puts a hole between). */
int gmem_read(const struct gmem *gm, gpa_t gpa, void *dst, size_t len)
{
    const void *p;

    if (len == 0)
        return 0;
    p = gmem_span(gm, gpa, len);
    if (!p)
        return -EFAULT;
    memcpy(dst, p, len);
    return 0;
}

int gmem_write(struct gmem *gm, gpa_t gpa, const void *src, size_t len)
{
    void *p;

    if (len == 0)
        return 0;
    p = gmem_span(gm, gpa, len);
    if (!p)
        return -EFAULT;
    memcpy(p, src, len);
    return 0;
}

int gmem_fill(struct gmem *gm, gpa_t gpa, uint8_t byte, size_t len)
{
    void *p;

    if (len == 0)
        return 0;
    p = gmem_span(gm, gpa, len);
    if (!p)
        return -EFAULT;
    memset(p, byte, len);
    return 0;
}

uint64_t gmem_total(const struct gmem *gm)
{
    uint64_t t = 0;

    for (unsigned i = 0; i < gm->nr; i++)
        t += gm->r[i].size;
    return t;
}
