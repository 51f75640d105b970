/* The control API's server on its unix socket, with a fake VM: the
 * endpoints through the real client, then what hostile or broken clients
 * do (RELIABILITY.md (b) 15): huge bodies, many connections, a client
 * that sends a byte every 100 ms, subscribers that stop reading or go
 * away. Every time: a 4xx or a closed connection, bounded memory, the VM
 * untouched, and the server still answering. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/client.h"
#include "helpers/fake_vm.h"

#define TIMEOUT_MS 5000

#if defined(__SANITIZE_THREAD__)
#define RUNNING_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNNING_UNDER_TSAN 1
#endif
#endif
#ifndef RUNNING_UNDER_TSAN
#define RUNNING_UNDER_TSAN 0
#endif

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

static unsigned request(const char *sock, const char *method,
                        const char *path, const char *body,
                        struct api_response *r)
{
    assert_int_equal(api_client_request(sock, method, path, body, TIMEOUT_MS,
                                        r), 0);
    return r->status;
}

/* A request whose answer we only need the status of. */
static unsigned status_of(const char *sock, const char *method,
                          const char *path, const char *body)
{
    struct api_response r;
    unsigned st = request(sock, method, path, body, &r);

    api_response_free(&r);
    return st;
}

/* Wait until GET /metrics has (line). */
static void wait_metric(const char *sock, const char *line)
{
    for (int i = 0; i < 500; i++) {
        struct api_response r;
        bool found;

        request(sock, "GET", "/metrics", NULL, &r);
        found = strstr(r.body, line) != NULL;
        api_response_free(&r);
        if (found)
            return;
        sleep_ms(10);
    }
    fail_msg("no '%s' in /metrics", line);
}

