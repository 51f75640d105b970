/* Guest physical memory layout for an x86-64 guest booted through the Linux
 * 64-bit boot protocol (Documentation/x86/boot.rst) or the PVH entry
 * (xen/include/public/arch-x86/hvm/start_info.h) with generated ACPI tables.
 *
 *   0x0000_0000  +--------------------------------+
 *                | real-mode IVT/BDA (left zero)  |
 *   0x0000_0500  | GDT                            |  LAYOUT_GDT
 *   0x0000_6000  | PVH start_info, modules, memmap|  LAYOUT_PVH_START_INFO
 *   0x0000_7000  | boot_params ("zero page")      |  LAYOUT_ZERO_PAGE
 *   0x0000_8000  | boot CPU stack (grows down)    |  LAYOUT_BOOT_STACK_TOP
 *   0x0000_9000  | PML4                           |  LAYOUT_PML4
 *   0x0000_A000  | PDPT                           |  LAYOUT_PDPT
 *   0x0000_B000  | 4 page directories (2 MiB)     |  LAYOUT_PD
 *   0x0002_0000  | kernel command line (64 KiB)   |  LAYOUT_CMDLINE
 *   0x0009_FC00  +-- e820 reserved ---------------+  LAYOUT_EBDA
 *   0x000E_0000  | ACPI tables, RSDP first        |  LAYOUT_ACPI_BASE
 *   0x0010_0000  +-- e820 usable -----------------+  LAYOUT_HIGH_MEM
 *                | kernel (pref_address, 16 MiB), |
 *                | initrd at the top of low RAM   |
 *   0xC000_0000  +-- MMIO hole (not RAM) ---------+  LAYOUT_MMIO_HOLE
 *   0x1_0000_0000+-- RAM above 3 GiB continues ---+  LAYOUT_HIGH_RAM
 *
 * Guest RAM is one block starting at 0; the part that would lie above
 * 3 GiB is moved to 4 GiB so [3 GiB, 4 GiB) stays free for device MMIO
 * (PCI ECAM and BARs, IOAPIC at 0xFEC00000, LAPIC at 0xFEE00000). Everything
 * below 1 MiB that Vessel writes is a fixed spot; nothing there overlaps. */
#ifndef VESSEL_BOOT_LAYOUT_H
#define VESSEL_BOOT_LAYOUT_H

#include "core/types.h"

/* GDT of the boot CPU: null, null, code64 (0x10), data (0x18); for a PVH
 * boot null, code32 (0x08), data (0x10). */
#define LAYOUT_GDT 0x500ULL

/* PVH boot (boot/pvh.h): struct hvm_start_info, its module list and memory
 * map in one 4 KiB page; %ebx points here at the 32-bit entry. */
#define LAYOUT_PVH_START_INFO 0x6000ULL
#define LAYOUT_PVH_START_INFO_SIZE 0x1000ULL

/* struct boot_params, one 4 KiB page; %rsi points here at kernel entry. */
#define LAYOUT_ZERO_PAGE 0x7000ULL
#define LAYOUT_ZERO_PAGE_SIZE 0x1000ULL

/* Initial stack of the boot CPU: [0x8000, 0x9000), %rsp starts at the top.
 * Linux sets up its own stack at once; this only makes %rsp valid. */
#define LAYOUT_BOOT_STACK_TOP 0x9000ULL

/* Identity page tables for [0, 4 GiB): PML4 -> one PDPT -> 4 page
 * directories of 2 MiB pages, each table one 4 KiB page. */
#define LAYOUT_PML4 0x9000ULL
#define LAYOUT_PDPT 0xA000ULL
#define LAYOUT_PD 0xB000ULL /* PD i at LAYOUT_PD + i * 0x1000, i < 4 */
#define LAYOUT_PD_COUNT 4U

/* Kernel command line, NUL-terminated, at most this many bytes with the NUL. */
#define LAYOUT_CMDLINE 0x20000ULL
#define LAYOUT_CMDLINE_MAX 0x10000ULL

/* Start of the e820-reserved area below 1 MiB (where a PC has its EBDA,
 * VGA window and BIOS); it ends at LAYOUT_HIGH_MEM. */
#define LAYOUT_EBDA 0x9FC00ULL

/* ACPI tables: RSDP at the base (16-byte aligned, inside the window that
 * OSes scan for "RSD PTR "), then the other tables, all below the end. */
#define LAYOUT_ACPI_BASE 0xE0000ULL
#define LAYOUT_ACPI_END 0x100000ULL /* exclusive */

/* First byte above the legacy area: kernels and initrds go at or above it. */
#define LAYOUT_HIGH_MEM 0x100000ULL

/* RAM never needs to be smaller than this for the fixed spots above. */
#define LAYOUT_RAM_MIN LAYOUT_HIGH_MEM

/* Guest RAM below here stays where it is; RAM beyond is moved to
 * LAYOUT_HIGH_RAM. [LAYOUT_MMIO_HOLE, 4 GiB) is for devices. */
#define LAYOUT_MMIO_HOLE 0xC0000000ULL
#define LAYOUT_MMIO_HOLE_SIZE 0x40000000ULL
#define LAYOUT_HIGH_RAM 0x100000000ULL

/* PCI in the hole: BARs in [0xC0000000, 0xE0000000), then ECAM for bus 0
 * (1 MiB). KVM's IOAPIC (0xFEC00000) and LAPIC (0xFEE00000) stay clear.
 * Port BARs get [0xC000, 0x10000). */
#define LAYOUT_PCI_MMIO32 0xC0000000ULL
#define LAYOUT_PCI_MMIO32_SIZE 0x20000000ULL
#define LAYOUT_PCI_ECAM 0xE0000000ULL
#define LAYOUT_PCI_PIO 0xC000ULL
#define LAYOUT_PCI_PIO_SIZE 0x4000ULL

/* Bytes of RAM at guest physical 0 for a guest of (ram_size) bytes. */
static inline uint64_t layout_ram_low(uint64_t ram_size)
{
    return ram_size < LAYOUT_MMIO_HOLE ? ram_size : LAYOUT_MMIO_HOLE;
}

/* Bytes of RAM at LAYOUT_HIGH_RAM for a guest of (ram_size) bytes. */
static inline uint64_t layout_ram_high(uint64_t ram_size)
{
    return ram_size - layout_ram_low(ram_size);
}

#endif
