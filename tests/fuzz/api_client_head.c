/* libFuzzer target: the CLI's HTTP client (api/client.c) reading what a
 * control socket answers: api_client_parse_head() on its own, and whole
 * exchanges through api_client_request() and api_client_stream(), whose
 * socket calls (socket, setsockopt, connect, send, recv, close) are
 * linked to a fake peer here (-Wl,--wrap, see the Makefile) that replays
 * the input as the response, in reads of input-chosen sizes, and fails on
 * demand (connect refused, a short or broken send, recv interrupted,
 * timing out or reset at an input-chosen call).
 *
 * Input: mode byte, 8 read sizes (cycled; 0 = all that fits), the recv
 * call that fails (0 = none) and how, a stop-after-N-lines count, then
 * the response bytes.
 *
 * Checked on every input (a failed check traps; ASan catches overruns and
 * leaks):
 *  - parse_head: the result is 0, -EAGAIN, -EPROTO or -EMSGSIZE; -EAGAIN
 *    exactly when no blank line is in the buffer and it is shorter than
 *    API_CLIENT_HEAD_MAX; a parsed head ends at the first blank line,
 *    has a status of 100-599, never both chunked and a length, and parses
 *    the same from just its own bytes;
 *  - exchanges: the request sent is well formed (method, path, and a
 *    Content-Length equal to the body); the socket is closed exactly
 *    once; a body always ends in a NUL at len; and whenever a strict
 *    reference decoder written here reads the response (Content-Length,
 *    chunked with optional extensions and trailers, or up to EOF) and no
 *    fault fired, the client returns 0 with exactly that body, or, for
 *    the stream, exactly those lines (stopping when the callback asks). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/client.h"
#include "fuzz_input.h"

#define FAKE_FD (INT_MAX - 7)
#define MAX_RESP (64 * 1024)

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

/* ---- the fake peer ---- */

static struct {
    bool active;
    const uint8_t *resp;
    size_t len, off;
    uint8_t sizes[8];
    unsigned recvs, fail_at, fail_kind, connect_fail, send_mode;
    bool opened, closed, fired;
    char req[1024];
    size_t nreq;
} peer;

int __real_socket(int domain, int type, int proto);
int __real_setsockopt(int fd, int level, int name, const void *v,
                      socklen_t len);
int __real_connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t __real_send(int fd, const void *buf, size_t n, int flags);
ssize_t __real_recv(int fd, void *buf, size_t n, int flags);
int __real_close(int fd);
int __wrap_socket(int domain, int type, int proto);
int __wrap_setsockopt(int fd, int level, int name, const void *v,
                      socklen_t len);
int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len);
ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags);
ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags);
int __wrap_close(int fd);

int __wrap_socket(int domain, int type, int proto)
{
    if (!peer.active)
        return __real_socket(domain, type, proto);
    CHECK(domain == AF_UNIX && !peer.opened);
    peer.opened = true;
    return FAKE_FD;
}

int __wrap_setsockopt(int fd, int level, int name, const void *v,
                      socklen_t len)
{
    if (fd != FAKE_FD)
        return __real_setsockopt(fd, level, name, v, len);
    return 0;
}

int __wrap_connect(int fd, const struct sockaddr *sa, socklen_t len)
{
    static const int errs[] = {0, ECONNREFUSED, ENOENT, EAGAIN};

    if (fd != FAKE_FD)
        return __real_connect(fd, sa, len);
    if (errs[peer.connect_fail % 4]) {
        peer.fired = true;
        errno = errs[peer.connect_fail % 4];
        return -1;
    }
    return 0;
}

ssize_t __wrap_send(int fd, const void *buf, size_t n, int flags)
{
    if (fd != FAKE_FD)
        return __real_send(fd, buf, n, flags);
    CHECK(!peer.closed && n > 0);
    if (peer.send_mode == 1 && peer.nreq > 20) {
        peer.fired = true;
        errno = EPIPE;       /* the server answered early and closed */
        return -1;
    }
    if (peer.send_mode == 2 && n > 7)
        n = 7;               /* short writes */
    if (peer.nreq + n < sizeof(peer.req)) {
        memcpy(peer.req + peer.nreq, buf, n);
        peer.nreq += n;
    }
    return (ssize_t)n;
}

