/* The kernel cache's index: which bzImage file has which content key, so
 * a boot of a file seen before costs an fstat and one small read instead
 * of a SHA-256 of the whole image.
 *
 * A file is known by its identity: st_dev, st_ino, st_size, st_mtim and
 * st_ctim (with nanoseconds). Rewriting a file in place changes its ctime
 * (and mtime), replacing it changes the inode, so any change means a new
 * identity, an index miss and a hash. The key stays the content's SHA-256:
 * the index only remembers a hash already computed.
 *
 * The file is <cache folder>/.index, text, at most KCACHE_INDEX_MAX
 * records, newest first:
 *     vessel-kcache-index 1
 *     <64 hex key> <dev> <ino> <size> <mtime s> <ns> <ctime s> <ns>
 * It is replaced whole by rename of a temp file under the folder's lock;
 * readers take no lock. A file that does not parse exactly (truncated,
 * corrupt, too large, not a regular file) is treated as empty. */
#ifndef VESSEL_HOST_KCACHE_INDEX_H
#define VESSEL_HOST_KCACHE_INDEX_H

#include <sys/stat.h>

#include "core/types.h"

#define KCACHE_INDEX_NAME ".index"
#define KCACHE_INDEX_MAX 32U          /* records kept */
#define KCACHE_IDENT_FIELDS 7U

struct kcache_ident {
    /* dev, ino, size, mtime s, mtime ns, ctime s, ctime ns */
    uint64_t v[KCACHE_IDENT_FIELDS];
};

void kcache_ident_of(const struct stat *st, struct kcache_ident *id);

/* The key recorded for (id) in the index of folder (dfd), into (key)
 * (KCACHE_KEY_LEN + 1 bytes). Returns 0; -ENOENT when there is none (also
 * for a missing or unusable index file). */
int kcache_index_find(int dfd, const struct kcache_ident *id,
                      char *key) MUST_CHECK;

/* Record (id) -> (key) first in the index of folder (dfd), dropping an
 * older record of (id) and the oldest beyond KCACHE_INDEX_MAX: a temp file
 * renamed over the index. The caller holds the folder's lock. Returns 0
 * or -errno. */
int kcache_index_put(int dfd, const struct kcache_ident *id,
                     const char *key) MUST_CHECK;

#endif
