/* Guest RAM from anonymous mmap, aligned for huge pages. */
#include "host/ram.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_ALIGN (2 * MiB)

int host_ram_alloc(struct host_ram *r, uint64_t size)
{
    size_t len;
    uint8_t *map, *base;

    if (size == 0 || size > SIZE_MAX - HUGE_ALIGN)
        return -EINVAL;
    /* Over-allocate by one huge page so the start can be aligned: guest
     * RAM that is 2 MiB aligned in both address spaces lets the host back
     * it with huge pages, which saves most nested-paging faults. */
    len = (size_t)size + HUGE_ALIGN;
    map = mmap(NULL, len, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return -errno;
    base = (uint8_t *)align_up((uintptr_t)map, HUGE_ALIGN);
    madvise(base, (size_t)size, MADV_HUGEPAGE);
    madvise(base, (size_t)size, MADV_DONTDUMP);
    r->map = map;
    r->map_len = len;
    r->base = base;
    r->size = size;
    return 0;
}

void host_ram_free(struct host_ram *r)
{
    if (r->map)
        munmap(r->map, r->map_len);
    r->map = r->base = NULL;
}

uint64_t host_ram_resident(const struct host_ram *r)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (size_t)(r->size / page);
    uint64_t n = 0;
    unsigned char *vec;

    if (!r->base || !(vec = malloc(pages ? pages : 1)))
        return 0;
    if (mincore(r->base, (size_t)r->size, vec) == 0)
        for (size_t i = 0; i < pages; i++)
            n += vec[i] & 1;
    free(vec);
    return n * page;
}
