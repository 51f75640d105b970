/* The vCPU threads: enter the guest, dispatch each exit through a table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "host/clock.h"
#include "host/sandbox.h"
#include "vmm/control.h"
#include "vmm/vm.h"

/* The signal that kicks a vCPU thread out of KVM_RUN (handler installed by
 * run.c; it does nothing: the point is that KVM_RUN returns with EINTR). */
#define VCPU_KICK_SIGNAL SIGUSR1

typedef void (*vexit_fn)(struct vcpu *vc, const struct vexit *ex);

/* Port I/O, one access at a time; rep ins/outs repeat (count) times over
 * consecutive slots of the shared data area (already bounds-checked). */
static void on_pio(struct vcpu *vc, const struct vexit *ex)
{
    struct vm *vm = vc->vm;

    bool claimed = true;

    portcount_add(&vc->pio_ports, (uint16_t)ex->addr, 1);
    pthread_mutex_lock(&vm->dev_lock);
    for (uint32_t i = 0; i < ex->count; i++) {
        uint8_t *d = ex->data + (size_t)i * ex->len;
        if (ex->write)
            claimed = bus_write(&vm->pio, ex->addr, d, ex->len);
        else
            claimed = bus_read(&vm->pio, ex->addr, d, ex->len);
    }
    pthread_mutex_unlock(&vm->dev_lock);
    /* Guests probe for hardware they may not have: normal, so debug only. */
    if (!claimed && log_get_level() >= LOG_DEBUG &&
        ratelimit_ok(&vm->unclaimed_rl))
        log_debug("guest: unclaimed port %s 0x%llx (%u bytes)",
                  ex->write ? "write" : "read", (unsigned long long)ex->addr,
                  ex->len);
}

static void on_mmio(struct vcpu *vc, const struct vexit *ex)
{
    struct vm *vm = vc->vm;

    pthread_mutex_lock(&vm->dev_lock);
    if (ex->write)
        bus_write(&vm->mmio, ex->addr, ex->data, ex->len);
    else
        bus_read(&vm->mmio, ex->addr, ex->data, ex->len);
    pthread_mutex_unlock(&vm->dev_lock);
}

static void on_intr(struct vcpu *vc, const struct vexit *ex)
{
    (void)vc;
    (void)ex;   /* a kick: the loop re-checks whether the VM is stopping */
}

static void crash(struct vcpu *vc, const struct vexit *ex, const char *what)
{
    char dump[2048];
    char why[160];
    char *line, *save = NULL;

    snprintf(why, sizeof(why), "guest crashed: %s on vcpu%u (exit reason %llu, "
             "detail 0x%llx)", what, vc->id, (unsigned long long)ex->raw,
             (unsigned long long)ex->detail);
    /* The reason is printed once by the caller of vm_run(); the registers
     * go out here, a line each (a log line is bounded). On AMD, KVM has
     * already reset the vCPU after a triple fault: the dump shows that. */
    vc->vm->ops->dump(vc->acc, dump, sizeof(dump));
    for (line = strtok_r(dump, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save))
        log_error("%s", line);
    vm_request_stop(vc->vm, VM_CRASH, why);
}

static void on_shutdown(struct vcpu *vc, const struct vexit *ex)
{
    crash(vc, ex, "triple fault");
}

static void on_internal_error(struct vcpu *vc, const struct vexit *ex)
{
    crash(vc, ex, "KVM internal error");
}

static void on_fail_entry(struct vcpu *vc, const struct vexit *ex)
{
    crash(vc, ex, "VM entry failed");
}

static void on_system_event(struct vcpu *vc, const struct vexit *ex)
{
    if (ex->detail == 2 /* KVM_SYSTEM_EVENT_RESET */)
        vm_request_stop(vc->vm, VM_REBOOT, "guest reset");
    else
        vm_request_stop(vc->vm, VM_POWEROFF, "guest powered off");
}

static const vexit_fn vexit_table[VEXIT__COUNT] = {
    [VEXIT_PIO] = on_pio,
    [VEXIT_MMIO] = on_mmio,
    [VEXIT_INTR] = on_intr,
    [VEXIT_SHUTDOWN] = on_shutdown,
    [VEXIT_INTERNAL_ERROR] = on_internal_error,
    [VEXIT_FAIL_ENTRY] = on_fail_entry,
    [VEXIT_SYSTEM_EVENT] = on_system_event,
};

/* Wait outside the guest while the VM is paused (vm_pause()). */
static void park(struct vcpu *vc)
{
    struct vm *vm = vc->vm;

    pthread_mutex_lock(&vm->run_lock);
    vm->parked++;
    pthread_cond_broadcast(&vm->run_cond);
    while (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE) &&
           !vm_stopping(vm))
        pthread_cond_wait(&vm->run_cond, &vm->run_lock);
    vm->parked--;
    pthread_mutex_unlock(&vm->run_lock);
}

