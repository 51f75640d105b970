/* The runtime directory: where each named VM keeps its control socket,
 * console socket and pid file, and how a name is taken.
 *
 *   BASE = $XDG_RUNTIME_DIR/vessel (as root: /run/vessel)         0700
 *   BASE/NAME/               one per running VM                   0700
 *   BASE/NAME/lock           an OFD write lock, held by the VM process
 *                            for its whole life: the name is taken
 *                            exactly while it is held
 *   BASE/NAME/pid            the VM process's pid, "1234\n"
 *   BASE/NAME/api.sock       the control socket (docs/api.md)     0600
 *   BASE/NAME/console.sock   the serial console                   0600
 *   BASE/NAME/vessel.log     log messages of a detached VM (vessel run
 *                            --detach); removed with the directory
 *
 * A directory whose lock is free belongs to a VM that died (SIGKILL, a
 * crash of the host process): the next claim of that name, rundir_probe()
 * and rundir_list() clean it. The kernel drops an OFD lock when the last
 * descriptor of its open file closes, so a dead process never holds a
 * name, and a descriptor inherited by a child keeps it (the lock fd is
 * close-on-exec). */
#ifndef VESSEL_API_RUNDIR_H
#define VESSEL_API_RUNDIR_H

#include <sys/types.h>

#include "core/types.h"

#define RUNDIR_NAME_MAX 64
#define RUNDIR_PATH_MAX 108     /* sun_path: a socket's path must fit */
#define RUNDIR_LOCK "lock"
#define RUNDIR_PID "pid"
#define RUNDIR_API_SOCK "api.sock"
#define RUNDIR_CONSOLE_SOCK "console.sock"
#define RUNDIR_LOG "vessel.log"

/* A claimed name. */
struct rundir {
    char base[RUNDIR_PATH_MAX];
    char name[RUNDIR_NAME_MAX + 1];
    int dirfd;                  /* BASE/NAME */
    int lockfd;                 /* BASE/NAME/lock, locked */
};

/* A running VM found in BASE. */
struct rundir_entry {
    char name[RUNDIR_NAME_MAX + 1];
    pid_t pid;                  /* from its pid file; 0 if unreadable */
};

/* Check a VM name: 1 to RUNDIR_NAME_MAX characters of [A-Za-z0-9._-], not
 * starting with '.' or '-' (it becomes a file name here and an argument
 * of other commands). Returns 0, -ENAMETOOLONG, or -EINVAL. */
int rundir_check_name(const char *name) MUST_CHECK;

/* The default BASE into (out): /run/vessel for root, else
 * $XDG_RUNTIME_DIR/vessel. Returns 0, -ENOENT when not root and
 * XDG_RUNTIME_DIR is unset or not absolute, -ENAMETOOLONG. */
int rundir_default_base(char *out, size_t len) MUST_CHECK;

/* "BASE/NAME/FILE" into (out) (FILE NULL: "BASE/NAME"). Returns 0,
 * -EINVAL for a bad name, -ENAMETOOLONG when it does not fit (len) or
 * RUNDIR_PATH_MAX. */
int rundir_path(char *out, size_t len, const char *base, const char *name,
                const char *file) MUST_CHECK;

/* Take (name) in (base) for this process: create BASE (0700; its parent
 * must exist) and BASE/NAME as needed, lock it, clean what a dead owner
 * left, write the pid file. (base) must be ours and closed to others.
 * Returns 0 with (rd) filled, -EEXIST if a live process holds the name,
 * -EINVAL for a bad name, -EPERM if BASE or BASE/NAME belongs to another
 * user or is open to others, -ENAMETOOLONG, or -errno. */
int rundir_claim(struct rundir *rd, const char *base, const char *name)
    MUST_CHECK;

/* Remove what the claim made (sockets, pid file, lock file, the
 * directory) and give the name up. Call after the sockets are closed. */
void rundir_release(struct rundir *rd);

/* Is a VM called (name) running in (base)? Returns 0 with (out) filled,
 * -ENOENT if not (a stale directory it finds is cleaned), -EINVAL for a
 * bad name, or -errno. */
int rundir_probe(const char *base, const char *name, struct rundir_entry *out)
    MUST_CHECK;

/* Call (fn)(ctx, e) for each running VM in (base), in name order,
 * cleaning stale directories on the way; stops early when (fn) returns
 * non-zero and returns that. A missing (base) has no VMs. Returns 0,
 * (fn)'s value, or -errno. */
typedef int (*rundir_list_fn)(void *ctx, const struct rundir_entry *e);
int rundir_list(const char *base, rundir_list_fn fn, void *ctx) MUST_CHECK;

#endif