ssize_t __wrap_recv(int fd, void *buf, size_t n, int flags)
{
    static const int errs[] = {EINTR, EAGAIN, ECONNRESET, EINTR};
    size_t k;

    if (fd != FAKE_FD)
        return __real_recv(fd, buf, n, flags);
    CHECK(!peer.closed && n > 0);
    if (++peer.recvs == peer.fail_at) {
        int e = errs[peer.fail_kind % 4];

        peer.fired |= e != EINTR;
        errno = e;
        return -1;
    }
    CHECK(peer.recvs < 1000000); /* a loop that never ends */
    k = peer.sizes[peer.recvs % 8];
    if (k == 0 || k > n)
        k = n;
    if (k > peer.len - peer.off)
        k = peer.len - peer.off;
    memcpy(buf, peer.resp + peer.off, k);
    peer.off += k;
    return (ssize_t)k;
}

int __wrap_close(int fd)
{
    if (fd != FAKE_FD)
        return __real_close(fd);
    CHECK(peer.opened && !peer.closed);
    peer.closed = true;
    return 0;
}

/* ---- parse_head ---- */

static const uint8_t *find_blank(const uint8_t *p, size_t n)
{
    return memmem(p, n, "\r\n\r\n", 4);
}

static void check_head(const uint8_t *buf, size_t len)
{
    struct api_http_head h, h2;
    const uint8_t *blank = find_blank(buf, len);
    int rc = api_client_parse_head((const char *)buf, len, &h);

    CHECK(rc == 0 || rc == -EAGAIN || rc == -EPROTO || rc == -EMSGSIZE);
    CHECK((rc == -EAGAIN) == (!blank && len < API_CLIENT_HEAD_MAX));
    if (rc != 0)
        return;
    CHECK(blank && h.size == (size_t)(blank - buf) + 4);
    CHECK(h.size <= len && h.size <= API_CLIENT_HEAD_MAX);
    CHECK(h.status >= 100 && h.status <= 599);
    CHECK(!(h.chunked && h.has_length));
    CHECK(strlen(h.type) < API_CLIENT_FIELD_MAX &&
          strlen(h.allow) < API_CLIENT_FIELD_MAX);
    CHECK(api_client_parse_head((const char *)buf, h.size, &h2) == 0);
    CHECK(!memcmp(&h, &h2, sizeof(h)));
    if (h.size > 1)
        CHECK(api_client_parse_head((const char *)buf, h.size - 1, &h2) ==
              -EAGAIN);
}

/* ---- a strict reference reader of the body ---- */

struct ref {
    bool ok;
    uint8_t body[MAX_RESP];
    size_t len;
};

/* A CRLF line at (*at) of at most (max) bytes; its length, or -1. */
static long ref_line(const uint8_t *p, size_t n, size_t *at, size_t max)
{
    const uint8_t *e = memmem(p + *at, n - *at, "\r\n", 2);
    size_t len;

    if (!e || (size_t)(e - (p + *at)) > max)
        return -1;
    len = (size_t)(e - (p + *at));
    *at += len + 2;
    return (long)len;
}

