/* PVH loader and 32-bit entry state; the contract is in pvh.h. Structures
 * are from xen/include/public/arch-x86/hvm/start_info.h; the entry state
 * from its "Initial state" list (32-bit protected mode, paging off, flat
 * CS/DS/ES/SS, %ebx the start_info address). */
#include "boot/pvh.h"

#include <errno.h>
#include <string.h>

#include "boot/layout.h"
#include "core/bytes.h"

/* hvm_start_info fields. */
#define SI_MAGIC 0U
#define SI_VERSION 4U
#define SI_NR_MODULES 12U
#define SI_MODLIST_PADDR 16U
#define SI_CMDLINE_PADDR 24U
#define SI_RSDP_PADDR 32U
#define SI_MEMMAP_PADDR 40U
#define SI_MEMMAP_ENTRIES 48U

#define SEG_TYPE_CODE_XRA 0xBU    /* execute/read, accessed */
#define SEG_TYPE_DATA_RWA 0x3U    /* read/write, accessed */
#define PAGE 0x1000ULL

_Static_assert(PVH_MEMMAP_OFFSET + E820_MAX_ENTRIES * PVH_MEMMAP_ENTRY_SIZE <=
                   LAYOUT_PVH_START_INFO_SIZE,
               "the memory map must fit the start_info page");
_Static_assert(PVH_MODLIST_OFFSET + PVH_MODLIST_ENTRY_SIZE <= PVH_MEMMAP_OFFSET &&
                   PVH_START_INFO_SIZE <= PVH_MODLIST_OFFSET,
               "start_info, module list and memory map must not overlap");

static int load_fail(struct pvh_result *res, enum pvh_reason r, int rc)
{
    res->reason = r;
    return rc;
}

static int check_args(const struct elf_info *ei,
                      const struct boot_load_args *a, size_t *cmdline_len,
                      struct pvh_result *res)
{
    if (ei->reason != ELF_OK || ei->nload == 0 || ei->nload > ELF_MAX_LOADS)
        return load_fail(res, PVH_BAD_ARGS, -EINVAL);
    if (!ei->pvh)
        return load_fail(res, PVH_NO_NOTE, -ENOEXEC);
    if (a->ram_low < LAYOUT_RAM_MIN || a->ram_low > LAYOUT_MMIO_HOLE ||
        (a->e820_nr > 0 && !a->e820) || (a->initrd_len > 0 && !a->initrd))
        return load_fail(res, PVH_BAD_ARGS, -EINVAL);
    if (a->e820_nr > E820_MAX_ENTRIES)
        return load_fail(res, PVH_BAD_ARGS, -E2BIG);
    *cmdline_len = a->cmdline ? strnlen(a->cmdline, LAYOUT_CMDLINE_MAX) : 0;
    if (*cmdline_len >= LAYOUT_CMDLINE_MAX)
        return load_fail(res, PVH_CMDLINE_TOO_LONG, -E2BIG);
    return 0;
}

/* Every segment in [LAYOUT_HIGH_MEM, top): clear of the tables, stack,
 * command line and ACPI below 1 MiB, and of the MMIO hole. elf_parse()
 * already ruled out overflow and overlap between segments. */
static bool kernel_fits(const struct elf_info *ei, uint64_t top)
{
    return ei->lo >= LAYOUT_HIGH_MEM && ei->hi <= top;
}

/* Highest page-aligned spot below (top) and above the kernel, as the
 * bzImage loader does (top is at most 3 GiB, so below 4 GiB too). */
static int place_initrd(uint64_t kernel_end, uint64_t top, uint64_t len,
                        struct pvh_result *res)
{
    uint64_t addr;

    if (len == 0)
        return 0;
    if (len > top)
        return -ENOSPC;
    addr = align_down(top - len, PAGE);
    if (addr < kernel_end)
        return -ENOSPC;
    res->initrd_addr = addr;
    res->initrd_size = len;
    return 0;
}

static void start_info_build(uint8_t *p, const struct boot_load_args *a,
                             const struct pvh_result *res)
{
    gpa_t base = LAYOUT_PVH_START_INFO;

    memset(p, 0, LAYOUT_PVH_START_INFO_SIZE);
    le32_put(p, SI_MAGIC, PVH_START_MAGIC);
    le32_put(p, SI_VERSION, PVH_START_VERSION);
    le64_put(p, SI_CMDLINE_PADDR, res->cmdline);
    le64_put(p, SI_RSDP_PADDR, a->rsdp);
    if (res->initrd_size) {
        le32_put(p, SI_NR_MODULES, 1);
        le64_put(p, SI_MODLIST_PADDR, base + PVH_MODLIST_OFFSET);
        le64_put(p, PVH_MODLIST_OFFSET, res->initrd_addr);
        le64_put(p, PVH_MODLIST_OFFSET + 8, res->initrd_size);
    }
    if (a->e820_nr) {
        le64_put(p, SI_MEMMAP_PADDR, base + PVH_MEMMAP_OFFSET);
        le32_put(p, SI_MEMMAP_ENTRIES, a->e820_nr);
    }
    /* hvm_memmap_table_entry: addr, size, type, reserved; the types are
     * the e820 ones (XEN_HVM_MEMMAP_TYPE_RAM is 1, ...). */
    for (unsigned i = 0; i < a->e820_nr; i++) {
        size_t off = PVH_MEMMAP_OFFSET + (size_t)i * PVH_MEMMAP_ENTRY_SIZE;

        le64_put(p, off, a->e820[i].addr);
        le64_put(p, off + 8, a->e820[i].size);
        le32_put(p, off + 16, a->e820[i].type);
    }
}