static int raw_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Read until EOF or (ms) pass; returns bytes read into (buf). */
static size_t read_reply(int fd, char *buf, size_t cap, unsigned ms)
{
    size_t n = 0;
    uint64_t end = now_ms() + ms;

    while (n + 1 < cap && now_ms() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t k;

        if (poll(&p, 1, 50) <= 0)
            continue;
        k = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return n;
}

static long rss_kib(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");

    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld %ld", &pages, &rss), 2);
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ---- the endpoints ---- */

static void test_endpoints(void **state)
{
    struct fake_vm f;
    struct test_server t;
    struct api_response r;
    json_t *j;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    assert_int_equal(request(t.sock, "GET", "/vm", NULL, &r), 200);
    assert_string_equal(r.head.type, "application/json");
    j = json_loads(r.body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
    assert_string_equal(json_string_value(json_object_get(j, "state")),
                        "running");
    json_decref(j);
    api_response_free(&r);

    assert_int_equal(status_of(t.sock, "PUT", "/vm/state",
                               "{\"state\":\"paused\"}"), 204);
    assert_int_equal(f.state, API_VM_PAUSED);
    assert_int_equal(status_of(t.sock, "PUT", "/vm/state",
                               "{\"state\":\"running\"}"), 204);
    assert_int_equal(status_of(t.sock, "PUT", "/vm/power",
                               "{\"action\":\"reset\"}"), 202);
    assert_int_equal(f.last_power.action, API_POWER_RESET);

    assert_int_equal(request(t.sock, "GET", "/metrics", NULL, &r), 200);
    assert_string_equal(r.head.type, "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(r.body, "vessel_vcpu_exits_total{vcpu=\"0\",reason=\"pio\"} 10\n"));
    assert_non_null(strstr(r.body, "vessel_api_responses_total{class=\"2xx\"} 4\n"));
    api_response_free(&r);

    assert_int_equal(request(t.sock, "POST", "/vm", "{}", &r), 405);
    assert_string_equal(r.head.allow, "GET");
    assert_non_null(strstr(r.body, "\"error\""));
    api_response_free(&r);
    assert_int_equal(status_of(t.sock, "GET", "/nope", NULL), 404);
    assert_int_equal(status_of(t.sock, "PUT", "/vm/state", "{\"state\":"), 400);
    assert_int_equal(f.set_states, 2);
    test_server_stop(&t);
}

static void test_socket_private_and_unique(void **state)
{
    struct fake_vm f;
    struct test_server t;
    struct api_server *second;
    struct api_server_config c = { .ops = &fake_vm_ops, .ctx = &f };
    struct stat st;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    assert_int_equal(stat(t.sock, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    c.sock_path = t.sock;
    assert_int_equal(api_server_start(&second, &c), -EADDRINUSE);
    c.sock_path = "/tmp/a-path-that-is-much-too-long-for-a-unix-socket-address-"
                  "because-sun-path-holds-only-108-bytes-in-all/api.sock";
    assert_int_equal(api_server_start(&second, &c), -ENAMETOOLONG);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    test_server_stop(&t);
}

/* ---- bodies ---- */

/* A declared Content-Length over the limit is refused before any of
 * the body is read: the answer comes while the client still sends. */
static void test_b15_declared_huge_body(void **state)
{
    static const char head[] = "PUT /vm/state HTTP/1.1\r\nHost: x\r\n"
                               "Content-Length: 104857600\r\n\r\n";
    struct fake_vm f;
    struct test_server t;
    char buf[1024];
    int fd;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    fd = raw_connect(t.sock);
    assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL),
                     (ssize_t)sizeof(head) - 1);
    memset(buf, ' ', sizeof(buf));
    assert_int_equal(send(fd, buf, sizeof(buf), MSG_NOSIGNAL), sizeof(buf));
    read_reply(fd, buf, sizeof(buf), 2000);
    assert_memory_equal(buf, "HTTP/1.1 413", 12);
    assert_non_null(strstr(buf, "{\"error\":"));
    close(fd);
    assert_int_equal(f.set_states, 0);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    test_server_stop(&t);
}

static void send_chunk(int fd, const char *data, size_t n)
{
    char head[32];
    int k = snprintf(head, sizeof(head), "%zx\r\n", n);

    if (send(fd, head, (size_t)k, MSG_NOSIGNAL) < 0 ||
        send(fd, data, n, MSG_NOSIGNAL) < 0 ||
        send(fd, "\r\n", 2, MSG_NOSIGNAL) < 0) {
        /* the server may close early: the reply says why */
    }
}

/* A chunked body has no length up front: the server reads it, keeps at
 * most max_body of it, and answers 413 at its end. 16 MiB go through;
 * the process grows by far less. */
static void test_b15_chunked_huge_body(void **state)
{
    static const char head[] = "PUT /vm/state HTTP/1.1\r\nHost: x\r\n"
                               "Connection: close\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n";
    struct api_server_config cfg = { .request_ms = 30000 };
    struct fake_vm f;
    struct test_server t;
    char *piece = malloc(64 * 1024), reply[1024];
    long before;
    int fd;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, &cfg);
    memset(piece, ' ', 64 * 1024);
    before = rss_kib();
    fd = raw_connect(t.sock);
    assert_int_equal(send(fd, head, sizeof(head) - 1, MSG_NOSIGNAL),
                     (ssize_t)sizeof(head) - 1);
    for (int i = 0; i < 256; i++)
        send_chunk(fd, piece, 64 * 1024);
    assert_int_equal(send(fd, "0\r\n\r\n", 5, MSG_NOSIGNAL), 5);
    read_reply(fd, reply, sizeof(reply), 5000);
    assert_memory_equal(reply, "HTTP/1.1 413", 12);
    close(fd);
    assert_true(rss_kib() - before < 4096);
    assert_int_equal(f.set_states, 0);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    free(piece);
    test_server_stop(&t);
}

/* Exactly max_body is fine. */
static void test_body_at_limit(void **state)
{
    struct api_server_config cfg = { .max_body = 4096 };
    struct fake_vm f;
    struct test_server t;
    char body[4100];
    static const char json[] = "{\"state\":\"paused\"}";
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, &cfg);
    memset(body, ' ', sizeof(body));
    memcpy(body, json, sizeof(json) - 1);
    body[4096] = '\0';
    assert_int_equal(status_of(t.sock, "PUT", "/vm/state", body), 204);
    body[4095] = '\0';
    assert_int_equal(status_of(t.sock, "PUT", "/vm/state", body), 204);
    body[4095] = body[4096] = ' ';
    body[4097] = '\0';
    assert_int_equal(status_of(t.sock, "PUT", "/vm/state", body), 413);
    assert_int_equal(f.set_states, 2);
    test_server_stop(&t);
}

/* Headers larger than a connection's memory pool: MHD refuses them. */
static void test_b15_huge_header(void **state)
{
    struct fake_vm f;
    struct test_server t;
    char *req = malloc(64 * 1024), reply[512];
    int fd, n;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    n = snprintf(req, 64 * 1024, "GET /vm HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + n, 'a', 40 * 1024);
    memcpy(req + n + 40 * 1024, "\r\n\r\n", 4);
    fd = raw_connect(t.sock);
    send(fd, req, (size_t)n + 40 * 1024 + 4, MSG_NOSIGNAL);
    read_reply(fd, reply, sizeof(reply), 2000);
    assert_memory_equal(reply, "HTTP/1.1 4", 10);
    close(fd);
    free(req);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    test_server_stop(&t);
}

/* ---- connections ---- */

/* 64 idle connections against a limit of 16: the surplus waits in the
 * backlog or is refused, the idle ones are cut at their deadline, and a
 * real request gets through; then everything still works. */
static void test_b15_many_connections(void **state)
{
    struct api_server_config cfg = { .request_ms = 500 };
    struct fake_vm f;
    struct test_server t;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fds[64], connected = 0;
    uint64_t start;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, &cfg);
    memcpy(sa.sun_path, t.sock, strlen(t.sock) + 1);
    for (int i = 0; i < 64; i++) {
        fds[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        assert_true(fds[i] >= 0);
        if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) == 0)
            connected++;
        else
            assert_true(errno == EAGAIN);
    }
    assert_true(connected >= 16);
    start = now_ms();
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    assert_true(now_ms() - start < 4000);
    for (int i = 0; i < 64; i++)
        close(fds[i]);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    wait_metric(t.sock, "vessel_api_request_timeouts_total ");
    assert_int_equal(f.set_states + f.powers, 0);
    test_server_stop(&t);
}

