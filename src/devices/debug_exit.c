/* Debug-exit port: see debug_exit.h. */
#include "devices/debug_exit.h"

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

static void debug_exit_bus_read(void *dev, uint64_t off, void *data,
                                unsigned len)
{
    uint8_t *b = data;

    (void)dev;
    (void)off;
    for (unsigned i = 0; i < len; i++)
        b[i] = 0xff;
}

/* Only the byte landing on offset 0 matters, so a wide write at 0 is one
 * request with its low byte. */
static void debug_exit_bus_write(void *dev, uint64_t off, const void *data,
                                 unsigned len)
{
    if (len && off == 0)
        debug_exit_write(dev, 0, *(const uint8_t *)data);
}

const struct bus_ops debug_exit_bus_ops = {
    .read = debug_exit_bus_read,
    .write = debug_exit_bus_write,
};
