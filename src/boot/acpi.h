/* ACPI tables for an x86-64 guest (ACPI 6.x): RSDP (revision 2), RSDT and
 * XSDT, FADT (revision 6, full 276 bytes) with a FACS, DSDT, MADT.
 *
 * Everything is written to [LAYOUT_ACPI_BASE, LAYOUT_ACPI_END) with the
 * RSDP first, so a kernel that scans 0xE0000-0xFFFFF finds it as well as
 * one that reads boot_params.acpi_rsdp_addr. The area is e820-reserved.
 *
 * Power: the FADT describes a PM1a event block (4 ports) and PM1a control
 * block (2 ports) with no SMI command port, so ACPI is always enabled and
 * the PM1 device must read SCI_EN (bit 0 of PM1_CNT) as 1. The guest
 * powers off by writing SLP_TYP = ACPI_SLP_TYP_S5 with SLP_EN to PM1_CNT
 * (the DSDT's \_S5 package names that value). The power button is the
 * fixed-feature one: PWRBTN_STS/PWRBTN_EN in the PM1 event block, SCI on
 * (sci_irq), level-triggered, active high.
 *
 * PCI (when acpi_config.pci.present): an MCFG for the ECAM window, and in
 * the DSDT a PCIe root bridge \_SB.PCI0 (PNP0A08, compatible PNP0A03,
 * segment 0) whose _CRS gives the bus range, the 0xCF8-0xCFF ports, the
 * port window and the 32- and 64-bit MMIO windows; a _PRT routing each
 * slot's INTA-INTD straight to IOAPIC GSIs (level, active low as the OS
 * assumes for PCI; KVM's IOAPIC ignores polarity, so "asserted" is a high
 * KVM line); and an _OSC that grants whatever the OS asks. The ECAM window
 * is a PNP0C02 motherboard resource (\_SB.ECAM), which is what Linux checks
 * before it uses MCFG; the VMM should also mark it E820_RESERVED.
 *
 * Adding a table: one enum entry and one line in the table list in
 * acpi.c, with a builder and an optional "wanted" test on the config; the
 * RSDT/XSDT pick it up. */
#ifndef VESSEL_BOOT_ACPI_H
#define VESSEL_BOOT_ACPI_H

#include "core/gmem.h"
#include "core/types.h"

/* PM1 register block defaults (I/O ports) and the SCI line; the PM1
 * device model (devices/acpi_pm.h) owns the register bits. */
#define ACPI_PM_EVT_PORT_DEFAULT 0x600U /* PM1a_EVT_BLK: STS(2) EN(2) */
#define ACPI_FADT_PM1_EVT_LEN 4U
#define ACPI_PM_CNT_PORT_DEFAULT 0x604U /* PM1a_CNT_BLK */
#define ACPI_FADT_PM1_CNT_LEN 2U
#define ACPI_SCI_IRQ_DEFAULT 9U
/* SLP_TYP value for S5 (soft off) that \_S5 names. */
#define ACPI_SLP_TYP_S5 5U

/* Fixed platform addresses the MADT and DSDT describe. */
#define ACPI_LAPIC_BASE 0xFEE00000U
#define ACPI_IOAPIC_BASE 0xFEC00000U
#define ACPI_COM1_PORT 0x3F8U
#define ACPI_COM1_IRQ 4U
#define ACPI_PVPANIC_PORT 0x505U

/* xAPIC IDs are 8 bits and 0xFF is the broadcast ID. */
#define ACPI_MAX_CPUS 255U

/* PCI bus 0: 32 slots, INTA..INTD each. */
#define ACPI_PCI_SLOTS 32U
#define ACPI_PCI_PINS 4U
#define ACPI_PCI_CFG_PORT 0xCF8U    /* 0xCF8-0xCFF, mechanism #1 */
#define ACPI_PCI_ECAM_BUS_SIZE 0x100000ULL

/* The PCI host bridge the MCFG and DSDT describe. */
struct acpi_pci {
    bool present;
    /* ECAM: bus B's 1 MiB is at ecam_base + B << 20 (the MCFG base is the
     * bus 0 address even when bus_start > 0). 1 MiB aligned, and the
     * decoded buses [bus_start, bus_end] lie below 4 GiB. */
    uint64_t ecam_base;
    uint8_t bus_start, bus_end;
    /* Windows the bridge forwards (BARs live here); sizes > 0 except
     * mmio64_size, which may be 0 (no 64-bit window). MMIO32 ends at or
     * below 4 GiB; the port window ends at or below 0x10000. */
    uint64_t mmio32_base, mmio32_size;
    uint64_t mmio64_base, mmio64_size;
    uint32_t pio_base, pio_size;
    /* GSI of slot S pin P (0 = INTA) for the _PRT; 0 leaves it out. */
    uint32_t intx_gsi[ACPI_PCI_SLOTS][ACPI_PCI_PINS];
};

struct acpi_config {
    unsigned ncpus;        /* 1..ACPI_MAX_CPUS: LAPIC IDs and UIDs 0..n-1 */
    uint16_t pm_evt_port;  /* PM1a event block, 4 ports */
    uint16_t pm_cnt_port;  /* PM1a control block, 2 ports */
    uint8_t sci_irq;       /* ISA IRQ 1..15 but not 2 (IRQ0 goes to GSI 2) */
    uint8_t ioapic_id;     /* KVM's in-kernel IOAPIC resets its ID to 0 */
    bool i8042;            /* FADT IAPC_BOOT_ARCH: an 8042 is present */
    bool pvpanic;          /* QEMU0001 at port 0x505 in the DSDT */
    struct acpi_pci pci;   /* pci.present false: no MCFG, no PCI0 */
};

/* Defaults for (ncpus) vCPUs: ports 0x600/0x604, SCI 9, IOAPIC ID 0,
 * i8042 present, no pvpanic, no PCI. (A config filled field by field works too;
 * a zero field means "absent" for the bools and ID 0 for the IOAPIC.)
 * The DSDT always describes COM1 (PNP0501, 0x3F8, IRQ 4): DESIGN.md's
 * platform has it in every VM. */
void acpi_config_init(struct acpi_config *cfg, unsigned ncpus);

/* Write all tables for (cfg) into guest memory (gm), zeroing the rest of
 * the ACPI area, and store the RSDP address (LAYOUT_ACPI_BASE) in
 * (*rsdp_out). Call before any vCPU runs, after RAM covers the first MiB.
 * Returns 0, -EINVAL for a bad config (PCI windows included: see struct
 * acpi_pci; the ECAM window may not overlap an MMIO window), -ENOSPC if
 * the tables do not fit
 * the area, or the error of a failed guest write (-EFAULT). */
int acpi_build(struct gmem *gm, const struct acpi_config *cfg,
               gpa_t *rsdp_out) MUST_CHECK;

#endif
