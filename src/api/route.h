/* Requests to replies, without sockets: the method, path and body of one
 * HTTP request in, a status, headers and body out. The server (server.c)
 * and the api_body fuzz target both call api_route(). */
#ifndef VESSEL_API_ROUTE_H
#define VESSEL_API_ROUTE_H

#include "api/api.h"

struct api_router {
    const struct api_vm_ops *ops;
    void *ctx;
    long pid;                       /* GET /vm's "pid" */
    /* Appends the server's own metrics to GET /metrics; may be NULL. */
    void (*own_metrics)(void *srv, struct api_text *out);
    void *srv;
};

struct api_reply {
    unsigned status;
    const char *type;               /* Content-Type; NULL without a body */
    const char *allow;              /* 405: the path's methods */
    char *body;                     /* malloc'd, or NULL */
    size_t len;
    bool stream;                    /* GET /events: stream events now */
};

/* Answer (method) on (path) with the request body (body, len) (not
 * NUL-terminated; may be NULL when len is 0). Malformed JSON, unknown
 * fields and wrong types give 400, an unknown path 404, another method
 * 405 with (allow); errors have the body {"error": "one line"}. Never
 * fails: without memory the reply is a 500 with no body. Free with
 * api_reply_free(). */
void api_route(const struct api_router *rt, const char *method,
               const char *path, const char *body, size_t len,
               struct api_reply *out);

/* (out) becomes (status) with {"error": "<fmt ...>"}. */
void api_reply_error(struct api_reply *out, unsigned status,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

void api_reply_free(struct api_reply *r);

#endif
