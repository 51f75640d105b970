/* pvpanic, ISA flavour: one port where a guest kernel reports a panic
 * (Linux's pvpanic driver, QEMU's documented interface). Reading the port
 * returns the events the device supports; writing reports events. Unknown
 * event bits are ignored.
 *
 * Not thread-safe: the caller serialises calls on one struct pvpanic. */
#ifndef VESSEL_DEVICES_PVPANIC_H
#define VESSEL_DEVICES_PVPANIC_H

#include "core/bus.h"
#include "core/types.h"

#define PVPANIC_PORT 0x505
#define PVPANIC_LEN 1

#define PVPANIC_PANICKED 0x01     /* the guest kernel panicked */
#define PVPANIC_CRASH_LOADED 0x02 /* panicked, a crash kernel takes over */
#define PVPANIC_EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic_ops {
    /* PANICKED was written. Called from inside the guest's port write with
     * the caller's lock held: record it or request a stop, and return. */
    void (*panic)(void *ctx);
    /* CRASH_LOADED without PANICKED: the guest continues into kdump.
     * May be NULL. */
    void (*crash_loaded)(void *ctx);
};

/* Guest-visible state. */
struct pvpanic_state {
    uint8_t events;   /* supported events last reported, or 0 */
};

struct pvpanic {
    struct pvpanic_state st;
    const struct pvpanic_ops *ops;
    void *ops_ctx;
};

/* Set up (p) with callbacks (ops, ctx); (ops) may be NULL. */
void pvpanic_init(struct pvpanic *p, const struct pvpanic_ops *ops, void *ctx);

/* Guest read: PVPANIC_EVENTS. */
uint8_t pvpanic_read(const struct pvpanic *p);

/* Guest write of event bits (val). PANICKED wins when both are set. */
void pvpanic_write(struct pvpanic *p, uint8_t val);

/*   bus_add(&pio, PVPANIC_PORT, PVPANIC_LEN, &pvpanic_bus_ops, &p, "pvpanic")
 * Bytes past the first of a wider access read 0xff and are ignored. */
extern const struct bus_ops pvpanic_bus_ops;

#endif
