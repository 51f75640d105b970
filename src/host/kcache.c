/* Kernel cache; the contract and the folder layout are in kcache.h. */
#include "host/kcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot/elf.h"
#include "core/log.h"
#include "host/clock.h"
#include "host/file.h"
#include "host/kcache_index.h"
#include "host/kdecomp.h"
#include "host/kimage.h"

#define SUFFIX ".vmlinux"
#define TMP_PREFIX ".tmp."
#define LOCK_NAME ".lock"
/* A temp file this old belongs to a writer that died: remove it. */
#define TMP_STALE_SEC 3600

int kcache_init(struct kcache *kc, const char *dir, uint64_t max)
{
    int n = snprintf(kc->dir, sizeof(kc->dir), "%s", dir);

    kc->max = max;
    return n < 0 || (size_t)n >= sizeof(kc->dir) ? -ENAMETOOLONG : 0;
}

static int env_max(uint64_t *max)
{
    const char *s = getenv(KCACHE_MAX_ENV);
    char *end;

    *max = KCACHE_DEFAULT_MAX;
    if (!s || !*s)
        return 0;
    errno = 0;
    *max = strtoull(s, &end, 10);
    if (errno || *end || *s < '0' || *s > '9') {
        log_info("kernel cache: %s='%s' is not a number of bytes",
                 KCACHE_MAX_ENV, s);
        return -EINVAL;
    }
    return 0;
}

int kcache_from_env(struct kcache *kc)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[KCACHE_PATH_MAX];
    uint64_t max;
    int rc, n;

    rc = env_max(&max);
    if (rc < 0)
        return rc;
    if (max == 0)
        return -ENOENT;
    /* XDG Base Directory: a relative XDG_CACHE_HOME is to be ignored. */
    if (xdg && xdg[0] == '/')
        n = snprintf(dir, sizeof(dir), "%s/vessel/kernels", xdg);
    else if (home && home[0] == '/')
        n = snprintf(dir, sizeof(dir), "%s/.cache/vessel/kernels", home);
    else if (geteuid() == 0)
        n = snprintf(dir, sizeof(dir), "/var/cache/vessel/kernels");
    else
        return -ENOENT;
    if (n < 0 || (size_t)n >= sizeof(dir))
        return -ENAMETOOLONG;
    return kcache_init(kc, dir, max);
}

