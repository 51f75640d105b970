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

struct accel_vm {
    struct accel *a;
    int fd;
    unsigned nslots;
    unsigned ncpus;
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
