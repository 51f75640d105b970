/* The CLI's HTTP client: response heads, bodies in every framing, and
 * servers that lie, stall or vanish. A canned server thread answers one
 * connection with fixed bytes. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/client.h"

struct canned {
    char dir[64], sock[108];
    int lfd;
    const char *reply;              /* sent after the request's head */
    size_t len;
    bool stall;                     /* hold the connection open after */
    char request[2048];
    pthread_t th;
};

static void *serve(void *arg)
{
    struct canned *c = arg;
    int fd = accept(c->lfd, NULL, NULL);
    size_t n = 0;
    char x;

    if (fd < 0)
        return NULL;
    while (n + 1 < sizeof(c->request) && !strstr(c->request, "\r\n\r\n")) {
        ssize_t k = recv(fd, c->request + n, sizeof(c->request) - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        c->request[n] = '\0';
    }
    if (send(fd, c->reply, c->len, MSG_NOSIGNAL) < 0) {
        /* the client may have gone */
    }
    if (c->stall && recv(fd, &x, 1, 0) < 0) {
        /* until the client closes */
    }
    close(fd);
    return NULL;
}

static void canned_start(struct canned *c, const char *reply, size_t len,
                         bool stall)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/vessel-client-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->sock, sizeof(c->sock), "%s/api.sock", c->dir);
    memcpy(sa.sun_path, c->sock, strlen(c->sock) + 1);
    c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(c->lfd, 1), 0);
    c->reply = reply;
    c->len = len;
    c->stall = stall;
    assert_int_equal(pthread_create(&c->th, NULL, serve, c), 0);
}

static void canned_stop(struct canned *c)
{
    pthread_join(c->th, NULL);
    close(c->lfd);
    unlink(c->sock);
    rmdir(c->dir);
}

/* One request against (reply); returns the client's result. */
static int ask(const char *reply, size_t len, bool stall, unsigned ms,
               struct api_response *r)
{
    struct canned c;
    int rc;

    canned_start(&c, reply, len, stall);
    rc = api_client_request(c.sock, "GET", "/vm", NULL, ms, r);
    canned_stop(&c);
    return rc;
}

#define ASK(s, r) ask(s, sizeof(s) - 1, false, 2000, r)

static void test_parse_head(void **state)
{
    static const char ok[] = "HTTP/1.1 405 Method Not Allowed\r\n"
                             "Allow: GET\r\ncontent-length:  12 \r\n"
                             "Content-Type: application/json\r\n\r\nbody";
    static const char *const bad[] = {
        "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 600 X\r\n\r\n", "HTTP/1.1 200OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
         "Content-Length: 5\r\n\r\n"),
        "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
        "HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
    };
    struct api_http_head h;
    char big[API_CLIENT_HEAD_MAX + 16];
    (void)state;

    assert_int_equal(api_client_parse_head(ok, sizeof(ok) - 1, &h), 0);
    assert_int_equal(h.status, 405);
    assert_true(h.has_length);
    assert_int_equal(h.length, 12);
    assert_false(h.chunked);
    assert_string_equal(h.allow, "GET");
    assert_string_equal(h.type, "application/json");
    assert_int_equal(h.size, sizeof(ok) - 1 - 4);
    assert_int_equal(api_client_parse_head(ok, 40, &h), -EAGAIN);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(api_client_parse_head(bad[i], strlen(bad[i]), &h),
                         -EPROTO);
    memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(big + 20, 'a', sizeof(big) - 20);
    assert_int_equal(api_client_parse_head(big, sizeof(big), &h), -EMSGSIZE);
}

static void test_bodies(void **state)
{
    struct api_response r;
    (void)state;

    assert_int_equal(ASK("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", &r),
                     0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 5);
    assert_string_equal(r.body, "hello");
    api_response_free(&r);

    assert_int_equal(ASK("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n"
                         "Trailer: x\r\n\r\n", &r), 0);
    assert_string_equal(r.body, "abc0123456789abcdef");
    api_response_free(&r);

    assert_int_equal(ASK("HTTP/1.0 200 OK\r\n\r\nuntil close", &r), 0);
    assert_string_equal(r.body, "until close");
    api_response_free(&r);

    assert_int_equal(ASK("HTTP/1.1 204 No Content\r\n\r\n", &r), 0);
    assert_int_equal(r.status, 204);
    assert_string_equal(r.body, "");
    api_response_free(&r);
}

static void test_broken_servers(void **state)
{
    static const char *const bad[] = {
        "garbage\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-3\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        "HTTP/1.1 200 OK\r\n",
        "",
    };
    struct api_response r;
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        assert_int_equal(ask(bad[i], strlen(bad[i]), false, 2000, &r), -EPROTO);
    assert_int_equal(ASK("HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n",
                         &r), -EMSGSIZE);
    assert_int_equal(ASK("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "7fffffffffff\r\n", &r), -EMSGSIZE);
    assert_int_equal(ask("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
                         41, true, 300, &r), -ETIMEDOUT);
    assert_int_equal(api_client_request("/nonexistent/api.sock", "GET", "/vm",
                                        NULL, 100, &r), -ENOENT);
}

static void test_request_bytes(void **state)
{
    static const char reply[] = "HTTP/1.1 204 No Content\r\n\r\n";
    struct canned c;
    struct api_response r;
    (void)state;

    canned_start(&c, reply, sizeof(reply) - 1, false);
    assert_int_equal(api_client_request(c.sock, "PUT", "/vm/state",
                                        "{\"state\":\"paused\"}", 2000, &r), 0);
    canned_stop(&c);
    api_response_free(&r);
    assert_non_null(strstr(c.request, "PUT /vm/state HTTP/1.1\r\n"));
    assert_non_null(strstr(c.request, "Content-Length: 18\r\n"));
    assert_non_null(strstr(c.request, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(c.request, "Connection: close\r\n"));
}

struct lines {
    char got[4][64];
    unsigned n, stop;
};

static int on_line(void *ctx, const char *line, size_t len)
{
    struct lines *l = ctx;

    assert_int_equal(strlen(line), len);
    if (l->n < 4)
        snprintf(l->got[l->n], sizeof(l->got[0]), "%s", line);
    return ++l->n == l->stop;
}

static void test_stream(void **state)
{
    static const char reply[] =
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "4\r\none\n\r\n5\r\ntwo\nt\r\n5\r\nhree\n\r\n4\r\nlast\r\n0\r\n\r\n";
    struct canned c;
    struct lines l = { .stop = 100 };
    struct api_http_head head;
    (void)state;

    canned_start(&c, reply, sizeof(reply) - 1, false);
    assert_int_equal(api_client_stream(c.sock, "/events", 2000, on_line, &l,
                                       &head), 0);
    canned_stop(&c);
    assert_int_equal(head.status, 200);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.got[0], "one");
    assert_string_equal(l.got[1], "two");
    assert_string_equal(l.got[2], "three");
    assert_string_equal(l.got[3], "last");

    l = (struct lines){ .stop = 2 };        /* stops early; server stalls */
    canned_start(&c, reply, sizeof(reply) - 1, true);
    assert_int_equal(api_client_stream(c.sock, "/events", 2000, on_line, &l,
                                       &head), 0);
    canned_stop(&c);
    assert_int_equal(l.n, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_head),
        cmocka_unit_test(test_bodies),
        cmocka_unit_test(test_broken_servers),
        cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests_name("api/client", tests, NULL, NULL);
}
