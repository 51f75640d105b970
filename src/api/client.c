/* A small HTTP/1.1 client for a VM's control socket. */
#include "api/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#define CHUNK_LINE_MAX 256

struct conn {
    int fd;
    bool eof;
    size_t off, len;                /* unread: buf[off, len) */
    char buf[API_CLIENT_HEAD_MAX];
};

/* Where body bytes go: a buffer, or a line splitter. */
struct sink {
    int (*put)(struct sink *k, const char *p, size_t n);
    char *buf;
    size_t len, cap, max;
    api_line_fn fn;
    void *ctx;
    bool stopped;                   /* fn asked to stop */
};

/* ---- the response head ---- */

/* The line at (p) up to (end), without its CRLF; NULL past the end. */
static const char *next_line(const char *p, const char *end, size_t *n)
{
    const char *e = p < end ? memmem(p, (size_t)(end - p), "\r\n", 2) : NULL;

    if (!e)
        return NULL;
    *n = (size_t)(e - p);
    return p;
}

static int parse_length(const char *v, size_t n, uint64_t *out)
{
    uint64_t x = 0;

    if (n == 0 || n > 18)
        return -EPROTO;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -EPROTO;
        x = x * 10 + (uint64_t)(v[i] - '0');
    }
    *out = x;
    return 0;
}

static void copy_value(char out[API_CLIENT_FIELD_MAX], const char *v,
                       size_t n)
{
    if (n >= API_CLIENT_FIELD_MAX)
        n = API_CLIENT_FIELD_MAX - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static int parse_field(const char *p, size_t n, struct api_http_head *h)
{
    const char *colon = memchr(p, ':', n);
    const char *v;
    size_t name, vn;
    uint64_t len;

    if (!colon || colon == p)
        return -EPROTO;
    name = (size_t)(colon - p);
    v = colon + 1;
    vn = n - name - 1;
    while (vn && (*v == ' ' || *v == '\t'))
        v++, vn--;
    while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
        vn--;
    if (name == 14 && !strncasecmp(p, "Content-Length", 14)) {
        if (parse_length(v, vn, &len) < 0 || (h->has_length && len != h->length))
            return -EPROTO;
        h->has_length = true;
        h->length = len;
    } else if (name == 17 && !strncasecmp(p, "Transfer-Encoding", 17)) {
        if (vn != 7 || strncasecmp(v, "chunked", 7))
            return -EPROTO;
        h->chunked = true;
    } else if (name == 12 && !strncasecmp(p, "Content-Type", 12)) {
        copy_value(h->type, v, vn);
    } else if (name == 5 && !strncasecmp(p, "Allow", 5)) {
        copy_value(h->allow, v, vn);
    }
    return 0;
}

int api_client_parse_head(const char *buf, size_t len,
                          struct api_http_head *h)
{
    const char *end = memmem(buf, len, "\r\n\r\n", 4), *p;
    size_t n;
    int rc;

    if (!end)
        return len >= API_CLIENT_HEAD_MAX ? -EMSGSIZE : -EAGAIN;
    memset(h, 0, sizeof(*h));
    h->size = (size_t)(end - buf) + 4;
    if (h->size > API_CLIENT_HEAD_MAX)
        return -EMSGSIZE;
    end += 2;                       /* the last line's CRLF is its own */
    p = next_line(buf, end, &n);
    if (!p || n < 12 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') ||
        p[8] != ' ' || p[9] < '1' || p[9] > '5' || p[10] < '0' ||
        p[10] > '9' || p[11] < '0' || p[11] > '9' || (n > 12 && p[12] != ' '))
        return -EPROTO;
    h->status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 +
                           (p[11] - '0'));
    for (p += n + 2; (p = next_line(p, end, &n)); p += n + 2) {
        rc = parse_field(p, n, h);
        if (rc < 0)
            return rc;
    }
    return h->chunked && h->has_length ? -EPROTO : 0;
}

