/* The I/O seam under host/blkfile.c, and a fault injector that fits in it.
 *
 * blkfile does every data system call through a struct blkio_ops, so tests
 * (and integration runs, through the environment) can make the disk fail
 * on demand: EIO, ENOSPC, short transfers, EINTR (RELIABILITY.md (b) 1-6).
 *
 * VESSEL_BLK_FAULT (read by blkfile_open() for every disk it opens) is a
 * comma-separated list of rules:
 *   eio-read:N      the Nth preadv fails with EIO
 *   eio-write:N     the Nth write-class call (pwritev or fallocate) fails
 *                   with EIO
 *   enospc:N        the Nth write-class call fails with ENOSPC
 *   eio-flush:N     the Nth fdatasync fails with EIO
 *   enospc-flush:N  the Nth fdatasync fails with ENOSPC
 *   short:1         every preadv/pwritev moves at most half of what it was
 *                   asked (at least one byte), so callers must loop
 *   eintr:1         every call fails with EINTR once before it is done
 * N counts calls at the seam from 1, per disk (all worker threads
 * together), not guest requests; "N+" fails the Nth call and every later
 * one. Example: VESSEL_BLK_FAULT=eio-read:3,enospc:10+,short:1 */
#ifndef VESSEL_HOST_BLKFAULT_H
#define VESSEL_HOST_BLKFAULT_H

#include <stdatomic.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "core/types.h"

#define BLKFAULT_ENV "VESSEL_BLK_FAULT"

/* The data system calls, each returning what the call returns, or -errno
 * instead of -1 (errno is not used). Called from several threads at once. */
struct blkio_ops {
    ssize_t (*preadv)(void *ctx, int fd, const struct iovec *iov, int cnt,
                      off_t off);
    ssize_t (*pwritev)(void *ctx, int fd, const struct iovec *iov, int cnt,
                       off_t off);
    int (*fdatasync)(void *ctx, int fd);
    int (*fallocate)(void *ctx, int fd, int mode, off_t off, off_t len);
};

/* The real system calls; ctx is unused. */
extern const struct blkio_ops blkio_sys_ops;

enum blkfault_kind {
    BLKFAULT_EIO_READ,
    BLKFAULT_EIO_WRITE,
    BLKFAULT_ENOSPC,
    BLKFAULT_EIO_FLUSH,
    BLKFAULT_ENOSPC_FLUSH,
    BLKFAULT__COUNT
};

struct blkfault_rule {
    uint64_t nth;           /* call number that fails, from 1; 0 = never */
    bool sticky;            /* and every later call ("N+") */
};

/* Set the rules before I/O starts; the counters move under I/O. */
struct blkfault {
    struct blkfault_rule rule[BLKFAULT__COUNT];
    bool short_io;
    bool eintr;
    const struct blkio_ops *next;   /* the layer that does the real call */
    void *next_ctx;
    _Atomic uint64_t reads, writes, flushes;  /* calls seen, by class */
    _Atomic uint64_t injected;                /* faults returned */
};

/* No rules, on top of the system calls. */
void blkfault_init(struct blkfault *f);

/* Add the rules in (spec) (syntax above) to (f). Returns 0, or -EINVAL
 * with one log line naming the bad rule. */
int blkfault_parse(struct blkfault *f, const char *spec) MUST_CHECK;

/* True if (f) has any rule. */
bool blkfault_active(const struct blkfault *f);

/* The injector; ctx = struct blkfault *. */
extern const struct blkio_ops blkfault_ops;

#endif
