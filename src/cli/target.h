/* The VMs a management command talks to: the runtime directory, a VM's
 * control socket found by name, and requests whose failures are told to
 * the user in one line each (stderr, "vessel: ..."). */
#ifndef VESSEL_CLI_TARGET_H
#define VESSEL_CLI_TARGET_H

#include "api/client.h"
#include "api/rundir.h"

/* How long the commands wait. Tests shorten them. */
struct target_timing {
    unsigned request_ms;        /* each step of a request (connect, each
                                   read and write): 10 s. Pausing waits
                                   for the vCPUs to park, which a loaded
                                   host may make slow */
    unsigned list_ms;           /* the same for ls's GET /vm on each VM:
                                   2 s, so one stuck VM does not hold up
                                   the list for long */
    unsigned end_ms;            /* a VM told to stop: until its process
                                   is gone (10 s); also the margin after
                                   an acpi-shutdown's timeout */
    unsigned poll_ms;           /* between looks at whether it is gone */
};

extern struct target_timing target_timing;

/* The runtime directory into (base) (rundir_default_base(), which honours
 * VESSEL_RUNTIME_DIR). Prints why not. Returns 0 or -errno. */
int target_base(char *base, size_t len) MUST_CHECK;

/* The control socket of the running VM (name) in (base) into (sock).
 * Prints "vessel: no VM called NAME is running", the name rule for a bad
 * name, or another reason. Returns 0 or -errno. */
int target_find(const char *base, const char *name, char *sock,
                size_t len) MUST_CHECK;

/* Find (name), send (method) (path) with (body) (JSON or NULL) and read
 * the answer into (out) (free with api_response_free()), whatever its
 * status. (timeout_ms) bounds each step. Prints why it failed (nobody
 * answers, timed out, gone meanwhile). Returns 0 or -errno. */
int target_request(const char *base, const char *name, const char *method,
                   const char *path, const char *body, unsigned timeout_ms,
                   struct api_response *out) MUST_CHECK;

/* Print "vessel: cannot WHAT NAME: MESSAGE" for a response that is not
 * a success: MESSAGE is the server's {"error": ...}, or the HTTP status
 * when the body has none. */
void target_print_refusal(const char *what, const char *name,
                          const struct api_response *r);

/* Is the VM (name) still running in (base)? 1 yes, 0 gone (its stale
 * directory cleaned), -errno when we cannot tell. */
int target_alive(const char *base, const char *name) MUST_CHECK;

/* Sleep (ms). */
void target_sleep_ms(unsigned ms);

#endif
