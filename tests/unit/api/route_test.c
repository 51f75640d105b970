/* Requests to replies without sockets: every endpoint and method, every
 * class of bad input, and the VM's state untouched by all of them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api/route.h"
#include "helpers/fake_vm.h"

struct ctx {
    struct fake_vm f;
    struct api_router rt;
    struct api_reply rep;
    json_t *json;                   /* the reply's body, parsed */
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));

    fake_vm_init(&c->f);
    c->rt = (struct api_router){ .ops = &fake_vm_ops, .ctx = &c->f,
                                 .pid = 42 };
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;

    api_reply_free(&c->rep);
    json_decref(c->json);
    free(c);
    return 0;
}

/* Route (body) and return the status; the reply is in c->rep, its JSON
 * body (if any) in c->json. */
static unsigned req(struct ctx *c, const char *method, const char *path,
                    const char *body)
{
    api_reply_free(&c->rep);
    json_decref(c->json);
    c->json = NULL;
    api_route(&c->rt, method, path, body, body ? strlen(body) : 0, &c->rep);
    if (c->rep.type && !strcmp(c->rep.type, "application/json"))
        c->json = json_loadb(c->rep.body, c->rep.len, 0, NULL);
    return c->rep.status;
}

static const char *error_of(struct ctx *c)
{
    const char *e = json_string_value(json_object_get(c->json, "error"));

    assert_non_null(e);
    assert_null(strchr(e, '\n'));
    return e;
}

/* Nothing reached the VM. */
static void assert_untouched(struct ctx *c)
{
    assert_int_equal(c->f.set_states, 0);
    assert_int_equal(c->f.powers, 0);
    assert_int_equal(c->f.state, API_VM_RUNNING);
}

static void test_get_vm(void **state)
{
    struct ctx *c = *state;
    json_t *cfg;

    assert_int_equal(req(c, "GET", "/vm", NULL), 200);
    assert_non_null(c->json);
    assert_int_equal(json_integer_value(json_object_get(c->json, "pid")), 42);
    assert_string_equal(json_string_value(json_object_get(c->json, "state")),
                        "running");
    assert_int_equal(json_integer_value(json_object_get(c->json,
                                                        "uptime_ms")), 1234);
    cfg = json_object_get(c->json, "config");
    assert_string_equal(json_string_value(json_object_get(cfg, "name")),
                        "test-vm");
    assert_int_equal(json_array_size(json_object_get(c->json, "vcpus")), 2);
    assert_int_equal(json_array_size(json_object_get(c->json, "devices")), 2);
    assert_int_equal(c->f.describes, 1);
}

static void test_put_state(void **state)
{
    struct ctx *c = *state;

    assert_int_equal(req(c, "PUT", "/vm/state", "{\"state\":\"paused\"}"), 204);
    assert_null(c->rep.body);
    assert_int_equal(c->f.state, API_VM_PAUSED);
    assert_int_equal(req(c, "PUT", "/vm/state", " {\"state\": \"running\"}\n"),
                     204);
    assert_int_equal(c->f.state, API_VM_RUNNING);
    assert_int_equal(c->f.set_states, 2);
}

static void test_put_power(void **state)
{
    static const char *const actions[] = { "acpi-shutdown", "reset", "stop" };
    struct ctx *c = *state;
    char body[64];

    for (unsigned i = 0; i < 3; i++) {
        snprintf(body, sizeof(body), "{\"action\":\"%s\"}", actions[i]);
        assert_int_equal(req(c, "PUT", "/vm/power", body), 202);
        assert_int_equal(c->f.last_power.action, i);
        assert_int_equal(c->f.last_power.timeout_ms, 0);
    }
    assert_int_equal(req(c, "PUT", "/vm/power",
                         "{\"action\":\"acpi-shutdown\",\"timeout_ms\":9000}"),
                     202);
    assert_int_equal(c->f.last_power.timeout_ms, 9000);
    assert_int_equal(c->f.powers, 4);
}

static void test_metrics_and_events(void **state)
{
    struct ctx *c = *state;

    assert_int_equal(req(c, "GET", "/metrics", NULL), 200);
    assert_string_equal(c->rep.type, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(c->rep.body, "vessel_vcpu_exits_total{vcpu=\"0\",reason=\"pio\"} 10\n"));
    assert_int_equal(req(c, "GET", "/events", NULL), 200);
    assert_true(c->rep.stream);
    assert_string_equal(c->rep.type, "application/x-ndjson");
}

/* GET /console: the VM's bytes as they are (a NUL and 0xff included);
 * a VM without the op or without a history answers 501. */
