/* KVM: opening /dev/kvm, the VM, its memory and its interrupt routing. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define KVM_API_EXPECTED 12
#define CPUID_MAX_ENTRIES 256
#define TSS_ADDR 0xfffbd000UL           /* needed by VMX, harmless on SVM */
#define IDENTITY_MAP_ADDR 0xfffbc000ULL

static int kvm_get_cpuid(struct accel *a)
{
    size_t sz = sizeof(struct kvm_cpuid2) +
                CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);

    a->cpuid = calloc(1, sz);
    if (!a->cpuid)
        return -ENOMEM;
    a->cpuid->nent = CPUID_MAX_ENTRIES;
    if (ioctl(a->fd, KVM_GET_SUPPORTED_CPUID, a->cpuid) < 0)
        return -errno;
    return 0;
}

static void explain_open_error(const char *dev, int rc, char *err,
                               size_t errlen)
{
    if (rc == -ENOENT || rc == -ENODEV || rc == -ENXIO)
        snprintf(err, errlen, "%s does not exist: enable virtualization "
                 "(VT-x/AMD-V) in the firmware and load the KVM module "
                 "(modprobe kvm_intel or modprobe kvm_amd), or run inside "
                 "tools/kvmbox", dev);
    else if (rc == -EACCES || rc == -EPERM)
        snprintf(err, errlen, "%s: permission denied: add your user to the "
                 "'kvm' group (usermod -aG kvm $USER, then log in again) or "
                 "run as root", dev);
    else
        snprintf(err, errlen, "%s: %s", dev, strerror(-rc));
}

static int kvm_open(const char *dev, struct accel **out, char *err,
                    size_t errlen)
{
    struct accel *a = calloc(1, sizeof(*a));
    int rc, v;

    if (!a)
        return -ENOMEM;
    if (!dev)
        dev = "/dev/kvm";
    a->fd = open(dev, O_RDWR | O_CLOEXEC);
    if (a->fd < 0) {
        rc = -errno;
        explain_open_error(dev, rc, err, errlen);
        goto err_free;
    }
    v = ioctl(a->fd, KVM_GET_API_VERSION, 0);
    if (v != KVM_API_EXPECTED) {
        snprintf(err, errlen, "%s: KVM API version %d, need %d (is it a "
                 "KVM device?)", dev, v, KVM_API_EXPECTED);
        rc = -ENOTSUP;
        goto err_close;
    }
    a->run_size = ioctl(a->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    v = ioctl(a->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (v <= 0)
        v = ioctl(a->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    a->max_vcpus = v > 0 ? (unsigned)v : 1;
    if (a->run_size < (int)sizeof(struct kvm_run) ||
        ioctl(a->fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
        ioctl(a->fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
        snprintf(err, errlen, "%s: this KVM lacks a needed capability "
                 "(in-kernel irqchip, immediate exit)", dev);
        rc = -ENOTSUP;
        goto err_close;
    }
    rc = kvm_get_cpuid(a);
    if (rc < 0) {
        snprintf(err, errlen, "%s: KVM_GET_SUPPORTED_CPUID: %s", dev,
                 strerror(-rc));
        goto err_close;
    }
    *out = a;
    return 0;
err_close:
    close(a->fd);
err_free:
    free(a->cpuid);
    free(a);
    return rc;
}

static void kvm_close(struct accel *a)
{
    if (!a)
        return;
    close(a->fd);
    free(a->cpuid);
    free(a);
}

static unsigned kvm_max_vcpus(struct accel *a)
{
    return a->max_vcpus;
}

static int kvm_create_vm(struct accel *a, const struct accel_vm_config *cfg,
                         struct accel_vm **out)
{
    struct accel_vm *vm = calloc(1, sizeof(*vm));
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
    uint64_t idmap = IDENTITY_MAP_ADDR;
    int rc;

    if (!vm)
        return -ENOMEM;
    vm->a = a;
    vm->ncpus = cfg->ncpus;
    vm->fd = ioctl(a->fd, KVM_CREATE_VM, 0);
    if (vm->fd < 0) {
        rc = -errno;
        goto err_free;
    }
    if (ioctl(vm->fd, KVM_SET_TSS_ADDR, TSS_ADDR) < 0 ||
        ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) < 0 ||
        ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0 ||
        ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0) {
        rc = -errno;
        goto err_close;
    }
    rc = kvm_routing_init(vm);
    if (rc < 0)
        goto err_close;
    *out = vm;
    return 0;
err_close:
    close(vm->fd);
err_free:
    free(vm);
    return rc;
}

static void kvm_destroy_vm(struct accel_vm *vm)
{
    if (!vm)
        return;
    close(vm->fd);
    free(vm);
}

static int kvm_map_ram(struct accel_vm *vm, gpa_t gpa, uint64_t size,
                       void *hva)
{
    struct kvm_userspace_memory_region r = {
        .slot = vm->nslots,
        .guest_phys_addr = gpa,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)hva,
    };

    if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
        return -errno;
    vm->nslots++;
    return 0;
}

static int kvm_set_irq(struct accel_vm *vm, unsigned gsi, bool level)
{
    struct kvm_irq_level l = { .irq = gsi, .level = level };

    return ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}

const struct accel_ops kvm_accel_ops = {
    .name = "kvm",
    .open = kvm_open,
    .close = kvm_close,
    .max_vcpus = kvm_max_vcpus,
    .create_vm = kvm_create_vm,
    .destroy_vm = kvm_destroy_vm,
    .map_ram = kvm_map_ram,
    .set_irq = kvm_set_irq,
    .ioeventfd = kvm_ioeventfd,
    .msi_alloc = kvm_msi_alloc,
    .msi_route = kvm_msi_route,
    .irqfd = kvm_irqfd,
    .create_vcpu = kvm_create_vcpu,
    .destroy_vcpu = kvm_destroy_vcpu,
    .set_entry_state = kvm_set_entry_state,
    .run = kvm_run,
    .kick = kvm_kick,
    .dump = kvm_dump,
    .stats = kvm_stats,
};
