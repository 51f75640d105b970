/* The control socket's server: libmicrohttpd, driven from our own thread.
 *
 * One thread, as with MHD's internal polling thread, but the loop is ours
 * (MHD in "external" mode with epoll: MHD_run() after a poll() on MHD's
 * epoll fd and our wake-up eventfd). Owning it buys three things:
 *  - a deadline for a whole request. MHD's timeout counts idle time only,
 *    so a client sending a byte every 100 ms would hold a connection slot
 *    forever. Between two MHD_run() calls, on the thread that also closes
 *    connections (so no descriptor can be reused under us), we shut down
 *    the socket of every connection whose request is overdue; MHD then
 *    sees the end of the stream and closes it.
 *  - GET /events streams that sleep (suspended) until api_event() writes
 *    the eventfd, and a check that their peer is still there.
 *  - no FD_SETSIZE limit (epoll) in a process that has many descriptors.
 * Memory per connection: MHD's pool (CONN_MEMORY) and a body buffer that
 * never grows past max_body; a larger declared body is refused (413)
 * before any of it is read. */
#include <errno.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "api/events.h"
#include "api/route.h"
#include "core/log.h"
#include "host/clock.h"
#include "host/evloop.h"
#include "host/sandbox.h"
#include "host/unixsock.h"

#define CONN_MEMORY (16 * 1024)     /* MHD's pool per connection */
#define LISTEN_BACKLOG 16
#define STREAM_BLOCK 4096
#define LOOP_MAX_MS 1000            /* streams' peers are checked this often */
#define DRAIN_MS 500                /* api_server_stop(): time to flush */

/* One accepted socket (loop thread only). */
struct conn {
    LIST_ENTRY(conn) link;
    int fd;
    uint64_t deadline_ns;           /* the request must be in; 0: none */
};

/* One request's body. */
struct req {
    char *body;
    size_t len, cap;
    bool too_big;
};

/* One GET /events response. */
struct stream {
    LIST_ENTRY(stream) link;
    struct api_server *srv;
    struct MHD_Connection *mc;
    struct events_sub sub;
    int fd;
    bool suspended, closing;
};

struct api_server {
    struct api_server_config cfg;   /* defaults filled in */
    char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct api_router rt;
    struct MHD_Daemon *d;
    int epfd, wakefd;
    pthread_t thread;
    atomic_bool stopping;
    struct events ev;
    /* Loop thread only: */
    LIST_HEAD(, conn) conns;
    LIST_HEAD(, stream) streams;
    unsigned nstreams;
    uint64_t replies[6];            /* by status class: [2] is 2xx */
    uint64_t timeouts;              /* connections cut at their deadline */
    struct ratelimit log_rl;
};

static void wake(struct api_server *s)
{
    uint64_t one = 1;

    if (write(s->wakefd, &one, sizeof(one)) < 0) {
        /* full (2^64 - 2 wake-ups pending): the loop is awake anyway */
    }
}

static uint64_t wall_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void api_event(struct api_server *s, enum api_event_kind kind,
               const char *reason)
{
    if (!s)
        return;
    events_publish(&s->ev, kind, reason, wall_ms());
    wake(s);
}

/* ---- connections and deadlines ---- */

static struct conn *conn_of(struct MHD_Connection *mc)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

static void arm(struct api_server *s, struct conn *c)
{
    if (c)
        c->deadline_ns = host_mono_ns() + s->cfg.request_ms * 1000000ULL;
}

static void on_conn(void *cls, struct MHD_Connection *mc, void **ctx,
                    enum MHD_ConnectionNotificationCode code)
{
    struct api_server *s = cls;
    struct conn *c = *ctx;

    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);

        c = calloc(1, sizeof(*c));
        if (!c || !ci) {
            free(c);
            return;             /* untracked: MHD's idle timeout only */
        }
        c->fd = ci->connect_fd;
        arm(s, c);
        LIST_INSERT_HEAD(&s->conns, c, link);
        *ctx = c;
        return;
    }
    if (!c)
        return;
    LIST_REMOVE(c, link);
    free(c);
    *ctx = NULL;
}

/* Shut down overdue sockets; returns ms until the next deadline (at most
 * (cap)). */
