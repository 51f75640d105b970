/* Debug-exit port: see debug_exit.h. */
#include "devices/debug_exit.h"

#include <string.h>

void debug_exit_write(struct debug_exit *d, uint8_t off, uint8_t val)
{
    if (off != 0)
        return;
    d->st.code = val;
    d->st.writes++;
    if (d->ops && d->ops->exit)
        d->ops->exit(d->ops_ctx, val);
}

void debug_exit_init(struct debug_exit *d, const struct debug_exit_ops *ops,
                     void *ctx)
{
    d->st = (struct debug_exit_state){0};
    d->ops = ops;
    d->ops_ctx = ctx;
}

/* Write-only: every byte reads as all-ones. */
static void debug_exit_bus_read(void *dev, uint64_t off, void *data,
                                unsigned len)
{
    (void)dev;
    (void)off;
    memset(data, 0xff, len);
}

static void port_write(void *dev, uint8_t off, uint8_t val)
{
    debug_exit_write(dev, off, val);
}

/* Split in bytes (core/bus.h); debug_exit_write() acts only on offset 0, so
 * a wide write at 0 is one request with its low byte. */
static void debug_exit_bus_write(void *dev, uint64_t off, const void *data,
                                 unsigned len)
{
    bus_write_bytes(dev, off, data, len, DEBUG_EXIT_LEN, port_write);
}

const struct bus_ops debug_exit_bus_ops = {
    .read = debug_exit_bus_read,
    .write = debug_exit_bus_write,
};