void kcache_key(const uint8_t *img, size_t len, char key[KCACHE_KEY_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    struct sha256_ctx c;

    sha256_init(&c);
    sha256_update(&c, len, img);
    sha256_digest(&c, sizeof(d), d);
    for (size_t i = 0; i < sizeof(d); i++) {
        key[2 * i] = hex[d[i] >> 4];
        key[2 * i + 1] = hex[d[i] & 0xF];
    }
    key[KCACHE_KEY_LEN] = '\0';
}

bool kcache_is_pvh_vmlinux(const uint8_t *img, size_t len)
{
    struct elf_info ei;

    return elf_parse(img, len, &ei) == 0 && ei.pvh;
}

static int entry_path(const struct kcache *kc, const char *key, char *buf,
                      size_t cap)
{
    int n = snprintf(buf, cap, "%s/%s" SUFFIX, kc->dir, key);

    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Take the folder's lock (an flock on .lock): returns its fd, whose close
 * drops the lock, or -errno. Writers and the removal of a corrupt entry
 * take it; readers never wait for it. */
static int lock_dir(int dfd)
{
    int lfd = openat(dfd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
                     0600);
    int rc;

    if (lfd < 0)
        return -errno;
    while ((rc = flock(lfd, LOCK_EX)) < 0 && errno == EINTR)
        ;
    if (rc < 0) {
        rc = -errno;
        close(lfd);
        return rc;
    }
    return lfd;
}

/* Remove entry (name) if it is still the file (bad) that failed to
 * verify: under the lock, so a good entry a writer renamed over it
 * meanwhile stays. */
static void drop_corrupt(const struct kcache *kc, const char *name,
                         const struct stat *bad)
{
    int dfd = open(kc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int lfd = dfd < 0 ? -1 : lock_dir(dfd);
    struct stat st;

    log_info("kernel cache: %s/%s is corrupt, removed", kc->dir, name);
    if (lfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        st.st_dev == bad->st_dev && st.st_ino == bad->st_ino &&
        unlinkat(dfd, name, 0) < 0)
        log_info("kernel cache: cannot remove %s: %s", name, strerror(errno));
    if (lfd >= 0)
        close(lfd);
    if (dfd >= 0)
        close(dfd);
}

int kcache_lookup(const struct kcache *kc, const char *key, struct kimage *out)
{
    char path[KCACHE_PATH_MAX + KCACHE_KEY_LEN + 16];
    struct stat st;
    int fd, rc;

    out->fd = -1;
    out->data = NULL;
    out->len = 0;
    rc = entry_path(kc, key, path, sizeof(path));
    if (rc < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    rc = kimage_open_fd(out, fd, KCACHE_ENTRY_MAX);    /* owns fd now */
    if (rc == 0 && !kcache_is_pvh_vmlinux(out->data, out->len))
        rc = -EINVAL;
    if (rc == -EINVAL || rc == -EFBIG || rc == -ENOEXEC) {
        drop_corrupt(kc, strrchr(path, '/') + 1, &st);
        rc = -ENOENT;
    }
    if (rc < 0) {
        kimage_close(out);
        return rc;
    }
    if (futimens(out->fd, NULL) < 0)   /* most recently used: now */
        log_debug("kernel cache: cannot touch %s: %s", path, strerror(errno));
    return 0;
}

/* mkdir -p with mode 0700 for every missing component. */
static int make_dirs(const char *dir)
{
    char p[KCACHE_PATH_MAX];
    size_t n = strlen(dir);

    if (n >= sizeof(p))
        return -ENAMETOOLONG;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] != '/' && p[i] != '\0')
            continue;
        p[i] = '\0';
        if (mkdir(p, 0700) < 0 && errno != EEXIST)
            return -errno;
        p[i] = dir[i];
    }
    return 0;
}

int kcache_prepare(const struct kcache *kc)
{
    struct stat st;
    int rc = make_dirs(kc->dir);

    if (rc < 0)
        return rc;
    if (lstat(kc->dir, &st) < 0)
        return -errno;
    /* Entries are booted without further checks than the ELF parse: a
     * folder others can write to could hand us their kernel. */
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & (S_IWGRP | S_IWOTH)))
        return -EPERM;
    return access(kc->dir, W_OK) < 0 ? -errno : 0;
}

