/* Finding a VM by name and talking to its control socket, for the
 * management commands. */
#include "cli/target.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct target_timing target_timing = {
    .request_ms = 10000,
    .list_ms = 2000,
    .end_ms = 10000,
    .poll_ms = 50,
};

int target_base(char *base, size_t len)
{
    int rc = rundir_default_base(base, len);

    if (rc == -ENOENT)
        fprintf(stderr, "vessel: XDG_RUNTIME_DIR is not set (or not an "
                "absolute path), so there is no runtime directory to find "
                "VMs in; set it or VESSEL_RUNTIME_DIR\n");
    else if (rc < 0)
        fprintf(stderr, "vessel: the runtime directory's path is too "
                "long\n");
    return rc;
}

static int bad_name(const char *name, int rc)
{
    if (rc == -ENAMETOOLONG)
        fprintf(stderr, "vessel: '%s' is too long for a VM name (at most "
                "64 characters)\n", name);
    else
        fprintf(stderr, "vessel: '%s' is not a VM name: use 1-64 letters, "
                "digits, '.', '_' or '-', not starting with '.' or '-'\n",
                name);
    return rc;
}

static int not_running(const char *name)
{
    fprintf(stderr, "vessel: no VM called %s is running\n", name);
    return -ENOENT;
}

int target_find(const char *base, const char *name, char *sock, size_t len)
{
    struct rundir_entry e;
    int rc = rundir_check_name(name);

    if (rc < 0)
        return bad_name(name, rc);
    rc = rundir_probe(base, name, &e);
    if (rc == -ENOENT)
        return not_running(name);
    if (rc == -EPERM) {
        fprintf(stderr, "vessel: the runtime directory %s (or %s in it) "
                "belongs to another user or is open to others: refusing "
                "it\n", base, name);
        return rc;
    }
    if (rc == 0)
        rc = rundir_path(sock, len, base, name, RUNDIR_API_SOCK);
    if (rc < 0)
        fprintf(stderr, "vessel: cannot look for %s in %s: %s\n", name,
                base, strerror(-rc));
    return rc;
}

int target_alive(const char *base, const char *name)
{
    struct rundir_entry e;
    int rc = rundir_probe(base, name, &e);

    return rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
}

static void print_timeout(const char *name, unsigned ms)
{
    if (ms % 1000 == 0)
        fprintf(stderr, "vessel: %s: the VM did not answer within %u s on "
                "its control socket\n", name, ms / 1000);
    else
        fprintf(stderr, "vessel: %s: the VM did not answer within %u ms on "
                "its control socket\n", name, ms);
}

/* Why a request got no answer, in one line. */
static int print_failure(const char *base, const char *name,
                         const char *sock, unsigned timeout_ms, int rc)
{
    switch (rc) {
    case -ETIMEDOUT:
        print_timeout(name, timeout_ms);
        break;
    case -ENOENT:
    case -ECONNREFUSED:
        /* It may have ended since we found it. */
        if (target_alive(base, name) == 0)
            return not_running(name);
        fprintf(stderr, "vessel: %s: nobody answers on its control socket "
                "%s (the VM is starting, ending or stuck)\n", name, sock);
        break;
    case -EPROTO:
    case -EMSGSIZE:
        fprintf(stderr, "vessel: %s: the answer on its control socket is "
                "not one we can read (%s)\n", name, strerror(-rc));
        break;
    default:
        fprintf(stderr, "vessel: %s: control socket %s: %s\n", name, sock,
                strerror(-rc));
    }
    return rc;
}

int target_request(const char *base, const char *name, const char *method,
                   const char *path, const char *body, unsigned timeout_ms,
                   struct api_response *out)
{
    char sock[RUNDIR_PATH_MAX];
    int rc = target_find(base, name, sock, sizeof(sock));

    memset(out, 0, sizeof(*out));
    if (rc < 0)
        return rc;
    rc = api_client_request(sock, method, path, body, timeout_ms, out);
    if (rc < 0)
        return print_failure(base, name, sock, timeout_ms, rc);
    return 0;
}

void target_print_refusal(const char *what, const char *name,
                          const struct api_response *r)
{
    json_t *o = json_loads(r->body ? r->body : "", 0, NULL);
    const char *msg = json_string_value(json_object_get(o, "error"));
    char line[256];

    if (msg) {
        /* One line on a terminal, whatever the socket sent. */
        snprintf(line, sizeof(line), "%s", msg);
        for (char *c = line; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        fprintf(stderr, "vessel: cannot %s %s: %s\n", what, name, line);
    } else {
        fprintf(stderr, "vessel: cannot %s %s: the VM answered HTTP %u\n",
                what, name, r->status);
    }
    json_decref(o);
}

void target_sleep_ms(unsigned ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (long)(ms % 1000) * 1000000 };

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}