static int hexdig(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Chunks: 1-8 hex digits, optionally ";ext", CRLF, data, CRLF; then 0,
 * trailer lines and an empty line. */
static bool ref_chunked(const uint8_t *p, size_t n, struct ref *r)
{
    size_t at = 0;

    for (;;) {
        size_t start = at, size = 0, i;
        long ll = ref_line(p, n, &at, 200);

        if (ll <= 0)
            return false;
        for (i = 0; i < (size_t)ll && hexdig(p[start + i]) >= 0; i++)
            size = size * 16 + (size_t)hexdig(p[start + i]);
        if (i == 0 || i > 8 || (i < (size_t)ll && p[start + i] != ';'))
            return false;
        if (size == 0) {
            do
                ll = ref_line(p, n, &at, 200);
            while (ll > 0);
            return ll == 0;
        }
        if (size > n - at || r->len + size > sizeof(r->body))
            return false;
        memcpy(r->body + r->len, p + at, size);
        r->len += size;
        at += size;
        if (ref_line(p, n, &at, 0) != 0)
            return false;
    }
}

static void reference(const uint8_t *p, size_t n, struct ref *r)
{
    struct api_http_head h;

    r->ok = false;
    r->len = 0;
    if (api_client_parse_head((const char *)p, n, &h) < 0)
        return;
    p += h.size;
    n -= h.size;
    if (h.chunked) {
        r->ok = ref_chunked(p, n, r);
        return;
    }
    if (!h.has_length && (h.status == 204 || h.status == 304)) {
        r->ok = true;
        return;
    }
    if (h.has_length && h.length > n)
        return;
    r->len = h.has_length ? h.length : n;
    memcpy(r->body, p, r->len);
    r->ok = true;
}

/* ---- exchanges ---- */

static void check_request(const char *method, const char *path,
                          const char *body)
{
    char line[128], cl[64];

    if (peer.fired || peer.send_mode == 1)
        return;
    peer.req[peer.nreq] = '\0';
    snprintf(line, sizeof(line), "%s %s HTTP/1.1\r\n", method, path);
    CHECK(!strncmp(peer.req, line, strlen(line)));
    CHECK(strstr(peer.req, "\r\n\r\n"));
    if (body) {
        snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", strlen(body));
        CHECK(strstr(peer.req, cl));
        CHECK(peer.nreq >= strlen(body) &&
              !strcmp(peer.req + peer.nreq - strlen(body), body));
    }
}

static struct {
    uint8_t out[2 * MAX_RESP];
    size_t n;
    unsigned lines, stop_after;
    bool stopped;
} lines;

static int on_line(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    CHECK(!lines.stopped);
    CHECK(line[len] == '\0' && !memchr(line, '\n', len));
    CHECK(len <= API_CLIENT_LINE_MAX);
    CHECK(lines.n + len + 1 <= sizeof(lines.out));
    memcpy(lines.out + lines.n, line, len);
    lines.n += len;
    lines.out[lines.n++] = '\n';
    lines.lines++;
    lines.stopped = lines.stop_after && lines.lines == lines.stop_after;
    return lines.stopped;
}

static void do_request(const struct ref *ref, uint8_t mode)
{
    static const char *const bodies[] = {NULL, "{}", "{\"cpus\": 2}"};
    const char *body = bodies[(mode >> 2) % 3];
    const char *method = body ? "PUT" : "GET";
    struct api_response r;
    int rc;

    rc = api_client_request("/fake/api.sock", method, "/vm", body, mode >> 4,
                            &r);
    CHECK(peer.closed == peer.opened);
    check_request(method, "/vm", body);
    if (rc < 0) {
        CHECK(!(ref->ok && !peer.fired));
        return;
    }
    CHECK(r.body && r.body[r.len] == '\0' && r.len <= API_CLIENT_BODY_MAX);
    CHECK(r.status == r.head.status);
    if (ref->ok && !peer.fired)
        CHECK(r.len == ref->len && !memcmp(r.body, ref->body, r.len));
    api_response_free(&r);
}

static void do_stream(const struct ref *ref, uint8_t stop)
{
    struct api_http_head h;
    size_t want = ref->len, cut = 0;
    unsigned nl = 0;
    int rc;

    memset(&lines, 0, sizeof(lines));
    lines.stop_after = stop % 8;
    rc = api_client_stream("/fake/api.sock", "/events", 1000, on_line, NULL,
                           &h);
    CHECK(peer.closed == peer.opened);
    check_request("GET", "/events", NULL);
    if (!ref->ok || peer.fired) {
        return;
    }
    CHECK(rc == 0);
    /* The lines, each with "\n" added back, are the body (plus a "\n"
     * after a last line that had none), up to where the callback said
     * stop. */
    for (size_t i = 0; i < ref->len; i++)
        if (ref->body[i] == '\n' && ++nl == lines.stop_after && !cut)
            cut = i + 1;
    if (lines.stop_after && cut) {
        want = cut;
    } else if (ref->len && ref->body[ref->len - 1] != '\n') {
        want = ref->len + 1;
    }
    CHECK(lines.n == want);
    CHECK(!memcmp(lines.out, ref->body, want < ref->len ? want : ref->len));
    if (want > ref->len)
        CHECK(lines.out[ref->len] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ref ref;
    struct in in = {.p = data, .n = size};
    uint8_t mode = get8(&in), fail, stop;

    memset(&peer, 0, sizeof(peer));
    for (unsigned i = 0; i < 8; i++)
        peer.sizes[i] = get8(&in);
    peer.fail_at = get8(&in);
    fail = get8(&in);
    stop = get8(&in);
    peer.fail_kind = fail & 3;
    peer.connect_fail = fail >> 5 == 7 ? (fail >> 2) & 3 : 0;
    peer.send_mode = (fail >> 4) & 3;
    peer.resp = in.p;
    peer.len = in.n > MAX_RESP ? MAX_RESP : in.n;
    switch (mode % 3) {
    case 0:
        check_head(peer.resp, peer.len);
        break;
    case 1:
        reference(peer.resp, peer.len, &ref);
        peer.active = true;
        do_request(&ref, mode);
        break;
    default:
        reference(peer.resp, peer.len, &ref);
        peer.active = true;
        do_stream(&ref, stop);
        break;
    }
    peer.active = false;
    return 0;
}