/* One byte every 100 ms never trips an idle timeout; the request
 * deadline cuts it off, and others are served meanwhile. */
static void test_b15_slow_client(void **state)
{
    static const char req[] = "GET /vm HTTP/1.1\r\nHost: localhost\r\n"
                              "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    struct api_server_config cfg = { .request_ms = 1000 };
    struct fake_vm f;
    struct test_server t;
    uint64_t start, cut = 0;
    int fd;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, &cfg);
    fd = raw_connect(t.sock);
    start = now_ms();
    for (size_t i = 0; i < sizeof(req) - 1; i++) {
        if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1) {
            cut = now_ms() - start;
            break;
        }
        if (i % 5 == 0)
            assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
        sleep_ms(100);
    }
    assert_true(cut >= 900 && cut < 3000);
    close(fd);
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    test_server_stop(&t);
}

/* A client that vanishes mid-request, or sends garbage. */
static void test_b15_garbage_and_hangups(void **state)
{
    static const char *const junk[] = {
        "\x00\x01\x02\r\n\r\n", "GET\r\n\r\n", "GET /vm HTTP/9.9\r\n\r\n",
        "PUT /vm/state HTTP/1.1\r\nContent-Length: 50\r\n\r\n{\"sta",
        "PUT /vm/state HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
        "PUT /vm/state HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "PUT /vm/state HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    };
    struct api_server_config cfg = { .request_ms = 300 };
    struct fake_vm f;
    struct test_server t;
    char buf[512];
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, &cfg);
    for (size_t i = 0; i < ARRAY_SIZE(junk); i++) {
        int fd = raw_connect(t.sock);

        send(fd, junk[i], strlen(junk[i]) + (i == 0 ? 6 : 0), MSG_NOSIGNAL);
        if (i % 2) {
            read_reply(fd, buf, sizeof(buf), 2000);
            assert_true(buf[0] == '\0' || !memcmp(buf, "HTTP/1.1 4", 10) ||
                        !memcmp(buf, "HTTP/1.1 5", 10));
        }
        close(fd);
    }
    assert_int_equal(status_of(t.sock, "GET", "/vm", NULL), 200);
    assert_int_equal(f.set_states, 0);
    test_server_stop(&t);
}

