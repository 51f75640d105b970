/* PCI configuration access on bus 0: ECAM (MMCONFIG at 0xE0000000, Vessel's
 * boot/layout.h) and configuration mechanism #1 (0xCF8/0xCFC). */
#ifndef HOSTILE_PCI_H
#define HOSTILE_PCI_H

#include "hw.h"

#define PCI_ECAM_BASE 0xe0000000ULL
#define PCI_ECAM_SIZE 0x100000ULL     /* bus 0: 32 devices x 8 functions */
#define PCI_CFG_SIZE 4096U
#define PCI_SLOTS 32U
#define PCI_FUNCS 8U
#define PCI_CF8 0xcf8
#define PCI_CFC 0xcfc

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_BAR0 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_MSIX 0x11

/* The ECAM address of (off) in the config space of 00:(dev).(fn). */
uint64_t pci_ecam(unsigned dev, unsigned fn, unsigned off);
/* ECAM access of (width) 1, 2, 4 (or 8: Vessel answers all-ones). */
uint64_t pci_read(unsigned dev, unsigned fn, unsigned off, unsigned width);
void pci_write(unsigned dev, unsigned fn, unsigned off, unsigned width,
               uint64_t val);
/* Mechanism #1: CONFIG_ADDRESS for (bus, dev, fn, off & 0xfc), then
 * (width) bytes at 0xCFC + (off & 3), crossing the dword if asked to. */
uint32_t pci_cf8_read(unsigned bus, unsigned dev, unsigned fn, unsigned off,
                      unsigned width);
void pci_cf8_write(unsigned bus, unsigned dev, unsigned fn, unsigned off,
                   unsigned width, uint32_t val);
/* Offset of the first capability (id) at or after the one at (from) (0:
 * from the list head), or 0. */
unsigned pci_find_cap(unsigned dev, unsigned id, unsigned from);
/* BAR (n) of function 0 of (dev): its address, 64-bit BARs whole. */
uint64_t pci_bar(unsigned dev, unsigned n);

#endif
