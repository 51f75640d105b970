/* Logging with a pluggable sink (host/ writes to stderr; tests capture).
 * Guest-triggered messages go through a ratelimit so a guest cannot flood
 * the host log. */
#ifndef VESSEL_CORE_LOG_H
#define VESSEL_CORE_LOG_H

#include "core/types.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

struct log_sink {
    void (*emit)(void *ctx, enum log_level lvl, const char *msg);
    void *ctx;
    enum log_level max;     /* messages above this level are dropped */
};

/* Install the process-wide sink (host/ does this once at start-up). */
void log_set_sink(const struct log_sink *s);
enum log_level log_get_level(void);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Allows (burst) messages, then one in every (every) after that; counts all. */
struct ratelimit {
    uint32_t burst, every;
    uint64_t seen;
};

#define RATELIMIT_INIT { .burst = 10, .every = 10000, .seen = 0 }

bool ratelimit_ok(struct ratelimit *rl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log a guest-caused problem through (rl): "guest: ..." at warn level. */
#define log_guest(rl, ...)                                                     \
    do {                                                                       \
        if (ratelimit_ok(rl))                                                  \
            log_msg(LOG_WARN, __VA_ARGS__);                                    \
    } while (0)

#endif
