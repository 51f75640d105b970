/* The running server against docs/openapi.yaml.
 *
 * The document is read with libyaml into a jansson tree (CI has no
 * Python; YAML stays the one source). Then, with a fake VM behind a real
 * socket:
 *  - every documented (path, method, status) is produced by some request
 *    below, and every answer's status, Content-Type, headers and body
 *    (JSON schema subset: type, enum, required, properties,
 *    additionalProperties, items, min/max, multipleOf, lengths, pattern,
 *    $ref) match the document; Prometheus text and JSON lines are checked
 *    line by line;
 *  - every request example validates against its schema and succeeds,
 *    and the same with an unknown field is a documented 400;
 *  - methods a path does not list answer 405 with Allow, unknown paths
 *    404, both with the Error schema;
 *  - a "dropped" events line as the hub writes it matches Event. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include <cmocka.h>

#include "api/client.h"
#include "api/events.h"
#include "helpers/fake_vm.h"

#define TIMEOUT_MS 5000
#define BIG_BODY ((const char *)1)  /* a body over the 64 KiB limit */

static json_t *spec;

/* ---- YAML -> JSON ---- */

static json_t *yaml_node(yaml_parser_t *p, yaml_event_t *ev);

static void next_event(yaml_parser_t *p, yaml_event_t *ev)
{
    if (!yaml_parser_parse(p, ev))
        fail_msg("openapi.yaml:%zu: %s", p->problem_mark.line + 1,
                 p->problem ? p->problem : "YAML error");
}

static json_t *yaml_scalar(const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    char *end;
    long long n;

    if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (!strcmp(v, "true") || !strcmp(v, "false"))
            return json_boolean(v[0] == 't');
        if (!strcmp(v, "null") || !strcmp(v, "~"))
            return json_null();
        errno = 0;
        n = strtoll(v, &end, 10);
        if (*v && !*end && !errno)
            return json_integer(n);
    }
    return json_stringn(v, ev->data.scalar.length);
}

/* The node that (ev) starts; (ev) is the caller's to delete. */
static json_t *yaml_node(yaml_parser_t *p, yaml_event_t *ev)
{
    bool map = ev->type == YAML_MAPPING_START_EVENT;
    yaml_event_type_t end = map ? YAML_MAPPING_END_EVENT
                                : YAML_SEQUENCE_END_EVENT;
    json_t *out;

    if (ev->type == YAML_SCALAR_EVENT)
        return yaml_scalar(ev);
    assert_true(map || ev->type == YAML_SEQUENCE_START_EVENT);
    out = map ? json_object() : json_array();
    for (;;) {
        yaml_event_t k, v;
        json_t *child;

        next_event(p, &k);
        if (k.type == end) {
            yaml_event_delete(&k);
            return out;
        }
        if (!map) {
            json_array_append_new(out, yaml_node(p, &k));
            yaml_event_delete(&k);
            continue;
        }
        assert_int_equal(k.type, YAML_SCALAR_EVENT);
        next_event(p, &v);
        child = yaml_node(p, &v);
        json_object_set_new(out, (const char *)k.data.scalar.value, child);
        yaml_event_delete(&k);
        yaml_event_delete(&v);
    }
}

