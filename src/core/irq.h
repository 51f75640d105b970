/* An interrupt line a device raises or lowers; vmm/ wires it to the
 * accelerator's irqchip, tests wire it to a recorder. */
#ifndef VESSEL_CORE_IRQ_H
#define VESSEL_CORE_IRQ_H

#include "core/types.h"

struct irq_line {
    void (*set)(void *ctx, bool level);
    void *ctx;
};

static inline void irq_line_set(const struct irq_line *l, bool level)
{
    if (l->set)
        l->set(l->ctx, level);
}

#endif