/* ---- the connection ---- */

static int conn_open(struct conn *c, const char *sock, unsigned timeout_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = timeout_ms / 1000,
                          .tv_usec = (timeout_ms % 1000) * 1000 };
    int rc;

    c->fd = -1;
    c->eof = false;
    c->off = c->len = 0;
    if (strlen(sock) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -errno;
    /* Unix sockets apply the send timeout to connect() as well. */
    if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
        close(c->fd);
        c->fd = -1;
        return rc;
    }
    return 0;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return errno == EAGAIN ? -ETIMEDOUT : -errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Read more; returns 0 (maybe at EOF) or -errno. */
static int fill(struct conn *c)
{
    ssize_t k;

    if (c->off) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    if (c->len == sizeof(c->buf))
        return -EMSGSIZE;
    do
        k = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return errno == EAGAIN ? -ETIMEDOUT : -errno;
    c->eof = k == 0;
    c->len += (size_t)k;
    return 0;
}

static int send_request(struct conn *c, const char *method, const char *path,
                        const char *body)
{
    char head[512];
    size_t blen = body ? strlen(body) : 0;
    int n, rc;

    if (body)
        n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                     "Connection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n", method, path, blen);
    else
        n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                     "Connection: close\r\n\r\n", method, path);
    if (n < 0 || (size_t)n >= sizeof(head))
        return -ENAMETOOLONG;
    rc = send_all(c->fd, head, (size_t)n);
    return rc == 0 && body ? send_all(c->fd, body, blen) : rc;
}

static int read_head(struct conn *c, struct api_http_head *h)
{
    for (;;) {
        int rc = api_client_parse_head(c->buf + c->off, c->len - c->off, h);

        if (rc != -EAGAIN)
            return rc == 0 ? (c->off += h->size, 0) : rc;
        if (c->eof)
            return -EPROTO;
        rc = fill(c);
        if (rc < 0)
            return rc;
    }
}

/* ---- the body ---- */

