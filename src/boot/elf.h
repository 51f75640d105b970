/* ELF64 x86-64 kernel images (vmlinux) held in memory: validate the headers
 * against the buffer, list the PT_LOAD segments (loaded at p_paddr) and find
 * the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY, xen/include/public/
 * elfnote.h) that kernels built with CONFIG_PVH carry.
 *
 * The image is hostile input: every offset, size and count is checked
 * against the buffer, with overflow-safe arithmetic, before it is used.
 * Nothing is allocated; struct elf_info keeps copies of what was checked.
 *
 * Use:
 *     struct elf_info ei;
 *     rc = elf_parse(img, len, &ei);    // -ENOEXEC / -EINVAL, ei.reason
 *     if (rc == 0 && ei.pvh) ... pvh_load(gm, img, len, &ei, ...) */
#ifndef VESSEL_BOOT_ELF_H
#define VESSEL_BOOT_ELF_H

#include "core/types.h"

/* At most this many PT_LOAD segments (a Linux vmlinux has 4 or 5). */
#define ELF_MAX_LOADS 16U

/* Note type and owner of the PVH entry (elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY,
 * "Physical entry point into the kernel ... in 32-bit protected mode"). */
#define ELF_NOTE_PVH_TYPE 18U
#define ELF_NOTE_PVH_NAME "Xen"

enum elf_reason {
    ELF_OK = 0,
    ELF_NOT_ELF,            /* no \x7fELF magic */
    ELF_TRUNCATED,          /* file ends inside the ELF header */
    ELF_NOT_X86_64,         /* not ELFCLASS64, little-endian, EM_X86_64 */
    ELF_NOT_EXEC,           /* e_type is not ET_EXEC */
    ELF_BAD_PHDRS,          /* program header table size/place is wrong */
    ELF_TOO_MANY_LOADS,     /* more than ELF_MAX_LOADS PT_LOAD segments */
    ELF_BAD_SEGMENT,        /* a segment lies outside the file, filesz >
                             * memsz, or an address range overflows */
    ELF_OVERLAP,            /* two PT_LOAD segments share physical bytes */
    ELF_NO_LOAD,            /* no PT_LOAD segment with contents */
    ELF_BAD_NOTE,           /* a PT_NOTE entry runs past its segment, or
                             * the PVH note is malformed */
    ELF_BAD_ENTRY,          /* PVH entry outside every loaded segment */
    ELF__COUNT
};

/* One PT_LOAD segment: file bytes [offset, offset + filesz) go to guest
 * physical [paddr, paddr + filesz); [paddr + filesz, paddr + memsz) is
 * zeroed. Checked: the file range lies in the image, filesz <= memsz, and
 * paddr + memsz does not overflow. */
struct elf_segment {
    uint64_t offset;
    uint64_t filesz;
    uint64_t paddr;
    uint64_t memsz;
};

struct elf_info {
    enum elf_reason reason;      /* ELF_OK, or why the parse failed */
    size_t len;                  /* image length the info describes */
    uint64_t entry;              /* e_entry (a virtual address for Linux) */
    struct elf_segment load[ELF_MAX_LOADS];
    unsigned nload;              /* PT_LOAD segments with memsz > 0 */
    uint64_t lo, hi;             /* physical span [lo, hi) of all of them */
    bool pvh;                    /* a XEN_ELFNOTE_PHYS32_ENTRY note */
    uint32_t pvh_entry;          /* its physical 32-bit entry point */
};

/* True if (img, len) starts with the ELF magic (any class or machine):
 * tells a vmlinux from a bzImage before parsing either. */
bool elf_is_elf(const uint8_t *img, size_t len);

/* Validate the ELF64 x86-64 executable (img, len) and fill (*out). The
 * image is only read. Returns 0; -ENOEXEC if it is not an image this
 * parser loads (ELF_NOT_ELF, NOT_X86_64, NOT_EXEC); -EINVAL for a
 * malformed one (the other reasons). A PVH note is not required (out->pvh
 * says); if present its entry must lie inside a PT_LOAD segment's file
 * contents. out->reason and out->len are set on every return. */
int elf_parse(const uint8_t *img, size_t len, struct elf_info *out) MUST_CHECK;

/* A fixed one-line text for (reason); never NULL. */
const char *elf_strerror(enum elf_reason reason);

#endif
