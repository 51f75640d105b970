/* The console socket of a detached VM: history ring, one client, input
 * with back-pressure.
 *
 * The output ring is also the client's send buffer: the client has a
 * cursor (an absolute output offset); whatever lies between it and the
 * newest byte is sent as the socket takes it, from consock_write() while
 * the client keeps up and from the loop (EPOLLOUT) once it does not. A
 * client more than CONSOCK_HISTORY bytes behind skips what the ring has
 * overwritten; that is the drop count. So nothing is copied twice,
 * nothing waits, and the memory is the ring.
 *
 * Locks: consock_write() runs under vm->dev_lock and takes c->lock, so
 * the order is dev_lock -> c->lock -> the evloop's lock. The input
 * callback takes dev_lock, so it is called with c->lock released.
 *
 * System calls: the writer (a vCPU thread, in its sandbox) only sends and
 * rings an eventfd; changing what the loop watches (epoll_ctl), accepting
 * and closing happen on the loop thread. */
#include "host/consock.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/evloop.h"
#include "host/unixsock.h"

#define CONSOCK_INPUT_MAX 4096      /* input read from the client at once */
#define CONSOCK_RETRY_NS 2000000L   /* offer pending input again after */
#define CONSOCK_BACKLOG 4
#define CONSOCK_ACCEPT_RETRY_NS 100000000L  /* out of fds: accept again after */

struct consock {
    pthread_mutex_t lock;   /* everything up to (pending) */
    struct evloop *io;
    consock_input_fn input;
    void *ctx;
    int listen_fd, timer_fd;
    int accept_timer_fd;    /* one-shot: look at the listener again */
    int wake_fd;            /* eventfd: a writer found the client full */
    bool wake_pending;      /* rung, the loop has not answered yet */
    int client;             /* -1: nobody attached */
    uint32_t client_events; /* what the loop watches (client) for */
    uint64_t cursor;        /* next output offset the client gets */
    bool client_broken;     /* a send failed for good: wait for hang-up */
    bool client_eof;        /* the client shut its side: read no more */
    bool in_paused;         /* input pending: do not read the client */
    uint64_t total;         /* output bytes ever; ring[total % H] is next */
    struct consock_stats st;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    char refuse[128];       /* the line a second client gets */
    /* The loop thread's alone: input the guest has not taken yet. */
    uint8_t pending[CONSOCK_INPUT_MAX];
    size_t pend_off, pend_len;
    uint8_t ring[CONSOCK_HISTORY];
};

/* ---- output: ring and client (under c->lock) ---- */

static uint64_t oldest(const struct consock *c)
{
    return c->total > CONSOCK_HISTORY ? c->total - CONSOCK_HISTORY : 0;
}

/* Watch the client for input unless paused or at EOF, and for room in
 * its socket while output waits for it. */
static void update_events(struct consock *c)
{
    uint32_t ev = 0;

    if (c->client < 0)
        return;
    if (!c->in_paused && !c->client_eof)
        ev |= EPOLLIN;
    if (!c->client_broken && c->cursor < c->total)
        ev |= EPOLLOUT;
    if (ev != c->client_events && evloop_mod(c->io, c->client, ev) == 0)
        c->client_events = ev;
}

/* Count what the ring overwrote before the client got it. */
static void skip_lost(struct consock *c)
{
    if (c->client >= 0 && c->cursor < oldest(c)) {
        c->st.client_dropped += oldest(c) - c->cursor;
        c->cursor = oldest(c);
    }
}

/* Send the client what it has not had, as far as its socket takes it.
 * Returns true if some still waits for room. */
static bool send_pending(struct consock *c)
{
    if (c->client < 0 || c->client_broken)
        return false;
    skip_lost(c);
    while (c->cursor < c->total) {
        size_t off = (size_t)(c->cursor % CONSOCK_HISTORY);
        uint64_t left = c->total - c->cursor;
        size_t n = left < CONSOCK_HISTORY - off ? (size_t)left
                                                 : CONSOCK_HISTORY - off;
        ssize_t r = send(c->client, c->ring + off, n,
                         MSG_DONTWAIT | MSG_NOSIGNAL);

        if (r > 0) {
            c->cursor += (uint64_t)r;
        } else if (r < 0 && errno == EINTR) {
            continue;
        } else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            /* EPIPE...: the loop sees the hang-up and detaches. */
            c->client_broken = true;
            c->st.client_dropped += left;
            c->cursor = c->total;
        }
    }
    return !c->client_broken && c->cursor < c->total;
}

/* The same on the loop thread, which also watches for room as needed. */
static void flush(struct consock *c)
{
    send_pending(c);
    update_events(c);
}

