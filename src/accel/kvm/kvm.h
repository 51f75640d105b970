/* KVM backend internals shared by the files of accel/kvm/. */
#ifndef VESSEL_ACCEL_KVM_H
#define VESSEL_ACCEL_KVM_H

#include <linux/kvm.h>

#include "accel/accel.h"

struct accel {
    int fd;                          /* /dev/kvm */
    int run_size;                    /* KVM_GET_VCPU_MMAP_SIZE */
    unsigned max_vcpus;
    struct kvm_cpuid2 *cpuid;        /* KVM_GET_SUPPORTED_CPUID */
};

#define KVM_ROUTES_MAX 128
#define KVM_MSI_GSI_BASE 24        /* GSIs below are the IOAPIC's pins */

struct accel_vm {
    struct accel *a;
    int fd;
    unsigned nslots;
    unsigned ncpus;
    /* The whole GSI routing table: KVM_SET_GSI_ROUTING replaces it. */
    struct kvm_irq_routing_entry routes[KVM_ROUTES_MAX];
    unsigned nroutes;
    unsigned next_msi_gsi;
};

struct accel_vcpu {
    struct accel_vm *vm;
    unsigned id;
    int fd;
    struct kvm_run *run;
};

/* Fill (c) for vCPU (id) of (ncpus) from the supported list (sup): one
 * socket, one thread per core, (ncpus) cores. (c) has room for sup->nent. */
void kvm_cpuid_for_vcpu(const struct kvm_cpuid2 *sup, struct kvm_cpuid2 *c,
                        unsigned id, unsigned ncpus);

/* Interrupt routing and eventfds (kvm_irq.c). */
int kvm_routing_init(struct accel_vm *vm);
int kvm_ioeventfd(struct accel_vm *vm, uint64_t addr, unsigned len,
                  uint64_t match, int fd, bool on);
int kvm_msi_alloc(struct accel_vm *vm, unsigned *gsi);
int kvm_msi_route(struct accel_vm *vm, unsigned gsi, uint64_t addr,
                  uint32_t data);
int kvm_irqfd(struct accel_vm *vm, unsigned gsi, int fd, bool on);

/* The vCPU half of the ops (kvm_vcpu.c). */
int kvm_create_vcpu(struct accel_vm *vm, unsigned id, struct accel_vcpu **out);
void kvm_destroy_vcpu(struct accel_vcpu *vc);
int kvm_set_entry_state(struct accel_vcpu *vc,
                        const struct accel_entry_state *st);
int kvm_run(struct accel_vcpu *vc, struct vexit *ex);
void kvm_kick(struct accel_vcpu *vc);
void kvm_dump(struct accel_vcpu *vc, char *buf, size_t len);
size_t kvm_stats(struct accel_vm *vm, struct accel_vcpu *const *vcpus,
                 unsigned nvcpus, struct accel_stat *out, size_t max);

#endif
