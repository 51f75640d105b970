/* KVM vCPUs: creation, CPUID/MSR/LAPIC set-up, the run loop's exit decoding. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING 1ULL
#define MTRR_ENABLE_WB ((1ULL << 11) | 6)   /* MTRRs on, default write-back */

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_EXTINT 0x700
#define APIC_MODE_NMI 0x400

static int set_cpuid(struct accel_vcpu *vc)
{
    const struct kvm_cpuid2 *sup = vc->vm->a->cpuid;
    struct kvm_cpuid2 *c;
    int rc = 0;

    c = calloc(1, sizeof(*c) + sup->nent * sizeof(sup->entries[0]));
    if (!c)
        return -ENOMEM;
    kvm_cpuid_for_vcpu(sup, c, vc->id, vc->vm->ncpus);
    if (ioctl(vc->fd, KVM_SET_CPUID2, c) < 0)
        rc = -errno;
    free(c);
    return rc;
}

static int set_msrs(struct accel_vcpu *vc)
{
    static const struct { uint32_t index; uint64_t data; } init[] = {
        { MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
        { MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 },
        { MSR_CSTAR, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_KERNEL_GS_BASE, 0 },
        { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
        { MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB },
    };
    union {
        struct kvm_msrs h;
        uint8_t bytes[sizeof(struct kvm_msrs) +
                      ARRAY_SIZE(init) * sizeof(struct kvm_msr_entry)];
    } m;
    int n;

    memset(&m, 0, sizeof(m));
    m.h.nmsrs = ARRAY_SIZE(init);
    for (size_t i = 0; i < ARRAY_SIZE(init); i++) {
        m.h.entries[i].index = init[i].index;
        m.h.entries[i].data = init[i].data;
    }
    n = ioctl(vc->fd, KVM_SET_MSRS, &m);
    if (n < 0)
        return -errno;
    return n == (int)ARRAY_SIZE(init) ? 0 : -EIO;
}

/* Local interrupts as on a PC: LINT0 takes the PIC (ExtINT), LINT1 NMI. */
static int set_lapic(struct accel_vcpu *vc)
{
    struct kvm_lapic_state l;
    uint32_t v;

    if (ioctl(vc->fd, KVM_GET_LAPIC, &l) < 0)
        return -errno;
    v = APIC_MODE_EXTINT;
    memcpy(&l.regs[APIC_LVT_LINT0], &v, 4);
    v = APIC_MODE_NMI;
    memcpy(&l.regs[APIC_LVT_LINT1], &v, 4);
    return ioctl(vc->fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

int kvm_create_vcpu(struct accel_vm *vm, unsigned id, struct accel_vcpu **out)
{
    struct accel_vcpu *vc = calloc(1, sizeof(*vc));
    void *run;
    int rc;

    if (!vc)
        return -ENOMEM;
    vc->vm = vm;
    vc->id = id;
    vc->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
    if (vc->fd < 0) {
        rc = -errno;
        goto err_free;
    }
    run = mmap(NULL, (size_t)vm->a->run_size, PROT_READ | PROT_WRITE,
               MAP_SHARED, vc->fd, 0);
    if (run == MAP_FAILED) {
        rc = -errno;
        goto err_close;
    }
    vc->run = run;
    rc = set_cpuid(vc);
    if (rc == 0)
        rc = set_msrs(vc);
    if (rc == 0)
        rc = set_lapic(vc);
    if (rc < 0)
        goto err_unmap;
    *out = vc;
    return 0;
err_unmap:
    munmap(vc->run, (size_t)vm->a->run_size);
err_close:
    close(vc->fd);
err_free:
    free(vc);
    return rc;
}

void kvm_destroy_vcpu(struct accel_vcpu *vc)
{
    if (!vc)
        return;
    munmap(vc->run, (size_t)vc->vm->a->run_size);
    close(vc->fd);
    free(vc);
}

static void to_kvm_seg(struct kvm_segment *k, const struct accel_segment *s)
{
    *k = (struct kvm_segment){
        .base = s->base, .limit = s->limit, .selector = s->selector,
        .type = s->type, .present = s->present, .dpl = s->dpl, .db = s->db,
        .s = s->s, .l = s->l, .g = s->g,
    };
}

int kvm_set_entry_state(struct accel_vcpu *vc,
                        const struct accel_entry_state *st)
{
    struct kvm_sregs sr;
    struct kvm_regs r = { .rip = st->rip, .rsi = st->rsi, .rbx = st->rbx,
                          .rsp = st->rsp, .rflags = st->rflags };
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

    if (ioctl(vc->fd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    to_kvm_seg(&sr.cs, &st->cs);
    to_kvm_seg(&sr.ds, &st->ds);
    sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
    sr.gdt.base = st->gdt_base;
    sr.gdt.limit = st->gdt_limit;
    sr.cr0 = st->cr0;
    sr.cr3 = st->cr3;
    sr.cr4 = st->cr4;
    sr.efer = st->efer;
    if (ioctl(vc->fd, KVM_SET_SREGS, &sr) < 0 ||
        ioctl(vc->fd, KVM_SET_REGS, &r) < 0 ||
        ioctl(vc->fd, KVM_SET_FPU, &fpu) < 0)
        return -errno;
    return 0;
}

static void decode_io(struct accel_vcpu *vc, struct vexit *ex)
{
    const struct kvm_run *run = vc->run;
    uint64_t bytes = (uint64_t)run->io.size * run->io.count;
    uint64_t off = run->io.data_offset, room = (uint64_t)vc->vm->a->run_size;

    ex->kind = VEXIT_PIO;
    ex->addr = run->io.port;
    ex->len = run->io.size;
    ex->count = run->io.count;
    ex->write = run->io.direction == KVM_EXIT_IO_OUT;
    /* The data lives inside the shared run page; never trust an offset
     * that would point past it. */
    if (off > room || bytes > room - off ||
        ex->count == 0) {
        ex->kind = VEXIT_UNKNOWN;
        return;
    }
    ex->data = (uint8_t *)vc->run + off;
}

int kvm_run(struct accel_vcpu *vc, struct vexit *ex)
{
    struct kvm_run *run = vc->run;

    memset(ex, 0, sizeof(*ex));
    if (ioctl(vc->fd, KVM_RUN, 0) < 0) {
        if (errno == EINTR || errno == EAGAIN) {
            __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
            ex->kind = VEXIT_INTR;
            return 0;
        }
        return -errno;
    }
    ex->raw = run->exit_reason;
    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        decode_io(vc, ex);
        break;
    case KVM_EXIT_MMIO:
        ex->kind = VEXIT_MMIO;
        ex->addr = run->mmio.phys_addr;
        ex->data = run->mmio.data;
        ex->len = run->mmio.len <= 8 ? run->mmio.len : 8;
        ex->count = 1;
        ex->write = run->mmio.is_write;
        break;
    case KVM_EXIT_HLT:
        ex->kind = VEXIT_HLT;
        break;
    case KVM_EXIT_INTR:
        ex->kind = VEXIT_INTR;
        break;
    case KVM_EXIT_SHUTDOWN:
        ex->kind = VEXIT_SHUTDOWN;
        break;
    case KVM_EXIT_INTERNAL_ERROR:
        ex->kind = VEXIT_INTERNAL_ERROR;
        ex->detail = run->internal.suberror;
        break;
    case KVM_EXIT_FAIL_ENTRY:
        ex->kind = VEXIT_FAIL_ENTRY;
        ex->detail = run->fail_entry.hardware_entry_failure_reason;
        break;
    case KVM_EXIT_SYSTEM_EVENT:
        ex->kind = VEXIT_SYSTEM_EVENT;
        ex->detail = run->system_event.type;
        break;
    default:
        ex->kind = VEXIT_UNKNOWN;
        break;
    }
    return 0;
}

void kvm_kick(struct accel_vcpu *vc)
{
    __atomic_store_n(&vc->run->immediate_exit, 1, __ATOMIC_RELEASE);
}

static int seg_line(char *buf, size_t len, const char *name,
                    const struct kvm_segment *s)
{
    return snprintf(buf, len, "%-3s sel=%04x base=%016llx limit=%08x "
                    "type=%x p=%u dpl=%u db=%u s=%u l=%u g=%u\n", name,
                    s->selector, (unsigned long long)s->base, s->limit,
                    s->type, s->present, s->dpl, s->db, s->s, s->l, s->g);
}

void kvm_dump(struct accel_vcpu *vc, char *buf, size_t len)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    size_t n;

    if (ioctl(vc->fd, KVM_GET_REGS, &r) < 0 ||
        ioctl(vc->fd, KVM_GET_SREGS, &s) < 0) {
        snprintf(buf, len, "vcpu%u: registers unavailable: %s\n", vc->id,
                 strerror(errno));
        return;
    }
    n = (size_t)snprintf(buf, len,
        "vcpu%u registers:\n"
        "rip=%016llx rsp=%016llx rflags=%016llx\n"
        "rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
        "rsi=%016llx rdi=%016llx rbp=%016llx\n"
        "r8 =%016llx r9 =%016llx r10=%016llx r11=%016llx\n"
        "r12=%016llx r13=%016llx r14=%016llx r15=%016llx\n"
        "cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%016llx\n",
        vc->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
        r.rdi, r.rbp, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
        s.cr0, s.cr2, s.cr3, s.cr4, s.efer);
    if (n < len)
        n += (size_t)seg_line(buf + n, len - n, "cs", &s.cs);
    if (n < len)
        n += (size_t)seg_line(buf + n, len - n, "ss", &s.ss);
    if (n < len)
        snprintf(buf + n, len - n, "gdt base=%016llx limit=%04x idt "
                 "base=%016llx limit=%04x\n", s.gdt.base, s.gdt.limit,
                 s.idt.base, s.idt.limit);
}
