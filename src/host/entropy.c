/* Entropy from the host kernel. */
#include "host/entropy.h"

#include <errno.h>
#include <sys/random.h>

static size_t fill(void *ctx, void *buf, size_t len)
{
    size_t done = 0;

    (void)ctx;
    while (done < len) {
        ssize_t n = getrandom((uint8_t *)buf + done, len - done, GRND_NONBLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;   /* EAGAIN before the pool is ready: give what we have */
        done += (size_t)n;
    }
    return done;
}

const struct entropy_ops host_entropy_ops = { .fill = fill };
