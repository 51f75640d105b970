/* A small x86-64 ELF executable shaped like a Linux vmlinux, for tests of
 * the ELF parser, the PVH loader and the kernel cache. */
#ifndef VESSEL_TESTS_ELF_BUILD_H
#define VESSEL_TESTS_ELF_BUILD_H

#include "core/types.h"

/* File layout: ELF header; program headers at 64 (nload PT_LOAD, then one
 * PT_NOTE); notes at ELF_BUILD_NOTES (a "GNU" build-id note, then the
 * "Xen" PVH note if pvh); segment i's bytes at ELF_BUILD_DATA + i * seg_size,
 * each byte (offset * 7 + 3), loaded at paddr + 2 * i * seg_size with
 * memsz seg_size + bss (bss <= seg_size keeps them apart). The PVH entry is
 * paddr + 0x10 unless pvh_entry is set. */
#define ELF_BUILD_NOTES 0x200U
#define ELF_BUILD_DATA 0x1000U
#define ELF_BUILD_PHDRS 64U

struct elf_build {
    unsigned nload;         /* 1..6 */
    uint64_t paddr;         /* first segment */
    uint64_t seg_size;      /* file bytes per segment */
    uint64_t bss;           /* extra memsz per segment */
    bool pvh;
    unsigned desc_size;     /* PVH note descriptor: 4 or 8 (0 means 8) */
    uint32_t pvh_entry;     /* 0: paddr + 0x10 */
};

/* Build into (buf) of (cap) bytes; returns the length (fails the test if
 * it does not fit). */
size_t elf_build(uint8_t *buf, size_t cap, const struct elf_build *o);

/* The byte elf_build() puts at file offset (off). */
static inline uint8_t elf_build_byte(uint64_t off)
{
    return (uint8_t)(off * 7 + 3);
}

/* Offsets inside the PT_NOTE of the PVH note's fields, for tests that
 * corrupt them: namesz, descsz, type, name, desc. */
#define ELF_BUILD_PVH_NOTE (ELF_BUILD_NOTES + 12U + 4U + 20U)

#endif
