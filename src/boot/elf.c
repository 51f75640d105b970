/* ELF64 kernel image parser; the contract is in elf.h. Field offsets are
 * from the System V gABI (ELF-64 Object File Format 1.5: "File header",
 * "Program header table", "Note sections"). */
#include "boot/elf.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define EHDR_SIZE 64U
#define E_CLASS 4U
#define E_DATA 5U
#define E_TYPE 16U
#define E_MACHINE 18U
#define E_ENTRY 24U
#define E_PHOFF 32U
#define E_PHENTSIZE 54U
#define E_PHNUM 56U
#define ELFCLASS64 2U
#define ELFDATA2LSB 1U
#define ET_EXEC 2U
#define EM_X86_64 62U

#define PHDR_SIZE 56U
#define P_TYPE 0U
#define P_OFFSET 8U
#define P_PADDR 24U
#define P_FILESZ 32U
#define P_MEMSZ 40U
#define P_ALIGN 48U
#define PT_LOAD 1U
#define PT_NOTE 4U

#define NOTE_HDR 12U              /* namesz, descsz, type */

static int fail(struct elf_info *out, enum elf_reason r, int rc)
{
    out->reason = r;
    return rc;
}

bool elf_is_elf(const uint8_t *img, size_t len)
{
    return len >= 4 && memcmp(img, "\177ELF", 4) == 0;
}

/* True if [off, off + size) lies inside [0, len). */
static bool in_file(uint64_t off, uint64_t size, size_t len)
{
    uint64_t end;

    return !__builtin_add_overflow(off, size, &end) && end <= len;
}

static int check_ehdr(const uint8_t *img, size_t len, struct elf_info *out)
{
    uint64_t phoff, phsize;

    if (!elf_is_elf(img, len))
        return fail(out, ELF_NOT_ELF, -ENOEXEC);
    if (len < EHDR_SIZE)
        return fail(out, ELF_TRUNCATED, -EINVAL);
    if (img[E_CLASS] != ELFCLASS64 || img[E_DATA] != ELFDATA2LSB ||
        le16_get(img, E_MACHINE) != EM_X86_64)
        return fail(out, ELF_NOT_X86_64, -ENOEXEC);
    if (le16_get(img, E_TYPE) != ET_EXEC)
        return fail(out, ELF_NOT_EXEC, -ENOEXEC);
    phoff = le64_get(img, E_PHOFF);
    phsize = (uint64_t)le16_get(img, E_PHNUM) * PHDR_SIZE;
    /* e_phnum 0xFFFF (PN_XNUM) would move the count elsewhere: a kernel
     * never needs it, so it fails the size check like any huge count. */
    if (le16_get(img, E_PHENTSIZE) != PHDR_SIZE || phsize == 0 ||
        le16_get(img, E_PHNUM) == 0xFFFFU || !in_file(phoff, phsize, len))
        return fail(out, ELF_BAD_PHDRS, -EINVAL);
    out->entry = le64_get(img, E_ENTRY);
    return 0;
}

