/* Process-wide log sink and guest-message rate limiting. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>

/* The one process-wide piece of state in core/: where log lines go. Set once
 * at start-up before any thread exists; read-only afterwards. */
static struct log_sink sink;

void log_set_sink(const struct log_sink *s)
{
    sink = *s;
}

enum log_level log_get_level(void)
{
    return sink.max;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (!sink.emit || lvl > sink.max)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    sink.emit(sink.ctx, lvl, buf);
}

bool ratelimit_ok(struct ratelimit *rl)
{
    uint64_t n = __atomic_fetch_add(&rl->seen, 1, __ATOMIC_RELAXED);

    if (n < rl->burst)
        return true;
    return rl->every && (n - rl->burst) % rl->every == rl->every - 1;
}
