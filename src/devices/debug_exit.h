/* Debug-exit port for freestanding test guests: a write of byte V ends the
 * VM with status V. Same port as QEMU's isa-debug-exit (0xf4), but the code
 * is V itself, not QEMU's (V << 1) | 1. The window is four ports wide so
 * `outb`, `outw` and `outl` to 0xf4 all land; only the lowest byte counts.
 * Reads return all-ones. vmm/ should add it only for test configurations.
 *
 * Not thread-safe: the caller serialises calls on one struct debug_exit. */
#ifndef VESSEL_DEVICES_DEBUG_EXIT_H
#define VESSEL_DEVICES_DEBUG_EXIT_H

#include "core/bus.h"
#include "core/types.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN 4

struct debug_exit_ops {
    /* The guest asked to end the VM with (code). Called from inside the
     * guest's port write with the caller's lock held: request it, return. */
    void (*exit)(void *ctx, uint8_t code);
};

/* Guest-visible state. */
struct debug_exit_state {
    uint8_t code;     /* last code written */
    uint32_t writes;  /* exit requests seen */
};

struct debug_exit {
    struct debug_exit_state st;
    const struct debug_exit_ops *ops;
    void *ops_ctx;
};

/* Set up (d) with callback (ops, ctx); (ops) may be NULL. */
void debug_exit_init(struct debug_exit *d, const struct debug_exit_ops *ops,
                     void *ctx);

/* A guest byte write at offset (off) of the window: offset 0 requests the
 * exit, offsets 1-3 (upper bytes of a wide write) are ignored. */
void debug_exit_write(struct debug_exit *d, uint8_t off, uint8_t val);

/*   bus_add(&pio, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, &debug_exit_bus_ops, &d,
 *           "debug-exit") */
extern const struct bus_ops debug_exit_bus_ops;

#endif
