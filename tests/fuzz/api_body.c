/* libFuzzer target: control API requests through api_route(), the
 * function the server calls once a request is in (no sockets).
 *
 * Input: byte 0 picks the method, byte 1 the path, byte 2 what the fake
 * VM's ops return (success or one of the errors they may give) and how
 * much metrics text it writes; the rest is the request body.
 *
 * Checked on every input (a failed check traps):
 *  - the status is one the API documents, and every error reply is a JSON
 *    object {"error": one line}; a 405 names the allowed method;
 *  - a 4xx never reaches the VM: set_state and power run only for a
 *    well-formed request, with a valid state / action / timeout;
 *  - a 2xx JSON body parses, metrics stay within API_METRICS_MAX. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/route.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

static const char *const methods[] = { "GET", "PUT", "POST", "DELETE",
                                       "HEAD", "PATCH", "" };
static const char *const paths[] = { "/vm", "/vm/state", "/vm/power",
                                     "/metrics", "/events", "/", "/vm/",
                                     "/vm/state/x", "" };
static const int results[] = { 0, -EBUSY, -ENOTSUP, -EIO, -ENOMEM };

struct fake {
    int result;
    unsigned metric_lines;
    unsigned vm_calls;              /* set_state and power */
};

static int f_describe(void *ctx, struct api_vm_info *info)
{
    struct fake *f = ctx;
    json_t *dev;

    if (f->result)
        return f->result;
    info->state = API_VM_RUNNING;
    info->config = json_pack("{s:s, s:i}", "kernel", "/k", "cpus", 1);
    dev = api_info_device(info, "disk0", "virtio-blk");
    CHECK(dev && api_info_vcpu(info, 0, UINT64_MAX) == 0 &&
          api_info_counter(dev, "reads", 1) == 0);
    return 0;
}

static int f_set_state(void *ctx, enum api_vm_state want)
{
    struct fake *f = ctx;

    CHECK(want == API_VM_RUNNING || want == API_VM_PAUSED);
    f->vm_calls++;
    return f->result;
}

static int f_power(void *ctx, const struct api_power_req *req)
{
    struct fake *f = ctx;

    CHECK((unsigned)req->action < API_POWER__COUNT);
    CHECK(req->timeout_ms <= API_POWER_TIMEOUT_MAX_MS);
    CHECK(req->timeout_ms == 0 || req->action == API_POWER_ACPI_SHUTDOWN);
    f->vm_calls++;
    return f->result;
}

static int f_metrics(void *ctx, struct api_text *out)
{
    struct fake *f = ctx;

    for (unsigned i = 0; i < f->metric_lines; i++)
        api_text_printf(out, "vessel_fuzz_total{i=\"%u\"} %u\n", i, i);
    return f->result;
}

static const struct api_vm_ops fake_ops = {
    .describe = f_describe, .set_state = f_set_state, .power = f_power,
    .metrics = f_metrics,
};

static bool documented(unsigned status)
{
    static const unsigned ok[] = { 200, 202, 204, 400, 404, 405, 409, 500,
                                   501 };

    for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
        if (ok[i] == status)
            return true;
    return false;
}

static void check_reply(const struct api_reply *r, const struct fake *f)
{
    json_t *j = NULL;

    CHECK(documented(r->status));
    if (r->status >= 400)
        CHECK(f->vm_calls == 0 || r->status >= 409);
    if (r->status == 405)
        CHECK(r->allow && r->allow[0]);
    if (r->type && !strcmp(r->type, "application/json")) {
        j = json_loadb(r->body, r->len, 0, NULL);
        CHECK(j);
    }
    if (r->status >= 400 && r->body) {
        const char *e = json_string_value(json_object_get(j, "error"));

        CHECK(e && !strchr(e, '\n'));
    }
    if (r->status == 200 && r->type && !strncmp(r->type, "text/plain", 10))
        CHECK(r->len <= API_METRICS_MAX + 32);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fake f = { 0 };
    struct api_router rt = { .ops = &fake_ops, .ctx = &f, .pid = 1 };
    struct api_reply rep;

    if (size < 3)
        return 0;
    f.result = results[data[2] % ARRAY_SIZE(results)];
    f.metric_lines = (unsigned)(data[2] >> 3) * 200;
    api_route(&rt, methods[data[0] % ARRAY_SIZE(methods)],
              paths[data[1] % ARRAY_SIZE(paths)], (const char *)data + 3,
              size - 3, &rep);
    check_reply(&rep, &f);
    api_reply_free(&rep);
    return 0;
}
