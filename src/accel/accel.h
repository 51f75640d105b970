/* The accelerator: the only door to the CPU's virtualization hardware.
 *
 * Today there is one backend, KVM (accel/kvm/). A later bare-metal backend
 * (SVM) implements the same ops. Everything crossing this interface is
 * neutral: native exit records are decoded into struct vexit, and the boot
 * CPU state is a plain struct. */
#ifndef VESSEL_ACCEL_H
#define VESSEL_ACCEL_H

#include "core/types.h"

struct accel;
struct accel_vm;
struct accel_vcpu;

enum vexit_kind {
    VEXIT_PIO,            /* port I/O: addr = port, count repetitions */
    VEXIT_MMIO,           /* MMIO outside RAM: addr = gpa */
    VEXIT_HLT,            /* only without an in-kernel irqchip */
    VEXIT_INTR,           /* KVM_RUN interrupted (a kick or a signal) */
    VEXIT_SHUTDOWN,       /* triple fault */
    VEXIT_INTERNAL_ERROR, /* the accelerator could not emulate something */
    VEXIT_FAIL_ENTRY,     /* hardware refused to enter the guest */
    VEXIT_SYSTEM_EVENT,   /* reset/shutdown requested through the accelerator */
    VEXIT_UNKNOWN,        /* anything else: raw reason in vexit.raw */
    VEXIT__COUNT
};

struct vexit {
    enum vexit_kind kind;
    uint64_t addr;        /* port or gpa */
    uint8_t *data;        /* len * count bytes, inside the accelerator's
                             shared page; already bounds-checked */
    uint32_t len;         /* access width in bytes: 1, 2, 4 or 8 */
    uint32_t count;       /* repetitions (rep ins/outs), >= 1 */
    bool write;
    uint64_t raw;         /* native exit reason, for reports */
    uint64_t detail;      /* native sub-reason (suberror, hw reason) */
};

/* The state of a vCPU at the kernel entry: the 64-bit Linux boot protocol
 * (long mode, rsi = boot_params) or the 32-bit PVH entry (protected mode
 * without paging, rbx = hvm_start_info, a CS with db=1 l=0). */
struct accel_segment {
    uint64_t base;
    uint32_t limit;
    uint16_t selector;
    uint8_t type, present, dpl, db, s, l, g;
};

struct accel_entry_state {
    uint64_t rip, rsi, rbx, rsp, rflags;
    uint64_t cr0, cr3, cr4, efer;
    struct accel_segment cs, ds;       /* ds is used for ds/es/fs/gs/ss */
    uint64_t gdt_base;
    uint16_t gdt_limit;
};

/* One counter the accelerator keeps, e.g. "kvm.vcpu.exits". */
struct accel_stat {
    char name[64];
    uint64_t value;
};

struct accel_vm_config {
    unsigned ncpus;
};

struct accel_ops {
    const char *name;
    /* Open the accelerator through device node (dev), NULL for the
     * default. On failure writes a one-line explanation with a hint on how
     * to fix it into (err). */
    int (*open)(const char *dev, struct accel **out, char *err, size_t errlen);
    void (*close)(struct accel *a);
    unsigned (*max_vcpus)(struct accel *a);

    int (*create_vm)(struct accel *a, const struct accel_vm_config *cfg,
                     struct accel_vm **out);
    void (*destroy_vm)(struct accel_vm *vm);
    /* Map guest RAM [gpa, gpa+size) to host memory (hva). */
    int (*map_ram)(struct accel_vm *vm, gpa_t gpa, uint64_t size, void *hva);
    /* Drive interrupt line (gsi) of the in-kernel irqchip to (level). */
    int (*set_irq)(struct accel_vm *vm, unsigned gsi, bool level);

    /* A guest write of (len) bytes of value (match) to MMIO (addr) signals
     * eventfd (fd) inside the kernel instead of exiting to the VMM; other
     * values exit as usual. (on) false undoes it. For virtio doorbells. */
    int (*ioeventfd)(struct accel_vm *vm, uint64_t addr, unsigned len,
                     uint64_t match, int fd, bool on);
    /* Reserve a GSI for message-signalled interrupts, and point it at the
     * MSI (addr, data), or mask it (masked: the route is kept but
     * writes to its irqfd are dropped by the caller). */
    int (*msi_alloc)(struct accel_vm *vm, unsigned *gsi);
    int (*msi_route)(struct accel_vm *vm, unsigned gsi, uint64_t addr,
                     uint32_t data);
    /* Writing 1 to eventfd (fd) raises (gsi) inside the kernel, from any
     * thread, without stopping a vCPU. */
    int (*irqfd)(struct accel_vm *vm, unsigned gsi, int fd, bool on);

    int (*create_vcpu)(struct accel_vm *vm, unsigned id,
                       struct accel_vcpu **out);
    void (*destroy_vcpu)(struct accel_vcpu *vc);
    /* Put a vCPU at the kernel's entry, 64-bit or PVH (boot CPU only). */
    int (*set_entry_state)(struct accel_vcpu *vc,
                           const struct accel_entry_state *st);
    /* Enter the guest until the next exit the VMM must handle; (ex) is
     * valid until the next call. Called only from the vCPU's own thread. */
    int (*run)(struct accel_vcpu *vc, struct vexit *ex);
    /* Make a running or about-to-run vCPU return from run() with VEXIT_INTR
     * soon; safe from any thread (the caller also signals the thread). */
    void (*kick)(struct accel_vcpu *vc);
    /* Write a human-readable register dump into (buf). */
    void (*dump)(struct accel_vcpu *vc, char *buf, size_t len);
    /* Fill (out) with up to (max) counters of the VM and its vCPUs (summed
     * over vCPUs); returns how many. */
    size_t (*stats)(struct accel_vm *vm, struct accel_vcpu *const *vcpus,
                    unsigned nvcpus, struct accel_stat *out, size_t max);
};

extern const struct accel_ops kvm_accel_ops;

const char *vexit_kind_name(enum vexit_kind k);

#endif
