/* The I/O seam under host/net_tap.c, and a fault injector that fits in it.
 *
 * The tap backend reads and writes its fd through a struct netio_ops, so
 * tests (and integration runs, through the environment) can make the host
 * push back on demand (RELIABILITY.md (b) 9).
 *
 * VESSEL_NET_FAULT (read by net_tap_open() for every tap) is a
 * comma-separated list of rules:
 *   eagain:N        every Nth write (N >= 2) fails with EAGAIN
 *   eagain-storm:N  writes fail with EAGAIN in runs of N: the first N
 *                   fail, the next N go through, the N after fail, ...
 * Writes are counted at the seam from 1, per tap, including the failed
 * ones. Example: VESSEL_NET_FAULT=eagain-storm:64 */
#ifndef VESSEL_HOST_NETFAULT_H
#define VESSEL_HOST_NETFAULT_H

#include <sys/types.h>
#include <sys/uio.h>

#include "core/types.h"

#define NETFAULT_ENV "VESSEL_NET_FAULT"

/* The data system calls, each returning what the call returns, or -errno
 * instead of -1. Calls on one fd are serialised by the caller. */
struct netio_ops {
    ssize_t (*writev)(void *ctx, int fd, const struct iovec *iov, int cnt);
    ssize_t (*read)(void *ctx, int fd, void *buf, size_t len);
};

/* The real system calls; ctx is unused. */
extern const struct netio_ops netio_sys_ops;

/* Set the rules before I/O starts. */
struct netfault {
    uint64_t every;                 /* eagain:N; 0: off */
    uint64_t storm;                 /* eagain-storm:N; 0: off */
    const struct netio_ops *next;   /* the layer that does the real call */
    void *next_ctx;
    uint64_t writes;                /* writes seen */
    uint64_t injected;              /* faults returned */
};

/* No rules, on top of the system calls. */
void netfault_init(struct netfault *f);

/* Add the rules in (spec) (syntax above) to (f). Returns 0, or -EINVAL
 * with one log line naming the bad rule. */
int netfault_parse(struct netfault *f, const char *spec) MUST_CHECK;

/* True if (f) has any rule. */
bool netfault_active(const struct netfault *f);

/* The injector; ctx = struct netfault *. */
extern const struct netio_ops netfault_ops;

#endif
