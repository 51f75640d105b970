/* Guest physical memory: the one door from a guest address to host memory.
 *
 * RAM regions are host buffers that host/ allocates and registers here; this
 * module never allocates or maps anything itself, so it builds freestanding.
 * Every access is range-checked (overflow-safe) against the region table
 * before a host pointer exists. */
#ifndef VESSEL_CORE_GMEM_H
#define VESSEL_CORE_GMEM_H

#include "core/types.h"

#define GMEM_MAX_REGIONS 8

struct gmem_region {
    gpa_t gpa;
    uint64_t size;
    uint8_t *hva;
};

struct gmem {
    struct gmem_region r[GMEM_MAX_REGIONS];
    unsigned nr;
};

void gmem_init(struct gmem *gm);

/* Register RAM [gpa, gpa+size) backed by host buffer (hva), owned by the
 * caller. Returns 0, -EINVAL on size 0 or overflow, -EEXIST on overlap,
 * -ENOSPC when the table is full. Call before any vCPU runs. */
int gmem_add(struct gmem *gm, gpa_t gpa, uint64_t size, void *hva) MUST_CHECK;

/* Copy (len) bytes at guest physical (gpa) into (dst).
 * Returns 0, or -EFAULT if any byte is outside guest RAM. */
int gmem_read(const struct gmem *gm, gpa_t gpa, void *dst, size_t len) MUST_CHECK;
int gmem_write(struct gmem *gm, gpa_t gpa, const void *src, size_t len) MUST_CHECK;
int gmem_fill(struct gmem *gm, gpa_t gpa, uint8_t byte, size_t len) MUST_CHECK;

/* Zero-copy view for bulk I/O; NULL unless all of [gpa, gpa+len) lies in one
 * RAM region. Valid until the memory map changes. */
void *gmem_span(const struct gmem *gm, gpa_t gpa, size_t len);

/* True if [gpa, gpa+len) is entirely RAM (len 0 is never RAM). */
bool gmem_is_ram(const struct gmem *gm, gpa_t gpa, uint64_t len);

/* Total bytes of RAM registered. */
uint64_t gmem_total(const struct gmem *gm);

#endif
