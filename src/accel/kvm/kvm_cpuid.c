/* CPUID for a vCPU: KVM's supported list with a coherent topology.
 *
 * Topology: one package, (ncpus) cores, one thread per core; APIC id = vCPU
 * index. Intel reports it in leaves 1, 4, 0xB and 0x1F; AMD in leaves 1,
 * 0x80000001, 0x80000008 and 0x8000001E (Intel SDM vol. 2 CPUID; AMD APM
 * vol. 3 appendix E). */
#include "accel/kvm/kvm.h"

#include <string.h>

#define CPUID_1_ECX_HYPERVISOR (1U << 31)
#define CPUID_1_EDX_HTT (1U << 28)
#define CPUID_80000001_ECX_CMP_LEGACY (1U << 1)

/* Bits needed to number (n) items: the APIC id shift of a level. */
static unsigned order_of(unsigned n)
{
    unsigned b = 0;

    while ((1U << b) < n)
        b++;
    return b;
}

static void leaf_1(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus)
{
    e->ebx &= 0x0000ffffU;
    e->ebx |= id << 24 | (1U << order_of(ncpus)) << 16;
    e->ecx |= CPUID_1_ECX_HYPERVISOR;
    if (ncpus > 1)
        e->edx |= CPUID_1_EDX_HTT;
    else
        e->edx &= ~CPUID_1_EDX_HTT;
}

/* Intel deterministic cache parameters: cores per package, and which
 * caches the cores share (L3 shared, L1/L2 private). */
static void leaf_4(struct kvm_cpuid_entry2 *e, unsigned ncpus)
{
    unsigned level = (e->eax >> 5) & 7;
    unsigned sharing = level >= 3 ? (1U << order_of(ncpus)) - 1 : 0;

    if ((e->eax & 0x1f) == 0)
        return;  /* no more caches */
    e->eax &= 0x3fffU;
    e->eax |= ((1U << order_of(ncpus)) - 1) << 26 | sharing << 14;
}

/* Extended topology: level 0 is SMT (1 thread), level 1 is core. */
static void leaf_b(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus)
{
    switch (e->index) {
    case 0:
        e->eax = 0;
        e->ebx = 1;
        e->ecx = 0 | 1U << 8;
        break;
    case 1:
        e->eax = order_of(ncpus);
        e->ebx = ncpus;
        e->ecx = 1 | 2U << 8;
        break;
    default:
        e->eax = 0;
        e->ebx = 0;
        e->ecx = e->index;
        break;
    }
    e->edx = id;
}

static void leaf_amd(struct kvm_cpuid_entry2 *e, unsigned id, unsigned ncpus)
{
    switch (e->function) {
    case 0x80000001:
        if (ncpus > 1)
            e->ecx |= CPUID_80000001_ECX_CMP_LEGACY;
        else
            e->ecx &= ~CPUID_80000001_ECX_CMP_LEGACY;
        break;
    case 0x80000008:
        e->ecx &= ~0xf0ffU;
        e->ecx |= (ncpus - 1) | order_of(ncpus) << 12;
        break;
    case 0x8000001e:
        e->eax = id;
        e->ebx = id & 0xff;       /* compute unit id; 1 thread per unit */
        e->ecx = 0;               /* node 0, one node */
        break;
    default:
        break;
    }
}

void kvm_cpuid_for_vcpu(const struct kvm_cpuid2 *sup, struct kvm_cpuid2 *c,
                        unsigned id, unsigned ncpus)
{
    c->nent = sup->nent;
    memcpy(c->entries, sup->entries, sup->nent * sizeof(sup->entries[0]));
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 1:
            leaf_1(e, id, ncpus);
            break;
        case 4:
            leaf_4(e, ncpus);
            break;
        case 0xb:
        case 0x1f:
            leaf_b(e, id, ncpus);
            break;
        default:
            leaf_amd(e, id, ncpus);
            break;
        }
    }
}
