/* The PCI host bridge: configuration access through ports 0xCF8/0xCFC
 * (mechanism #1) and through ECAM (PCIe memory-mapped config, ACPI MCFG),
 * one bus (bus 0), up to 32 devices, function 0 each. Slot 0 is the host
 * bridge itself. BARs are placed by pci_host_add() from the windows given
 * at init, as firmware would; the DSDT's PCI root describes those windows. */
#ifndef VESSEL_DEVICES_PCI_HOST_H
#define VESSEL_DEVICES_PCI_HOST_H

#include "devices/pci/pci.h"

#define PCI_HOST_SLOTS 32
#define PCI_CF8_PORT 0xcf8          /* 4 ports: the address register */
#define PCI_CFC_PORT 0xcfc          /* 4 ports: the data window */
#define PCI_ECAM_BUS_SIZE (1ULL << 20) /* 32 dev x 8 fn x 4 KiB per bus */

/* The host bridge function in slot 0 (the IDs QEMU's PCIe host uses). */
#define PCI_HOST_BRIDGE_VENDOR 0x1b36
#define PCI_HOST_BRIDGE_DEVICE 0x0008
#define PCI_HOST_BRIDGE_CLASS 0x060000

/* INTx routing: pin P (1 = INTA) of slot S goes to IOAPIC GSI
 * PCI_HOST_INTX_GSI_BASE + (S + P - 1) % PCI_HOST_INTX_GSIS, level
 * triggered; the DSDT's _PRT says the same (acpi_config.pci.intx_gsi). */
#define PCI_HOST_INTX_GSI_BASE 16U
#define PCI_HOST_INTX_GSIS 4U

/* Address windows BARs are allocated from. */
struct pci_windows {
    uint64_t mmio32_base, mmio32_size;   /* below 4 GiB */
    uint64_t mmio64_base, mmio64_size;   /* above RAM; may be size 0 */
    uint64_t pio_base, pio_size;
};

struct pci_host {
    uint32_t cf8;                        /* guest-visible address register */
    struct pci_dev bridge;               /* slot 0 */
    struct pci_dev *slot[PCI_HOST_SLOTS];
    struct pci_windows win;
    uint64_t mmio32_next, mmio64_next, pio_next;
    const struct pci_map_ops *map;
    void *map_ctx;
};

/* Set up the host and its bridge function in slot 0; BAR moves are
 * reported through (map). */
void pci_host_init(struct pci_host *h, const struct pci_windows *win,
                   const struct pci_map_ops *map, void *map_ctx);

/* Plug (d) (owned by the caller, initialised, BARs declared) into the
 * first free slot 1..31, placing each BAR naturally aligned (MMIO64 in the
 * 64-bit window if it fits, else the 32-bit one), setting the INTx line to
 * the slot's GSI, and enabling decode and bus mastering (COMMAND
 * MEM|IO|MASTER) as firmware leaves it, which reports every BAR through
 * (map). Returns the slot, -ENOSPC if the bus or a window is full (nothing
 * changes then), -EEXIST if (d) is already plugged in. Call before any
 * vCPU runs. */
int pci_host_add(struct pci_host *h, struct pci_dev *d) MUST_CHECK;

/* GSI that pin (pin) (1 = INTA .. 4 = INTD) of slot (slot) is routed to;
 * 0 for pin 0 (no INTx) or a bad pin/slot. */
unsigned pci_host_intx_gsi(unsigned slot, unsigned pin);

/* bus_ops for the two port windows (dev = struct pci_host *), each 4 ports
 * long, and for the ECAM window of PCI_ECAM_BUS_SIZE bytes (offset = dev
 * << 15 | fn << 12 | reg). CF8 is the address register for 4-byte accesses
 * at offset 0 only (PCI 3.0 3.2.2.3.2; other widths read all-ones). CFC
 * takes 1/2/4-byte accesses at offsets 0-3 selecting the byte lanes.
 * Disabled (bit 31 clear), bus != 0, function != 0 or empty slots read
 * all-ones and drop writes, as do ECAM accesses of 8 bytes. The caller
 * serialises these with every other access to the functions' state. */
extern const struct bus_ops pci_host_cf8_ops;
extern const struct bus_ops pci_host_cfc_ops;
extern const struct bus_ops pci_host_ecam_ops;

#endif
