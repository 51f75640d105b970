/* The control API: HTTP/1.1 with JSON bodies on each VM's unix socket
 * (docs/api.md; docs/openapi.yaml is the contract and a unit test checks
 * the server against it). api/ includes nothing from vmm/: the VMM
 * describes itself and acts through struct api_vm_ops, and reports what
 * happens with api_event().
 *
 * How the VMM wires it:
 *   1. rundir_claim(&rd, base, cfg->name) (api/rundir.h), then
 *      rundir_path(sock, sizeof(sock), base, name, RUNDIR_API_SOCK).
 *   2. api_server_start(&srv, &(struct api_server_config){
 *          .sock_path = sock, .ops = &vm_api_ops, .ctx = vm }) before the
 *      vCPUs start. The ops (in vmm/, on struct vm) run on the API's own
 *      thread, one call at a time, never on a vCPU or the I/O thread:
 *      they take the VM's locks like any other thread and return within
 *      a bounded time (pause waits for the vCPUs to park, power only asks
 *      and returns; the VM ends later and says so through events).
 *   3. api_event(srv, API_EV_STARTED, NULL) when vCPU 0 first runs;
 *      PAUSED / RESUMED once the vCPUs are parked / running again; RESET
 *      on a guest reboot; POWERED_OFF or CRASHED with vm->reason when the
 *      VM ends. api_event() is safe from any thread and never waits for a
 *      client.
 *   4. At the end: api_server_stop(srv) (subscribers get the last events
 *      first), then rundir_release(&rd).
 * GET /console (the console history) needs ops->console, which
 * vmm/control.c fills from host/consock.h's history ring.
 * describe() fills config with config_json_dump() (vmm/config_json.h),
 * so GET /vm's "config" has the schema `vessel run --config` reads. */
#ifndef VESSEL_API_API_H
#define VESSEL_API_API_H

#include <jansson.h>

#include "core/types.h"

#define API_DEF_MAX_CONNS 16
#define API_DEF_MAX_SUBSCRIBERS 4
#define API_DEF_MAX_BODY (64 * 1024)
#define API_DEF_REQUEST_MS 5000
#define API_DEF_IDLE_S 30
#define API_METRICS_MAX (64 * 1024)
#define API_REASON_MAX 200          /* bytes of an event's reason kept */
#define API_POWER_TIMEOUT_MAX_MS 3600000
#define API_CONSOLE_MAX (64 * 1024) /* bytes of GET /console */

enum api_vm_state {
    API_VM_STARTING,                /* built, vCPUs not yet running */
    API_VM_RUNNING,
    API_VM_PAUSED,
    API_VM_SHUTTING_DOWN,           /* a power action is under way */
    API_VM_OFF,                     /* ended; the process is leaving */
    API_VM__COUNT,
};

enum api_power_action {
    API_POWER_ACPI_SHUTDOWN,        /* press the power button, then stop
                                       after the timeout */
    API_POWER_RESET,                /* reboot the guest at once */
    API_POWER_STOP,                 /* end the VM at once */
    API_POWER__COUNT,
};

struct api_power_req {
    enum api_power_action action;
    uint32_t timeout_ms;            /* ACPI_SHUTDOWN: hard stop after this
                                       long; 0: the VMM's default */
};

enum api_event_kind {
    API_EV_STARTED,
    API_EV_PAUSED,
    API_EV_RESUMED,
    API_EV_RESET,
    API_EV_POWERED_OFF,
    API_EV_CRASHED,
    API_EV__COUNT,
};

/* What GET /vm shows beside the server's own "pid". describe() fills it;
 * the server owns every json_t here and frees them. */
struct api_vm_info {
    enum api_vm_state state;
    uint64_t uptime_ms;             /* since the VM started running */
    json_t *config;                 /* set by describe(): an object in the
                                       schema of vmm/config_json.h */
    json_t *vcpus;                  /* [] given; api_info_vcpu() adds */
    json_t *devices;                /* [] given; api_info_device() adds */
};

