/* pvpanic ISA port: see pvpanic.h. */
#include "devices/pvpanic.h"

uint8_t pvpanic_read(const struct pvpanic *p)
{
    (void)p;
    return PVPANIC_EVENTS;
}

void pvpanic_write(struct pvpanic *p, uint8_t val)
{
    val &= PVPANIC_EVENTS; /* GUEST: unknown bits dropped */
    if (val == 0)
        return;
    p->st.events = val;
    if (!p->ops)
        return;
    if (val & PVPANIC_PANICKED) {
        if (p->ops->panic)
            p->ops->panic(p->ops_ctx);
    } else if (p->ops->crash_loaded) {
        p->ops->crash_loaded(p->ops_ctx);
    }
}

void pvpanic_init(struct pvpanic *p, const struct pvpanic_ops *ops, void *ctx)
{
    p->st = (struct pvpanic_state){0};
    p->ops = ops;
    p->ops_ctx = ctx;
}

/* One port (core/bus.h): the register is offset 0. */
static uint8_t port_read(void *dev, uint8_t off)
{
    (void)off;
    return pvpanic_read(dev);
}

static void port_write(void *dev, uint8_t off, uint8_t val)
{
    (void)off;
    pvpanic_write(dev, val);
}

static void pvpanic_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, PVPANIC_LEN, port_read);
}

static void pvpanic_bus_write(void *dev, uint64_t off, const void *data,
                              unsigned len)
{
    bus_write_bytes(dev, off, data, len, PVPANIC_LEN, port_write);
}

const struct bus_ops pvpanic_bus_ops = {
    .read = pvpanic_bus_read,
    .write = pvpanic_bus_write,
};