static void test_console(void **state)
{
    struct ctx *c = *state;
    struct api_vm_ops no_console = fake_vm_ops;

    assert_int_equal(req(c, "GET", "/console", NULL), 200);
    assert_string_equal(c->rep.type, "application/octet-stream");
    assert_int_equal(c->rep.len, 28);
    assert_memory_equal(c->rep.body, "Linux version 6.1\r\n\xff login: ", 28);
    assert_int_equal(c->f.console_calls, 1);
    assert_int_equal(req(c, "PUT", "/console", "{}"), 405);
    assert_string_equal(c->rep.allow, "GET");
    c->f.fail = -ENOTSUP;
    assert_int_equal(req(c, "GET", "/console", NULL), 501);
    c->f.fail = 0;
    no_console.console = NULL;
    c->rt.ops = &no_console;
    assert_int_equal(req(c, "GET", "/console", NULL), 501);
    c->rt.ops = &fake_vm_ops;
}

static void test_unknown_path_and_method(void **state)
{
    static const char *const paths[] = { "/", "/vm/", "/VM", "/vm/state/x",
                                         "/events?x", "", "/metrics/" };
    struct ctx *c = *state;

    for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
        assert_int_equal(req(c, "GET", paths[i], NULL), 404);
        error_of(c);
    }
    assert_int_equal(req(c, "POST", "/vm", "{}"), 405);
    assert_string_equal(c->rep.allow, "GET");
    assert_int_equal(req(c, "GET", "/vm/state", NULL), 405);
    assert_string_equal(c->rep.allow, "PUT");
    assert_int_equal(req(c, "DELETE", "/vm/power", NULL), 405);
    assert_string_equal(c->rep.allow, "PUT");
    assert_int_equal(req(c, "PUT", "/metrics", "{}"), 405);
    assert_int_equal(req(c, "HEAD", "/events", NULL), 405);
    assert_untouched(c);
}

static void test_b15_malformed_json(void **state)
{
    static const char *const bad[] = {
        "{", "}", "nul", "{\"state\":\"paused\"", "{\"state\":'paused'}",
        "{\"state\":\"paused\"}x", "{\"state\":\"paused\",}", "\xff\xfe",
        "{\"state\":\"pa\\u0000used\"}", "{\"state\":\"\xc3\"}",
        "{\"state\":\"paused\",\"state\":\"running\"}",
    };
    struct ctx *c = *state;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(req(c, "PUT", "/vm/state", bad[i]), 400);
        error_of(c);
    }
    assert_int_equal(req(c, "PUT", "/vm/state", ""), 400);
    assert_non_null(strstr(error_of(c), "JSON body is required"));
    assert_untouched(c);
}

static void test_b15_deep_nesting(void **state)
{
    struct ctx *c = *state;
    size_t n = 200000;
    char *s = malloc(2 * n + 1);

    memset(s, '[', n);
    memset(s + n, ']', n);
    s[2 * n] = '\0';
    assert_int_equal(req(c, "PUT", "/vm/power", s), 400);
    memset(s, '{', 1);
    assert_int_equal(req(c, "PUT", "/vm/power", s), 400);
    free(s);
    assert_untouched(c);
}

static void test_b15_not_an_object(void **state)
{
    static const char *const bad[] = { "1", "\"paused\"", "null", "true" };
    struct ctx *c = *state;

    assert_int_equal(req(c, "PUT", "/vm/state", "[{\"state\":\"paused\"}]"),
                     400);
    assert_string_equal(error_of(c), "(top level): expected an object");
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_int_equal(req(c, "PUT", "/vm/state", bad[i]), 400);
        error_of(c);
    }
    assert_untouched(c);
}

static void test_b15_unknown_field(void **state)
{
    struct ctx *c = *state;

    assert_int_equal(req(c, "PUT", "/vm/state",
                         "{\"state\":\"paused\",\"force\":true}"), 400);
    assert_string_equal(error_of(c), "force: unknown field");
    assert_int_equal(req(c, "PUT", "/vm/power",
                         "{\"action\":\"stop\",\"Timeout_ms\":1}"), 400);
    assert_string_equal(error_of(c), "Timeout_ms: unknown field");
    assert_int_equal(req(c, "PUT", "/vm/power",
                         "{\"action\":\"stop\",\"a\\nb\":1}"), 400);
    assert_string_equal(error_of(c), "a?b: unknown field");
    assert_untouched(c);
}

static void test_b15_wrong_type(void **state)
{
    static const struct { const char *path, *body, *error; } cases[] = {
        { "/vm/state", "{\"state\":1}", "state: expected a string" },
        { "/vm/state", "{\"state\":null}", "state: expected a string" },
        { "/vm/state", "{\"state\":[\"paused\"]}", "state: expected a string" },
        { "/vm/power", "{\"action\":true}", "action: expected a string" },
        { "/vm/power", "{\"action\":\"acpi-shutdown\",\"timeout_ms\":\"5\"}",
          "timeout_ms: expected an integer" },
        { "/vm/power", "{\"action\":\"acpi-shutdown\",\"timeout_ms\":1.5}",
          "timeout_ms: expected an integer" },
        { "/vm/power", "{\"action\":\"acpi-shutdown\",\"timeout_ms\":1e3}",
          "timeout_ms: expected an integer" },
    };
    struct ctx *c = *state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(req(c, "PUT", cases[i].path, cases[i].body), 400);
        assert_string_equal(error_of(c), cases[i].error);
    }
    assert_untouched(c);
}