/* Bounded text for GET /metrics: a write that does not fit is dropped
 * whole and marks the text truncated (the server says so in a comment). */
struct api_text {
    char *buf;
    size_t len, cap;
    bool truncated;
};

struct api_vm_ops {
    /* GET /vm: fill (info). Returns 0 or -errno (answered 500). */
    int (*describe)(void *ctx, struct api_vm_info *info);
    /* PUT /vm/state: (want) is API_VM_RUNNING or API_VM_PAUSED; asking for
     * the state the VM is in succeeds. Returns 0 once the VM is in that
     * state, -EBUSY when it cannot change now (starting, shutting down:
     * 409), or -errno (500). */
    int (*set_state)(void *ctx, enum api_vm_state want);
    /* PUT /vm/power: start (req)'s action and return; 0, -EBUSY (409),
     * -ENOTSUP (501), or -errno (500). */
    int (*power)(void *ctx, const struct api_power_req *req);
    /* GET /metrics: Prometheus text lines into (out) with
     * api_text_printf(). Returns 0 or -errno (500). */
    int (*metrics)(void *ctx, struct api_text *out);
    /* GET /console: copy the newest console output, at most (cap) bytes
     * (API_CONSOLE_MAX), oldest first, into (buf) and set (*len). Returns
     * 0, -ENOTSUP when the VM keeps none (501), or -errno (500). NULL: the
     * VM keeps none. */
    int (*console)(void *ctx, char *buf, size_t cap, size_t *len);
};

struct api_server_config {
    const char *sock_path;          /* made here (0600); must not exist */
    const struct api_vm_ops *ops;
    void *ctx;
    /* Limits; 0 takes the default. */
    unsigned max_conns;             /* open connections (more wait in the
                                       listen backlog or are refused) */
    unsigned max_subscribers;       /* GET /events streams at once */
    size_t max_body;                /* request body bytes (more: 413) */
    unsigned request_ms;            /* a request must arrive whole within
                                       this, or its connection is closed */
    unsigned idle_s;                /* no progress for this long: closed */
};

struct api_server;

/* Create the socket at (cfg->sock_path), start the API thread. Returns 0,
 * -EADDRINUSE if the path exists, -ENAMETOOLONG, or -errno. */
int api_server_start(struct api_server **out,
                     const struct api_server_config *cfg) MUST_CHECK;

/* Send what subscribers have not had yet (briefly), close every
 * connection, join the thread, remove the socket, free (s). NULL: no-op. */
void api_server_stop(struct api_server *s);

/* Tell every GET /events subscriber: {"seq":N,"time_ms":T,"event":KIND,
 * "reason":R}. (reason) may be NULL; ASCII, cut at API_REASON_MAX. Safe
 * from any thread; never blocks on a client: a subscriber that falls
 * behind loses the oldest events and is told how many. NULL (s): no-op. */
void api_event(struct api_server *s, enum api_event_kind kind,
               const char *reason);

/* Names on the wire: "running", "acpi-shutdown", "powered-off", ... */
const char *api_state_name(enum api_vm_state s);
const char *api_power_name(enum api_power_action a);
const char *api_event_name(enum api_event_kind k);

/* Helpers for describe(). Append {"id": id, "exits": exits} to
 * info->vcpus; returns 0 or -ENOMEM. */
int api_info_vcpu(struct api_vm_info *info, unsigned id, uint64_t exits)
    MUST_CHECK;

/* Append {"id": id, "kind": kind, "counters": {}} to info->devices and
 * return its counters object (owned by info), or NULL for no memory. */
json_t *api_info_device(struct api_vm_info *info, const char *id,
                        const char *kind);

/* counters[name] = value; returns 0 or -ENOMEM. */
int api_info_counter(json_t *counters, const char *name, uint64_t value)
    MUST_CHECK;

/* Append to (t) as printf() would, all or nothing. */
void api_text_printf(struct api_text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