static json_t *load_yaml(const char *path)
{
    FILE *f = fopen(path, "r");
    yaml_parser_t p;
    yaml_event_t ev;
    json_t *doc = NULL;

    assert_non_null(f);
    assert_int_equal(yaml_parser_initialize(&p), 1);
    yaml_parser_set_input_file(&p, f);
    for (;;) {
        next_event(&p, &ev);
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type == YAML_MAPPING_START_EVENT) {
            assert_null(doc);
            doc = yaml_node(&p, &ev);
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    fclose(f);
    assert_non_null(doc);
    return doc;
}

/* ---- a JSON schema subset ---- */

static const json_t *deref(const json_t *node)
{
    const char *ref = json_string_value(json_object_get(node, "$ref"));
    char buf[256], *save, *part;
    const json_t *at = spec;

    if (!ref)
        return node;
    assert_memory_equal(ref, "#/", 2);
    snprintf(buf, sizeof(buf), "%s", ref + 2);
    for (part = strtok_r(buf, "/", &save); part;
         part = strtok_r(NULL, "/", &save))
        at = json_object_get(at, part);
    if (!at)
        fail_msg("dangling $ref %s", ref);
    return deref(at);
}

static bool is_integer(const json_t *v)
{
    return json_is_integer(v);
}

static bool is_number(const json_t *v)
{
    return json_is_number(v);
}

static bool is_string(const json_t *v)
{
    return json_is_string(v);
}

static bool is_boolean(const json_t *v)
{
    return json_is_boolean(v);
}

static bool is_object(const json_t *v)
{
    return json_is_object(v);
}

static bool is_array(const json_t *v)
{
    return json_is_array(v);
}

static bool type_is(const json_t *v, const char *type)
{
    static const struct {
        const char *name;
        bool (*is)(const json_t *v);
    } types[] = {
        { "integer", is_integer }, { "number", is_number },
        { "string", is_string },   { "boolean", is_boolean },
        { "object", is_object },   { "array", is_array },
    };

    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (!strcmp(type, types[i].name))
            return types[i].is(v);
    fail_msg("unknown type %s in the schema", type);
    return false;
}

static void check(const json_t *schema, const json_t *v, const char *where);

static void check_object(const json_t *s, const json_t *v, const char *where)
{
    const json_t *props = json_object_get(s, "properties");
    const json_t *extra = json_object_get(s, "additionalProperties");
    const json_t *req;
    const char *key;
    json_t *val;
    size_t i;
    char sub[256];

    json_array_foreach(json_object_get(s, "required"), i, req)
        if (!json_object_get(v, json_string_value(req)))
            fail_msg("%s: required '%s' missing", where,
                     json_string_value(req));
    json_object_foreach((json_t *)v, key, val) {
        const json_t *ps = json_object_get(props, key);

        snprintf(sub, sizeof(sub), "%s.%s", where, key);
        if (ps)
            check(ps, val, sub);
        else if (json_is_false(extra))
            fail_msg("%s: not in the schema", sub);
        else if (json_is_object(extra))
            check(extra, val, sub);
    }
}

static void check_scalar(const json_t *s, const json_t *v, const char *where)
{
    const json_t *x;
    regex_t re;

    if (json_is_integer(v)) {
        json_int_t n = json_integer_value(v);

        if ((x = json_object_get(s, "minimum")) && n < json_integer_value(x))
            fail_msg("%s: %lld below minimum", where, (long long)n);
        if ((x = json_object_get(s, "maximum")) && n > json_integer_value(x))
            fail_msg("%s: %lld above maximum", where, (long long)n);
        if ((x = json_object_get(s, "multipleOf")) &&
            n % json_integer_value(x))
            fail_msg("%s: %lld not a multiple", where, (long long)n);
    }
    if (!json_is_string(v))
        return;
    if ((x = json_object_get(s, "minLength")) &&
        json_string_length(v) < (size_t)json_integer_value(x))
        fail_msg("%s: too short", where);
    if ((x = json_object_get(s, "maxLength")) &&
        json_string_length(v) > (size_t)json_integer_value(x))
        fail_msg("%s: too long", where);
    if ((x = json_object_get(s, "pattern"))) {
        assert_int_equal(regcomp(&re, json_string_value(x),
                                 REG_EXTENDED | REG_NOSUB), 0);
        if (regexec(&re, json_string_value(v), 0, NULL, 0))
            fail_msg("%s: '%s' does not match %s", where,
                     json_string_value(v), json_string_value(x));
        regfree(&re);
    }
}

static void check(const json_t *schema, const json_t *v, const char *where)
{
    const json_t *s = deref(schema), *e, *x;
    const char *type = json_string_value(json_object_get(s, "type"));
    size_t i;
    bool found = false;
    char sub[256];

    if (type && !type_is(v, type))
        fail_msg("%s: not of type %s", where, type);
    if ((x = json_object_get(s, "enum"))) {
        json_array_foreach(x, i, e)
            found |= json_equal(e, v);
        if (!found)
            fail_msg("%s: not one of the enum", where);
    }
    if (json_is_object(v))
        check_object(s, v, where);
    if (json_is_array(v)) {
        if ((x = json_object_get(s, "maxItems")) &&
            json_array_size(v) > (size_t)json_integer_value(x))
            fail_msg("%s: too many items", where);
        json_array_foreach(v, i, e) {
            snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
            check(json_object_get(s, "items"), e, sub);
        }
    }
    check_scalar(s, v, where);
}

/* ---- bodies by media type ---- */

/* name{label="v",...} value, or a comment, or nothing. */
static void check_prometheus_line(const char *l, size_t n)
{
    size_t i = 0;

    if (n == 0 || l[0] == '#')
        return;
    if (!isalpha((unsigned char)l[0]) && l[0] != '_' && l[0] != ':')
        fail_msg("metric line '%.*s': bad name", (int)n, l);
    while (i < n && (isalnum((unsigned char)l[i]) || l[i] == '_' || l[i] == ':'))
        i++;
    if (i < n && l[i] == '{') {
        const char *close = memchr(l + i, '}', n - i);

        if (!close)
            fail_msg("metric line '%.*s': unclosed labels", (int)n, l);
        i = (size_t)(close - l) + 1;
    }
    if (i >= n || l[i] != ' ' || !isdigit((unsigned char)l[i + 1]))
        fail_msg("metric line '%.*s': no value", (int)n, l);
    for (i++; i < n; i++)
        if (!isdigit((unsigned char)l[i]) && l[i] != '.' && l[i] != 'e' &&
            l[i] != '+' && l[i] != '-')
            fail_msg("metric line '%.*s': bad value", (int)n, l);
}

static void check_body(const char *media, const json_t *schema,
                       const char *body, size_t len, const char *what)
{
    json_error_t je;
    json_t *j;

    if (!strcmp(media, "application/octet-stream")) {
        /* Raw bytes: only the documented length bound applies. */
        const json_t *max = json_object_get(schema, "maxLength");

        assert_string_equal(json_string_value(json_object_get(schema,
                                                               "type")),
                            "string");
        if (max && len > (size_t)json_integer_value(max))
            fail_msg("%s: %zu bytes, more than maxLength", what, len);
        return;
    }
    if (!strcmp(media, "application/json")) {
        j = json_loadb(body, len, 0, &je);
        if (!j)
            fail_msg("%s: body is not JSON: %s", what, je.text);
        check(schema, j, what);
        json_decref(j);
        return;
    }
    for (const char *l = body; l < body + len;) {
        const char *nl = memchr(l, '\n', (size_t)(body + len - l));
        size_t n = nl ? (size_t)(nl - l) : (size_t)(body + len - l);

        if (!strcmp(media, "text/plain")) {
            check_prometheus_line(l, n);
        } else {
            j = json_loadb(l, n, 0, &je);
            if (!j)
                fail_msg("%s: line is not JSON", what);
            check(schema, j, what);
            json_decref(j);
        }
        l += n + 1;
    }
}

/* ---- the document's operations ---- */

static const json_t *operation(const char *path, const char *method)
{
    char m[16];
    size_t i;

    for (i = 0; method[i] && i < sizeof(m) - 1; i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    return json_object_get(json_object_get(json_object_get(spec, "paths"),
                                           path), m);
}

static json_t *covered;                 /* {"GET /vm 200": true} */

/* Check an answer (r) to (method path) against the document. */
static void check_answer(const char *method, const char *path,
                         const struct api_http_head *h, const char *body,
                         size_t len)
{
    const json_t *op = operation(path, method), *resp, *content, *mt;
    char code[8], what[128], media[64];

    snprintf(what, sizeof(what), "%s %s %u", method, path, h->status);
    assert_non_null(op);
    snprintf(code, sizeof(code), "%u", h->status);
    resp = json_object_get(json_object_get(op, "responses"), code);
    if (!resp)
        fail_msg("%s: status not documented", what);
    json_object_set_new(covered, what, json_true());
    resp = deref(resp);
    content = json_object_get(resp, "content");
    if (!content) {
        assert_int_equal(len, 0);
        return;
    }
    snprintf(media, sizeof(media), "%.*s", (int)strcspn(h->type, "; "),
             h->type);
    mt = json_object_get(content, media);
    if (!mt)
        fail_msg("%s: Content-Type '%s' not documented", what, h->type);
    check_body(media, json_object_get(mt, "schema"), body, len, what);
}

/* ---- requests ---- */

struct server {
    struct fake_vm f;
    struct test_server t;
};

static void ask(struct server *s, const char *method, const char *path,
                const char *body, int fail, unsigned want)
{
    struct api_response r;
    char *big = NULL;

    if (body == BIG_BODY) {
        big = malloc(API_DEF_MAX_BODY + 2);
        memset(big, ' ', API_DEF_MAX_BODY + 1);
        big[API_DEF_MAX_BODY + 1] = '\0';
        body = big;
    }
    s->f.fail = fail;
    assert_int_equal(api_client_request(s->t.sock, method, path, body,
                                        TIMEOUT_MS, &r), 0);
    s->f.fail = 0;
    free(big);
    if (r.status != want)
        fail_msg("%s %s: %u, not %u (%s)", method, path, r.status, want,
                 r.body);
    check_answer(method, path, &r.head, r.body, r.len);
    api_response_free(&r);
}

static const struct {
    const char *method, *path, *body;
    int fail;
    unsigned status;
} cases[] = {
    { "GET", "/vm", NULL, 0, 200 },
    { "GET", "/vm", NULL, -EIO, 500 },
    { "PUT", "/vm/state", "{\"state\":\"paused\"}", 0, 204 },
    { "PUT", "/vm/state", "{\"state\":\"running\"}", 0, 204 },
    { "PUT", "/vm/state", "{\"state\":7}", 0, 400 },
    { "PUT", "/vm/state", "{\"state\":\"paused\"}", -EBUSY, 409 },
    { "PUT", "/vm/state", BIG_BODY, 0, 413 },
    { "PUT", "/vm/state", "{\"state\":\"paused\"}", -EIO, 500 },
    { "PUT", "/vm/state", "{\"state\":\"paused\"}", -ENOTSUP, 501 },
    { "PUT", "/vm/power", "{\"action\":\"stop\"}", 0, 202 },
    { "PUT", "/vm/power", "{\"action\":\"stop\",\"timeout_ms\":5}", 0, 400 },
    { "PUT", "/vm/power", "{\"action\":\"reset\"}", -EBUSY, 409 },
    { "PUT", "/vm/power", BIG_BODY, 0, 413 },
    { "PUT", "/vm/power", "{\"action\":\"reset\"}", -EIO, 500 },
    { "PUT", "/vm/power", "{\"action\":\"reset\"}", -ENOTSUP, 501 },
    { "GET", "/metrics", NULL, 0, 200 },
    { "GET", "/metrics", NULL, -EIO, 500 },
    { "GET", "/console", NULL, 0, 200 },
    { "GET", "/console", NULL, -EIO, 500 },
    { "GET", "/console", NULL, -ENOTSUP, 501 },
};

struct lines {
    struct api_http_head head;
    char *text;
    size_t len;
    unsigned n, want;
};

static int on_line(void *ctx, const char *line, size_t len)
{
    struct lines *l = ctx;

    l->text = realloc(l->text, l->len + len + 1);
    memcpy(l->text + l->len, line, len);
    l->len += len;
    l->text[l->len++] = '\n';
    return ++l->n == l->want;
}

struct stream_args {
    const char *sock;
    struct lines l;
    int rc;
};

static void *stream_thread(void *arg)
{
    struct stream_args *a = arg;

    a->rc = api_client_stream(a->sock, "/events", TIMEOUT_MS, on_line, &a->l,
                              &a->l.head);
    return NULL;
}

static bool subscribers(struct server *s, unsigned n)
{
    char want[64];
    struct api_response r;
    bool ok;

    snprintf(want, sizeof(want), "vessel_api_event_subscribers %u\n", n);
    assert_int_equal(api_client_request(s->t.sock, "GET", "/metrics", NULL,
                                        TIMEOUT_MS, &r), 0);
    ok = strstr(r.body, want) != NULL;
    api_response_free(&r);
    return ok;
}

static void wait_subscribers(struct server *s, unsigned n)
{
    struct timespec ts = { 0, 10000000 };

    for (int i = 0; i < 500 && !subscribers(s, n); i++)
        nanosleep(&ts, NULL);
    assert_true(subscribers(s, n));
}

/* GET /events: 200 with Event lines, and 503 over the limit. */
static void check_events(struct server *s)
{
    struct stream_args a = { .sock = s->t.sock, .l.want = 2 };
    struct api_response r;
    pthread_t th;

    assert_int_equal(pthread_create(&th, NULL, stream_thread, &a), 0);
    wait_subscribers(s, 1);
    for (unsigned i = 1; i < API_DEF_MAX_SUBSCRIBERS; i++) {
        /* Fill the other slots with idle raw subscribers. */
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static const char get[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        memcpy(sa.sun_path, s->t.sock, strlen(s->t.sock) + 1);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(send(fd, get, sizeof(get) - 1, 0),
                         (ssize_t)sizeof(get) - 1);
        wait_subscribers(s, i + 1);
        /* Leaked on purpose until the server stops: it closes them. */
    }
    assert_int_equal(api_client_request(s->t.sock, "GET", "/events", NULL,
                                        TIMEOUT_MS, &r), 0);
    assert_int_equal(r.status, 503);
    check_answer("GET", "/events", &r.head, r.body, r.len);
    api_response_free(&r);

    api_event(s->t.srv, API_EV_STARTED, NULL);
    api_event(s->t.srv, API_EV_CRASHED, "triple fault");
    pthread_join(th, NULL);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.l.n, 2);
    check_answer("GET", "/events", &a.l.head, a.l.text, a.l.len);
    free(a.l.text);
}

/* The "dropped" line as the hub writes it. */
static void check_dropped_line(void)
{
    const json_t *ev = operation("/events", "GET");
    const json_t *mt = json_object_get(
        json_object_get(json_object_get(json_object_get(
                                            json_object_get(ev, "responses"),
                                            "200"),
                                        "content"),
                        "application/x-ndjson"),
        "schema");
    struct events hub;
    struct events_sub sub;
    char buf[EVENTS_RING * EVENTS_LINE_MAX];
    size_t n;

    events_init(&hub);
    events_subscribe(&hub, &sub);
    for (int i = 0; i < EVENTS_RING + 3; i++)
        events_publish(&hub, API_EV_RESET, "r", 1);
    n = events_read(&hub, &sub, buf, sizeof(buf));
    assert_memory_equal(buf, "{\"event\":\"dropped\",\"count\":3}\n", 30);
    check_body("application/x-ndjson", mt, buf, n, "dropped line");
    events_fini(&hub);
}

/* Each request example is valid, succeeds, and with an unknown field is
 * a 400; an empty body is a 400 too. */
static void check_examples(struct server *s)
{
    const char *path, *m;
    json_t *item, *op;

    json_object_foreach(json_object_get(spec, "paths"), path, item) {
        json_object_foreach(item, m, op) {
            const json_t *mt = json_object_get(json_object_get(
                json_object_get(op, "requestBody"), "content"),
                "application/json");
            json_t *ex = json_object_get(mt, "example");
            char method[16], *body;

            if (!mt)
                continue;
            assert_non_null(ex);
            check(json_object_get(mt, "schema"), ex, "example");
            for (size_t i = 0; i <= strlen(m); i++)
                method[i] = (char)toupper((unsigned char)m[i]);
            body = json_dumps(ex, 0);
            ask(s, method, path, body, 0,
                !strcmp(path, "/vm/power") ? 202 : 204);
            free(body);
            json_object_set_new(ex, "no_such_field", json_true());
            body = json_dumps(ex, 0);
            ask(s, method, path, body, 0, 400);
            ask(s, method, path, "", 0, 400);
            json_object_del(ex, "no_such_field");
            free(body);
        }
    }
}

/* Methods a path does not list: 405 with Allow; unknown paths: 404. */
static void check_undocumented(struct server *s)
{
    static const char *const methods[] = { "GET", "PUT", "POST", "DELETE",
                                           "PATCH" };
    const json_t *err = json_object_get(json_object_get(json_object_get(
                            spec, "components"), "schemas"), "Error");
    const char *path;
    json_t *item;
    struct api_response r;

    json_object_foreach(json_object_get(spec, "paths"), path, item) {
        for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
            char allow[64] = "";
            const char *m;
            json_t *op;

            if (operation(path, methods[i]))
                continue;
            json_object_foreach(item, m, op)
                for (size_t k = 0; k <= strlen(m); k++)
                    allow[k] = (char)toupper((unsigned char)m[k]);
            assert_int_equal(api_client_request(s->t.sock, methods[i], path,
                                                NULL, TIMEOUT_MS, &r), 0);
            assert_int_equal(r.status, 405);
            assert_string_equal(r.head.allow, allow);
            check_body("application/json", err, r.body, r.len, "405");
            api_response_free(&r);
        }
    }
    assert_int_equal(api_client_request(s->t.sock, "GET", "/nothing", NULL,
                                        TIMEOUT_MS, &r), 0);
    assert_int_equal(r.status, 404);
    check_body("application/json", err, r.body, r.len, "404");
    api_response_free(&r);
}

/* Every documented (path, method, status) was produced. */
static void check_coverage(void)
{
    const char *path, *m, *code;
    json_t *item, *op, *resp;
    char what[128];

    json_object_foreach(json_object_get(spec, "paths"), path, item) {
        json_object_foreach(item, m, op) {
            json_object_foreach(json_object_get(op, "responses"), code, resp) {
                char method[16];

                for (size_t i = 0; i <= strlen(m); i++)
                    method[i] = (char)toupper((unsigned char)m[i]);
                snprintf(what, sizeof(what), "%s %s %s", method, path, code);
                if (!json_object_get(covered, what))
                    fail_msg("documented but never produced: %s", what);
            }
        }
    }
}

static void test_server_matches_openapi(void **state)
{
    const char *file = getenv("VESSEL_OPENAPI");
    struct server *s = calloc(1, sizeof(*s));
    (void)state;

    spec = load_yaml(file ? file : "docs/openapi.yaml");
    assert_memory_equal(json_string_value(json_object_get(spec, "openapi")),
                        "3.0.", 4);
    covered = json_object();
    fake_vm_init(&s->f);
    test_server_start(&s->t, &s->f, NULL);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        ask(s, cases[i].method, cases[i].path, cases[i].body, cases[i].fail,
            cases[i].status);
    check_examples(s);
    check_undocumented(s);
    check_events(s);
    check_dropped_line();
    check_coverage();
    test_server_stop(&s->t);
    json_decref(covered);
    json_decref(spec);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_matches_openapi),
    };
    return cmocka_run_group_tests_name("api/openapi", tests, NULL, NULL);
}
