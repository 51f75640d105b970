/* PVH boot: enter an ELF vmlinux at its XEN_ELFNOTE_PHYS32_ENTRY point in
 * 32-bit protected mode with %ebx pointing at a struct hvm_start_info
 * (xen/include/public/arch-x86/hvm/start_info.h; Linux
 * arch/x86/platform/pvh/). This skips the bzImage decompressor: the kernel
 * runs where its PT_LOAD segments say.
 *
 * Use:
 *     struct elf_info ei;               // elf_parse() with ei.pvh true
 *     ... e820_build(), acpi_build() ...
 *     rc = pvh_load(gm, img, len, &ei, &args, &res);
 *         (or pvh_load_info() and the segments from the file)
 *     rc = pvh_entry_setup(gm, &res, &cpu);
 * On failure res.reason gives one line through pvh_strerror(). */
#ifndef VESSEL_BOOT_PVH_H
#define VESSEL_BOOT_PVH_H

#include "boot/bzimage.h"
#include "boot/elf.h"
#include "boot/x86_entry.h"
#include "core/gmem.h"
#include "core/types.h"

#define PVH_START_MAGIC 0x336ec578U /* XEN_HVM_START_MAGIC_VALUE */
#define PVH_START_VERSION 1U        /* with the memory map fields */

/* GDT selectors of the 32-bit entry: flat code and data. */
#define PVH_BOOT_CS 0x08U
#define PVH_BOOT_DS 0x10U
#define PVH_GDT_ENTRIES 3U

/* struct hvm_start_info, hvm_modlist_entry, hvm_memmap_table_entry. */
#define PVH_START_INFO_SIZE 56U
#define PVH_MODLIST_ENTRY_SIZE 32U
#define PVH_MEMMAP_ENTRY_SIZE 24U
/* Where they go inside the LAYOUT_PVH_START_INFO page. */
#define PVH_MODLIST_OFFSET 0x40U
#define PVH_MEMMAP_OFFSET 0x80U

enum pvh_reason {
    PVH_OK = 0,
    PVH_NO_NOTE,            /* the ELF has no PVH entry note */
    PVH_KERNEL_NO_FIT,      /* a segment is not in low RAM above 1 MiB */
    PVH_INITRD_NO_FIT,      /* no room for the initrd above the kernel */
    PVH_CMDLINE_TOO_LONG,   /* LAYOUT_CMDLINE_MAX bytes with the NUL */
    PVH_BAD_ARGS,           /* caller error: info, RAM size, e820 count */
    PVH_GMEM,               /* a guest memory write failed */
    PVH__COUNT
};

/* Where things went. */
struct pvh_result {
    enum pvh_reason reason;     /* PVH_OK, or why the load failed */
    gpa_t entry;                /* 32-bit entry: the note's address */
    gpa_t start_info;           /* %ebx at entry: LAYOUT_PVH_START_INFO */
    gpa_t kernel_lo, kernel_hi; /* physical span [lo, hi) of the segments */
    gpa_t cmdline;
    gpa_t initrd_addr;          /* 0 if no initrd */
    uint64_t initrd_size;
};

/* Load the vmlinux (img, len) that elf_parse() accepted into (ei) into
 * (gm): every PT_LOAD segment at its p_paddr (file bytes, then zeroes up to
 * memsz), each checked to lie in [LAYOUT_HIGH_MEM, args->ram_low) so it
 * cannot touch the fixed boot spots below 1 MiB; the initrd page-aligned as
 * high as possible below ram_low and above the kernel; the command line at
 * LAYOUT_CMDLINE; and at LAYOUT_PVH_START_INFO the hvm_start_info
 * (version 1: cmdline, rsdp, one module for the initrd, args->e820 as the
 * memory map). Fills (*res). Call before any vCPU runs. Returns 0; -ENOEXEC
 * without a PVH note; -EINVAL on bad (ei) or (args); -ENOSPC if the kernel
 * or initrd does not fit; -E2BIG for a too long command line; -EFAULT if a
 * guest write fails. res->reason says which. */
int pvh_load(struct gmem *gm, const uint8_t *img, size_t len,
             const struct elf_info *ei, const struct boot_load_args *args,
             struct pvh_result *res) MUST_CHECK;

/* pvh_load() without copying the segments' file bytes: for a caller that
 * reads them from the file straight into guest RAM (host/kimage.h). Does
 * the same checks, writes the initrd, command line, start_info and every
 * segment's zero tail [p_paddr + filesz, p_paddr + memsz). (ei) must come
 * from elf_parse() of the whole file. Same returns as pvh_load(). */
int pvh_load_info(struct gmem *gm, const struct elf_info *ei,
                  const struct boot_load_args *args,
                  struct pvh_result *res) MUST_CHECK;

/* Write the entry GDT (null, flat 32-bit code at PVH_BOOT_CS, flat data at
 * PVH_BOOT_DS) at LAYOUT_GDT and fill (*out) with the boot CPU's state for
 * (res): protected mode (CR0.PE), paging off, EFER 0, CS/DS/ES/FS/GS/SS
 * flat 4 GiB, rip the entry, rbx the start_info page, rsp the boot stack.
 * Returns 0 or -EFAULT from the guest write. */
int pvh_entry_setup(struct gmem *gm, const struct pvh_result *res,
                    struct x86_boot_cpu *out) MUST_CHECK;

/* A fixed one-line text for (reason); never NULL. */
const char *pvh_strerror(enum pvh_reason reason);

#endif
