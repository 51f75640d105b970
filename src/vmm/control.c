/* A real VM behind the control API: its runtime directory, sockets,
 * state machine (starting -> running <-> paused -> shutting-down -> off)
 * and the ops that drive it. */
#include "vmm/control.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/log.h"
#include "host/clock.h"
#include "host/consock.h"
#include "host/evloop.h"
#include "vmm/vm.h"
#include "vmm/vminfo.h"

static void event(struct vm *vm, enum api_event_kind kind, const char *why)
{
    api_event(vm->ctl ? vm->ctl->api : NULL, kind, why);
}

/* ---- the name ---- */

static int claim_error(const char *base, const char *name, int rc,
                       char *err, size_t errlen)
{
    struct rundir_entry e;

    if (rc == -EEXIST && rundir_probe(base, name, &e) == 0)
        snprintf(err, errlen, "a VM called %s is already running (pid %ld)",
                 name, (long)e.pid);
    else if (rc == -EEXIST)
        snprintf(err, errlen, "a VM called %s is already running", name);
    else if (rc == -EPERM)
        snprintf(err, errlen, "cannot use the runtime directory %s: it "
                 "belongs to another user or is open to others", base);
    else
        snprintf(err, errlen, "cannot claim the name %s in %s: %s", name,
                 base, strerror(-rc));
    return rc;
}

int vm_control_claim(struct vm_control *c, const char *name, bool required,
                     char *err, size_t errlen)
{
    char base[RUNDIR_PATH_MAX], gen[32];
    int rc;

    memset(c, 0, sizeof(*c));
    c->power_timer = -1;
    if (!name) {
        snprintf(gen, sizeof(gen), "vm-%ld", (long)getpid());
        name = gen;
    }
    rc = rundir_default_base(base, sizeof(base));
    if (rc < 0) {
        snprintf(err, errlen, "no runtime directory for the VM's sockets "
                 "(XDG_RUNTIME_DIR is not set; set it or "
                 "VESSEL_RUNTIME_DIR, or run as root)");
    } else {
        rc = rundir_claim(&c->rd, base, name);
        if (rc < 0)
            claim_error(base, name, rc, err, errlen);
    }
    if (rc < 0 && !required) {
        log_warn("%s: this VM has no control socket", err);
        err[0] = '\0';
        return 0;
    }
    c->claimed = rc == 0;
    return rc;
}

const char *vm_control_name(const struct vm_control *c)
{
    return c->claimed ? c->rd.name : NULL;
}

int vm_control_path(const struct vm_control *c, const char *file, char *out,
                    size_t len)
{
    if (!c->claimed)
        return -ENOENT;
    return rundir_path(out, len, c->rd.base, c->rd.name, file);
}

void vm_control_release(struct vm_control *c)
{
    if (c->claimed)
        rundir_release(&c->rd);
    c->claimed = false;
}

/* ---- sockets ---- */

static size_t console_input(void *ctx, const uint8_t *buf, size_t len)
{
    return vm_console_input(ctx, buf, len);
}

/* I/O thread: an acpi-shutdown the guest did not finish in time. */
static void on_power_timer(void *ctx, uint32_t events)
{
    struct vm *vm = ctx;
    uint32_t ms = vm->ctl->power_timeout_ms;
    char why[96];

    (void)events;
    evloop_eventfd_drain(vm->ctl->power_timer);
    if (ms % 1000 == 0)
        snprintf(why, sizeof(why), "guest did not power off within %u s",
                 ms / 1000);
    else
        snprintf(why, sizeof(why), "guest did not power off within %u ms",
                 ms);
    vm_request_stop(vm, VM_STOPPED, why);
}

static int start_console(struct vm *vm, struct vm_control *c, char *err,
                         size_t errlen)
{
    char path[RUNDIR_PATH_MAX];
    int rc = vm_control_path(c, RUNDIR_CONSOLE_SOCK, path, sizeof(path));

    if (rc == 0)
        rc = consock_start(&c->con, vm->io, path, c->rd.name, console_input,
                           vm);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the console socket of %s: %s",
                 c->rd.name, strerror(-rc));
        return rc;
    }
    /* No vCPU runs yet: the devices see the second sink from the start. */
    vm->console_tee.b = &consock_chr_ops;
    vm->console_tee.b_ctx = c->con;
    return 0;
}

static int start_timer(struct vm *vm, struct vm_control *c, char *err,
                       size_t errlen)
{
    int rc;

    c->power_timer = timerfd_create(CLOCK_MONOTONIC,
                                    TFD_CLOEXEC | TFD_NONBLOCK);
    rc = c->power_timer < 0 ? -errno : 0;
    if (rc == 0)
        rc = evloop_add(vm->io, c->power_timer, EPOLLIN, on_power_timer, vm);
    if (rc < 0)
        snprintf(err, errlen, "cannot make the shutdown timer: %s",
                 strerror(-rc));
    return rc;
}

static int start_api(struct vm *vm, struct vm_control *c, char *err,
                     size_t errlen)
{
    char path[RUNDIR_PATH_MAX];
    int rc = vm_control_path(c, RUNDIR_API_SOCK, path, sizeof(path));

    if (rc == 0)
        rc = api_server_start(&c->api, &(struct api_server_config){
                                  .sock_path = path, .ops = &vm_api_ops,
                                  .ctx = vm });
    if (rc < 0)
        snprintf(err, errlen, "cannot open the control socket of %s: %s",
                 c->rd.name, strerror(-rc));
    return rc;
}

static void close_sockets(struct vm *vm, struct vm_control *c)
{
    api_server_stop(c->api);
    c->api = NULL;
    vm->console_tee.b = NULL;
    consock_stop(c->con);
    c->con = NULL;
    if (c->power_timer >= 0) {
        evloop_del(vm->io, c->power_timer);
        close(c->power_timer);
        c->power_timer = -1;
    }
}

