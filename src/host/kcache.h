/* Kernel cache: bzImages decompressed once on the host and kept as ELF
 * vmlinux files, so later boots enter the kernel through PVH and skip the
 * guest's own decompressor.
 *
 * Layout: one folder, $XDG_CACHE_HOME/vessel/kernels (default
 * ~/.cache/vessel/kernels; for root without HOME /var/cache/vessel/kernels),
 * mode 0700 and owned by the user, else it is not used. Entries are
 * <sha256 of the bzImage, hex>.vmlinux. Writers create .tmp.* in the same
 * folder, fsync, and rename under an flock on .lock, evicting the least
 * recently used entries (oldest mtime; a hit touches it) so the folder
 * stays under its size limit; readers take no lock and only ever see
 * complete files. An entry that does not verify (ELF with a PVH note) is a
 * miss and is deleted. A small index (.index, kcache_index.h) maps a
 * bzImage file's identity to its key, so a hit needs no hash.
 *
 * Every failure is reported to the caller and logged at info level (-v);
 * the caller then boots the bzImage as usual. */
#ifndef VESSEL_HOST_KCACHE_H
#define VESSEL_HOST_KCACHE_H

#include <sys/stat.h>
#include <time.h>

#include "boot/bzimage.h"
#include "core/types.h"
#include "host/kimage.h"

#define KCACHE_DEFAULT_MAX (512 * MiB)
#define KCACHE_MAX_ENV "VESSEL_KERNEL_CACHE_MAX"
#define KCACHE_KEY_LEN 64U            /* hex SHA-256 */
#define KCACHE_ENTRY_MAX (1 * GiB)    /* no vmlinux is larger */
#define KCACHE_PATH_MAX 4096U

struct kcache {
    char dir[KCACHE_PATH_MAX];        /* .../vessel/kernels */
    uint64_t max;                     /* bytes the entries may use */
};

/* Where the cache lives and how large it may grow, from the environment:
 * XDG_CACHE_HOME (if absolute), HOME, root's /var/cache; the limit from
 * VESSEL_KERNEL_CACHE_MAX (bytes; default KCACHE_DEFAULT_MAX). Creates
 * nothing. Returns 0, -ENOENT when no folder can be named, -EINVAL for a
 * limit that is not a number (logged). A limit of 0 disables the cache:
 * -ENOENT as well. */
int kcache_from_env(struct kcache *kc) MUST_CHECK;

/* Use folder (dir) with limit (max) bytes (tests, callers with their own
 * configuration). Returns 0 or -ENAMETOOLONG. */
int kcache_init(struct kcache *kc, const char *dir, uint64_t max) MUST_CHECK;

/* The entry name of (img, len): its SHA-256 in lowercase hex, NUL-ended. */
void kcache_key(const uint8_t *img, size_t len, char key[KCACHE_KEY_LEN + 1]);

/* Open the entry (key) as (*out) (kimage_close() it) if it exists and is a valid
 * ELF vmlinux with a PVH note, and mark it recently used. A corrupt entry
 * is deleted. Returns 0, -ENOENT on a miss (also after deleting a corrupt
 * entry), or another -errno. */
int kcache_lookup(const struct kcache *kc, const char *key,
                  struct kimage *out) MUST_CHECK;

/* Create the cache folder if needed and check it is the user's own,
 * private and writable. Returns 0 or -errno (-EPERM: not private). */
int kcache_prepare(const struct kcache *kc) MUST_CHECK;

/* Store (data, len) as entry (key): temp file, fsync, then under the lock
 * evict least recently used entries until it fits in kc->max, rename and
 * fsync the folder. Safe against concurrent stores of the same or other
 * keys (last rename wins; both files are complete). Returns 0; -EFBIG if
 * (len) alone exceeds the limit; -errno (-ENOSPC, -EROFS, ...). Leaves no
 * temp file behind on failure. */
int kcache_store(const struct kcache *kc, const char *key, const uint8_t *data,
                 size_t len) MUST_CHECK;

/* The bzImage the loader read: its bytes, and the file they came from so
 * that an unchanged file need not be hashed again (kcache_index.h). */
struct kcache_src {
    const uint8_t *img;
    size_t len;
    int fd;                       /* the open file, or -1: always hash */
    struct timespec read_at;      /* CLOCK_REALTIME before (img) was read */
};

/* A file changed less than this before it was read is not indexed: a
 * second write within one timestamp tick (coarse clocks, 2 s on FAT, a
 * skewed NFS server) could leave its identity unchanged. */
#define KCACHE_RACY_NS (2ULL * 1000000000ULL)

/* The loader's call for the bzImage (src) parsed into (bi): the cached
 * vmlinux, or on a miss the payload decompressed on the host into a new
 * entry, checked to be an ELF vmlinux with a PVH note. The key comes from
 * the index when src->fd's identity is recorded there, else from hashing
 * src->img, and is then recorded (unless the file changed within
 * KCACHE_RACY_NS before src->read_at). (*hit) says whether the entry
 * existed; (*out) is the entry's file (kimage_close() it). Returns 0 or
 * -errno when the bzImage should boot the usual way (unsupported
 * compression, no PVH note, cache folder unusable or full, a decompression
 * or write error); the reason is logged at info level. */
int kcache_vmlinux(const struct kcache *kc, const struct kcache_src *src,
                   const struct bzimage_info *bi, struct kimage *out,
                   bool *hit) MUST_CHECK;

/* Record in the index, under the folder's lock, that the file whose
 * fstat() is (st) has content key (key). Returns 0 or -errno. */
int kcache_remember(const struct kcache *kc, const struct stat *st,
                    const char *key) MUST_CHECK;

/* True if (img, len) is an ELF vmlinux a PVH boot can use. */
bool kcache_is_pvh_vmlinux(const uint8_t *img, size_t len);

#endif
