/* vessel run --detach: the VM runs in a child process of its own session;
 * the parent waits until the VM's vCPUs run (or it failed), says so, and
 * exits.
 *
 * The child tells the parent through a pipe, one line each:
 *   "name NAME"   the name it claimed (first)
 *   "ok"          its vCPUs started (written by vm_run(), vm->notify_fd)
 *   "err MESSAGE" it failed to start; MESSAGE is the one-line error
 * The fork comes before vm_create(): a KVM VM belongs to the address space
 * that made it. */
#ifndef VESSEL_CLI_DETACH_H
#define VESSEL_CLI_DETACH_H

#include "core/types.h"

#define DETACH_WAIT_MS 120000       /* nested, emulated hosts are slow */
#define DETACH_LINE_MAX 600

/* What the parent has heard so far. */
struct detach_msg {
    char name[72];
    char err[DETACH_LINE_MAX];
    bool named, ok, failed;
};

/* Take the lines in (buf, len) (complete lines only; a partial last line
 * is left for later). Returns the bytes consumed; an unknown or overlong
 * line is an error ("failed", with what was wrong). */
size_t detach_parse(struct detach_msg *m, const char *buf, size_t len);

/* Fork. In the child: returns 0 with (*fd) the pipe's write end, in a new
 * session, stdin and stdout on /dev/null, stderr too until
 * detach_child_log(). In the parent: waits at most (wait_ms) for the
 * child's word, prints the VM's name (stdout) or its error (stderr), and
 * returns 1 with (*status) the exit status for the parent (0 or 1).
 * Returns -errno when it cannot fork. */
int detach_fork(int *fd, int *status, unsigned wait_ms) MUST_CHECK;

/* Child: send log messages (stderr) to the file (path), made 0600. */
int detach_child_log(const char *path) MUST_CHECK;

/* Child: "name NAME" or "err MESSAGE" to the parent. */
void detach_say(int fd, const char *what, const char *text);

#endif
