/* Loading sparse cache entries; the contract is in kcache_load.h. */
#include "host/kcache_load.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool all_zero(const uint8_t *p, size_t n)
{
    return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
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
        /* Reading fresh RAM maps the zero page: nothing is allocated. */
        if (!all_zero(dst + (pos - off), (size_t)(data - pos)))
            memset(dst + (pos - off), 0, (size_t)(data - pos));
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
