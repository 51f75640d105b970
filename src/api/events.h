/* The event hub behind GET /events: one ring of the last
 * EVENTS_RING events, formatted once as JSON lines, and a cursor per
 * subscriber. Fan-out costs nothing per subscriber; a subscriber more
 * than EVENTS_RING behind skips to the oldest kept event and is told
 * how many it missed: {"event":"dropped","count":N}. Memory is fixed
 * whatever the subscribers do. Publish from any thread. */
#ifndef VESSEL_API_EVENTS_H
#define VESSEL_API_EVENTS_H

#include <pthread.h>

#include "api/api.h"

#define EVENTS_RING 64
#define EVENTS_LINE_MAX 384         /* one JSON line and its "\n" */

struct events {
    pthread_mutex_t lock;
    uint64_t published;             /* event n (1-based) is in slot
                                       (n - 1) % EVENTS_RING */
    uint64_t dropped;               /* events subscribers missed, all */
    char line[EVENTS_RING][EVENTS_LINE_MAX];
    uint16_t len[EVENTS_RING];
};

struct events_sub {
    uint64_t next;                  /* the next event it gets (1-based) */
};

void events_init(struct events *ev);
void events_fini(struct events *ev);

/* Add an event stamped (time_ms) (Unix time). Returns its sequence
 * number (1, 2, ...). */
uint64_t events_publish(struct events *ev, enum api_event_kind kind,
                        const char *reason, uint64_t time_ms);

/* A subscriber that gets the events published from now on. */
void events_subscribe(struct events *ev, struct events_sub *sub);

/* Does (sub) have anything to read? */
bool events_pending(struct events *ev, const struct events_sub *sub);

/* Copy whole lines for (sub) into (buf, max) (max >= EVENTS_LINE_MAX),
 * a "dropped" line first if it fell behind. Returns the bytes written,
 * 0 when it is up to date. */
size_t events_read(struct events *ev, struct events_sub *sub, char *buf,
                   size_t max);

#endif