static uint64_t note_align(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* The PVH entry in one note: a 4- or 8-byte little-endian address that
 * must fit in 32 bits (Linux emits it with _ASM_PTR). */
static int take_pvh(const uint8_t *desc, uint32_t descsz, struct elf_info *out)
{
    uint64_t v;

    if (descsz == 4)
        v = le32_get(desc, 0);
    else if (descsz == 8)
        v = le64_get(desc, 0);
    else
        return -EINVAL;
    if (v > UINT32_MAX)
        return -EINVAL;
    if (!out->pvh) {
        out->pvh = true;
        out->pvh_entry = (uint32_t)v;
    }
    return 0;
}

/* Walk the notes in img[off, off + size). Entries are 4-byte aligned
 * unless the segment says 8 (ELF64 .note.gnu.property); as readelf does,
 * the descriptor starts at the header plus name rounded up to that, and
 * the next entry after the descriptor rounded up. Linux uses 4. */
static int scan_notes(const uint8_t *img, uint64_t off, uint64_t size,
                      uint64_t align, struct elf_info *out)
{
    uint64_t pos = off, end = off + size;

    align = align == 8 ? 8 : 4;
    while (end - pos >= NOTE_HDR) {
        uint32_t namesz = le32_get(img, pos), descsz = le32_get(img, pos + 4);
        uint32_t type = le32_get(img, pos + 8);
        uint64_t name = pos + NOTE_HDR;
        uint64_t desc = pos + note_align(NOTE_HDR + (uint64_t)namesz, align);

        /* All terms are below 2^34 past an in-file offset: no overflow. */
        if (desc > end || descsz > end - desc)
            return -EINVAL;
        if (type == ELF_NOTE_PVH_TYPE && namesz == sizeof(ELF_NOTE_PVH_NAME) &&
            memcmp(img + name, ELF_NOTE_PVH_NAME, namesz) == 0 &&
            take_pvh(img + desc, descsz, out) < 0)
            return -EINVAL;
        pos += note_align(desc - pos + descsz, align);
        if (pos > end)
            break;                /* last entry without its padding */
    }
    return 0;
}

static bool overlaps(const struct elf_segment *a, const struct elf_segment *b)
{
    return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

static int add_load(const uint8_t *ph, size_t len, struct elf_info *out)
{
    struct elf_segment s = {
        .offset = le64_get(ph, P_OFFSET), .filesz = le64_get(ph, P_FILESZ),
        .paddr = le64_get(ph, P_PADDR), .memsz = le64_get(ph, P_MEMSZ),
    };
    uint64_t end;

    if (!in_file(s.offset, s.filesz, len) || s.filesz > s.memsz ||
        __builtin_add_overflow(s.paddr, s.memsz, &end))
        return fail(out, ELF_BAD_SEGMENT, -EINVAL);
    if (s.memsz == 0)
        return 0;
    if (out->nload == ELF_MAX_LOADS)
        return fail(out, ELF_TOO_MANY_LOADS, -EINVAL);
    for (unsigned i = 0; i < out->nload; i++)
        if (overlaps(&out->load[i], &s))
            return fail(out, ELF_OVERLAP, -EINVAL);
    if (out->nload == 0 || s.paddr < out->lo)
        out->lo = s.paddr;
    if (out->nload == 0 || end > out->hi)
        out->hi = end;
    out->load[out->nload++] = s;
    return 0;
}

static int scan_phdrs(const uint8_t *img, size_t len, struct elf_info *out)
{
    uint64_t phoff = le64_get(img, E_PHOFF);
    unsigned n = le16_get(img, E_PHNUM);
    int rc = 0;

    for (unsigned i = 0; i < n && rc == 0; i++) {
        const uint8_t *ph = img + phoff + (uint64_t)i * PHDR_SIZE;
        uint32_t type = le32_get(ph, P_TYPE);
        uint64_t off = le64_get(ph, P_OFFSET), size = le64_get(ph, P_FILESZ);

        if (type == PT_LOAD) {
            rc = add_load(ph, len, out);
        } else if (type == PT_NOTE) {
            if (!in_file(off, size, len))
                return fail(out, ELF_BAD_SEGMENT, -EINVAL);
            if (scan_notes(img, off, size, le64_get(ph, P_ALIGN), out) < 0)
                return fail(out, ELF_BAD_NOTE, -EINVAL);
        }
    }
    return rc;
}

/* The entry must be a byte the loader actually copies from the file. */
static bool entry_loaded(const struct elf_info *ei, uint64_t entry)
{
    for (unsigned i = 0; i < ei->nload; i++)
        if (entry >= ei->load[i].paddr &&
            entry - ei->load[i].paddr < ei->load[i].filesz)
            return true;
    return false;
}

int elf_parse(const uint8_t *img, size_t len, struct elf_info *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    out->len = len;
    rc = check_ehdr(img, len, out);
    if (rc == 0)
        rc = scan_phdrs(img, len, out);
    if (rc < 0)
        return rc;
    if (out->nload == 0)
        return fail(out, ELF_NO_LOAD, -EINVAL);
    if (out->pvh && !entry_loaded(out, out->pvh_entry))
        return fail(out, ELF_BAD_ENTRY, -EINVAL);
    return 0;
}

static const char *const reason_text[ELF__COUNT] = {
    [ELF_OK] = "ok",
    [ELF_NOT_ELF] = "not an ELF file",
    [ELF_TRUNCATED] = "truncated: file ends inside the ELF header",
    [ELF_NOT_X86_64] = "not a 64-bit little-endian x86-64 ELF",
    [ELF_NOT_EXEC] = "not an ELF executable (ET_EXEC)",
    [ELF_BAD_PHDRS] = "bad ELF program header table",
    [ELF_TOO_MANY_LOADS] = "too many ELF PT_LOAD segments",
    [ELF_BAD_SEGMENT] = "an ELF segment lies outside the file",
    [ELF_OVERLAP] = "ELF PT_LOAD segments overlap",
    [ELF_NO_LOAD] = "ELF file has nothing to load",
    [ELF_BAD_NOTE] = "malformed ELF note",
    [ELF_BAD_ENTRY] = "PVH entry point outside the loaded segments",
};

const char *elf_strerror(enum elf_reason reason)
{
    if ((unsigned)reason >= ELF__COUNT)
        return "unknown ELF error";
    return reason_text[reason];
}