/* A new temp file in the cache folder (dfd), its name in (name). */
static int tmp_create(int dfd, const char *key, char *name, size_t cap)
{
    static unsigned seq;

    for (int tries = 0; tries < 100; tries++) {
        unsigned n = __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED);
        int fd, len = snprintf(name, cap, TMP_PREFIX "%s.%ld.%u", key,
                               (long)getpid(), n);

        if (len < 0 || (size_t)len >= cap)
            return -ENAMETOOLONG;
        fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
                    O_NOFOLLOW, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

struct entry {
    char name[KCACHE_KEY_LEN + sizeof(SUFFIX)];
    uint64_t size;
    struct timespec mtime;
};

static int older_first(const void *a, const void *b)
{
    const struct timespec *x = &((const struct entry *)a)->mtime;
    const struct timespec *y = &((const struct entry *)b)->mtime;

    if (x->tv_sec != y->tv_sec)
        return x->tv_sec < y->tv_sec ? -1 : 1;
    return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

static bool is_entry_name(const char *n)
{
    size_t len = strlen(n);

    return len == KCACHE_KEY_LEN + strlen(SUFFIX) &&
           strcmp(n + KCACHE_KEY_LEN, SUFFIX) == 0 && n[0] != '.';
}

/* Entries of folder (dfd) other than (keep), with their sizes; stale temp
 * files are removed on the way. The caller frees (*out). */
static int list_entries(int dfd, const char *keep, struct entry **out,
                        size_t *n, uint64_t *total)
{
    struct entry *v = NULL;
    size_t cap = 0;
    struct dirent *de;
    struct stat st;
    DIR *d;
    int fd = dup(dfd);

    *n = 0;
    *total = 0;
    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    rewinddir(d);                    /* the offset is shared with dfd */
    while ((de = readdir(d))) {
        bool tmp = strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0;

        if ((!tmp && !is_entry_name(de->d_name)) || !strcmp(de->d_name, keep) ||
            fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
            !S_ISREG(st.st_mode))
            continue;
        if (tmp) {
            if (st.st_mtim.tv_sec + TMP_STALE_SEC < time(NULL))
                unlinkat(dfd, de->d_name, 0);
            continue;
        }
        if (*n == cap) {
            struct entry *nv = realloc(v, (cap ? cap * 2 : 16) * sizeof(*v));

            if (!nv) {
                free(v);
                closedir(d);
                return -ENOMEM;
            }
            v = nv;
            cap = cap ? cap * 2 : 16;
        }
        snprintf(v[*n].name, sizeof(v[*n].name), "%s", de->d_name);
        v[*n].size = (uint64_t)st.st_size;
        v[*n].mtime = st.st_mtim;
        *total += v[(*n)++].size;
    }
    closedir(d);
    *out = v;
    return 0;
}

/* Remove least recently used entries until the others use at most
 * (budget) bytes. Called with the cache lock held. */
static int evict(int dfd, const char *keep, uint64_t budget)
{
    struct entry *v = NULL;
    uint64_t total = 0;
    size_t n = 0;
    int rc = list_entries(dfd, keep, &v, &n, &total);

    if (rc < 0)
        return rc;
    if (total > budget)
        qsort(v, n, sizeof(*v), older_first);
    for (size_t i = 0; i < n && total > budget; i++) {
        if (unlinkat(dfd, v[i].name, 0) == 0 || errno == ENOENT) {
            total -= v[i].size;
            log_info("kernel cache: evicted %s", v[i].name);
        }
    }
    free(v);
    return total > budget ? -ENOSPC : 0;
}

/* Under the folder's lock: make room, then publish (tmp) as (name). */
static int publish(int dfd, const char *tmp, const char *name, uint64_t budget)
{
    int lfd = lock_dir(dfd), rc;

    if (lfd < 0)
        return lfd;
    rc = evict(dfd, name, budget);
    if (rc == 0 && renameat(dfd, tmp, dfd, name) < 0)
        rc = -errno;
    if (rc == 0 && fsync(dfd) < 0)   /* the rename itself is durable */
        rc = -errno;
    close(lfd);                      /* drops the lock */
    return rc;
}

/* Make temp file (fd, named tmp in dfd) entry (key) of (len) bytes:
 * fsync, then publish under the lock. Closes (fd); removes (tmp) on
 * failure. */
static int commit(const struct kcache *kc, int dfd, int fd, const char *tmp,
                  const char *key, uint64_t len)
{
    char name[KCACHE_KEY_LEN + sizeof(SUFFIX)];
    int rc = fsync(fd) < 0 ? -errno : 0;

    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    snprintf(name, sizeof(name), "%s" SUFFIX, key);
    if (rc == 0)
        rc = publish(dfd, tmp, name, kc->max - len);
    if (rc < 0)
        unlinkat(dfd, tmp, 0);
    return rc;
}

static int open_dir(const struct kcache *kc)
{
    int dfd = open(kc->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    return dfd < 0 ? -errno : dfd;
}

int kcache_store(const struct kcache *kc, const char *key, const uint8_t *data,
                 size_t len)
{
    char tmp[KCACHE_KEY_LEN + 64];
    int dfd, fd, rc;

    if (len > kc->max)
        return -EFBIG;
    dfd = open_dir(kc);
    if (dfd < 0)
        return dfd;
    fd = tmp_create(dfd, key, tmp, sizeof(tmp));
    rc = fd < 0 ? fd : host_write_all(fd, data, len);
    if (fd >= 0 && rc < 0) {
        close(fd);
        unlinkat(dfd, tmp, 0);
    } else if (fd >= 0) {
        rc = commit(kc, dfd, fd, tmp, key, len);
    }
    close(dfd);
    return rc;
}

static uint64_t ms_since(uint64_t t0)
{
    return (host_mono_ns() - t0) / 1000000;
}

/* Decompress (p) into a temp file of folder (dfd), check it and make it
 * entry (key); (*out) is that file. */
static int decompress_store(const struct kcache *kc, int dfd, const char *key,
                            const struct kdecomp_payload *p,
                            struct kimage *out)
{
    char tmp[KCACHE_KEY_LEN + 64];
    uint64_t t0 = host_mono_ns();
    int fd = tmp_create(dfd, key, tmp, sizeof(tmp)), rc;

    if (fd < 0)
        return fd;
    rc = kdecomp_to_fd(p, kc->max, fd);
    if (rc < 0) {
        log_info("kernel cache: cannot decompress the %s payload: %s",
                 kdecomp_name(p->fmt), strerror(-rc));
        goto err;
    }
    log_info("kernel cache: %s payload decompressed to %u KiB in %llu ms",
             kdecomp_name(p->fmt), p->out_len / 1024,
             (unsigned long long)ms_since(t0));
    rc = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    rc = rc < 0 ? -errno : kimage_open_fd(out, rc, KCACHE_ENTRY_MAX);
    if (rc < 0)
        log_info("kernel cache: cannot map %s: %s", tmp, strerror(-rc));
    if (rc == 0 && !kcache_is_pvh_vmlinux(out->data, out->len)) {
        log_info("kernel cache: the payload is not an ELF vmlinux with a "
                 "PVH entry note");
        kimage_close(out);
        rc = -ENOEXEC;
    }
    if (rc < 0)
        goto err;
    t0 = host_mono_ns();
    rc = commit(kc, dfd, fd, tmp, key, p->out_len);
    if (rc < 0) {
        log_info("kernel cache: cannot store %s in %s: %s", key, kc->dir,
                 strerror(-rc));
        kimage_close(out);
        return rc;
    }
    log_info("kernel cache: stored %s/%s" SUFFIX " in %llu ms", kc->dir, key,
             (unsigned long long)ms_since(t0));
    return 0;
err:
    close(fd);
    unlinkat(dfd, tmp, 0);
    return rc;
}

/* Miss: find the payload, decompress, check and store it. */
static int fill(const struct kcache *kc, const char *key, const uint8_t *img,
                size_t len, const struct bzimage_info *bi, struct kimage *out)
{
    struct kdecomp_payload p;
    int dfd, rc = kdecomp_find(img, len, bi, &p);

    if (rc < 0) {
        log_info("kernel cache: no compressed payload in the bzImage");
        return rc;
    }
    if (!kdecomp_supported(p.fmt)) {
        log_info("kernel cache: %s payload: left to the kernel's decompressor",
                 kdecomp_name(p.fmt));
        return -EOPNOTSUPP;
    }
    if (p.out_len > kc->max) {
        log_info("kernel cache: the vmlinux (%u KiB) is larger than the "
                 "cache's limit", p.out_len / 1024);
        return -EFBIG;
    }
    rc = kcache_prepare(kc);
    dfd = rc < 0 ? rc : open_dir(kc);
    if (dfd < 0) {
        log_info("kernel cache: %s is not usable: %s", kc->dir, strerror(-dfd));
        return dfd;
    }
    rc = decompress_store(kc, dfd, key, &p, out);
    close(dfd);
    return rc;
}

int kcache_remember(const struct kcache *kc, const struct stat *st,
                    const char *key)
{
    struct kcache_ident id;
    int dfd = open_dir(kc), lfd, rc;

    if (dfd < 0)
        return dfd;
    lfd = lock_dir(dfd);
    kcache_ident_of(st, &id);
    rc = lfd < 0 ? lfd : kcache_index_put(dfd, &id, key);
    if (lfd >= 0)
        close(lfd);
    close(dfd);
    return rc;
}

/* The key the index records for file (st), into (key). */
static int indexed_key(const struct kcache *kc, const struct stat *st,
                       char *key)
{
    struct kcache_ident id;
    int dfd = open_dir(kc), rc;

    if (dfd < 0)
        return dfd;
    kcache_ident_of(st, &id);
    rc = kcache_index_find(dfd, &id, key);
    close(dfd);
    return rc;
}

/* Changed (mtime or ctime) at or after (t) - KCACHE_RACY_NS? Then a later
 * write may not have changed its identity: do not index it. */
static bool changed_near(const struct stat *st, const struct timespec *t)
{
    const struct timespec *c[2] = { &st->st_mtim, &st->st_ctim };
    int64_t lim_s = (int64_t)t->tv_sec - (int64_t)(KCACHE_RACY_NS / 1000000000);
    long lim_ns = t->tv_nsec;

    for (unsigned i = 0; i < 2; i++)
        if ((int64_t)c[i]->tv_sec > lim_s ||
            ((int64_t)c[i]->tv_sec == lim_s && c[i]->tv_nsec >= lim_ns))
            return true;
    return false;
}

/* Index (st) -> (key) unless the file changed too near its read. */
static void remember(const struct kcache *kc, const struct kcache_src *src,
                     const struct stat *st, const char *key)
{
    int rc;

    if (changed_near(st, &src->read_at)) {
        log_info("kernel cache: the bzImage changed just before it was "
                 "read: not indexed");
        return;
    }
    rc = kcache_remember(kc, st, key);
    if (rc < 0)
        log_info("kernel cache: cannot update %s/" KCACHE_INDEX_NAME ": %s",
                 kc->dir, strerror(-rc));
}

/* Hit through the index: the file (st) was hashed before. */
static int lookup_indexed(const struct kcache *kc, const struct stat *st,
                          struct kimage *out)
{
    char key[KCACHE_KEY_LEN + 1];

    if (indexed_key(kc, st, key) < 0 || kcache_lookup(kc, key, out) < 0)
        return -ENOENT;
    log_info("kernel cache: hit %s/%s" SUFFIX " (indexed, not hashed)",
             kc->dir, key);
    return 0;
}

int kcache_vmlinux(const struct kcache *kc, const struct kcache_src *src,
                   const struct bzimage_info *bi, struct kimage *out,
                   bool *hit)
{
    char key[KCACHE_KEY_LEN + 1];
    struct stat st;
    bool known;
    int rc;

    out->fd = -1;
    out->data = NULL;
    out->len = 0;
    *hit = false;
    /* No folder and none can be made (a read-only home): skip the hash. */
    if (access(kc->dir, F_OK) < 0) {
        rc = kcache_prepare(kc);
        if (rc < 0) {
            log_info("kernel cache: %s is not usable: %s", kc->dir,
                     strerror(-rc));
            return rc;
        }
    }
    /* Taken after the loader's read: a write since then shows here. */
    known = src->fd >= 0 && fstat(src->fd, &st) == 0 && S_ISREG(st.st_mode);
    if (known && lookup_indexed(kc, &st, out) == 0) {
        *hit = true;
        return 0;
    }
    /* Not indexed, or its entry is gone: hash the bytes actually read
     * (the file may have changed since), never trust the index's key for
     * a new entry. */
    kcache_key(src->img, src->len, key);
    rc = kcache_lookup(kc, key, out);
    *hit = rc == 0;
    if (rc == 0) {
        log_info("kernel cache: hit %s/%s" SUFFIX, kc->dir, key);
    } else {
        if (rc != -ENOENT)
            log_info("kernel cache: cannot read %s/%s" SUFFIX ": %s", kc->dir,
                     key, strerror(-rc));
        rc = fill(kc, key, src->img, src->len, bi, out);
    }
    if (rc == 0 && known)
        remember(kc, src, &st, key);
    return rc;
}
