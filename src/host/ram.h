/* Host memory that backs guest RAM. */
#ifndef VESSEL_HOST_RAM_H
#define VESSEL_HOST_RAM_H

#include "core/types.h"

/* The huge page size that --mem SIZE,hugepages uses. */
#define HOST_RAM_HUGE_PAGE (2 * MiB)

struct host_ram {
    void *base;        /* start: 1 GiB aligned if size >= 1 GiB, else 2 MiB */
    uint64_t size;
    void *map;         /* what to munmap: base, map_len bytes */
    size_t map_len;
    bool hugetlb;      /* backed by hugetlbfs pages */
};

/* Reserve (size) bytes of zeroed memory for guest RAM, untouched so it
 * costs the host nothing until the guest uses it. The start is aligned to
 * 1 GiB when (size) is at least that, else to 2 MiB (virtual address space
 * only: nothing extra is committed), so guest and host huge pages line up.
 *
 * Without (hugepages): anonymous memory advised for transparent huge pages.
 * With it: hugetlbfs pages of HOST_RAM_HUGE_PAGE (the length rounded up to
 * whole pages), reserved by the kernel now, so the guest never meets a
 * missing page later, but not populated (no MAP_POPULATE: zeroing all of
 * guest RAM up front would slow the start and commit memory the guest may
 * never touch). Too few free huge pages fail with -ENOMEM.
 *
 * On failure writes one line naming the problem (with the host's free
 * huge page count for -ENOMEM) into (err) and returns -errno. */
int host_ram_alloc(struct host_ram *r, uint64_t size, bool hugepages,
                   char *err, size_t errlen) MUST_CHECK;
void host_ram_free(struct host_ram *r);

/* Bytes of (r) resident in host memory now: what the guest has touched. */
uint64_t host_ram_resident(const struct host_ram *r);

/* The host's pool of HOST_RAM_HUGE_PAGE pages: how many are free for a new
 * reservation (free less reserved) and the pool size. Returns 0, or -errno
 * when the kernel has no such pool. */
int host_ram_huge_pool(uint64_t *avail, uint64_t *total) MUST_CHECK;

#endif
