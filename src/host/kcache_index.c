/* Kernel cache index; the contract and the format are in kcache_index.h. */
#include "host/kcache_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/file.h"
#include "host/kcache.h"

#define HEADER "vessel-kcache-index 1\n"
/* A record is at most 64 + 7 * 21 + 1 bytes: anything larger is not ours. */
#define FILE_MAX 8192U

struct record {
    char key[KCACHE_KEY_LEN + 1];
    struct kcache_ident id;
};

void kcache_ident_of(const struct stat *st, struct kcache_ident *id)
{
    /* Two's complement casts: only compared for equality, never ordered. */
    id->v[0] = (uint64_t)st->st_dev;
    id->v[1] = (uint64_t)st->st_ino;
    id->v[2] = (uint64_t)st->st_size;
    id->v[3] = (uint64_t)st->st_mtim.tv_sec;
    id->v[4] = (uint64_t)st->st_mtim.tv_nsec;
    id->v[5] = (uint64_t)st->st_ctim.tv_sec;
    id->v[6] = (uint64_t)st->st_ctim.tv_nsec;
}

static bool same_ident(const struct kcache_ident *a,
                       const struct kcache_ident *b)
{
    return memcmp(a->v, b->v, sizeof(a->v)) == 0;
}

/* " <decimal>" at (*p), no sign, no overflow. */
static bool parse_field(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;

    if (s == end || *s++ != ' ' || s == end || *s < '0' || *s > '9')
        return false;
    for (*v = 0; s < end && *s >= '0' && *s <= '9'; s++) {
        if (*v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        *v = *v * 10 + (uint64_t)(*s - '0');
    }
    *p = s;
    return true;
}

/* One "<key> <7 fields>\n" line at (*p) into (r). */
static bool parse_record(const char **p, const char *end, struct record *r)
{
    const char *s = *p;

    if (end - s < (ptrdiff_t)KCACHE_KEY_LEN)
        return false;
    for (unsigned i = 0; i < KCACHE_KEY_LEN; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
        r->key[i] = s[i];
    }
    r->key[KCACHE_KEY_LEN] = '\0';
    s += KCACHE_KEY_LEN;
    for (unsigned i = 0; i < KCACHE_IDENT_FIELDS; i++)
        if (!parse_field(&s, end, &r->id.v[i]))
            return false;
    if (s == end || *s != '\n')
        return false;
    *p = s + 1;
    return true;
}

/* The whole text (buf, len) into (r): false unless every byte parses. */
static bool parse_index(const char *buf, size_t len, struct record *r,
                        unsigned *n)
{
    const char *p = buf, *end = buf + len;

    *n = 0;
    if (len < strlen(HEADER) || memcmp(buf, HEADER, strlen(HEADER)) != 0)
        return false;
    for (p += strlen(HEADER); p < end; (*n)++)
        if (*n == KCACHE_INDEX_MAX || !parse_record(&p, end, &r[*n]))
            return false;
    return true;
}

/* The records of folder (dfd)'s index; none if it is missing or bad. */
static void read_index(int dfd, struct record *r, unsigned *n)
{
    char buf[FILE_MAX + 1];
    size_t len = 0;
    ssize_t got;
    int fd = openat(dfd, KCACHE_INDEX_NAME,
                    O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat st;

    *n = 0;
    if (fd < 0)
        return;
    /* A FIFO or device planted there must not block or feed us forever. */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FILE_MAX) {
        close(fd);
        return;
    }
    while (len < sizeof(buf) &&
           ((got = read(fd, buf + len, sizeof(buf) - len)) > 0 ||
            (got < 0 && errno == EINTR)))
        len += got > 0 ? (size_t)got : 0;
    close(fd);
    if (len > FILE_MAX || !parse_index(buf, len, r, n))
        *n = 0;
}

int kcache_index_find(int dfd, const struct kcache_ident *id, char *key)
{
    struct record r[KCACHE_INDEX_MAX];
    unsigned n;

    read_index(dfd, r, &n);
    for (unsigned i = 0; i < n; i++) {
        if (same_ident(&r[i].id, id)) {
            memcpy(key, r[i].key, KCACHE_KEY_LEN + 1);
            return 0;
        }
    }
    return -ENOENT;
}

/* (r[0..n)) as the index's text into (buf); returns its length. */
static size_t format_index(const struct record *r, unsigned n, char *buf,
                           size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "%s", HEADER);

    for (unsigned i = 0; i < n && len < cap; i++) {
        const uint64_t *v = r[i].id.v;

        len += (size_t)snprintf(buf + len, cap - len,
                                "%s %llu %llu %llu %llu %llu %llu %llu\n",
                                r[i].key, (unsigned long long)v[0],
                                (unsigned long long)v[1],
                                (unsigned long long)v[2],
                                (unsigned long long)v[3],
                                (unsigned long long)v[4],
                                (unsigned long long)v[5],
                                (unsigned long long)v[6]);
    }
    return len;
}

/* Write (buf, len) to a new temp file and rename it over the index. */
static int replace_index(int dfd, const char *buf, size_t len)
{
    static unsigned seq;
    char tmp[64];
    int fd, rc;

    snprintf(tmp, sizeof(tmp), ".tmp.index.%ld.%u", (long)getpid(),
             __atomic_fetch_add(&seq, 1, __ATOMIC_RELAXED));
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                0600);
    if (fd < 0)
        return -errno;
    /* No fsync: an index lost or cut short by a crash only costs a hash,
     * and a cut one does not parse (each record ends in a newline). */
    rc = host_write_all(fd, buf, len);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dfd, tmp, dfd, KCACHE_INDEX_NAME) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(dfd, tmp, 0);
    return rc;
}

int kcache_index_put(int dfd, const struct kcache_ident *id, const char *key)
{
    struct record old[KCACHE_INDEX_MAX], r[KCACHE_INDEX_MAX];
    char buf[FILE_MAX];
    unsigned n, m = 1;
    size_t len;

    if (strlen(key) != KCACHE_KEY_LEN)
        return -EINVAL;
    read_index(dfd, old, &n);
    memcpy(r[0].key, key, KCACHE_KEY_LEN + 1);
    r[0].id = *id;
    for (unsigned i = 0; i < n && m < KCACHE_INDEX_MAX; i++)
        if (!same_ident(&old[i].id, id))
            r[m++] = old[i];
    len = format_index(r, m, buf, sizeof(buf));
    return len >= sizeof(buf) ? -E2BIG : replace_index(dfd, buf, len);
}