static int sweep(struct api_server *s, int cap)
{
    uint64_t now = host_mono_ns();
    int next = cap;
    struct conn *c;

    LIST_FOREACH(c, &s->conns, link) {
        if (!c->deadline_ns)
            continue;
        if (now >= c->deadline_ns) {
            shutdown(c->fd, SHUT_RDWR);
            c->deadline_ns = 0;
            s->timeouts++;
            continue;
        }
        if ((c->deadline_ns - now) / 1000000 + 1 < (uint64_t)next)
            next = (int)((c->deadline_ns - now) / 1000000 + 1);
    }
    return next;
}

/* ---- event streams ---- */

static void stream_free(void *cls)
{
    struct stream *st = cls;

    LIST_REMOVE(st, link);
    st->srv->nstreams--;
    free(st);
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    size_t n = events_read(&st->srv->ev, &st->sub, buf, max);

    (void)pos;
    if (n)
        return (ssize_t)n;
    if (st->closing)
        return MHD_CONTENT_READER_END_OF_STREAM;
    /* Lines that do not fit now: MHD asks again once it has written. */
    if (events_pending(&st->srv->ev, &st->sub))
        return 0;
    st->suspended = true;
    MHD_suspend_connection(st->mc);
    return 0;
}

static bool peer_gone(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLRDHUP };

    return poll(&p, 1, 0) > 0 &&
           (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Resume the sleeping streams that have news, lost their peer, or must
 * end because (ending). */
static void wake_streams(struct api_server *s, bool ending)
{
    struct stream *st;

    LIST_FOREACH(st, &s->streams, link) {
        /* A stream that is closing never suspends again. */
        if (ending)
            st->closing = true;
        if (!st->suspended)
            continue;
        if (peer_gone(st->fd))
            st->closing = true;
        if (st->closing || events_pending(&s->ev, &st->sub)) {
            st->suspended = false;
            MHD_resume_connection(st->mc);
        }
    }
}

/* ---- requests ---- */

static void count_reply(struct api_server *s, unsigned status)
{
    if (status / 100 < ARRAY_SIZE(s->replies))
        s->replies[status / 100]++;
}

static enum MHD_Result queue(struct api_server *s, struct MHD_Connection *mc,
                             unsigned status, struct MHD_Response *r,
                             const char *type, const char *allow)
{
    enum MHD_Result ok;

    if (!r)
        return MHD_NO;
    if (type)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    ok = MHD_queue_response(mc, status, r);
    MHD_destroy_response(r);
    count_reply(s, status);
    return ok;
}

static enum MHD_Result start_stream(struct api_server *s,
                                    struct MHD_Connection *mc,
                                    const char *type)
{
    struct conn *c = conn_of(mc);
    struct stream *st = calloc(1, sizeof(*st));
    struct MHD_Response *r;

    if (!st || !c) {
        free(st);
        return MHD_NO;
    }
    st->srv = s;
    st->mc = mc;
    st->fd = c->fd;
    events_subscribe(&s->ev, &st->sub);
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK,
                                          stream_read, st, stream_free);
    if (!r) {
        free(st);
        return MHD_NO;
    }
    LIST_INSERT_HEAD(&s->streams, st, link);
    s->nstreams++;
    return queue(s, mc, 200, r, type, NULL);
}

static enum MHD_Result send_reply(struct api_server *s,
                                  struct MHD_Connection *mc,
                                  struct api_reply *rep)
{
    struct MHD_Response *r;

    if (rep->stream && s->nstreams >= s->cfg.max_subscribers)
        api_reply_error(rep, 503, "too many event subscribers (at most %u)",
                        s->cfg.max_subscribers);
    else if (rep->stream)
        return start_stream(s, mc, rep->type);
    if (rep->body)
        r = MHD_create_response_from_buffer(rep->len, rep->body,
                                            MHD_RESPMEM_MUST_FREE);
    else
        r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    if (r)
        rep->body = NULL;       /* MHD frees it now */
    api_reply_free(rep);
    return queue(s, mc, rep->status, r, rep->type, rep->allow);
}

static enum MHD_Result send_error(struct api_server *s,
                                  struct MHD_Connection *mc, unsigned status,
                                  const char *msg)
{
    struct api_reply rep = { 0 };

    api_reply_error(&rep, status, "%s", msg);
    return send_reply(s, mc, &rep);
}

/* Content-Length larger than (max)? An unparsable one is MHD's to
 * refuse. */
