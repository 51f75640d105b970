/* A PCI function's configuration space and BARs (PCI Local Bus 3.0, PCIe
 * 4.0 ch. 7), independent of how config space is reached (pci_host.h).
 *
 * The model keeps the guest-visible bytes in (cfg) plus a write mask; BAR
 * registers, the command register and capabilities get the behaviour the
 * spec gives them. When a BAR's decoded address changes (the guest moved
 * it, or toggled decode in COMMAND), the owner is told through
 * pci_map_ops so it can move the window on the MMIO or port bus (and any
 * ioeventfds inside it). No syscalls, no allocation. */
#ifndef VESSEL_DEVICES_PCI_H
#define VESSEL_DEVICES_PCI_H

#include "core/bus.h"
#include "core/types.h"

#define PCI_CFG_SIZE 4096          /* PCIe extended config space */
#define PCI_CFG_LEGACY_SIZE 256    /* what 0xCF8/0xCFC reach */
#define PCI_NUM_BARS 6

/* Config space offsets (type 0 header) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTX_LINE 0x3c
#define PCI_INTX_PIN 0x3d

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTX 0x0008
#define PCI_STATUS_CAP_LIST 0x0010

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VENDOR 0x09

enum pci_bar_kind {
    PCI_BAR_UNUSED = 0,
    PCI_BAR_MMIO32,
    PCI_BAR_MMIO64,        /* takes two BAR slots: n and n + 1 */
    PCI_BAR_PIO,
};

struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t size;               /* power of two; MMIO >= 4 KiB, PIO >= 4 */
    const struct bus_ops *ops;   /* accesses inside the BAR, offset-relative */
    void *ctx;
};

struct pci_dev;

/* How the owner (vmm/) learns that BAR (bar) of (d) now decodes at (addr)
 * (on) or no longer decodes (off). Called under the caller's device lock,
 * from a config-space write. */
struct pci_map_ops {
    void (*bar_map)(void *ctx, struct pci_dev *d, unsigned bar, uint64_t addr,
                    bool on);
};

/* Device hooks for config writes it must see (e.g. the MSI-X control
 * word); called after the write landed in cfg. Optional. */
struct pci_dev_ops {
    void (*cfg_written)(void *ctx, uint32_t off, unsigned len);
};

struct pci_dev {
    uint8_t cfg[PCI_CFG_SIZE];       /* guest-visible */
    uint8_t wmask[PCI_CFG_SIZE];     /* 1 bits: the guest may write */
    struct pci_bar bar[PCI_NUM_BARS];
    uint64_t bar_addr[PCI_NUM_BARS]; /* last address reported on */
    bool bar_on[PCI_NUM_BARS];       /* told to the map ops as mapped */
    uint16_t next_cap;               /* where the next capability goes */
    uint8_t last_cap;                /* 0 or offset of the last added cap */
    const struct pci_dev_ops *ops;
    void *ops_ctx;
    const struct pci_map_ops *map;   /* set by pci_host_add() */
    void *map_ctx;
};

/* Header type 0 with the given IDs; (class_code) is class << 16 |
 * subclass << 8 | prog_if. Zeroes all of (d), ops and map included: set
 * d->ops afterwards. Decode is off (COMMAND 0) until pci_host_add() turns
 * it on. Call before adding BARs or capabilities. */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
                  uint32_t class_code, uint16_t subsys_vendor,
                  uint16_t subsys_id, uint8_t revision);

/* Declare BAR (n) with (ops, ctx) for accesses inside it. (size) is a
 * power of two: MMIO32 4 KiB..2 GiB, MMIO64 4 KiB..2^63, PIO 4..256 bytes
 * (PCI 3.0 6.2.5.1). Not prefetchable. Returns 0, -EINVAL on a bad
 * size/kind/index, NULL (ops), or a slot in use (an MMIO64 BAR needs n < 5
 * and n + 1 unused; it reads as type 10b, 64-bit). The address is given by
 * the host. */
int pci_dev_add_bar(struct pci_dev *d, unsigned n, enum pci_bar_kind kind,
                    uint64_t size, const struct bus_ops *ops,
                    void *ctx) MUST_CHECK;

/* Append a capability with (id) and (body_len) bytes of (body) after the
 * id/next bytes; (body) NULL means zeros, (wmask) (may be NULL) marks
 * guest-writable body bits. Capabilities go from 0x40 up, dword aligned,
 * inside the first 256 bytes; STATUS.CAP_LIST is set. Returns the
 * capability's offset (> 0), or -ENOSPC. */
int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body,
                    const void *wmask, uint8_t body_len) MUST_CHECK;

/* Set the INTx pin (1 = INTA .. 4 = INTD, 0 = none; others ignored) and
 * the line the firmware routed it to. pci_host_add() overwrites the line
 * with the slot's GSI. The owner raises INTx itself and must not while
 * COMMAND.INTX_DISABLE is set. */
void pci_dev_set_intx(struct pci_dev *d, uint8_t pin, uint8_t line);

/* Config space access of (len) 1, 2 or 4 bytes at (off), little-endian in
 * the low bytes of the value; out-of-range, misaligned (off % len != 0) or
 * other-width accesses read all-ones (of (len) bytes) and write nothing.
 * Writes change only guest-writable bits, may call map->bar_map (BAR or
 * COMMAND decode change) and then ops->cfg_written. A BAR whose address
 * bits are all ones (the sizing pattern), 0, or whose range would wrap
 * (or pass 0xFFFF for PIO) does not decode. Caller serialises. */
uint32_t pci_cfg_read(struct pci_dev *d, uint32_t off, unsigned len);
void pci_cfg_write(struct pci_dev *d, uint32_t off, uint32_t val,
                   unsigned len);

/* Program BAR (n) to (addr) (aligned to its size) as firmware would
 * before the guest runs; reported through map->bar_map if decode is on.
 * An unused (n) is ignored. */
void pci_dev_place_bar(struct pci_dev *d, unsigned n, uint64_t addr);

#endif
