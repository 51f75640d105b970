/* Long-mode entry state; the contract is in x86_entry.h. Descriptor and
 * page table formats are from the Intel SDM vol. 3A (3.4.5 segment
 * descriptors, 4.5 4-level paging). */
#include "boot/x86_entry.h"

#include <string.h>

#include "boot/layout.h"
#include "core/bytes.h"

#define SEG_TYPE_CODE_XRA 0xBU    /* execute/read, accessed */
#define SEG_TYPE_DATA_RWA 0x3U    /* read/write, accessed */
#define SEG_TYPE_TSS_BUSY 0xBU    /* 64-bit TSS, busy */
#define SEG_TYPE_LDT 0x2U
#define PAGE_ENTRIES 512U
#define PAGE_SIZE_2M (2 * MiB)

uint64_t x86_gdt_entry(const struct x86_segment *seg)
{
    /* With G set the descriptor holds the limit in 4 KiB units. */
    uint64_t limit = seg->g ? seg->limit >> 12 : seg->limit;
    uint64_t e;

    e = (limit & 0xFFFFULL) | (seg->base & 0xFFFFFFULL) << 16;
    e |= (uint64_t)(seg->type & 0xFU) << 40;
    e |= (uint64_t)(seg->s & 1U) << 44;
    e |= (uint64_t)(seg->dpl & 3U) << 45;
    e |= (uint64_t)(seg->present & 1U) << 47;
    e |= ((limit >> 16) & 0xFULL) << 48;
    e |= (uint64_t)(seg->avl & 1U) << 52;
    e |= (uint64_t)(seg->l & 1U) << 53;
    e |= (uint64_t)(seg->db & 1U) << 54;
    e |= (uint64_t)(seg->g & 1U) << 55;
    e |= ((seg->base >> 24) & 0xFFULL) << 56;
    return e;
}

static struct x86_segment flat_seg(uint16_t selector, uint8_t type, bool code)
{
    return (struct x86_segment){
        .base = 0,
        .limit = 0xFFFFFFFFU,
        .selector = selector,
        .type = type,
        .s = 1,
        .dpl = 0,
        .present = 1,
        .l = code ? 1 : 0,
        .db = code ? 0 : 1,       /* L=1 requires D=0 */
        .g = 1,
    };
}

/* PML4[0] -> PDPT; PDPT[i] -> PD i; PD i maps [i GiB, i+1 GiB). */
static int write_page_tables(struct gmem *gm)
{
    uint8_t t[PAGE_ENTRIES * 8];
    unsigned i, j;
    int rc;

    memset(t, 0, sizeof(t));
    le64_put(t, 0, LAYOUT_PDPT | X86_PTE_P | X86_PTE_RW);
    rc = gmem_write(gm, LAYOUT_PML4, t, sizeof(t));
    if (rc < 0)
        return rc;
    memset(t, 0, sizeof(t));
    for (i = 0; i < LAYOUT_PD_COUNT; i++)
        le64_put(t, 8 * i,
                 (LAYOUT_PD + 0x1000ULL * i) | X86_PTE_P | X86_PTE_RW);
    rc = gmem_write(gm, LAYOUT_PDPT, t, sizeof(t));
    for (i = 0; rc == 0 && i < LAYOUT_PD_COUNT; i++) {
        for (j = 0; j < PAGE_ENTRIES; j++) {
            uint64_t addr = ((uint64_t)i * PAGE_ENTRIES + j) * PAGE_SIZE_2M;

            le64_put(t, 8 * j, addr | X86_PTE_P | X86_PTE_RW | X86_PTE_PS);
        }
        rc = gmem_write(gm, LAYOUT_PD + 0x1000ULL * i, t, sizeof(t));
    }
    return rc;
}

static int write_gdt(struct gmem *gm, const struct x86_boot_cpu *c)
{
    uint8_t g[X86_GDT_ENTRIES * 8] = { 0 };

    /* Entries 0 and 1 stay null: Linux's own GDT also starts CS at 0x10. */
    le64_put(g, X86_BOOT_CS, x86_gdt_entry(&c->cs));
    le64_put(g, X86_BOOT_DS, x86_gdt_entry(&c->ds));
    return gmem_write(gm, LAYOUT_GDT, g, sizeof(g));
}

int x86_entry_setup(struct gmem *gm, struct x86_boot_cpu *out)
{
    struct x86_segment data = flat_seg(X86_BOOT_DS, SEG_TYPE_DATA_RWA, false);
    int rc;

    memset(out, 0, sizeof(*out));
    out->rsi = LAYOUT_ZERO_PAGE;
    out->rsp = LAYOUT_BOOT_STACK_TOP;
    out->rflags = X86_RFLAGS_FIXED;
    out->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
    out->cr3 = LAYOUT_PML4;
    out->cr4 = X86_CR4_PAE;
    out->efer = X86_EFER_LME | X86_EFER_LMA;
    out->cs = flat_seg(X86_BOOT_CS, SEG_TYPE_CODE_XRA, true);
    out->ds = out->es = out->fs = out->gs = out->ss = data;
    out->tr = (struct x86_segment){ .limit = 0xFFFF, .type = SEG_TYPE_TSS_BUSY,
                                .present = 1 };
    out->ldt = (struct x86_segment){ .limit = 0xFFFF, .type = SEG_TYPE_LDT,
                                 .present = 1, .unusable = 1 };
    out->gdt_base = LAYOUT_GDT;
    out->gdt_limit = X86_GDT_ENTRIES * 8 - 1;
    out->idt_base = 0;
    out->idt_limit = 0;

    rc = write_page_tables(gm);
    if (rc == 0)
        rc = write_gdt(gm, out);
    return rc;
}
