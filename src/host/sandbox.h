/* The sandbox mechanism: process-wide hardening (stray fds closed, no new
 * privileges, a private mount namespace, a user to drop to) and one seccomp
 * filter per thread, built with libseccomp from an allowlist that the
 * caller's policy writes (vmm/sandbox_policy.c says which system calls each
 * thread role may make; this file knows how to enforce it).
 *
 * Order, for a process that runs a VM:
 *   1. sandbox_close_stray_fds()        first thing, before opening anything
 *   2. sandbox_setup()                  before any thread exists
 *   3. (open /dev/kvm, images, taps; start helper threads)
 *   4. sandbox_drop_user()              once everything is open
 *   5. sandbox_thread_enter(role)       first thing in every thread body,
 *                                       last in the main thread, after it
 *                                       has started every other thread
 * A thread inherits its creator's filter and filters stack, so no thread
 * may be created by one that has already entered. Without sandbox_setup()
 * every call here but 1 is a no-op: unit tests and --no-sandbox. */
#ifndef VESSEL_HOST_SANDBOX_H
#define VESSEL_HOST_SANDBOX_H

#include <sys/types.h>

#include "core/types.h"

enum sandbox_role {
    SANDBOX_MAIN,     /* waits in vm_run(): console input, signals, the end */
    SANDBOX_VCPU,     /* KVM_RUN and the exits it brings */
    SANDBOX_IO,       /* the event loop: doorbells, completions, timers */
    SANDBOX_API,      /* the control socket's HTTP server */
    SANDBOX_SLIRP,    /* libslirp's poll loop (--net user) */
    SANDBOX_BLK,      /* a disk's I/O workers */
    SANDBOX__ROLES
};

/* "main", "vcpu", ...; "?" for a bad value. */
const char *sandbox_role_name(enum sandbox_role role);

/* ---- writing a policy ---- */

struct sandbox_filter;

/* One argument condition: (arg[idx] & mask) == value. */
struct sandbox_arg {
    unsigned idx;
    uint64_t mask;
    uint64_t value;
};
#define SANDBOX_ARG_EQ(i, v) ((struct sandbox_arg){ (i), ~0ULL, (uint64_t)(v) })
#define SANDBOX_ARG_MASKED(i, m, v)                                            \
    ((struct sandbox_arg){ (i), (uint64_t)(m), (uint64_t)(v) })

/* Allow system call (nr) (a SYS_* number) with any arguments. Returns 0 or
 * a negative errno (-EINVAL: not a system call of this architecture). */
int sandbox_allow(struct sandbox_filter *f, long nr) MUST_CHECK;
/* Allow (nr) when all (n) conditions of (a) hold; calling it again for the
 * same (nr) adds an alternative. At most 4 conditions. */
int sandbox_allow_if(struct sandbox_filter *f, long nr,
                     const struct sandbox_arg *a, unsigned n) MUST_CHECK;
/* Allow ioctl() with each request of (req) (any fd: the fds a thread uses
 * are not known when its filter is written). */
int sandbox_allow_ioctls(struct sandbox_filter *f, const unsigned long *req,
                         size_t n) MUST_CHECK;

/* Adds the rules of (role) to (f); returns 0 or a negative errno. */
typedef int (*sandbox_policy_fn)(struct sandbox_filter *f,
                                 enum sandbox_role role, const void *ctx);

/* Build the filter of (role): (policy)'s rules plus the mechanism's own (the
 * kill switch, and the set*id calls of a pending user drop). Returns 0 or a
 * negative errno; *out is freed with sandbox_filter_free(). */
int sandbox_filter_build(struct sandbox_filter **out, enum sandbox_role role,
                         sandbox_policy_fn policy, const void *ctx) MUST_CHECK;
/* Distinct system calls the filter allows (with or without conditions). */
unsigned sandbox_filter_count(const struct sandbox_filter *f);
/* Install it on the calling thread (and the threads it creates later). */
int sandbox_filter_load(struct sandbox_filter *f) MUST_CHECK;
void sandbox_filter_free(struct sandbox_filter *f);

/* ---- running sandboxed ---- */

/* Close every file descriptor above 2; open /dev/null on any of 0-2 that
 * is closed, so nothing Vessel opens later lands on stdout. Returns 0 or a
 * negative errno. Before anything else is opened. */
int sandbox_close_stray_fds(void) MUST_CHECK;

/* --user NAME|UID[:GID] into (uid, gid): a name takes its passwd entry's
 * group, a bare UID its passwd group if it has one, else gid = uid. Writes
 * one line into (err) on failure. */
int sandbox_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err,
                       size_t errlen) MUST_CHECK;

struct sandbox_config {
    sandbox_policy_fn policy;
    const void *ctx;          /* (policy)'s, kept until the process ends */
    bool drop_user;           /* sandbox_drop_user() will switch to: */
    uid_t uid;
    gid_t gid;
};

/* Process-wide, before any thread exists: NO_NEW_PRIVS, not dumpable, a
 * private mount namespace (skipped, logged at debug level, when not
 * permitted), the handler that names a refused system call; remembers
 * (cfg) for the threads. Reads VESSEL_SANDBOX_SELFTEST (see
 * sandbox_thread_enter). Returns 0, or a negative errno with one line in
 * (err). */
int sandbox_setup(const struct sandbox_config *cfg, char *err,
                  size_t errlen) MUST_CHECK;

/* Switch every thread to the configured user and group, drop the
 * supplementary groups, and check that it stuck (root cannot be regained).
 * A no-op unless cfg.drop_user. Returns 0, or a negative errno with one
 * line in (err): the caller must not go on. */
int sandbox_drop_user(char *err, size_t errlen) MUST_CHECK;

/* Name the calling thread "vessel-ROLE" and, after sandbox_setup(), install
 * (role)'s filter on it. A refused system call afterwards prints which one
 * and kills the whole process (SIGSYS); so does a filter that cannot be
 * installed, since the thread must not run unfiltered.
 * Debugging aid: with VESSEL_SANDBOX_SELFTEST=ROLE in the environment, the
 * first thread of that role makes a forbidden call right after entering,
 * which must end Vessel that way. */
void sandbox_thread_enter(enum sandbox_role role);

#endif