static void count_exit(struct vcpu *vc, enum vexit_kind k)
{
    /* One writer: a plain add made visible atomically, no locked insn. */
    uint64_t n = __atomic_load_n(&vc->exits[k], __ATOMIC_RELAXED);

    __atomic_store_n(&vc->exits[k], n + 1, __ATOMIC_RELAXED);
}

uint64_t vcpu_exits(const struct vcpu *vc, int kind)
{
    uint64_t n = 0;

    if (kind >= 0)
        return kind < VEXIT__COUNT
                   ? __atomic_load_n(&vc->exits[kind], __ATOMIC_RELAXED)
                   : 0;
    for (unsigned k = 0; k < VEXIT__COUNT; k++)
        n += __atomic_load_n(&vc->exits[k], __ATOMIC_RELAXED);
    return n;
}

void *vcpu_thread(void *arg)
{
    struct vcpu *vc = arg;
    struct vm *vm = vc->vm;
    struct vexit ex;
    sigset_t kick;

    sandbox_thread_enter(SANDBOX_VCPU);   /* before the first KVM_RUN */
    sigemptyset(&kick);
    sigaddset(&kick, VCPU_KICK_SIGNAL);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
    if (vc->id == 0) {
        stats_mark_first_run(vm);
        vm_control_started(vm);
    }
    while (!vm_stopping(vm)) {
        int rc;
        vexit_fn fn;

        if (__atomic_load_n(&vm->pause_req, __ATOMIC_ACQUIRE)) {
            park(vc);
            continue;
        }
        rc = vm->ops->run(vc->acc, &ex);

        if (rc < 0) {
            char why[96];
            snprintf(why, sizeof(why), "vcpu%u: KVM_RUN failed: %s", vc->id,
                     strerror(-rc));
            vm_request_stop(vm, VM_HOST_ERROR, why);
            break;
        }
        count_exit(vc, ex.kind);
        fn = vexit_table[ex.kind];
        if (!fn) {
            crash(vc, &ex, "unhandled exit");
            break;
        }
        fn(vc, &ex);
        if (ex.kind == VEXIT_PIO || ex.kind == VEXIT_MMIO)
            stats_note_exit(vm, ex.addr, ex.kind == VEXIT_PIO);
    }
    return NULL;
}

int vcpu_start(struct vcpu *vc)
{
    int rc = pthread_create(&vc->thread, NULL, vcpu_thread, vc);
    if (rc != 0)
        return -rc;
    vc->started = true;
    return 0;
}

void vcpu_kick(struct vcpu *vc)
{
    if (!vc->started)
        return;
    vc->vm->ops->kick(vc->acc);
    pthread_kill(vc->thread, VCPU_KICK_SIGNAL);
}

static unsigned started_vcpus(const struct vm *vm)
{
    unsigned n = 0;

    for (unsigned i = 0; i < vm->ncpus; i++)
        n += vm->vcpus[i].started;
    return n;
}

int vm_pause(struct vm *vm, unsigned timeout_ms)
{
    uint64_t end = host_mono_ns() + (uint64_t)timeout_ms * 1000000U;
    struct timespec ts = { .tv_sec = (time_t)(end / 1000000000U),
                           .tv_nsec = (long)(end % 1000000000U) };
    unsigned want = started_vcpus(vm);
    int rc = 0;

    pthread_mutex_lock(&vm->run_lock);
    /* Pairs with the acquire load at the top of the vCPU loop; the kick
     * makes a vCPU inside KVM_RUN come back to that load. */
    __atomic_store_n(&vm->pause_req, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < vm->ncpus; i++)
        vcpu_kick(&vm->vcpus[i]);
    while (rc == 0 && vm->parked < want && !vm_stopping(vm))
        rc = -pthread_cond_timedwait(&vm->run_cond, &vm->run_lock, &ts);
    if (rc == 0 && vm_stopping(vm))
        rc = -EBUSY;
    if (rc < 0) {
        __atomic_store_n(&vm->pause_req, false, __ATOMIC_RELEASE);
        pthread_cond_broadcast(&vm->run_cond);
    }
    pthread_mutex_unlock(&vm->run_lock);
    return rc;
}

void vm_resume(struct vm *vm)
{
    pthread_mutex_lock(&vm->run_lock);
    __atomic_store_n(&vm->pause_req, false, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&vm->run_cond);
    pthread_mutex_unlock(&vm->run_lock);
}
