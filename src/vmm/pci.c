/* The VM's PCI host bridge and BAR windows. */
#include "vmm/pci.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/layout.h"
#include "core/log.h"
#include "vmm/vm.h"

static const struct pci_windows windows = {
    .mmio32_base = LAYOUT_PCI_MMIO32, .mmio32_size = LAYOUT_PCI_MMIO32_SIZE,
    .pio_base = LAYOUT_PCI_PIO, .pio_size = LAYOUT_PCI_PIO_SIZE,
};

/* A BAR started or stopped decoding at (addr): move its bus window, then
 * tell the device's owner (doorbells). Runs under dev_lock: every bus
 * lookup happens under it too. */
static void bar_map(void *ctx, struct pci_dev *d, unsigned n, uint64_t addr,
                    bool on)
{
    struct vm *vm = ctx;
    const struct pci_bar *bar = &d->bar[n];
    struct bus *b = bar->kind == PCI_BAR_PIO ? &vm->pio : &vm->mmio;
    int rc = on ? bus_add(b, addr, bar->size, bar->ops, bar->ctx, "pci-bar")
                : bus_remove(b, addr, bar->ctx);

    if (rc < 0)
        log_guest(&vm->unclaimed_rl, "guest: PCI BAR %u at 0x%llx %s: %s", n,
                  (unsigned long long)addr, on ? "not mapped" : "not unmapped",
                  strerror(-rc));
    for (unsigned i = 0; i < vm->pci.nowners; i++) {
        const struct vm_pci_owner *o = &vm->pci.owner[i];
        if (o->pdev == d && o->bar_moved)
            o->bar_moved(o->ctx, n, addr, on && rc == 0);
    }
}

static const struct pci_map_ops map_ops = { .bar_map = bar_map };

int vm_pci_init(struct vm *vm, char *err, size_t errlen)
{
    struct pci_host *h = &vm->pci.host;
    int rc;

    pci_host_init(h, &windows, &map_ops, vm);
    rc = bus_add(&vm->pio, PCI_CF8_PORT, 4, &pci_host_cf8_ops, h, "pci-cf8");
    if (rc == 0)
        rc = bus_add(&vm->pio, PCI_CFC_PORT, 4, &pci_host_cfc_ops, h, "pci-cfc");
    if (rc == 0)
        rc = bus_add(&vm->mmio, LAYOUT_PCI_ECAM, PCI_ECAM_BUS_SIZE,
                     &pci_host_ecam_ops, h, "pci-ecam");
    if (rc < 0)
        snprintf(err, errlen, "cannot place the PCI host bridge: %s",
                 strerror(-rc));
    return rc;
}

int vm_pci_add(struct vm *vm, struct pci_dev *d, const struct vm_pci_owner *owner)
{
    if (vm->pci.nowners == VM_PCI_MAX_OWNERS)
        return -ENOSPC;
    /* Register the owner first: placing the BARs reports them. */
    vm->pci.owner[vm->pci.nowners++] = *owner;
    return pci_host_add(&vm->pci.host, d);
}

void vm_pci_acpi(struct acpi_pci *out)
{
    memset(out, 0, sizeof(*out));
    out->present = true;
    out->ecam_base = LAYOUT_PCI_ECAM;
    out->bus_start = 0;
    out->bus_end = 0;
    out->mmio32_base = windows.mmio32_base;
    out->mmio32_size = windows.mmio32_size;
    out->pio_base = (uint32_t)windows.pio_base;
    out->pio_size = (uint32_t)windows.pio_size;
    for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
        for (unsigned p = 0; p < ACPI_PCI_PINS; p++)
            out->intx_gsi[s][p] = pci_host_intx_gsi(s, p + 1);
}
