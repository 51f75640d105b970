/* Console output to a file descriptor. */
#include "host/fdchr.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

static size_t fdchr_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fdchr *c = ctx;
    size_t done = 0;

    while (done < len && c->fd >= 0) {
        ssize_t n = write(c->fd, buf + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = c->fd, .events = POLLOUT };
            poll(&p, 1, 100);
        } else {
            c->fd = -1;   /* EPIPE, EIO...: the sink is gone for good */
        }
    }
    c->dropped += len - done;
    return len;
}

const struct chr_ops fdchr_ops = { .write = fdchr_write };
