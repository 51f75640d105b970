/* The VM's PCI bus: the host bridge on the port and MMIO buses, BAR
 * windows that follow the guest's programming, and the hook virtio
 * devices use to keep their doorbell ioeventfds on the moving BAR. */
#ifndef VESSEL_VMM_PCI_H
#define VESSEL_VMM_PCI_H

#include "devices/pci/pci_host.h"

struct vm;

/* Called after a BAR of (d) moved or its decode toggled, with dev_lock
 * held; set by whoever owns (d) (vmm/virtio.c). */
struct vm_pci_owner {
    struct pci_dev *pdev;
    void (*bar_moved)(void *ctx, unsigned bar, uint64_t addr, bool on);
    void *ctx;
};

#define VM_PCI_MAX_OWNERS 16

struct vm_pci {
    struct pci_host host;
    struct vm_pci_owner owner[VM_PCI_MAX_OWNERS];
    unsigned nowners;
};

/* Put the host bridge on the buses. Call once, before devices. */
int vm_pci_init(struct vm *vm, char *err, size_t errlen) MUST_CHECK;

/* Plug (d) in; (owner) hears of its BAR moves. Returns the slot or -errno. */
int vm_pci_add(struct vm *vm, struct pci_dev *d, const struct vm_pci_owner *owner)
    MUST_CHECK;

/* The PCI part of the ACPI tables for this layout. */
struct acpi_pci;
void vm_pci_acpi(struct acpi_pci *out);

#endif
