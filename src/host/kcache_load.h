/* Loading a cached vmlinux into guest RAM. Entries are sparse: kdecomp
 * leaves a hole for every zero page (about half of a distribution
 * vmlinux), so only the extents with data are read; guest RAM under a
 * hole is left as it is if already zero, as fresh RAM is, and is zeroed
 * otherwise. */
#ifndef VESSEL_HOST_KCACHE_LOAD_H
#define VESSEL_HOST_KCACHE_LOAD_H

#include "boot/elf.h"
#include "core/gmem.h"
#include "host/kimage.h"

/* kimage_load_elf() for a file with holes: the same result in guest RAM
 * (every PT_LOAD segment's file bytes at its p_paddr), without reading
 * holes or writing pages that are zero already. Without SEEK_DATA support
 * the whole file is read. Returns 0, -EFAULT if a segment is not in one
 * RAM region, -EIO/-errno. */
int kcache_load_elf(const struct kimage *ki, const struct elf_info *ei,
                    struct gmem *gm) MUST_CHECK;

#endif
