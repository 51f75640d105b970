/* Boot CPU state for the Linux 64-bit boot protocol (boot.rst, "64-bit
 * BOOT PROTOCOL"): long mode with paging, an identity map covering the
 * kernel, boot_params and command line, and a GDT whose selector 0x10 is a
 * flat 64-bit code segment and 0x18 a flat data segment.
 *
 * x86_entry_setup() writes the page tables and GDT into guest memory and
 * describes the CPU in plain fields; vmm/ translates them to the
 * accelerator's registers (KVM sregs/regs), so nothing here is KVM's. */
#ifndef VESSEL_BOOT_X86_ENTRY_H
#define VESSEL_BOOT_X86_ENTRY_H

#include "core/gmem.h"
#include "core/types.h"

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_MP (1ULL << 1)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define X86_EFER_LME (1ULL << 8)
#define X86_EFER_LMA (1ULL << 10)
#define X86_RFLAGS_FIXED 0x2ULL   /* bit 1 always reads as 1 */

/* Page table entry bits. */
#define X86_PTE_P (1ULL << 0)
#define X86_PTE_RW (1ULL << 1)
#define X86_PTE_PS (1ULL << 7)    /* 2 MiB page in a page directory */

/* GDT selectors the boot protocol requires (__BOOT_CS, __BOOT_DS). */
#define X86_BOOT_CS 0x10U
#define X86_BOOT_DS 0x18U
#define X86_GDT_ENTRIES 4U

/* A segment register with its hidden part, in the CPU's terms. */
struct x86_segment {
    uint64_t base;
    uint32_t limit;               /* byte granular: 0xFFFFFFFF for flat */
    uint16_t selector;
    uint8_t type;                 /* 4-bit type field */
    uint8_t s;                    /* 1 code/data, 0 system */
    uint8_t dpl;
    uint8_t present;
    uint8_t avl;
    uint8_t l;                    /* 64-bit code */
    uint8_t db;                   /* default operand size 32 */
    uint8_t g;                    /* 4 KiB granularity */
    uint8_t unusable;
};

struct x86_boot_cpu {
    uint64_t rip;                 /* caller: boot_load_result.entry */
    uint64_t rsi;                 /* boot_params: LAYOUT_ZERO_PAGE */
    uint64_t rbx;                 /* PVH entry: hvm_start_info; else 0 */
    uint64_t rsp;                 /* LAYOUT_BOOT_STACK_TOP */
    uint64_t rflags;              /* 0x2: interrupts off */
    uint64_t cr0, cr3, cr4, efer;
    struct x86_segment cs, ds, es, fs, gs, ss;
    struct x86_segment tr, ldt;
    uint64_t gdt_base, idt_base;
    uint16_t gdt_limit, idt_limit;
};

/* Write the identity page tables for [0, 4 GiB) (PML4 at LAYOUT_PML4 ->
 * PDPT -> LAYOUT_PD_COUNT page directories of 2 MiB pages, present and
 * writable) and the GDT at LAYOUT_GDT into (gm), and fill (*out) with the
 * boot CPU's state: long mode, CS 0x10, DS/ES/FS/GS/SS 0x18, rsi the zero
 * page, rsp the boot stack, rip 0 for the caller to set to the kernel's
 * 64-bit entry. TR is a busy 64-bit TSS at base 0 (what the CPU has after
 * reset; VM entry needs a usable TR and Linux loads its own), LDT and IDT
 * are empty. Call before the boot vCPU runs. Returns 0 or the error of a
 * failed guest write (-EFAULT). */
int x86_entry_setup(struct gmem *gm, struct x86_boot_cpu *out) MUST_CHECK;

/* The 8-byte GDT descriptor for (seg); exposed for tests. */
uint64_t x86_gdt_entry(const struct x86_segment *seg);

#endif