/* ---- events ---- */

struct sub {
    const char *sock;
    unsigned want;                  /* lines, then stop */
    unsigned got;
    struct api_http_head head;
    int rc;
    char lines[4][256];
    /* The slow reader: */
    bool *hold;                     /* wait on the first line while set */
    uint64_t last_seq, events, dropped;
    unsigned bad;                   /* lines that were not events */
};

static int on_line(void *ctx, const char *line, size_t len)
{
    struct sub *s = ctx;

    if (s->got < 4)
        snprintf(s->lines[s->got], sizeof(s->lines[0]), "%.*s", (int)len, line);
    s->got++;
    return s->got >= s->want;
}

static void *sub_thread(void *arg)
{
    struct sub *s = arg;

    s->rc = api_client_stream(s->sock, "/events", TIMEOUT_MS, on_line, s,
                              &s->head);
    return NULL;
}

static void test_events_fan_out(void **state)
{
    struct fake_vm f;
    struct test_server t;
    struct sub subs[3];
    pthread_t th[3];
    json_t *j;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    api_event(t.srv, API_EV_STARTED, NULL);     /* before anyone listens */
    for (int i = 0; i < 3; i++) {
        subs[i] = (struct sub){ .sock = t.sock, .want = 2 };
        assert_int_equal(pthread_create(&th[i], NULL, sub_thread, &subs[i]), 0);
    }
    wait_metric(t.sock, "vessel_api_event_subscribers 3\n");
    api_event(t.srv, API_EV_PAUSED, NULL);
    api_event(t.srv, API_EV_CRASHED, "triple fault\n\"x\"");
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(subs[i].rc, 0);
        assert_int_equal(subs[i].head.status, 200);
        assert_string_equal(subs[i].head.type, "application/x-ndjson");
        assert_int_equal(subs[i].got, 2);
        j = json_loads(subs[i].lines[0], 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "event")),
                            "paused");
        assert_int_equal(json_integer_value(json_object_get(j, "seq")), 2);
        assert_true(json_integer_value(json_object_get(j, "time_ms")) > 0);
        assert_null(json_object_get(j, "reason"));
        json_decref(j);
        j = json_loads(subs[i].lines[1], 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "event")),
                            "crashed");
        assert_string_equal(json_string_value(json_object_get(j, "reason")),
                            "triple fault??x?");
        json_decref(j);
    }
    wait_metric(t.sock, "vessel_api_event_subscribers 0\n");
    test_server_stop(&t);
}

static int slow_line(void *ctx, const char *line, size_t len)
{
    struct sub *s = ctx;
    json_t *j = json_loadb(line, len, 0, NULL);
    const char *ev;

    while (__atomic_load_n(s->hold, __ATOMIC_ACQUIRE))
        sleep_ms(5);
    /* Not on the test's thread: no cmocka asserts here. */
    ev = json_string_value(json_object_get(j, "event"));
    if (!ev) {
        s->bad++;
        json_decref(j);
        return 1;
    }
    if (!strcmp(ev, "dropped")) {
        s->dropped += (uint64_t)json_integer_value(json_object_get(j, "count"));
    } else {
        s->events++;
        s->last_seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
    }
    json_decref(j);
    return s->last_seq == 20000;
}

static void *slow_thread(void *arg)
{
    struct sub *s = arg;

    s->rc = api_client_stream(s->sock, "/events", 10000, slow_line, s,
                              &s->head);
    return NULL;
}

/* A subscriber that stops reading while 20000 events go out: the server
 * keeps a fixed ring, the subscriber loses the oldest and is told how
 * many; every event is either delivered or counted as dropped. */
