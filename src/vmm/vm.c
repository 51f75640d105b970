/* Assembling and tearing down one VM. Running it is in run.c. */
#include "vmm/vm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "boot/layout.h"
#include "core/log.h"
#include "host/evloop.h"
#include "vmm/loader.h"

/* Guest RAM: one host allocation, seen by the guest as [0, low) and, past
 * the 32-bit MMIO hole, [4 GiB, 4 GiB + high). */
static int setup_ram(struct vm *vm, char *err, size_t errlen)
{
    uint64_t size = vm->cfg.mem_size;
    uint64_t low = layout_ram_low(size), high = layout_ram_high(size);
    uint8_t *base;
    int rc;

    rc = host_ram_alloc(&vm->ram, size, vm->cfg.hugepages, err, errlen);
    if (rc < 0)
        return rc;
    base = vm->ram.base;
    gmem_init(&vm->gm);
    rc = gmem_add(&vm->gm, 0, low, base);
    if (rc == 0 && high)
        rc = gmem_add(&vm->gm, LAYOUT_HIGH_RAM, high, base + low);
    if (rc < 0)
        snprintf(err, errlen, "cannot lay out guest RAM: %s", strerror(-rc));
    return rc;
}

/* Hand every RAM region to the accelerator. */
static int map_ram(struct vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < vm->gm.nr; i++) {
        const struct gmem_region *r = &vm->gm.r[i];
        int rc = vm->ops->map_ram(vm->avm, r->gpa, r->size, r->hva);
        if (rc < 0) {
            snprintf(err, errlen, "cannot map guest RAM: %s", strerror(-rc));
            return rc;
        }
    }
    return 0;
}

static int setup_vcpus(struct vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < vm->ncpus; i++) {
        struct vcpu *vc = &vm->vcpus[i];
        int rc;

        vc->vm = vm;
        vc->id = i;
        rc = vm->ops->create_vcpu(vm->avm, i, &vc->acc);
        if (rc < 0) {
            snprintf(err, errlen, "cannot create vcpu%u: %s", i, strerror(-rc));
            return rc;
        }
    }
    return 0;
}

static int open_accel(struct vm *vm, char *err, size_t errlen)
{
    struct accel_vm_config acfg = { .ncpus = vm->ncpus };
    unsigned max;
    int rc;

    rc = vm->ops->open(vm->cfg.kvm_device, &vm->acc, err, errlen);
    if (rc < 0)
        return rc;
    max = vm->ops->max_vcpus(vm->acc);
    if (vm->ncpus > max) {
        snprintf(err, errlen, "--cpus %u is more than this host's KVM "
                 "allows (%u)", vm->ncpus, max);
        return -EINVAL;
    }
    rc = vm->ops->create_vm(vm->acc, &acfg, &vm->avm);
    if (rc < 0)
        snprintf(err, errlen, "cannot create the VM: %s", strerror(-rc));
    return rc;
}

/* The pause condvar waits with deadlines on the monotonic clock. */
static void init_run_lock(struct vm *vm)
{
    pthread_condattr_t ca;

    pthread_mutex_init(&vm->run_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->run_cond, &ca);
    pthread_condattr_destroy(&ca);
}

int vm_create(struct vm **out, const struct vm_config *cfg, char *err,
              size_t errlen)
{
    struct vm *vm = calloc(1, sizeof(*vm));
    struct accel_entry_state entry;
    int rc;

    if (!vm) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    vm->cfg = *cfg;
    vm->ncpus = cfg->ncpus;
    vm->ops = &kvm_accel_ops;
    vm->result = VM_RESULT_NONE;
    vm->unclaimed_rl = (struct ratelimit){ .burst = 20, .every = 1000 };
    vm->wake_fd = -1;
    vm->console_out.fd = STDOUT_FILENO;
    vm->console_tee = (struct chr_tee){ .a = &fdchr_ops,
                                        .a_ctx = &vm->console_out };
    vm->notify_fd = -1;
    pthread_mutex_init(&vm->dev_lock, NULL);
    init_run_lock(vm);
    bus_init(&vm->pio, "pio");
    bus_init(&vm->mmio, "mmio");
    vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vm->wake_fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto err;
    }
    /* Guest memory and the kernel first: bad input is then reported even
     * on a host without /dev/kvm. */
    rc = setup_ram(vm, err, errlen);
    if (rc == 0)
        rc = loader_load_linux(vm, &entry, err, errlen);
    if (rc == 0)
        rc = open_accel(vm, err, errlen);
    if (rc == 0)
        rc = map_ram(vm, err, errlen);
    if (rc == 0)
        rc = platform_init(&vm->plat, vm, err, errlen);
    if (rc == 0)
        rc = vm_pci_init(vm, err, errlen);
    if (rc == 0) {
        rc = evloop_create(&vm->io);
        if (rc < 0)
            snprintf(err, errlen, "cannot create the I/O loop: %s",
                     strerror(-rc));
    }
    if (rc == 0)
        rc = vm_devices_init(vm, err, errlen);
    if (rc == 0)
        rc = setup_vcpus(vm, err, errlen);
    if (rc == 0) {
        rc = vm->ops->set_entry_state(vm->vcpus[0].acc, &entry);
        if (rc < 0)
            snprintf(err, errlen, "cannot set the boot CPU state: %s",
                     strerror(-rc));
    }
    if (rc < 0)
        goto err;
    *out = vm;
    return 0;
err:
    vm_destroy(vm);
    return rc;
}

void vm_destroy(struct vm *vm)
{
    if (!vm)
        return;
    evloop_destroy(vm->io);   /* stops the I/O thread first */
    vm_devices_release(vm);
    for (unsigned i = 0; i < vm->ncpus; i++)
        if (vm->vcpus[i].acc)
            vm->ops->destroy_vcpu(vm->vcpus[i].acc);
    if (vm->avm)
        vm->ops->destroy_vm(vm->avm);
    if (vm->acc)
        vm->ops->close(vm->acc);
    host_ram_free(&vm->ram);
    if (vm->wake_fd >= 0)
        close(vm->wake_fd);
    pthread_mutex_destroy(&vm->dev_lock);
    pthread_cond_destroy(&vm->run_cond);
    pthread_mutex_destroy(&vm->run_lock);
    free(vm);
}

bool vm_stopping(const struct vm *vm)
{
    return __atomic_load_n(&vm->result, __ATOMIC_ACQUIRE) != VM_RESULT_NONE;
}

void vm_request_stop(struct vm *vm, int result, const char *reason)
{
    int none = VM_RESULT_NONE;
    uint64_t one = 1;

    /* The first reason wins: a triple fault after a power-off request is
     * noise, not the story. */
    if (!__atomic_compare_exchange_n(&vm->result, &none, result, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return;
    snprintf(vm->reason, sizeof(vm->reason), "%s", reason);
    /* Parked vCPUs (a paused VM) must see the end too. run_lock is taken
     * after dev_lock here; nothing takes them the other way round. */
    pthread_mutex_lock(&vm->run_lock);
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
    for (unsigned i = 0; i < vm->ncpus; i++)
        vcpu_kick(&vm->vcpus[i]);
    if (write(vm->wake_fd, &one, sizeof(one)) < 0)
        log_debug("wake eventfd: %s", strerror(errno));
}
