/* The CLI's side of the control socket: one HTTP/1.1 request per
 * connection to a VM's api.sock (docs/api.md).
 *
 * Hand-written rather than libcurl: our server is the only peer, the
 * subset is small (a request with Content-Length; a response with
 * Content-Length, chunked, or until close), and libcurl would add 32
 * shared libraries to the one `vessel` binary that every VM process
 * loads at start-up. Every read is bounded (head, body, line). */
#ifndef VESSEL_API_CLIENT_H
#define VESSEL_API_CLIENT_H

#include "core/types.h"

#define API_CLIENT_HEAD_MAX 8192
#define API_CLIENT_BODY_MAX (4 * MiB)
#define API_CLIENT_LINE_MAX (64 * 1024)

#define API_CLIENT_FIELD_MAX 96

/* What a response head says (api_client_parse_head()). */
struct api_http_head {
    unsigned status;
    bool chunked;
    bool has_length;
    uint64_t length;
    size_t size;                    /* bytes of the head, "\r\n\r\n" too */
    char type[API_CLIENT_FIELD_MAX];    /* Content-Type, cut; "" if none */
    char allow[API_CLIENT_FIELD_MAX];   /* Allow, likewise */
};

struct api_response {
    unsigned status;
    struct api_http_head head;
    char *body;                     /* NUL-terminated; malloc'd */
    size_t len;
};

/* Send (method) (path) with (body) (JSON, or NULL) to the socket (sock),
 * wait for the whole response, at most (timeout_ms) per step (connect,
 * each read and write; 0: no limit). Returns 0 with (out) filled (free
 * with api_response_free()), -ENOENT or -ECONNREFUSED when nobody
 * listens, -ETIMEDOUT, -EPROTO for a response we cannot read, -EMSGSIZE
 * when it is larger than our limits, or -errno. */
int api_client_request(const char *sock, const char *method,
                       const char *path, const char *body,
                       unsigned timeout_ms, struct api_response *out)
    MUST_CHECK;

void api_response_free(struct api_response *r);

/* GET (path) and call (fn)(ctx, line, len) for each line of the body
 * (without its "\n"; NUL-terminated) until the server ends it or (fn)
 * returns non-zero. (idle_ms) bounds the wait for the response head and
 * for each line (0: none). (*head) gets the response head (status,
 * Content-Type); a non-200 reply's body is passed to (fn) as lines too.
 * Returns 0 (also when fn stopped it), or the errors of
 * api_client_request(). */
typedef int (*api_line_fn)(void *ctx, const char *line, size_t len);
int api_client_stream(const char *sock, const char *path, unsigned idle_ms,
                      api_line_fn fn, void *ctx, struct api_http_head *head)
    MUST_CHECK;

/* Parse a response head in (buf, len). Returns 0 with (h) filled,
 * -EAGAIN when the head is not complete yet, -EPROTO when it is not a
 * response we read (or Content-Length with chunked), -EMSGSIZE when it
 * is complete only past API_CLIENT_HEAD_MAX. */
int api_client_parse_head(const char *buf, size_t len,
                          struct api_http_head *h) MUST_CHECK;

#endif
