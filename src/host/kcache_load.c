/* Loading sparse cache entries; the contract is in kcache_load.h. */
#include "host/kcache_load.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE 4096UL

static bool all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Zero (p, n) where it is not zero already, without reading pages that
 * are not resident: those are fresh anonymous RAM, zero by definition
 * (nothing has written guest RAM under the kernel before it is loaded).
 * Reading them would map the shared zero page, and the guest's first
 * write to it would then be served 4 KiB at a time instead of by one
 * 2 MiB page: thousands more exits per boot (issue 7). */
static void zero_resident(uint8_t *p, size_t n)
{
    unsigned char vec[256];

    while (n > 0) {
        uintptr_t page = (uintptr_t)p & ~(PAGE - 1);
        size_t in_page = PAGE - ((uintptr_t)p - page);
        size_t pages = (n - (n < in_page ? n : in_page) + PAGE - 1) / PAGE + 1;
        size_t span, i;

        if (pages > sizeof(vec))
            pages = sizeof(vec);
        span = pages * PAGE;
        /* mincore() unsupported (not anonymous memory): check it all. */
        if (mincore((void *)page, span, vec) < 0)
            memset(vec, 1, pages);
        for (i = 0; i < pages && n > 0; i++) {
            size_t len = n < in_page ? n : in_page;

            if ((vec[i] & 1) && !all_zero(p, len))
                memset(p, 0, len);
            p += len;
            n -= len;
            in_page = PAGE;
        }
    }
}

/* Where the data at or after (pos) begins and ends, both capped at
 * (end): a file system without SEEK_DATA has data everywhere. Returns 0,
 * or -EIO if the file no longer reaches (end) (it shrank). */
static int next_extent(int fd, uint64_t pos, uint64_t end, uint64_t *data,
                       uint64_t *hole)
{
    off_t d = lseek(fd, (off_t)pos, SEEK_DATA), h;
    struct stat st;

    *hole = end;
    *data = pos;
    if (d < 0 && errno == ENXIO) {            /* only a hole, or the end */
        if (fstat(fd, &st) < 0 || (uint64_t)st.st_size < end)
            return -EIO;
        *data = end;
    }
    if (d < 0)
        return 0;
    *data = (uint64_t)d < end ? (uint64_t)d : end;
    h = lseek(fd, (off_t)*data, SEEK_HOLE);
    *hole = h < 0 || (uint64_t)h > end ? end : (uint64_t)h;
    return 0;
}

/* File bytes [off, off + len) of (ki) to (dst). */
static int load_range(const struct kimage *ki, uint64_t off, void *to,
                      size_t len)
{
    uint8_t *dst = to;
    uint64_t pos = off, end = off + len, data, hole;

    while (pos < end) {
        int rc = next_extent(ki->fd, pos, end, &data, &hole);

        if (rc < 0)
            return rc;
        zero_resident(dst + (pos - off), (size_t)(data - pos));
        if (hole > data) {
            rc = kimage_read(ki, data, dst + (data - off),
                             (size_t)(hole - data));
            if (rc < 0)
                return rc;
        }
        pos = hole > data ? hole : end;
    }
    return 0;
}

int kcache_load_elf(const struct kimage *ki, const struct elf_info *ei,
                    struct gmem *gm)
{
    return kimage_load_elf_by(ki, ei, gm, load_range);
}
