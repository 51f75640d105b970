/* Port I/O exits counted by port, per vCPU: where an exit budget goes
 * (--stats prints the busiest ports). A small open table with no locks:
 * each vCPU thread writes only its own; ports beyond the table's capacity
 * are counted together in (other). */
#ifndef VESSEL_VMM_PORTCOUNT_H
#define VESSEL_VMM_PORTCOUNT_H

#include "core/types.h"

#define PORTCOUNT_SLOTS 32

struct portcount {
    uint16_t port[PORTCOUNT_SLOTS];
    uint8_t used[PORTCOUNT_SLOTS];
    uint64_t count[PORTCOUNT_SLOTS];
    uint64_t other;
};

/* Count (n) accesses to (port). */
static inline void portcount_add(struct portcount *pc, uint16_t port,
                                 uint64_t n)
{
    unsigned h = (port * 40503u) % PORTCOUNT_SLOTS;

    for (unsigned i = 0; i < PORTCOUNT_SLOTS; i++) {
        unsigned s = (h + i) % PORTCOUNT_SLOTS;
        if (!pc->used[s]) {
            pc->used[s] = 1;
            pc->port[s] = port;
        }
        if (pc->port[s] == port) {
            pc->count[s] += n;
            return;
        }
    }
    pc->other += n;
}

#endif
