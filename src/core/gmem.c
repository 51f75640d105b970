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

/* The host view of a (len)-byte copy at (gpa), in (*p): 0, or -EFAULT if
 * any byte is outside guest RAM. A copy of 0 bytes needs no RAM: 0, with
 * (*p) NULL so the caller copies nothing. Copies may not straddle two
 * regions: regions are never adjacent in a way a single guest buffer may
 * span (the layout puts a hole between). */
static int copy_span(const struct gmem *gm, gpa_t gpa, size_t len, void **p)
{
    *p = len ? gmem_span(gm, gpa, len) : NULL;
    return len && !*p ? -EFAULT : 0;
}

int gmem_read(const struct gmem *gm, gpa_t gpa, void *dst, size_t len)
{
    void *p;
    int rc = copy_span(gm, gpa, len, &p);

    if (p)
        memcpy(dst, p, len);
    return rc;
}

int gmem_write(struct gmem *gm, gpa_t gpa, const void *src, size_t len)
{
    void *p;
    int rc = copy_span(gm, gpa, len, &p);

    if (p)
        memcpy(p, src, len);
    return rc;
}

int gmem_fill(struct gmem *gm, gpa_t gpa, uint8_t byte, size_t len)
{
    void *p;
    int rc = copy_span(gm, gpa, len, &p);

    if (p)
        memset(p, byte, len);
    return rc;
}

uint64_t gmem_total(const struct gmem *gm)
{
    uint64_t t = 0;

    for (unsigned i = 0; i < gm->nr; i++)
        t += gm->r[i].size;
    return t;
}