static bool declared_too_big(struct MHD_Connection *mc, size_t max)
{
    const char *v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_CONTENT_LENGTH);
    char *end;
    unsigned long long n;

    if (!v)
        return false;
    errno = 0;
    n = strtoull(v, &end, 10);
    return end != v && (errno == ERANGE || n > max);
}

static void take_body(struct api_server *s, struct req *r, const char *data,
                      size_t n)
{
    if (r->too_big || n > s->cfg.max_body - r->len) {
        r->too_big = true;      /* the rest is read and dropped */
        free(r->body);
        r->body = NULL;
        r->len = r->cap = 0;
        return;
    }
    if (r->len + n > r->cap) {
        size_t cap = r->cap ? r->cap : 1024;
        char *b;

        while (cap < r->len + n)
            cap *= 2;
        if (cap > s->cfg.max_body)
            cap = s->cfg.max_body;
        b = realloc(r->body, cap);
        if (!b) {
            r->too_big = true;
            return;
        }
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **req_cls)
{
    struct api_server *s = cls;
    struct req *r = *req_cls;
    struct api_reply rep;
    struct conn *c;

    (void)version;
    if (!r) {                   /* the headers are in */
        r = calloc(1, sizeof(*r));
        if (!r)
            return MHD_NO;
        *req_cls = r;
        if (declared_too_big(mc, s->cfg.max_body))
            return send_error(s, mc, 413, "request body too large");
        return MHD_YES;
    }
    if (*data_size) {
        take_body(s, r, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    c = conn_of(mc);            /* the whole request is in */
    if (c)
        c->deadline_ns = 0;
    if (r->too_big)
        return send_error(s, mc, 413, "request body too large");
    api_route(&s->rt, method, url, r->body, r->len, &rep);
    return send_reply(s, mc, &rep);
}

static void on_done(void *cls, struct MHD_Connection *mc, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct api_server *s = cls;
    struct req *r = *req_cls;

    (void)toe;
    if (r) {
        free(r->body);
        free(r);
        *req_cls = NULL;
    }
    arm(s, conn_of(mc));        /* the next request on this connection */
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
    struct api_server *s = cls;
    char msg[256];

    if (!ratelimit_ok(&s->log_rl))
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_debug("api: %s", msg);
}

static void own_metrics(void *srv, struct api_text *t)
{
    struct api_server *s = srv;
    uint64_t published, dropped;

    pthread_mutex_lock(&s->ev.lock);
    published = s->ev.published;
    dropped = s->ev.dropped;
    pthread_mutex_unlock(&s->ev.lock);
    api_text_printf(t, "# TYPE vessel_api_responses_total counter\n");
    for (unsigned k = 2; k < ARRAY_SIZE(s->replies); k++)
        api_text_printf(t, "vessel_api_responses_total{class=\"%uxx\"} "
                        "%llu\n", k, (unsigned long long)s->replies[k]);
    api_text_printf(t, "# TYPE vessel_api_request_timeouts_total counter\n"
                    "vessel_api_request_timeouts_total %llu\n"
                    "# TYPE vessel_api_event_subscribers gauge\n"
                    "vessel_api_event_subscribers %u\n"
                    "# TYPE vessel_api_events_total counter\n"
                    "vessel_api_events_total %llu\n"
                    "# TYPE vessel_api_events_dropped_total counter\n"
                    "vessel_api_events_dropped_total %llu\n",
                    (unsigned long long)s->timeouts, s->nstreams,
                    (unsigned long long)published,
                    (unsigned long long)dropped);
}

/* ---- the loop ---- */

static void wait_events(struct api_server *s, int ms)
{
    struct pollfd p[2] = { { .fd = s->epfd, .events = POLLIN },
                           { .fd = s->wakefd, .events = POLLIN } };
    MHD_UNSIGNED_LONG_LONG mto;

    if (MHD_get_timeout(s->d, &mto) == MHD_YES && mto < (unsigned)ms)
        ms = (int)mto;
    if (poll(p, 2, ms) > 0 && p[1].revents)
        evloop_eventfd_drain(s->wakefd);
}

static void *api_thread(void *arg)
{
    struct api_server *s = arg;
    uint64_t until;

    sandbox_thread_enter(SANDBOX_API);
    while (!atomic_load(&s->stopping)) {
        wait_events(s, sweep(s, LOOP_MAX_MS));
        wake_streams(s, false);
        MHD_run(s->d);
    }
    /* Let subscribers have the last events, briefly. No stream stays
     * suspended after this (MHD_stop_daemon() must not see one). */
    until = host_mono_ns() + DRAIN_MS * 1000000ULL;
    do {
        wake_streams(s, true);
        MHD_run(s->d);
        if (s->nstreams)
            wait_events(s, 20);
    } while (s->nstreams && host_mono_ns() < until);
    wake_streams(s, true);
    MHD_run(s->d);
    return NULL;
}

/* ---- start and stop ---- */

/* Whether a failed MHD_start_daemon() closed the listening socket is not
 * documented: close it only if the number still names that socket. */
static void close_if_same(int fd, const struct stat *was)
{
    struct stat st;

    if (fstat(fd, &st) == 0 && st.st_dev == was->st_dev &&
        st.st_ino == was->st_ino)
        close(fd);
}

static void fill_defaults(struct api_server_config *c)
{
    if (!c->max_conns)
        c->max_conns = API_DEF_MAX_CONNS;
    if (!c->max_subscribers)
        c->max_subscribers = API_DEF_MAX_SUBSCRIBERS;
    if (!c->max_body)
        c->max_body = API_DEF_MAX_BODY;
    if (!c->request_ms)
        c->request_ms = API_DEF_REQUEST_MS;
    if (!c->idle_s)
        c->idle_s = API_DEF_IDLE_S;
}

static int start_daemon(struct api_server *s, int lfd)
{
    const union MHD_DaemonInfo *di;

    errno = 0;   /* MHD reports no cause: keep the one a syscall left */
    s->d = MHD_start_daemon(
        MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG, 0, NULL,
        NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, lfd,
        MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_conns,
        MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.idle_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
        MHD_OPTION_NOTIFY_CONNECTION, on_conn, s,
        MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, s, MHD_OPTION_END);
    if (!s->d)
        return errno ? -errno : -EIO;
    di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
    if (!di) {
        MHD_stop_daemon(s->d);
        return -EIO;
    }
    s->epfd = di->epoll_fd;
    return 0;
}

/* Bind the socket and start MHD on it; on failure nothing is left. */
static int listen_and_serve(struct api_server *s)
{
    struct stat st;
    int lfd = unix_listen(s->sock_path, LISTEN_BACKLOG), rc;

    if (lfd < 0)
        return lfd;
    if (fstat(lfd, &st) < 0) {
        rc = -errno;
        close(lfd);
    } else {
        rc = start_daemon(s, lfd);      /* MHD closes lfd from now on */
        if (rc < 0)
            close_if_same(lfd, &st);
    }
    if (rc < 0)
        unlink(s->sock_path);
    return rc;
}

int api_server_start(struct api_server **out,
                     const struct api_server_config *cfg)
{
    struct api_server *s = calloc(1, sizeof(*s));
    int rc;

    if (!s)
        return -ENOMEM;
    LIST_INIT(&s->conns);
    LIST_INIT(&s->streams);
    s->cfg = *cfg;
    fill_defaults(&s->cfg);
    s->log_rl = (struct ratelimit)RATELIMIT_INIT;
    s->rt = (struct api_router){ .ops = cfg->ops, .ctx = cfg->ctx,
                                 .pid = (long)getpid(),
                                 .own_metrics = own_metrics, .srv = s };
    if (strlen(cfg->sock_path) >= sizeof(s->sock_path)) {
        free(s);
        return -ENAMETOOLONG;
    }
    memcpy(s->sock_path, cfg->sock_path, strlen(cfg->sock_path) + 1);
    events_init(&s->ev);
    s->wakefd = evloop_eventfd();
    rc = s->wakefd < 0 ? s->wakefd : listen_and_serve(s);
    if (rc < 0)
        goto err_wake;
    rc = -pthread_create(&s->thread, NULL, api_thread, s);
    if (rc < 0)
        goto err_daemon;
    *out = s;
    return 0;
err_daemon:
    MHD_stop_daemon(s->d);
    unlink(s->sock_path);
err_wake:
    if (s->wakefd >= 0)
        close(s->wakefd);
    events_fini(&s->ev);
    free(s);
    return rc;
}

void api_server_stop(struct api_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    wake(s);
    pthread_join(s->thread, NULL);
    MHD_stop_daemon(s->d);
    unlink(s->sock_path);
    close(s->wakefd);
    events_fini(&s->ev);
    free(s);
}
