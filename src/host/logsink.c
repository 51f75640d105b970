/* Log lines to stderr, prefixed so they stand out from guest output. */
#include "host/logsink.h"

#include <stdio.h>

static void emit(void *ctx, enum log_level lvl, const char *msg)
{
    static const char *const tag[] = { "error", "warning", "info", "debug" };

    (void)ctx;
    /* "\r\n": the terminal may be in raw mode with the guest console. */
    fprintf(stderr, "vessel: %s: %s\r\n", tag[lvl], msg);
}

void host_log_init(enum log_level max)
{
    struct log_sink s = { .emit = emit, .ctx = NULL, .max = max };

    log_set_sink(&s);
}
