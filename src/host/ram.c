/* Guest RAM from anonymous or hugetlbfs mmap, aligned for huge pages. */
#include "host/ram.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << MAP_HUGE_SHIFT)
#endif

#define HUGE_POOL "/sys/kernel/mm/hugepages/hugepages-2048kB/"

/* Guest RAM that is aligned in both address spaces to the largest page the
 * host may use for it lets the host map it with huge pages (2 MiB, or
 * 1 GiB for hugetlbfs or a host that can), which saves most nested-paging
 * faults. */
static uint64_t ram_align(uint64_t size)
{
    return size >= GiB ? GiB : HOST_RAM_HUGE_PAGE;
}

static int read_count(const char *name, uint64_t *v)
{
    char path[128];
    unsigned long long n = 0;
    FILE *f;
    int ok;

    snprintf(path, sizeof(path), HUGE_POOL "%s", name);
    f = fopen(path, "re");
    if (!f)
        return -errno;
    ok = fscanf(f, "%llu", &n) == 1;
    fclose(f);
    *v = n;
    return ok ? 0 : -EINVAL;
}

int host_ram_huge_pool(uint64_t *avail, uint64_t *total)
{
    uint64_t free_pages = 0, resv = 0;
    int rc = read_count("nr_hugepages", total);

    if (rc == 0)
        rc = read_count("free_hugepages", &free_pages);
    if (rc == 0)
        rc = read_count("resv_hugepages", &resv);
    *avail = free_pages > resv ? free_pages - resv : 0;
    return rc;
}

static void huge_error(uint64_t len, int rc, char *err, size_t errlen)
{
    uint64_t need = len / HOST_RAM_HUGE_PAGE, avail, total;

    if (rc != -ENOMEM) {
        snprintf(err, errlen, "cannot map %llu MiB of guest RAM on 2 MiB "
                 "huge pages: %s", (unsigned long long)(len / MiB),
                 strerror(-rc));
    } else if (host_ram_huge_pool(&avail, &total) < 0) {
        snprintf(err, errlen, "hugepages: this host kernel has no 2 MiB "
                 "huge page pool (hugetlbfs)");
    } else {
        snprintf(err, errlen, "hugepages: guest RAM needs %llu huge pages of "
                 "2 MiB, the host has %llu free (of %llu); raise "
                 "/proc/sys/vm/nr_hugepages or drop ',hugepages'",
                 (unsigned long long)need, (unsigned long long)avail,
                 (unsigned long long)total);
    }
}

/* Map (len) bytes of RAM at (at), which lies in a PROT_NONE reservation. */
static int map_at(uint8_t *at, size_t len, bool hugepages)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED;
    void *p;

    /* hugetlbfs: no MAP_NORESERVE, so mmap reserves every page now and
     * fails cleanly with ENOMEM instead of a SIGBUS in the guest later. */
    flags |= hugepages ? MAP_HUGETLB | MAP_HUGE_2MB : MAP_NORESERVE;
    p = mmap(at, len, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (p == MAP_FAILED)
        return -errno;
    if (!hugepages)
        madvise(at, len, MADV_HUGEPAGE);
    madvise(at, len, MADV_DONTDUMP);
    return 0;
}

int host_ram_alloc(struct host_ram *r, uint64_t size, bool hugepages,
                   char *err, size_t errlen)
{
    uint64_t align = ram_align(size), len;
    size_t span;
    uint8_t *va, *base;
    int rc;

    len = hugepages ? align_up(size, HOST_RAM_HUGE_PAGE) : size;
    if (size == 0 || len > SIZE_MAX - align || len < size) {
        snprintf(err, errlen, "guest RAM size %llu is out of range",
                 (unsigned long long)size);
        return -EINVAL;
    }
    /* Address space only: reserve (len + align) inaccessible bytes, place
     * RAM at the aligned spot inside and give the rest back. */
    span = (size_t)(len + align);
    va = mmap(NULL, span, PROT_NONE,
              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (va == MAP_FAILED) {
        rc = -errno;
        snprintf(err, errlen, "cannot reserve %llu MiB of address space for "
                 "guest RAM: %s", (unsigned long long)(span / MiB),
                 strerror(errno));
        return rc;
    }
    base = (uint8_t *)align_up((uintptr_t)va, align);
    rc = map_at(base, (size_t)len, hugepages);
    if (rc < 0) {
        munmap(va, span);
        if (hugepages)
            huge_error(len, rc, err, errlen);
        else
            snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM: %s",
                     (unsigned long long)(size / MiB), strerror(-rc));
        return rc;
    }
    if (base > va)
        munmap(va, (size_t)(base - va));
    if (va + span > base + len)
        munmap(base + len, (size_t)(va + span - (base + len)));
    r->map = base;
    r->map_len = (size_t)len;
    r->base = base;
    r->size = size;
    r->hugetlb = hugepages;
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
