/* The control API's endpoints (docs/api.md), without sockets. */
#include "api/route.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/jfield.h"

#define TYPE_JSON "application/json"
#define TYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define TYPE_EVENTS "application/x-ndjson"
#define TYPE_CONSOLE "application/octet-stream"

static const char *const state_names[API_VM__COUNT] = {
    [API_VM_STARTING] = "starting",
    [API_VM_RUNNING] = "running",
    [API_VM_PAUSED] = "paused",
    [API_VM_SHUTTING_DOWN] = "shutting-down",
    [API_VM_OFF] = "off",
};

static const char *const power_names[API_POWER__COUNT] = {
    [API_POWER_ACPI_SHUTDOWN] = "acpi-shutdown",
    [API_POWER_RESET] = "reset",
    [API_POWER_STOP] = "stop",
};

static const char *const event_names[API_EV__COUNT] = {
    [API_EV_STARTED] = "started",
    [API_EV_PAUSED] = "paused",
    [API_EV_RESUMED] = "resumed",
    [API_EV_RESET] = "reset",
    [API_EV_POWERED_OFF] = "powered-off",
    [API_EV_CRASHED] = "crashed",
};

const char *api_state_name(enum api_vm_state s)
{
    return (unsigned)s < API_VM__COUNT ? state_names[s] : "unknown";
}

const char *api_power_name(enum api_power_action a)
{
    return (unsigned)a < API_POWER__COUNT ? power_names[a] : "unknown";
}