static void test_events_slow_reader(void **state)
{
    struct fake_vm f;
    struct test_server t;
    bool hold = true;
    struct sub s = { 0 };
    pthread_t th;
    long before, grew;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    s.sock = t.sock;
    s.hold = &hold;
    assert_int_equal(pthread_create(&th, NULL, slow_thread, &s), 0);
    wait_metric(t.sock, "vessel_api_event_subscribers 1\n");
    api_event(t.srv, API_EV_STARTED, "first");
    sleep_ms(50);                           /* it is stuck in its callback */
    before = rss_kib();
    for (int i = 1; i < 20000; i++)
        api_event(t.srv, API_EV_RESET, "reboot");
    grew = rss_kib() - before;
    __atomic_store_n(&hold, false, __ATOMIC_RELEASE);
    pthread_join(th, NULL);    /* before any assert: no thread outlives it */
    /* Bounded memory: the ring, not a queue per event. TSan's shadow
     * memory grows with every access, so the bound means nothing there. */
    if (!RUNNING_UNDER_TSAN)
        assert_true(grew < 2048);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.last_seq, 20000);
    assert_true(s.dropped > 0);
    assert_int_equal(s.events + s.dropped, 20000);
    test_server_stop(&t);
}

/* Subscribers beyond the limit get 503; one that goes away frees its
 * slot without an event to notice it by. */
static void test_events_limit_and_hangup(void **state)
{
    struct fake_vm f;
    struct test_server t;
    int fds[API_DEF_MAX_SUBSCRIBERS];
    static const char get[] = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[256];
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    for (int i = 0; i < API_DEF_MAX_SUBSCRIBERS; i++) {
        fds[i] = raw_connect(t.sock);
        assert_int_equal(send(fds[i], get, sizeof(get) - 1, MSG_NOSIGNAL),
                         (ssize_t)sizeof(get) - 1);
    }
    wait_metric(t.sock, "vessel_api_event_subscribers 4\n");
    assert_int_equal(status_of(t.sock, "GET", "/events", NULL), 503);
    for (int i = 0; i < API_DEF_MAX_SUBSCRIBERS; i++)
        close(fds[i]);
    wait_metric(t.sock, "vessel_api_event_subscribers 0\n");
    fds[0] = raw_connect(t.sock);
    send(fds[0], get, sizeof(get) - 1, MSG_NOSIGNAL);
    wait_metric(t.sock, "vessel_api_event_subscribers 1\n");
    api_event(t.srv, API_EV_RESUMED, NULL);
    read_reply(fds[0], buf, sizeof(buf), 300);
    assert_non_null(strstr(buf, "\"event\":\"resumed\""));
    close(fds[0]);
    test_server_stop(&t);
}

/* Stopping the server delivers what is queued, then ends the streams. */
static void test_stop_flushes_events(void **state)
{
    struct fake_vm f;
    struct test_server t;
    struct sub s;
    pthread_t th;
    (void)state;

    fake_vm_init(&f);
    test_server_start(&t, &f, NULL);
    s = (struct sub){ .sock = t.sock, .want = 100 };
    assert_int_equal(pthread_create(&th, NULL, sub_thread, &s), 0);
    wait_metric(t.sock, "vessel_api_event_subscribers 1\n");
    api_event(t.srv, API_EV_POWERED_OFF, "guest powered off");
    test_server_stop(&t);
    pthread_join(th, NULL);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.got, 1);
    assert_non_null(strstr(s.lines[0], "\"event\":\"powered-off\""));
    assert_non_null(strstr(s.lines[0], "\"reason\":\"guest powered off\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_socket_private_and_unique),
        cmocka_unit_test(test_b15_declared_huge_body),
        cmocka_unit_test(test_b15_chunked_huge_body),
        cmocka_unit_test(test_body_at_limit),
        cmocka_unit_test(test_b15_huge_header),
        cmocka_unit_test(test_b15_many_connections),
        cmocka_unit_test(test_b15_slow_client),
        cmocka_unit_test(test_b15_garbage_and_hangups),
        cmocka_unit_test(test_events_fan_out),
        cmocka_unit_test(test_events_slow_reader),
        cmocka_unit_test(test_events_limit_and_hangup),
        cmocka_unit_test(test_stop_flushes_events),
    };
    return cmocka_run_group_tests_name("api/server", tests, NULL, NULL);
}
