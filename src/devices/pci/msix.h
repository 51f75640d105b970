/* MSI-X (PCI Local Bus 3.0 6.8.2): the capability, the vector table and the
 * pending-bit array, which live in one of the function's BARs. The owner's
 * BAR handler forwards accesses in the table/PBA ranges here. Delivery is
 * injected: msix_ops tells the VMM when an entry changes (so it can update
 * its MSI routing) and asks it to fire a vector. */
#ifndef VESSEL_DEVICES_MSIX_H
#define VESSEL_DEVICES_MSIX_H

#include "devices/pci/pci.h"

#define MSIX_MAX_VECTORS 64
#define MSIX_ENTRY_SIZE 16
#define MSIX_VECTOR_NONE 0xffff      /* virtio's "no vector" */

/* Message Control (capability offset 2) and Vector Control bits. */
#define MSIX_CTRL_OFF 2
#define MSIX_CTRL_TABLE_SIZE 0x07ff  /* N - 1 */
#define MSIX_CTRL_FMASK 0x4000       /* function mask */
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_ENTRY_MASKED 0x1        /* msix_entry.ctrl */

struct msix_entry {
    uint32_t addr_lo, addr_hi, data, ctrl;   /* ctrl bit 0: masked */
};

struct msix_ops {
    /* Entry (vec) changed or its effective mask did: (masked) is true when
     * either the entry, the function mask or the enable bit blocks it. */
    void (*update)(void *ctx, unsigned vec, const struct msix_entry *e,
                   bool masked);
    /* Deliver (vec) now (it is unmasked and enabled). */
    void (*fire)(void *ctx, unsigned vec, const struct msix_entry *e);
};

struct msix {
    struct msix_entry table[MSIX_MAX_VECTORS];  /* guest-visible */
    uint64_t pba;                                /* pending bits */
    uint16_t ctrl;      /* ENABLE|FUNCTION_MASK as last acted on */
    unsigned nvec;
    int cap;                       /* capability offset in config space */
    uint32_t table_off, pba_off;   /* inside the BAR */
    struct pci_dev *pdev;
    const struct msix_ops *ops;
    void *ctx;
};

/* Add the capability to (d) with (nvec) 1..MSIX_MAX_VECTORS vectors,
 * table and PBA in BAR (bar) at (table_off) and (pba_off) (8-byte aligned,
 * inside the BAR, not overlapping). The BAR must be declared (MMIO32 or
 * MMIO64) first. Entries start masked, MSI-X disabled. (ops) may be NULL.
 * Returns 0, -EINVAL for a bad layout, or -ENOSPC (no room for the cap). */
int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, unsigned bar,
              uint32_t table_off, uint32_t pba_off, const struct msix_ops *ops,
              void *ctx) MUST_CHECK;

/* The function's pci_dev_ops.cfg_written hook must call this with its
 * (off, len): it acts on changes of the enable and function-mask bits
 * (update() for each vector whose effective mask changed, then pending
 * vectors that became unmasked fire). At most nvec calls of each per
 * write, none when the bits did not change. */
void msix_cfg_written(struct msix *m, uint32_t off, unsigned len);

/* Accesses to the table or PBA; (off) is relative to the BAR start.
 * Return false if [off, off+len) touches neither (the caller handles it).
 * Only aligned 4- and 8-byte accesses do anything (PCI 3.0 6.8.2); others
 * read all-ones and write nothing. An entry write calls update() when the
 * entry or its effective mask changed, and fires a pending vector it
 * unmasks; the PBA is read-only. */
bool msix_bar_read(struct msix *m, uint64_t off, void *data, unsigned len);
bool msix_bar_write(struct msix *m, uint64_t off, const void *data,
                    unsigned len);

/* Signal vector (vec): fire it, or set its pending bit while masked (it
 * fires when unmasked). Out-of-range vectors (MSIX_VECTOR_NONE included)
 * and notifies while MSI-X is disabled (use INTx then) are ignored. */
void msix_notify(struct msix *m, unsigned vec);

/* True when the guest has set MSI-X Enable (function mask or not). */
bool msix_enabled(const struct msix *m);

#endif