/* The zero tail of every segment (ELF: memsz beyond filesz reads 0). */
static int zero_tails(struct gmem *gm, const struct elf_info *ei)
{
    int rc = 0;

    for (unsigned i = 0; i < ei->nload && rc == 0; i++) {
        const struct elf_segment *s = &ei->load[i];

        if (s->memsz > s->filesz)
            rc = gmem_fill(gm, s->paddr + s->filesz, 0,
                           (size_t)(s->memsz - s->filesz));
    }
    return rc;
}

int pvh_load_info(struct gmem *gm, const struct elf_info *ei,
                  const struct boot_load_args *args, struct pvh_result *res)
{
    uint8_t si[LAYOUT_PVH_START_INFO_SIZE];
    size_t cmdline_len;
    int rc;

    memset(res, 0, sizeof(*res));
    rc = check_args(ei, args, &cmdline_len, res);
    if (rc < 0)
        return rc;
    if (!kernel_fits(ei, args->ram_low))
        return load_fail(res, PVH_KERNEL_NO_FIT, -ENOSPC);
    if (place_initrd(ei->hi, args->ram_low, args->initrd_len, res) < 0)
        return load_fail(res, PVH_INITRD_NO_FIT, -ENOSPC);
    res->entry = ei->pvh_entry;
    res->start_info = LAYOUT_PVH_START_INFO;
    res->kernel_lo = ei->lo;
    res->kernel_hi = ei->hi;
    res->cmdline = LAYOUT_CMDLINE;

    start_info_build(si, args, res);
    rc = zero_tails(gm, ei);
    if (rc == 0 && res->initrd_size)
        rc = gmem_write(gm, res->initrd_addr, args->initrd, args->initrd_len);
    if (rc == 0 && cmdline_len)
        rc = gmem_write(gm, LAYOUT_CMDLINE, args->cmdline, cmdline_len);
    if (rc == 0)
        rc = gmem_fill(gm, LAYOUT_CMDLINE + cmdline_len, 0, 1);
    if (rc == 0)
        rc = gmem_write(gm, LAYOUT_PVH_START_INFO, si, sizeof(si));
    if (rc < 0)
        return load_fail(res, PVH_GMEM, rc);
    return 0;
}

int pvh_load(struct gmem *gm, const uint8_t *img, size_t len,
             const struct elf_info *ei, const struct boot_load_args *args,
             struct pvh_result *res)
{
    int rc;

    if (ei->len != len) {
        memset(res, 0, sizeof(*res));
        return load_fail(res, PVH_BAD_ARGS, -EINVAL);
    }
    rc = pvh_load_info(gm, ei, args, res);
    for (unsigned i = 0; rc == 0 && i < ei->nload; i++) {
        const struct elf_segment *s = &ei->load[i];

        rc = gmem_write(gm, s->paddr, img + s->offset, (size_t)s->filesz);
        if (rc < 0)
            return load_fail(res, PVH_GMEM, rc);
    }
    return rc;
}

/* A flat 4 GiB protected-mode segment: base 0, 4 KiB granular, 32-bit. */
static struct x86_segment flat32(uint16_t selector, uint8_t type)
{
    return (struct x86_segment){ .limit = 0xFFFFFFFFU, .selector = selector,
                                 .type = type, .s = 1, .present = 1,
                                 .db = 1, .g = 1 };
}

int pvh_entry_setup(struct gmem *gm, const struct pvh_result *res,
                    struct x86_boot_cpu *out)
{
    uint8_t g[PVH_GDT_ENTRIES * 8] = { 0 };
    struct x86_segment data = flat32(PVH_BOOT_DS, SEG_TYPE_DATA_RWA);

    memset(out, 0, sizeof(*out));
    out->rip = res->entry;
    out->rbx = res->start_info;
    out->rsp = LAYOUT_BOOT_STACK_TOP;
    out->rflags = X86_RFLAGS_FIXED;
    out->cr0 = X86_CR0_PE | X86_CR0_ET;
    out->cs = flat32(PVH_BOOT_CS, SEG_TYPE_CODE_XRA);
    out->ds = out->es = out->fs = out->gs = out->ss = data;
    out->gdt_base = LAYOUT_GDT;
    out->gdt_limit = sizeof(g) - 1;
    le64_put(g, PVH_BOOT_CS, x86_gdt_entry(&out->cs));
    le64_put(g, PVH_BOOT_DS, x86_gdt_entry(&out->ds));
    return gmem_write(gm, LAYOUT_GDT, g, sizeof(g));
}

static const char *const reason_text[PVH__COUNT] = {
    [PVH_OK] = "ok",
    [PVH_NO_NOTE] = "ELF kernel has no PVH entry note "
                    "(XEN_ELFNOTE_PHYS32_ENTRY; build with CONFIG_PVH=y)",
    [PVH_KERNEL_NO_FIT] = "kernel segments do not fit in guest RAM "
                          "between 1 MiB and its top",
    [PVH_INITRD_NO_FIT] = "initrd does not fit above the kernel",
    [PVH_CMDLINE_TOO_LONG] = "command line too long",
    [PVH_BAD_ARGS] = "bad loader arguments",
    [PVH_GMEM] = "guest memory write failed",
};

const char *pvh_strerror(enum pvh_reason reason)
{
    if ((unsigned)reason >= PVH__COUNT)
        return "unknown PVH error";
    return reason_text[reason];
}
