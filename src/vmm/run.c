/* Running a VM: vCPU threads plus the main thread's loop, which feeds
 * console input to the guest and waits for the end. */
#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/log.h"
#include "host/evloop.h"
#include "host/sandbox.h"
#include "host/term.h"
#include "vmm/control.h"
#include "vmm/escape.h"
#include "vmm/vm.h"

#define INPUT_RETRY_MS 2   /* guest's RX FIFO full: try again this soon */

struct console_in {
    int fd;                    /* -1 once closed */
    struct escape esc;
    uint8_t pending[4096];     /* accepted from the host, not yet by the guest */
    size_t npending;
};

static void kick_signal(int sig)
{
    (void)sig;   /* only interrupts KVM_RUN */
}

static void stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
}

/* Block the signals the main loop reads through a signalfd, in every thread
 * (threads inherit the mask), and let SIGUSR1 kick vCPUs. */
int vm_signals_init(void)
{
    struct sigaction sa;
    sigset_t all;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    stop_signals(&all);
    sigaddset(&all, SIGUSR1);
    return -pthread_sigmask(SIG_BLOCK, &all, NULL);
}

size_t vm_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
    size_t took;

    pthread_mutex_lock(&vm->dev_lock);
    /* Input goes to the console the guest uses: hvc0 when it exists. */
    took = vm->devs.con ? virtio_console_push_input(vm->devs.con, buf, len)
                        : platform_console_input(&vm->plat, buf, len);
    vm->console_in_bytes += took;
    pthread_mutex_unlock(&vm->dev_lock);
    return took;
}

static void feed_guest(struct vm *vm, struct console_in *in)
{
    size_t took;

    if (!in->npending)
        return;
    took = vm_console_input(vm, in->pending, in->npending);
    memmove(in->pending, in->pending + took, in->npending - took);
    in->npending -= took;
}

static void read_console(struct vm *vm, struct console_in *in)
{
    uint8_t buf[sizeof(in->pending) / 2];
    enum escape_action act;
    ssize_t n;
    size_t room = sizeof(in->pending) - in->npending;

    if (room < 2)
        return;   /* back-pressure: leave bytes in the terminal */
    n = read(in->fd, buf, room / 2 < sizeof(buf) ? room / 2 : sizeof(buf));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) {
        in->fd = -1;   /* EOF or error: the guest just gets no more input */
        return;
    }
    if (!vm->cfg.console_raw) {
        memcpy(in->pending + in->npending, buf, (size_t)n);
        in->npending += (size_t)n;
    } else {
        in->npending += escape_filter(&in->esc, buf, (size_t)n,
                                      in->pending + in->npending, &act);
        if (act == ESCAPE_QUIT)
            vm_request_stop(vm, 128 + SIGINT, "stopped from the console");
        else if (act == ESCAPE_HELP && write(STDERR_FILENO, escape_help,
                                             strlen(escape_help)) < 0)
            log_debug("cannot print help");
    }
    feed_guest(vm, in);
}

static void on_signal(struct vm *vm, int sfd)
{
    struct signalfd_siginfo si;
    char why[64];

    if (read(sfd, &si, sizeof(si)) != sizeof(si))
        return;
    snprintf(why, sizeof(why), "stopped by signal %s",
             strsignal((int)si.ssi_signo));
    vm_request_stop(vm, 128 + (int)si.ssi_signo, why);
}

static void main_loop(struct vm *vm, int sfd)
{
    struct console_in in = { .fd = STDIN_FILENO };

    while (!vm_stopping(vm)) {
        struct pollfd p[3] = {
            { .fd = vm->wake_fd, .events = POLLIN },
            { .fd = sfd, .events = POLLIN },
            { .fd = in.fd, .events = POLLIN },
        };
        int n = poll(p, 3, in.npending ? INPUT_RETRY_MS : -1);

        if (n < 0 && errno != EINTR) {
            vm_request_stop(vm, VM_HOST_ERROR, "poll failed");
            break;
        }
        if (p[1].revents & POLLIN)
            on_signal(vm, sfd);
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
            read_console(vm, &in);
        feed_guest(vm, &in);
    }
}

/* Start the I/O thread and every vCPU; 0, or the VM is already told to
 * stop. */
static int start_threads(struct vm *vm)
{
    int rc = evloop_start(vm->io);

    if (rc < 0) {
        vm_request_stop(vm, VM_HOST_ERROR, "cannot start the I/O thread");
        return rc;
    }
    for (unsigned i = 0; i < vm->ncpus; i++) {
        rc = vcpu_start(&vm->vcpus[i]);
        if (rc < 0) {
            vm_request_stop(vm, VM_HOST_ERROR, "cannot start a vCPU thread");
            return rc;
        }
    }
    __atomic_store_n(&vm->vcpus_up, true, __ATOMIC_RELEASE);
    return 0;
}

/* vessel run --detach: tell the waiting parent the VM runs. */
static void notify_started(struct vm *vm)
{
    static const char ok[] = "ok\n";

    if (vm->notify_fd < 0)
        return;
    if (write(vm->notify_fd, ok, sizeof(ok) - 1) < 0)
        log_debug("cannot tell the parent: %s", strerror(errno));
    close(vm->notify_fd);
    vm->notify_fd = -1;
}

int vm_run(struct vm *vm)
{
    sigset_t stop_set;
    int sfd, rc;

    rc = vm_signals_init();
    stop_signals(&stop_set);
    sfd = rc < 0 ? -1 : signalfd(-1, &stop_set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        char why[96];

        snprintf(why, sizeof(why), "cannot set up signal handling: %s",
                 strerror(rc < 0 ? -rc : errno));
        vm_request_stop(vm, VM_STARTUP_ERROR, why);   /* nothing ran yet */
        return vm->result;
    }
    if (vm->cfg.console_raw)
        term_raw_enter(STDIN_FILENO);
    /* Set-up is over: hand the heap pages freed by the loader, the config
     * and the filter compiler back to the host before the VM runs (issue
     * 7: memory outside guest RAM). */
    malloc_trim(0);
    if (start_threads(vm) == 0)
        notify_started(vm);
    sandbox_thread_enter(SANDBOX_MAIN);   /* last: every thread is started */
    main_loop(vm, sfd);
    for (unsigned i = 0; i < vm->ncpus; i++) {
        vcpu_kick(&vm->vcpus[i]);
        if (vm->vcpus[i].started)
            pthread_join(vm->vcpus[i].thread, NULL);
    }
    evloop_stop(vm->io);
    vm_control_ended(vm);
    term_restore();
    close(sfd);
    return vm->result;
}