static size_t consock_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct consock *c = ctx;
    size_t skip = len > CONSOCK_HISTORY ? len - CONSOCK_HISTORY : 0;

    pthread_mutex_lock(&c->lock);
    c->total += skip;   /* bytes the ring could not hold anyway */
    for (size_t i = skip; i < len;) {
        size_t off = (size_t)(c->total % CONSOCK_HISTORY);
        size_t n = len - i < CONSOCK_HISTORY - off ? len - i
                                                   : CONSOCK_HISTORY - off;
        memcpy(c->ring + off, buf + i, n);
        c->total += n;
        i += n;
    }
    c->st.out_bytes += len;
    /* A client already waiting for room gets it from the loop; one that
     * just filled up is handed to the loop, which watches for room. */
    if ((c->client_events & EPOLLOUT) || c->wake_pending) {
        skip_lost(c);
    } else if (send_pending(c)) {
        uint64_t one = 1;

        c->wake_pending = write(c->wake_fd, &one, sizeof(one)) == sizeof(one);
    }
    pthread_mutex_unlock(&c->lock);
    return len;
}

const struct chr_ops consock_chr_ops = { .write = consock_write };

size_t consock_history(struct consock *c, uint8_t *buf, size_t len)
{
    size_t n;
    uint64_t from;

    pthread_mutex_lock(&c->lock);
    n = (size_t)(c->total - oldest(c));
    if (n > len)
        n = len;
    from = c->total - n;
    for (size_t done = 0; done < n;) {
        size_t off = (size_t)((from + done) % CONSOCK_HISTORY);
        size_t k = n - done < CONSOCK_HISTORY - off ? n - done
                                                     : CONSOCK_HISTORY - off;
        memcpy(buf + done, c->ring + off, k);
        done += k;
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

void consock_get_stats(struct consock *c, struct consock_stats *out)
{
    pthread_mutex_lock(&c->lock);
    *out = c->st;
    pthread_mutex_unlock(&c->lock);
}

/* ---- input (loop thread) ---- */

static void arm_timer(struct consock *c, bool on)
{
    struct itimerspec its = { 0 };

    if (on) {
        its.it_value.tv_nsec = CONSOCK_RETRY_NS;
        its.it_interval.tv_nsec = CONSOCK_RETRY_NS;
    }
    timerfd_settime(c->timer_fd, 0, &its, NULL);
}

/* Give the guest what it takes of the pending input; pause reading the
 * client while some is left. Called without c->lock: input() takes
 * vm->dev_lock. */
static void offer(struct consock *c)
{
    size_t took = c->input(c->ctx, c->pending + c->pend_off, c->pend_len);
    bool left;

    if (took > c->pend_len)
        took = c->pend_len;
    c->pend_off += took;
    c->pend_len -= took;
    left = c->pend_len > 0;
    pthread_mutex_lock(&c->lock);
    c->st.in_bytes += took;
    if (left != c->in_paused) {
        c->in_paused = left;
        arm_timer(c, left);
        update_events(c);
    }
    pthread_mutex_unlock(&c->lock);
}

static void on_timer(void *ctx, uint32_t events)
{
    struct consock *c = ctx;

    (void)events;
    evloop_eventfd_drain(c->timer_fd);   /* a timerfd reads like one */
    if (c->pend_len)
        offer(c);
}

/* ---- the client (loop thread) ---- */

static void on_wake(void *ctx, uint32_t events)
{
    struct consock *c = ctx;

    (void)events;
    evloop_eventfd_drain(c->wake_fd);
    pthread_mutex_lock(&c->lock);
    c->wake_pending = false;
    flush(c);
    pthread_mutex_unlock(&c->lock);
}

static void detach(struct consock *c)
{
    pthread_mutex_lock(&c->lock);
    if (c->client >= 0) {
        evloop_del(c->io, c->client);
        close(c->client);
        c->client = -1;
    }
    pthread_mutex_unlock(&c->lock);
}

/* Read one buffer of input; false when the client is gone. Only the loop
 * thread closes c->client, so reading it here needs no lock. */
static bool read_input(struct consock *c)
{
    ssize_t n = read(c->client, c->pending, sizeof(c->pending));

    if (n > 0) {
        c->pend_off = 0;
        c->pend_len = (size_t)n;
        offer(c);
    } else if (n == 0) {
        /* Shut for writing (vessel logs -f): keep sending output. */
        pthread_mutex_lock(&c->lock);
        c->client_eof = true;
        update_events(c);
        pthread_mutex_unlock(&c->lock);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return false;
    }
    return true;
}

static void on_client(void *ctx, uint32_t events)
{
    struct consock *c = ctx;
    bool ok = true;

    if (events & EPOLLOUT) {
        pthread_mutex_lock(&c->lock);
        flush(c);
        pthread_mutex_unlock(&c->lock);
    }
    /* Input sent just before a hang-up still counts: read it first. */
    if ((events & (EPOLLIN | EPOLLHUP)) && c->client >= 0 && !c->in_paused &&
        !c->client_eof)
        ok = read_input(c);
    if (!ok || (events & (EPOLLHUP | EPOLLERR)))
        detach(c);
}

/* Take the new client (under c->lock); false if it could not be watched. */
static bool attach(struct consock *c, int fd)
{
    c->client = fd;
    c->cursor = oldest(c);
    c->client_broken = false;
    c->client_eof = false;
    c->client_events = c->in_paused ? 0 : EPOLLIN;
    if (evloop_add(c->io, fd, c->client_events, on_client, c) < 0) {
        c->client = -1;
        return false;
    }
    c->st.attaches++;
    flush(c);   /* the history, as far as the socket takes it now */
    return true;
}

/* Out of descriptors (or memory): the connection stays queued and a
 * level-triggered listener would wake the loop again at once, spinning
 * it. Stop watching the listener and look again a little later. */
static void pause_accepting(struct consock *c)
{
    struct itimerspec its = { .it_value.tv_nsec = CONSOCK_ACCEPT_RETRY_NS };

    if (evloop_mod(c->io, c->listen_fd, 0) == 0)
        timerfd_settime(c->accept_timer_fd, 0, &its, NULL);
}

static void on_accept_timer(void *ctx, uint32_t events)
{
    struct consock *c = ctx;

    (void)events;
    evloop_eventfd_drain(c->accept_timer_fd);
    if (evloop_mod(c->io, c->listen_fd, EPOLLIN) < 0)
        pause_accepting(c);   /* try again later rather than never */
}

static void on_accept(void *ctx, uint32_t events)
{
    struct consock *c = ctx;
    int fd;

    (void)events;
    while ((fd = accept4(c->listen_fd, NULL, NULL,
                         SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
        bool taken;

        pthread_mutex_lock(&c->lock);
        taken = c->client < 0 && attach(c, fd);
        if (!taken)
            c->st.refused++;
        pthread_mutex_unlock(&c->lock);
        if (!taken) {
            /* Best effort: a fresh socket has room for one line. */
            if (send(fd, c->refuse, strlen(c->refuse),
                     MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
                /* nothing to do: it is closed either way */
            }
            close(fd);
        }
    }
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
        errno == ENOMEM)
        pause_accepting(c);
}

/* ---- start and stop ---- */

static struct consock *consock_new(const char *path, const char *name,
                                   consock_input_fn input, void *ctx)
{
    struct consock *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    c->input = input;
    c->ctx = ctx;
    c->listen_fd = c->timer_fd = c->wake_fd = c->client = -1;
    c->accept_timer_fd = -1;
    memcpy(c->path, path, strlen(path) + 1);
    snprintf(c->refuse, sizeof(c->refuse),
             "vessel: console %.64s is attached elsewhere\r\n", name);
    return c;
}

int consock_start(struct consock **out, struct evloop *io, const char *path,
                  const char *name, consock_input_fn input, void *ctx)
{
    struct consock *c;
    struct stat st;
    int rc;

    if (strlen(path) >= sizeof(c->path))
        return -ENAMETOOLONG;
    if (lstat(path, &st) == 0)
        return -EADDRINUSE;
    c = consock_new(path, name, input, ctx);
    if (!c)
        return -ENOMEM;
    c->io = io;
    c->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (c->timer_fd < 0) {
        rc = -errno;
        goto err;
    }
    c->accept_timer_fd = timerfd_create(CLOCK_MONOTONIC,
                                        TFD_CLOEXEC | TFD_NONBLOCK);
    if (c->accept_timer_fd < 0) {
        rc = -errno;
        goto err;
    }
    c->wake_fd = evloop_eventfd();
    if (c->wake_fd < 0) {
        rc = c->wake_fd;
        goto err;
    }
    rc = unix_listen(path, CONSOCK_BACKLOG);
    if (rc < 0)
        goto err;
    c->listen_fd = rc;
    /* The timer and the eventfd first: they stay quiet until a client
     * comes, so undoing them cannot race a handler. */
    rc = evloop_add(io, c->timer_fd, EPOLLIN, on_timer, c);
    if (rc < 0)
        goto err;
    rc = evloop_add(io, c->wake_fd, EPOLLIN, on_wake, c);
    if (rc < 0) {
        evloop_del(io, c->timer_fd);
        goto err;
    }
    rc = evloop_add(io, c->accept_timer_fd, EPOLLIN, on_accept_timer, c);
    if (rc < 0) {
        evloop_del(io, c->wake_fd);
        evloop_del(io, c->timer_fd);
        goto err;
    }
    rc = evloop_add(io, c->listen_fd, EPOLLIN, on_accept, c);
    if (rc < 0) {
        evloop_del(io, c->accept_timer_fd);
        evloop_del(io, c->wake_fd);
        evloop_del(io, c->timer_fd);
        goto err;
    }
    *out = c;
    return 0;
err:
    consock_stop(c);   /* closes, and removes the socket file if made */
    return rc;
}

void consock_stop(struct consock *c)
{
    if (!c)
        return;
    /* The loop is stopped (and may be destroyed): closing is enough. */
    if (c->client >= 0)
        close(c->client);
    if (c->listen_fd >= 0) {
        close(c->listen_fd);
        unlink(c->path);
    }
    if (c->timer_fd >= 0)
        close(c->timer_fd);
    if (c->accept_timer_fd >= 0)
        close(c->accept_timer_fd);
    if (c->wake_fd >= 0)
        close(c->wake_fd);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
