/* Host memory that backs guest RAM. */
#ifndef VESSEL_HOST_RAM_H
#define VESSEL_HOST_RAM_H

#include "core/types.h"

struct host_ram {
    void *base;        /* 2 MiB-aligned start */
    uint64_t size;
    void *map;         /* what mmap returned (for munmap) */
    size_t map_len;
};

/* Reserve (size) bytes of zeroed anonymous memory, 2 MiB aligned and
 * advised for transparent huge pages, untouched so it costs the host
 * nothing until the guest uses it. Returns 0 or -errno. */
int host_ram_alloc(struct host_ram *r, uint64_t size) MUST_CHECK;
void host_ram_free(struct host_ram *r);

/* Bytes of (r) resident in host memory now: what the guest has touched. */
uint64_t host_ram_resident(const struct host_ram *r);

#endif
