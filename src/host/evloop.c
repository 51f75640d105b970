/* epoll-based event loop on its own thread. */
#include "host/evloop.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "host/sandbox.h"

struct watch {
    int fd;
    evloop_fn fn;
    void *ctx;
};

struct evloop {
    int epfd;
    int stop_fd;                     /* eventfd: time to leave */
    pthread_t thread;
    bool running;
    pthread_mutex_t lock;            /* add/del/mod against each other */
    struct watch w[EVLOOP_MAX_FDS];  /* epoll data points into this */
};

int evloop_eventfd(void)
{
    int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

    return fd < 0 ? -errno : fd;
}

uint64_t evloop_eventfd_drain(int fd)
{
    uint64_t v = 0;

    return read(fd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

int evloop_create(struct evloop **out)
{
    struct evloop *l = calloc(1, sizeof(*l));
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    int rc;

    if (!l)
        return -ENOMEM;
    pthread_mutex_init(&l->lock, NULL);
    for (unsigned i = 0; i < EVLOOP_MAX_FDS; i++)
        l->w[i].fd = -1;
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->stop_fd = evloop_eventfd();
    if (l->epfd < 0 || l->stop_fd < 0 ||
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev) < 0) {
        rc = l->epfd < 0 ? -errno : l->stop_fd < 0 ? l->stop_fd : -errno;
        evloop_destroy(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* The watch of (fd), or NULL; under l->lock. */
static struct watch *find(struct evloop *l, int fd)
{
    for (unsigned i = 0; i < EVLOOP_MAX_FDS; i++)
        if (l->w[i].fd == fd)
            return &l->w[i];
    return NULL;
}

int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
               void *ctx)
{
    struct epoll_event ev = { .events = events };
    struct watch *w;
    int rc = 0;

    pthread_mutex_lock(&l->lock);
    w = find(l, -1);
    if (!w) {
        rc = -ENOSPC;
    } else {
        w->fn = fn;
        w->ctx = ctx;
        __atomic_store_n(&w->fd, fd, __ATOMIC_RELEASE);
        ev.data.ptr = w;
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            rc = -errno;
            __atomic_store_n(&w->fd, -1, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int evloop_del(struct evloop *l, int fd)
{
    struct watch *w;

    pthread_mutex_lock(&l->lock);
    w = fd >= 0 ? find(l, fd) : NULL;
    if (w) {
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
        __atomic_store_n(&w->fd, -1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&l->lock);
    return w ? 0 : -ENOENT;
}

int evloop_mod(struct evloop *l, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events };
    struct watch *w;
    int rc = -ENOENT;

    pthread_mutex_lock(&l->lock);
    w = fd >= 0 ? find(l, fd) : NULL;
    if (w) {
        ev.data.ptr = w;
        rc = epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
    }
    pthread_mutex_unlock(&l->lock);
    return rc;
}

static void *loop(void *arg)
{
    struct evloop *l = arg;
    struct epoll_event ev[16];

    sandbox_thread_enter(SANDBOX_IO);
    for (;;) {
        int n = epoll_wait(l->epfd, ev, 16, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++) {
            struct watch *w = ev[i].data.ptr;
            if (!w)
                return NULL;   /* stop_fd */
            if (__atomic_load_n(&w->fd, __ATOMIC_ACQUIRE) >= 0)
                w->fn(w->ctx, ev[i].events);
        }
    }
    return NULL;
}

int evloop_start(struct evloop *l)
{
    int rc = pthread_create(&l->thread, NULL, loop, l);

    if (rc != 0)
        return -rc;
    l->running = true;
    return 0;
}

void evloop_stop(struct evloop *l)
{
    uint64_t one = 1;

    if (!l || !l->running)
        return;
    if (write(l->stop_fd, &one, sizeof(one)) == sizeof(one))
        pthread_join(l->thread, NULL);
    l->running = false;
}

void evloop_destroy(struct evloop *l)
{
    if (!l)
        return;
    evloop_stop(l);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->stop_fd >= 0)
        close(l->stop_fd);
    pthread_mutex_destroy(&l->lock);
    free(l);
}
