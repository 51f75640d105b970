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
#include "vmm/chrtee.h"
#include "vmm/config.h"
#include "vmm/devices.h"
#include "vmm/pci.h"
#include "vmm/platform.h"
#include "vmm/portcount.h"
#include "vmm/result.h"
#include "vmm/stats.h"

struct vm;
struct vm_control;

struct vcpu {
    struct vm *vm;
    unsigned id;
    struct accel_vcpu *acc;
    pthread_t thread;
    bool started;
    /* Written by this vCPU's thread only, with relaxed atomic stores so the
     * API thread may read them (vcpu_exits()) while the VM runs. */
    uint64_t exits[VEXIT__COUNT];
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
    struct fdchr console_out;         /* stdout */
    struct chr_tee console_tee;       /* the console devices' sink: stdout
                                         and the console socket */
    uint64_t console_in_bytes;        /* under dev_lock */

    struct vcpu vcpus[VM_MAX_CPUS];
    unsigned ncpus;

    struct ratelimit unclaimed_rl;    /* guest touching ports nobody has */
    struct vm_startup startup;        /* written by vCPU 0 once */
    struct vm_phase_mark phase[VM_PHASE__COUNT];  /* stats_note_exit() */

    /* Pause (vcpu.c): while pause_req is set every vCPU parks outside the
     * guest, waiting on run_cond; parked counts them (under run_lock). */
    pthread_mutex_t run_lock;
    pthread_cond_t run_cond;
    bool pause_req;                   /* atomic */
    unsigned parked;
    bool vcpus_up;                    /* atomic: every vCPU thread started */

    /* What the control API sees (control.c); atomic. enum api_vm_state. */
    int state;
    uint64_t run_start_ns;            /* vCPU 0's first entry; 0 before */
    struct vm_control *ctl;           /* NULL: no control socket */
    int notify_fd;                    /* vessel run --detach: told "ok"
                                         once the vCPUs run; -1: none */

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

/* Exits of (vc) so far, all kinds or of (kind); from any thread. */
uint64_t vcpu_exits(const struct vcpu *vc, int kind);

/* Park every vCPU outside the guest and return once all are parked:
 * 0, -ETIMEDOUT after (timeout_ms) (the vCPUs are let go again), or
 * -EBUSY if the VM is ending. Call from one thread at a time (the API's),
 * never from a vCPU thread. The guest's clocks keep running meanwhile. */
int vm_pause(struct vm *vm, unsigned timeout_ms) MUST_CHECK;

/* Let parked vCPUs run again. */
void vm_resume(struct vm *vm);

/* Offer console input to the guest (hvc0 when it exists, else COM1);
 * takes dev_lock. Returns the bytes it took. */
size_t vm_console_input(struct vm *vm, const uint8_t *buf, size_t len);

/* Block the signals vm_run() handles (SIGINT, SIGTERM, SIGHUP) and set up
 * the vCPU kick signal; call before any thread starts, so a signal that
 * arrives while the VM is being built waits for vm_run(). Returns 0 or
 * -errno. */
int vm_signals_init(void) MUST_CHECK;

#endif
