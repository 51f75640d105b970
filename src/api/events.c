/* GET /events: one ring, a cursor per subscriber. */
#include "api/events.h"

#include <stdio.h>
#include <string.h>

void events_init(struct events *ev)
{
    memset(ev, 0, sizeof(*ev));
    pthread_mutex_init(&ev->lock, NULL);
}

void events_fini(struct events *ev)
{
    pthread_mutex_destroy(&ev->lock);
}

/* The reason as a JSON string body: printable ASCII, '"' and '\' kept
 * out, at most API_REASON_MAX bytes. */
static void clean_reason(const char *in, char *out, size_t cap)
{
    size_t o = 0;

    for (; in && *in && o + 1 < cap && o < API_REASON_MAX; in++)
        out[o++] = (*in >= 0x20 && *in < 0x7f && *in != '"' && *in != '\\')
                       ? *in : '?';
    out[o] = '\0';
}

uint64_t events_publish(struct events *ev, enum api_event_kind kind,
                        const char *reason, uint64_t time_ms)
{
    char why[API_REASON_MAX + 1];
    uint64_t seq;
    size_t slot;
    int n;

    clean_reason(reason, why, sizeof(why));
    pthread_mutex_lock(&ev->lock);
    seq = ++ev->published;
    slot = (size_t)((seq - 1) % EVENTS_RING);
    n = snprintf(ev->line[slot], EVENTS_LINE_MAX,
                 "{\"seq\":%llu,\"time_ms\":%llu,\"event\":\"%s\"%s%s%s}\n",
                 (unsigned long long)seq, (unsigned long long)time_ms,
                 api_event_name(kind), reason ? ",\"reason\":\"" : "", why,
                 reason ? "\"" : "");
    ev->len[slot] = (uint16_t)(n > 0 && n < EVENTS_LINE_MAX ? n : 0);
    pthread_mutex_unlock(&ev->lock);
    return seq;
}

void events_subscribe(struct events *ev, struct events_sub *sub)
{
    pthread_mutex_lock(&ev->lock);
    sub->next = ev->published + 1;
    pthread_mutex_unlock(&ev->lock);
}

bool events_pending(struct events *ev, const struct events_sub *sub)
{
    bool more;

    pthread_mutex_lock(&ev->lock);
    more = sub->next <= ev->published;
    pthread_mutex_unlock(&ev->lock);
    return more;
}

size_t events_read(struct events *ev, struct events_sub *sub, char *buf,
                   size_t max)
{
    size_t out = 0;

    pthread_mutex_lock(&ev->lock);
    if (ev->published >= EVENTS_RING &&
        sub->next <= ev->published - EVENTS_RING) {
        uint64_t oldest = ev->published - EVENTS_RING + 1;
        int n = snprintf(buf, max, "{\"event\":\"dropped\",\"count\":%llu}\n",
                         (unsigned long long)(oldest - sub->next));

        ev->dropped += oldest - sub->next;
        sub->next = oldest;
        out = n > 0 && (size_t)n < max ? (size_t)n : 0;
    }
    while (sub->next <= ev->published) {
        size_t slot = (size_t)((sub->next - 1) % EVENTS_RING);

        if (out + ev->len[slot] > max)
            break;
        memcpy(buf + out, ev->line[slot], ev->len[slot]);
        out += ev->len[slot];
        sub->next++;
    }
    pthread_mutex_unlock(&ev->lock);
    return out;
}