const char *api_event_name(enum api_event_kind k)
{
    return (unsigned)k < API_EV__COUNT ? event_names[k] : "unknown";
}

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* JSON integers are signed 64-bit. */
static json_t *json_u64(uint64_t v)
{
    return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* ---- describe() and metrics() helpers (api.h) ---- */

int api_info_vcpu(struct api_vm_info *info, unsigned id, uint64_t exits)
{
    json_t *v = json_object();

    if (!v || json_array_append_new(info->vcpus, v) < 0 ||
        json_object_set_new(v, "id", json_integer(id)) < 0 ||
        json_object_set_new(v, "exits", json_u64(exits)) < 0)
        return -ENOMEM;
    return 0;
}

json_t *api_info_device(struct api_vm_info *info, const char *id,
                        const char *kind)
{
    json_t *d = json_object(), *counters = json_object();

    if (!d || json_array_append_new(info->devices, d) < 0 ||
        json_object_set_new(d, "id", json_string(id)) < 0 ||
        json_object_set_new(d, "kind", json_string(kind)) < 0 ||
        json_object_set_new(d, "counters", counters) < 0)
        return NULL;
    return counters;
}

int api_info_counter(json_t *counters, const char *name, uint64_t value)
{
    return json_object_set_new(counters, name, json_u64(value)) < 0 ? -ENOMEM
                                                                   : 0;
}

void api_text_printf(struct api_text *t, const char *fmt, ...)
{
    size_t room = t->cap - t->len;
    va_list ap;
    int n;

    if (t->truncated || !t->buf || t->len >= t->cap) {
        t->truncated = true;
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(t->buf + t->len, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        t->buf[t->len] = '\0';
        t->truncated = true;
        return;
    }
    t->len += (size_t)n;
}

/* ---- replies ---- */

/* 200-class or error reply with the JSON (o), which is taken. */
static void reply_json(struct api_reply *out, unsigned status, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

    json_decref(o);
    out->status = s ? status : 500;
    out->type = s ? TYPE_JSON : NULL;
    out->body = s;
    out->len = s ? strlen(s) : 0;
}

void api_reply_error(struct api_reply *out, unsigned status,
                     const char *fmt, ...)
{
    char msg[512];
    json_t *s;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jfield_one_line(msg);       /* it may quote the client's strings */
    s = json_string(msg);
    if (!s) {                   /* not UTF-8 (a cut one, a raw path) */
        for (char *c = msg; *c; c++)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        s = json_string(msg);
    }
    free(out->body);
    out->body = NULL;
    reply_json(out, status, s ? json_pack("{s:o}", "error", s) : NULL);
}

void api_reply_free(struct api_reply *r)
{
    free(r->body);
    r->body = NULL;
}

/* What an op's error means to the client. */
static void reply_rc(struct api_reply *out, int rc, unsigned ok)
{
    if (rc == 0)
        out->status = ok;
    else if (rc == -EBUSY)
        api_reply_error(out, 409, "the VM cannot do that in its current "
                        "state");
    else if (rc == -ENOTSUP)
        api_reply_error(out, 501, "this VM cannot do that");
    else
        api_reply_error(out, 500, "the VM failed: %s", strerror(-rc));
}

/* The body as a JSON object with only (fields); NULL after a 400. */
static json_t *parse_body(const char *body, size_t len,
                          const struct jfield *fields, size_t n,
                          const char *usage, struct api_reply *out)
{
    char err[256];
    json_error_t je;
    json_t *o;

    if (len == 0) {
        api_reply_error(out, 400, "a JSON body is required: %s", usage);
        return NULL;
    }
    o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!o) {
        jfield_json_error(err, sizeof(err), &je);
        api_reply_error(out, 400, "%s", err);
        return NULL;
    }
    if (jfield_check(o, "", fields, n, err, sizeof(err)) < 0) {
        json_decref(o);
        api_reply_error(out, 400, "%s", err);
        return NULL;
    }
    return o;
}

/* ---- endpoints ---- */

static void get_vm(const struct api_router *rt, const char *body,
                   size_t len, struct api_reply *out)
{
    struct api_vm_info info = { .vcpus = json_array(),
                                .devices = json_array() };
    json_t *o = NULL;
    int rc = info.vcpus && info.devices ? 0 : -ENOMEM;

    (void)body;
    (void)len;
    if (rc == 0)
        rc = rt->ops->describe(rt->ctx, &info);
    if (rc == 0) {
        o = json_object();
        if (!info.config)
            info.config = json_object();
        if (!o || json_object_set_new(o, "pid", json_integer(rt->pid)) < 0 ||
            json_object_set_new(o, "state",
                                json_string(api_state_name(info.state))) < 0 ||
            json_object_set_new(o, "uptime_ms", json_u64(info.uptime_ms)) < 0)
            rc = -ENOMEM;
    }
    if (rc == 0 && (json_object_set(o, "config", info.config) < 0 ||
                    json_object_set(o, "vcpus", info.vcpus) < 0 ||
                    json_object_set(o, "devices", info.devices) < 0))
        rc = -ENOMEM;
    json_decref(info.config);
    json_decref(info.vcpus);
    json_decref(info.devices);
    if (rc < 0) {
        json_decref(o);
        reply_rc(out, rc, 200);
        return;
    }
    reply_json(out, 200, o);
}

static const struct jfield state_fields[] = {
    { "state", JF_STRING, true },
};

static void put_state(const struct api_router *rt, const char *body,
                      size_t len, struct api_reply *out)
{
    json_t *o = parse_body(body, len, state_fields, ARRAY_SIZE(state_fields),
                           "{\"state\": \"running\"|\"paused\"}", out);
    const char *s;

    if (!o)
        return;
    s = json_string_value(json_object_get(o, "state"));
    if (!strcmp(s, "running"))
        reply_rc(out, rt->ops->set_state(rt->ctx, API_VM_RUNNING), 204);
    else if (!strcmp(s, "paused"))
        reply_rc(out, rt->ops->set_state(rt->ctx, API_VM_PAUSED), 204);
    else
        api_reply_error(out, 400, "state: '%.32s' is neither running nor "
                        "paused", s);
    json_decref(o);
}

static const struct jfield power_fields[] = {
    { "action", JF_STRING, true },
    { "timeout_ms", JF_INT, false },
};

static int read_power(const json_t *o, struct api_power_req *req,
                      struct api_reply *out)
{
    const char *s = json_string_value(json_object_get(o, "action"));
    const json_t *t = json_object_get(o, "timeout_ms");
    int a = lookup(power_names, ARRAY_SIZE(power_names), s);

    if (a < 0) {
        api_reply_error(out, 400, "action: '%.32s' is not acpi-shutdown, "
                        "reset or stop", s);
        return -EINVAL;
    }
    req->action = (enum api_power_action)a;
    if (!t)
        return 0;
    if (req->action != API_POWER_ACPI_SHUTDOWN) {
        api_reply_error(out, 400, "timeout_ms: only with acpi-shutdown");
        return -EINVAL;
    }
    if (json_integer_value(t) < 1 ||
        json_integer_value(t) > API_POWER_TIMEOUT_MAX_MS) {
        api_reply_error(out, 400, "timeout_ms: %lld is out of range (1 to "
                        "%d)", (long long)json_integer_value(t),
                        API_POWER_TIMEOUT_MAX_MS);
        return -EINVAL;
    }
    req->timeout_ms = (uint32_t)json_integer_value(t);
    return 0;
}

static void put_power(const struct api_router *rt, const char *body,
                      size_t len, struct api_reply *out)
{
    json_t *o = parse_body(body, len, power_fields, ARRAY_SIZE(power_fields),
                           "{\"action\": \"acpi-shutdown\"|\"reset\"|\"stop\"}",
                           out);
    struct api_power_req req = { 0 };

    if (!o)
        return;
    if (read_power(o, &req, out) == 0)
        reply_rc(out, rt->ops->power(rt->ctx, &req), 202);
    json_decref(o);
}

static void get_metrics(const struct api_router *rt, const char *body,
                        size_t len, struct api_reply *out)
{
    static const char cut[] = "# vessel: truncated\n";
    struct api_text t = { .buf = malloc(API_METRICS_MAX + sizeof(cut)),
                          .cap = API_METRICS_MAX };
    int rc = t.buf ? 0 : -ENOMEM;

    (void)body;
    (void)len;
    if (rc == 0)
        rc = rt->ops->metrics(rt->ctx, &t);
    if (rc < 0) {
        free(t.buf);
        reply_rc(out, rc, 200);
        return;
    }
    if (rt->own_metrics)
        rt->own_metrics(rt->srv, &t);
    if (t.truncated) {
        memcpy(t.buf + t.len, cut, sizeof(cut));
        t.len += sizeof(cut) - 1;
    }
    out->status = 200;
    out->type = TYPE_METRICS;
    out->body = t.buf;
    out->len = t.len;
}

/* The console's history: raw guest bytes (not necessarily UTF-8, with the
 * guest's own \r\n), so octet-stream rather than text. */
static void get_console(const struct api_router *rt, const char *body,
                        size_t len, struct api_reply *out)
{
    char *buf;
    size_t n = 0;
    int rc;

    (void)body;
    (void)len;
    if (!rt->ops->console) {
        reply_rc(out, -ENOTSUP, 200);
        return;
    }
    buf = malloc(API_CONSOLE_MAX);
    rc = buf ? rt->ops->console(rt->ctx, buf, API_CONSOLE_MAX, &n) : -ENOMEM;
    if (rc < 0) {
        free(buf);
        reply_rc(out, rc, 200);
        return;
    }
    out->status = 200;
    out->type = TYPE_CONSOLE;
    out->body = buf;
    out->len = n < API_CONSOLE_MAX ? n : API_CONSOLE_MAX;
}

static void get_events(const struct api_router *rt, const char *body,
                       size_t len, struct api_reply *out)
{
    (void)rt;
    (void)body;
    (void)len;
    out->status = 200;
    out->type = TYPE_EVENTS;
    out->stream = true;
}

typedef void (*handler_fn)(const struct api_router *rt, const char *body,
                           size_t len, struct api_reply *out);

static const struct route {
    const char *path;
    const char *method;
    handler_fn fn;
} routes[] = {
    { "/vm", "GET", get_vm },
    { "/vm/state", "PUT", put_state },
    { "/vm/power", "PUT", put_power },
    { "/metrics", "GET", get_metrics },
    { "/events", "GET", get_events },
    { "/console", "GET", get_console },
};

void api_route(const struct api_router *rt, const char *method,
               const char *path, const char *body, size_t len,
               struct api_reply *out)
{
    const char *allow = NULL;

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
        if (strcmp(routes[i].path, path) != 0)
            continue;
        if (strcmp(routes[i].method, method) == 0) {
            routes[i].fn(rt, body, len, out);
            return;
        }
        allow = routes[i].method;   /* one method per path */
    }
    if (allow) {
        api_reply_error(out, 405, "%s takes %s only", path, allow);
        out->allow = allow;
        return;
    }
    api_reply_error(out, 404, "no such endpoint: %.64s", path);
}
