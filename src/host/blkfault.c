/* The block I/O seam and its fault injector; see blkfault.h. */
#include "host/blkfault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "host/faultspec.h"

#define SHORT_MAX_IOV 128

/* ---- the real calls ---- */

static ssize_t sys_preadv(void *ctx, int fd, const struct iovec *iov, int cnt,
                          off_t off)
{
    ssize_t n = preadv(fd, iov, cnt, off);

    (void)ctx;
    return n < 0 ? -errno : n;
}

static ssize_t sys_pwritev(void *ctx, int fd, const struct iovec *iov,
                           int cnt, off_t off)
{
    ssize_t n = pwritev(fd, iov, cnt, off);

    (void)ctx;
    return n < 0 ? -errno : n;
}

static int sys_fdatasync(void *ctx, int fd)
{
    (void)ctx;
    return fdatasync(fd) < 0 ? -errno : 0;
}

static int sys_fallocate(void *ctx, int fd, int mode, off_t off, off_t len)
{
    (void)ctx;
    return fallocate(fd, mode, off, len) < 0 ? -errno : 0;
}

const struct blkio_ops blkio_sys_ops = {
    .preadv = sys_preadv,
    .pwritev = sys_pwritev,
    .fdatasync = sys_fdatasync,
    .fallocate = sys_fallocate,
};

/* ---- the injector ---- */

/* EINTR comes once per call: the retry on the same thread goes through. */
static _Thread_local bool interrupted;

static bool take_eintr(const struct blkfault *f)
{
    if (!f->eintr)
        return false;
    interrupted = !interrupted;
    return interrupted;
}

static bool rule_hits(const struct blkfault_rule *r, uint64_t call)
{
    return r->nth && (call == r->nth || (r->sticky && call > r->nth));
}

/* Count a call of one class and return the injected -errno, or 0. */
static int inject(struct blkfault *f, _Atomic uint64_t *counter,
                  enum blkfault_kind eio, enum blkfault_kind enospc)
{
    uint64_t call = atomic_fetch_add(counter, 1) + 1;
    int err = 0;

    if (rule_hits(&f->rule[eio], call))
        err = -EIO;
    else if (enospc != BLKFAULT__COUNT && rule_hits(&f->rule[enospc], call))
        err = -ENOSPC;
    if (err)
        atomic_fetch_add(&f->injected, 1);
    return err;
}

/* The first half (rounded up, at least one byte) of (iov, cnt) in (out). */
static int halve(const struct iovec *iov, int cnt, struct iovec *out)
{
    size_t total = 0, want;
    int n = 0;

    if (cnt > SHORT_MAX_IOV)
        cnt = SHORT_MAX_IOV;
    for (int i = 0; i < cnt; i++)
        total += iov[i].iov_len;
    want = total - total / 2;
    for (; n < cnt && want; n++) {
        out[n] = iov[n];
        if (out[n].iov_len > want)
            out[n].iov_len = want;
        want -= out[n].iov_len;
    }
    return n;
}

static ssize_t fault_rw(struct blkfault *f, bool write, int fd,
                        const struct iovec *iov, int cnt, off_t off)
{
    struct iovec half[SHORT_MAX_IOV];
    int err;

    if (take_eintr(f))
        return -EINTR;
    err = write ? inject(f, &f->writes, BLKFAULT_EIO_WRITE, BLKFAULT_ENOSPC)
                : inject(f, &f->reads, BLKFAULT_EIO_READ, BLKFAULT__COUNT);
    if (err)
        return err;
    if (f->short_io && cnt > 0) {
        cnt = halve(iov, cnt, half);
        iov = half;
    }
    return write ? f->next->pwritev(f->next_ctx, fd, iov, cnt, off)
                 : f->next->preadv(f->next_ctx, fd, iov, cnt, off);
}

static ssize_t fault_preadv(void *ctx, int fd, const struct iovec *iov,
                            int cnt, off_t off)
{
    return fault_rw(ctx, false, fd, iov, cnt, off);
}

static ssize_t fault_pwritev(void *ctx, int fd, const struct iovec *iov,
                             int cnt, off_t off)
{
    return fault_rw(ctx, true, fd, iov, cnt, off);
}

static int fault_fdatasync(void *ctx, int fd)
{
    struct blkfault *f = ctx;
    int err;

    if (take_eintr(f))
        return -EINTR;
    err = inject(f, &f->flushes, BLKFAULT_EIO_FLUSH, BLKFAULT_ENOSPC_FLUSH);
    return err ? err : f->next->fdatasync(f->next_ctx, fd);
}

static int fault_fallocate(void *ctx, int fd, int mode, off_t off, off_t len)
{
    struct blkfault *f = ctx;
    int err;

    if (take_eintr(f))
        return -EINTR;
    err = inject(f, &f->writes, BLKFAULT_EIO_WRITE, BLKFAULT_ENOSPC);
    return err ? err : f->next->fallocate(f->next_ctx, fd, mode, off, len);
}

const struct blkio_ops blkfault_ops = {
    .preadv = fault_preadv,
    .pwritev = fault_pwritev,
    .fdatasync = fault_fdatasync,
    .fallocate = fault_fallocate,
};

void blkfault_init(struct blkfault *f)
{
    memset(f, 0, sizeof(*f));
    f->next = &blkio_sys_ops;
    atomic_init(&f->reads, 0);
    atomic_init(&f->writes, 0);
    atomic_init(&f->flushes, 0);
    atomic_init(&f->injected, 0);
}

bool blkfault_active(const struct blkfault *f)
{
    for (unsigned i = 0; i < BLKFAULT__COUNT; i++)
        if (f->rule[i].nth)
            return true;
    return f->short_io || f->eintr;
}

/* ---- VESSEL_BLK_FAULT syntax ---- */

static const char *const rule_names[BLKFAULT__COUNT] = {
    [BLKFAULT_EIO_READ] = "eio-read",
    [BLKFAULT_EIO_WRITE] = "eio-write",
    [BLKFAULT_ENOSPC] = "enospc",
    [BLKFAULT_EIO_FLUSH] = "eio-flush",
    [BLKFAULT_ENOSPC_FLUSH] = "enospc-flush",
};

static int parse_one(void *ctx, const char *key, const char *val)
{
    struct blkfault *f = ctx;

    for (unsigned i = 0; i < BLKFAULT__COUNT; i++)
        if (strcmp(key, rule_names[i]) == 0)
            return faultspec_count(val, 1, &f->rule[i].nth,
                                   &f->rule[i].sticky);
    if (strcmp(key, "short") == 0 || strcmp(key, "eintr") == 0) {
        bool on = strcmp(val, "1") == 0;

        if (!on && strcmp(val, "0") != 0)
            return -EINVAL;
        if (key[0] == 's')
            f->short_io = on;
        else
            f->eintr = on;
        return 0;
    }
    return -EINVAL;
}

int blkfault_parse(struct blkfault *f, const char *spec)
{
    return faultspec_parse(BLKFAULT_ENV, spec,
                           "eio-read:N, eio-write:N, enospc:N, eio-flush:N, "
                           "enospc-flush:N, short:1, eintr:1; N+ for N and "
                           "after", parse_one, f);
}