static void test_bad_values(void **state)
{
    static const struct { const char *path, *body, *error; } cases[] = {
        { "/vm/state", "{}", "state: missing" },
        { "/vm/state", "{\"state\":\"frozen\"}",
          "state: 'frozen' is neither running nor paused" },
        { "/vm/state", "{\"state\":\"off\"}",
          "state: 'off' is neither running nor paused" },
        { "/vm/state", "{\"state\":\"a\\nb\\u0001\"}",
          "state: 'a?b?' is neither running nor paused" },
        { "/vm/power", "{\"timeout_ms\":5}", "action: missing" },
        { "/vm/power", "{\"action\":\"halt\"}",
          "action: 'halt' is not acpi-shutdown, reset or stop" },
        { "/vm/power", "{\"action\":\"stop\",\"timeout_ms\":5}",
          "timeout_ms: only with acpi-shutdown" },
        { "/vm/power", "{\"action\":\"acpi-shutdown\",\"timeout_ms\":0}",
          "timeout_ms: 0 is out of range (1 to 3600000)" },
        { "/vm/power", "{\"action\":\"acpi-shutdown\",\"timeout_ms\":-1}",
          "timeout_ms: -1 is out of range (1 to 3600000)" },
        { "/vm/power",
          "{\"action\":\"acpi-shutdown\",\"timeout_ms\":99999999999999999999}",
          NULL },
    };
    struct ctx *c = *state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(req(c, "PUT", cases[i].path, cases[i].body), 400);
        if (cases[i].error)
            assert_string_equal(error_of(c), cases[i].error);
        else
            error_of(c);
    }
    assert_untouched(c);
}

static void test_vm_errors(void **state)
{
    static const struct { int err; unsigned status; } cases[] = {
        { -EBUSY, 409 }, { -ENOTSUP, 501 }, { -EIO, 500 }, { -ENOMEM, 500 },
    };
    struct ctx *c = *state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        c->f.fail = cases[i].err;
        assert_int_equal(req(c, "PUT", "/vm/state", "{\"state\":\"paused\"}"),
                         cases[i].status);
        error_of(c);
        assert_int_equal(req(c, "PUT", "/vm/power", "{\"action\":\"reset\"}"),
                         cases[i].status);
        error_of(c);
        assert_int_equal(req(c, "GET", "/vm", NULL), cases[i].status);
        error_of(c);
        assert_int_equal(req(c, "GET", "/metrics", NULL), cases[i].status);
        error_of(c);
    }
    assert_int_equal(c->f.state, API_VM_RUNNING);
}

static int big_metrics(void *ctx, struct api_text *out)
{
    (void)ctx;
    for (unsigned i = 0; i < 100000; i++)
        api_text_printf(out, "vessel_test_total{n=\"%u\"} %u\n", i, i);
    return 0;
}

static void test_metrics_bounded(void **state)
{
    struct ctx *c = *state;
    struct api_vm_ops ops = fake_vm_ops;

    ops.metrics = big_metrics;
    c->rt.ops = &ops;
    assert_int_equal(req(c, "GET", "/metrics", NULL), 200);
    assert_true(c->rep.len <= API_METRICS_MAX + 32);
    assert_non_null(strstr(c->rep.body, "\n# vessel: truncated\n"));
    /* Whole lines only. */
    assert_int_equal(c->rep.body[c->rep.len - 1], '\n');
    c->rt.ops = &fake_vm_ops;
}

static void test_text_printf(void **state)
{
    char buf[16];
    struct api_text t = { .buf = buf, .cap = sizeof(buf) };
    (void)state;

    api_text_printf(&t, "%s", "0123456789");
    assert_int_equal(t.len, 10);
    api_text_printf(&t, "%s", "abcdef");    /* 16 with the NUL: no */
    assert_int_equal(t.len, 10);
    assert_true(t.truncated);
    api_text_printf(&t, "x");               /* nothing after a cut */
    assert_int_equal(t.len, 10);
    assert_string_equal(buf, "0123456789");
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(api_state_name(API_VM_SHUTTING_DOWN), "shutting-down");
    assert_string_equal(api_state_name(API_VM__COUNT), "unknown");
    assert_string_equal(api_power_name(API_POWER_ACPI_SHUTDOWN),
                        "acpi-shutdown");
    assert_string_equal(api_event_name(API_EV_POWERED_OFF), "powered-off");
    assert_string_equal(api_event_name(API_EV__COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_get_vm, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_power, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_and_events, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_path_and_method, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_b15_malformed_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_b15_deep_nesting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_b15_not_an_object, setup, teardown),
        cmocka_unit_test_setup_teardown(test_b15_unknown_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_b15_wrong_type, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vm_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metrics_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_console, setup, teardown),
        cmocka_unit_test(test_text_printf),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("api/route", tests, NULL, NULL);
}
