/* One virtual machine: memory, vCPUs, devices, and the threads that run
 * them. vm_create() assembles it from a config, vm_run() runs it until the
 * guest powers off, resets or crashes, or the host asks it to stop. */
#ifndef VESSEL_VMM_VM_H
#define VESSEL_VMM_VM_H

#include <pthread.h>

#include "accel/accel.h"
#include "core/bus.h"
#include "core/gmem.h"
#include "core/log.h"
#include "host/fdchr.h"
#include "host/ram.h"
#include "vmm/config.h"
#include "vmm/devices.h"
#include "vmm/pci.h"
#include "vmm/platform.h"
#include "vmm/portcount.h"
#include "vmm/result.h"
#include "vmm/stats.h"

struct vm;

struct vcpu {
    struct vm *vm;
    unsigned id;
    struct accel_vcpu *acc;
    pthread_t thread;
    bool started;
    uint64_t exits[VEXIT__COUNT];     /* written by this vCPU's thread only */
    struct portcount pio_ports;       /* likewise */
};

struct vm {
    struct vm_config cfg;
    const struct accel_ops *ops;
    struct accel *acc;
    struct accel_vm *avm;

    struct host_ram ram;
    struct gmem gm;
    struct bus pio, mmio;
    /* Serialises every device access (vCPU exits, console input): device
     * models are single-threaded state machines. */
    pthread_mutex_t dev_lock;
    struct platform plat;
    struct vm_pci pci;
    struct vm_devices devs;
    struct evloop *io;                /* the I/O thread's loop */
    struct fdchr console_out;

    struct vcpu vcpus[VM_MAX_CPUS];
    unsigned ncpus;

    struct ratelimit unclaimed_rl;    /* guest touching ports nobody has */
    struct vm_startup startup;        /* written by vCPU 0 once */

    int wake_fd;                      /* eventfd: the VM has ended */
    int result;                       /* enum vm_result; set once */
    char reason[256];                 /* why it ended, for the user */
};

/* Build the VM described by (cfg): open the accelerator, allocate RAM, wire
 * devices, load the kernel. On failure writes one line into (err) and
 * returns a negative errno; nothing is left allocated. */
int vm_create(struct vm **out, const struct vm_config *cfg, char *err,
              size_t errlen) MUST_CHECK;

/* Run until the VM ends; returns the enum vm_result. Handles console input
 * from fd 0 and SIGINT/SIGTERM (which stop the VM: VM_RESULT_NONE is never
 * returned; a signal gives 128 + signo). */
int vm_run(struct vm *vm);

void vm_destroy(struct vm *vm);

/* End the VM with (result) unless it already ended; safe from any thread,
 * including a vCPU's and a device callback under dev_lock. */
void vm_request_stop(struct vm *vm, int result, const char *reason);

bool vm_stopping(const struct vm *vm);

/* The vCPU thread body (vcpu.c). */
void *vcpu_thread(void *arg);
int vcpu_start(struct vcpu *vc) MUST_CHECK;
void vcpu_kick(struct vcpu *vc);

#endif
