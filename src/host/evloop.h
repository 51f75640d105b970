/* The I/O event loop: one thread that waits on file descriptors (virtio
 * doorbell eventfds, block completions, timers) and calls a handler for
 * each that is ready. Device work runs here, off the vCPU threads. */
#ifndef VESSEL_HOST_EVLOOP_H
#define VESSEL_HOST_EVLOOP_H

#include "core/types.h"

#define EVLOOP_MAX_FDS 64

typedef void (*evloop_fn)(void *ctx, uint32_t events);

struct evloop;

/* Returns 0 or -errno. */
int evloop_create(struct evloop **out) MUST_CHECK;

/* Watch (fd) for (events) (EPOLLIN...); (fn)(ctx, events) runs on the loop
 * thread. Safe from any thread; a handler already picked for this round
 * may still run once after evloop_del() returns, so (ctx) must outlive
 * the loop's next round (free it after evloop_stop()). */
int evloop_add(struct evloop *l, int fd, uint32_t events, evloop_fn fn,
               void *ctx) MUST_CHECK;
int evloop_del(struct evloop *l, int fd);

/* Change what (fd) is watched for to (events) (0: nothing but errors and
 * hang-ups, which epoll always reports). From any thread. Returns 0,
 * -ENOENT if (fd) is not watched, or -errno. */
int evloop_mod(struct evloop *l, int fd, uint32_t events) MUST_CHECK;

/* Start the thread; evloop_stop() wakes it, waits for the handler that is
 * running to return, and joins it. */
int evloop_start(struct evloop *l) MUST_CHECK;
void evloop_stop(struct evloop *l);
void evloop_destroy(struct evloop *l);

/* An eventfd helper: a non-blocking, close-on-exec eventfd, or -errno. */
int evloop_eventfd(void);
/* Read and discard an eventfd's count; returns it (0 if none). */
uint64_t evloop_eventfd_drain(int fd);

#endif