int vm_control_start(struct vm *vm, struct vm_control *c, char *err,
                     size_t errlen)
{
    int rc;

    if (!c->claimed)
        return 0;
    rc = start_console(vm, c, err, errlen);
    if (rc == 0)
        rc = start_timer(vm, c, err, errlen);
    /* Last: once it listens, the ops may run. */
    if (rc == 0) {
        vm->ctl = c;
        rc = start_api(vm, c, err, errlen);
    }
    if (rc < 0) {
        close_sockets(vm, c);
        vm->ctl = NULL;
    }
    return rc;
}

void vm_control_stop(struct vm *vm)
{
    if (!vm->ctl)
        return;
    close_sockets(vm, vm->ctl);
    vm->ctl = NULL;
}

/* ---- lifecycle events ---- */

void vm_control_started(struct vm *vm)
{
    int starting = API_VM_STARTING;

    __atomic_store_n(&vm->run_start_ns, host_mono_ns(), __ATOMIC_RELEASE);
    if (__atomic_compare_exchange_n(&vm->state, &starting, API_VM_RUNNING,
                                    false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        event(vm, API_EV_STARTED, NULL);
}

void vm_control_ended(struct vm *vm)
{
    int r = vm->result;
    enum api_event_kind k;

    __atomic_store_n(&vm->state, API_VM_OFF, __ATOMIC_RELEASE);
    if (r == VM_REBOOT)
        k = API_EV_RESET;
    else if (r == VM_CRASH || r == VM_PANIC || r == VM_HOST_ERROR)
        k = API_EV_CRASHED;
    else                /* power-off, stop, signals, debug-exit codes */
        k = API_EV_POWERED_OFF;
    event(vm, k, vm->reason);
}

/* ---- the ops (API thread, one at a time) ---- */

static int ctl_describe(void *ctx, struct api_vm_info *info)
{
    return vminfo_describe(ctx, info);
}

static int ctl_metrics(void *ctx, struct api_text *out)
{
    return vminfo_metrics(ctx, out);
}

/* Only a running or paused VM whose vCPUs all exist changes state. */
static bool settled(const struct vm *vm)
{
    enum api_vm_state st = vminfo_state(vm);

    return __atomic_load_n(&vm->vcpus_up, __ATOMIC_ACQUIRE) &&
           (st == API_VM_RUNNING || st == API_VM_PAUSED);
}

static int do_resume(struct vm *vm)
{
    vm_resume(vm);
    __atomic_store_n(&vm->state, API_VM_RUNNING, __ATOMIC_RELEASE);
    event(vm, API_EV_RESUMED, NULL);
    return 0;
}

static int ctl_set_state(void *ctx, enum api_vm_state want)
{
    struct vm *vm = ctx;
    int rc;

    if (!settled(vm))
        return -EBUSY;
    if (vminfo_state(vm) == want)
        return 0;
    if (want == API_VM_RUNNING)
        return do_resume(vm);
    if (want != API_VM_PAUSED)
        return -EINVAL;
    rc = vm_pause(vm, VM_PAUSE_TIMEOUT_MS);
    if (rc < 0)
        return rc;
    __atomic_store_n(&vm->state, API_VM_PAUSED, __ATOMIC_RELEASE);
    event(vm, API_EV_PAUSED, NULL);
    return 0;
}

static void arm_power_timer(struct vm *vm, uint32_t ms)
{
    struct itimerspec its = { .it_value = {
        .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 } };

    if (!vm->ctl)
        return;
    vm->ctl->power_timeout_ms = ms;
    if (timerfd_settime(vm->ctl->power_timer, 0, &its, NULL) < 0)
        log_error("shutdown timer: %s", strerror(errno));
}

static int acpi_shutdown(struct vm *vm, uint32_t timeout_ms)
{
    if (!settled(vm))
        return -EBUSY;
    /* A paused guest cannot see the button. */
    if (vminfo_state(vm) == API_VM_PAUSED)
        do_resume(vm);
    __atomic_store_n(&vm->state, API_VM_SHUTTING_DOWN, __ATOMIC_RELEASE);
    pthread_mutex_lock(&vm->dev_lock);
    acpi_pm_press_power_button(&vm->plat.pm);
    pthread_mutex_unlock(&vm->dev_lock);
    arm_power_timer(vm, timeout_ms ? timeout_ms : VM_POWER_TIMEOUT_MS);
    return 0;
}

static int ctl_power(void *ctx, const struct api_power_req *req)
{
    struct vm *vm = ctx;

    if (vm_stopping(vm))
        return -EBUSY;
    switch (req->action) {
    case API_POWER_ACPI_SHUTDOWN:
        return acpi_shutdown(vm, req->timeout_ms);
    case API_POWER_STOP:
        vm_request_stop(vm, VM_STOPPED, "stopped through the control API");
        return 0;
    case API_POWER_RESET:
        /* No in-place reset: the VM ends as after a guest reboot. */
        vm_request_stop(vm, VM_REBOOT, "reset through the control API");
        return 0;
    default:
        return -ENOTSUP;
    }
}

static int ctl_console(void *ctx, char *buf, size_t cap, size_t *len)
{
    struct vm *vm = ctx;

    if (!vm->ctl || !vm->ctl->con)
        return -ENOTSUP;
    *len = consock_history(vm->ctl->con, (uint8_t *)buf, cap);
    return 0;
}

const struct api_vm_ops vm_api_ops = {
    .describe = ctl_describe,
    .set_state = ctl_set_state,
    .power = ctl_power,
    .metrics = ctl_metrics,
    .console = ctl_console,
};