/* Pass (n) bytes, or everything up to EOF when (to_eof), to (k). */
static int read_body(struct conn *c, uint64_t n, bool to_eof, struct sink *k)
{
    while ((n || to_eof) && !k->stopped) {
        size_t have = c->len - c->off;
        int rc;

        if (have) {
            size_t take = to_eof || have < n ? have : (size_t)n;

            rc = k->put(k, c->buf + c->off, take);
            if (rc < 0)
                return rc;
            c->off += take;
            n -= to_eof ? 0 : take;
            continue;
        }
        if (c->eof)
            return to_eof ? 0 : -EPROTO;
        rc = fill(c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* One CRLF-terminated line into (out) (NUL-terminated, CRLF dropped). */
static int read_line(struct conn *c, char *out, size_t cap)
{
    for (;;) {
        const char *s = c->buf + c->off;
        size_t have = c->len - c->off;
        const char *e = memmem(s, have, "\r\n", 2);
        int rc;

        if (e) {
            if ((size_t)(e - s) >= cap)
                return -EPROTO;
            memcpy(out, s, (size_t)(e - s));
            out[e - s] = '\0';
            c->off += (size_t)(e - s) + 2;
            return 0;
        }
        if (have >= cap + 2 || c->eof)
            return -EPROTO;
        rc = fill(c);
        if (rc < 0)
            return rc;
    }
}

static int read_chunked(struct conn *c, struct sink *k)
{
    char line[CHUNK_LINE_MAX];

    while (!k->stopped) {
        unsigned long long size;
        char *end;
        int rc = read_line(c, line, sizeof(line));

        if (rc < 0)
            return rc;
        errno = 0;
        size = strtoull(line, &end, 16);
        if (end == line || (*end && *end != ';') || errno ||
            line[0] == '-' || line[0] == ' ')
            return -EPROTO;
        if (size > API_CLIENT_BODY_MAX)
            return -EMSGSIZE;
        if (size == 0) {        /* trailers, then an empty line */
            do
                rc = read_line(c, line, sizeof(line));
            while (rc == 0 && line[0]);
            return rc;
        }
        rc = read_body(c, size, false, k);
        if (rc == 0 && !k->stopped)
            rc = read_line(c, line, sizeof(line));
        if (rc < 0)
            return rc;
        if (!k->stopped && line[0])
            return -EPROTO;
    }
    return 0;
}

static int read_response(struct conn *c, const struct api_http_head *h,
                         struct sink *k)
{
    if (h->chunked)
        return read_chunked(c, k);
    if (h->has_length)
        return h->length > API_CLIENT_BODY_MAX ? -EMSGSIZE
                                               : read_body(c, h->length, false, k);
    if (h->status == 204 || h->status == 304)
        return 0;
    return read_body(c, 0, true, k);
}

/* ---- sinks ---- */

static int put_buf(struct sink *k, const char *p, size_t n)
{
    if (n > k->max - k->len)
        return -EMSGSIZE;
    if (k->len + n + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 4096;
        char *b;

        while (cap < k->len + n + 1)
            cap *= 2;
        b = realloc(k->buf, cap);
        if (!b)
            return -ENOMEM;
        k->buf = b;
        k->cap = cap;
    }
    memcpy(k->buf + k->len, p, n);
    k->len += n;
    k->buf[k->len] = '\0';
    return 0;
}

static int put_lines(struct sink *k, const char *p, size_t n)
{
    while (n && !k->stopped) {
        const char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        int rc = put_buf(k, p, take);

        if (rc < 0)
            return rc;
        p += take;
        n -= take;
        if (!nl)
            break;
        p++;
        n--;
        k->stopped = k->fn(k->ctx, k->buf, k->len) != 0;
        k->len = 0;
    }
    return 0;
}

/* ---- requests ---- */

static int exchange(const char *sock, const char *method, const char *path,
                    const char *body, unsigned timeout_ms, struct sink *k,
                    struct api_http_head *h)
{
    struct conn *c = malloc(sizeof(*c));
    int rc;

    if (!c)
        return -ENOMEM;
    rc = conn_open(c, sock, timeout_ms);
    if (rc == 0)
        rc = send_request(c, method, path, body);
    /* A server may answer (413) and close before it has read the body. */
    if (rc == 0 || rc == -EPIPE || rc == -ECONNRESET) {
        int hr = read_head(c, h);   /* -ETIMEDOUT: a server that hangs */

        rc = hr == 0 ? 0 : rc ? rc : hr;
    }
    if (rc == 0)
        rc = read_response(c, h, k);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
    return rc;
}

int api_client_request(const char *sock, const char *method,
                       const char *path, const char *body,
                       unsigned timeout_ms, struct api_response *out)
{
    struct sink k = { .put = put_buf, .max = API_CLIENT_BODY_MAX };
    int rc;

    memset(out, 0, sizeof(*out));
    rc = exchange(sock, method, path, body, timeout_ms, &k, &out->head);
    out->status = out->head.status;
    if (rc == 0 && !k.buf)
        rc = put_buf(&k, "", 0);    /* an empty body is "" */
    if (rc < 0) {
        free(k.buf);
        return rc;
    }
    out->body = k.buf;
    out->len = k.len;
    return 0;
}

void api_response_free(struct api_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

int api_client_stream(const char *sock, const char *path, unsigned idle_ms,
                      api_line_fn fn, void *ctx, struct api_http_head *head)
{
    struct sink k = { .put = put_lines, .max = API_CLIENT_LINE_MAX,
                      .fn = fn, .ctx = ctx };
    int rc;

    memset(head, 0, sizeof(*head));
    rc = exchange(sock, "GET", path, NULL, idle_ms, &k, head);
    if (rc == 0 && k.len && !k.stopped)
        fn(ctx, k.buf, k.len);      /* a last line without "\n" */
    free(k.buf);
    return rc;
}
