/* The system calls each thread of a running VM may make. Found by tracing
 * every thread through the integration tests (boot, disks, user and tap
 * networking, consoles, the control API, power-off, reboot, crashes,
 * pvpanic) and cut to what the code on that thread does; each group says
 * which code needs it. Anything else traps, is named, and ends Vessel
 * (host/sandbox.c). x86-64 numbering (SYS_*). */
#include "vmm/sandbox_policy.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "vmm/net_spec.h"

struct call_set {
    const long *nr;
    size_t n;
};
#define SET(a) ((struct call_set){ (a), ARRAY_SIZE(a) })

/* Every thread: locks, memory (malloc, thread stacks), time, signals
 * (vCPU kicks, glibc internals, the SIGSYS handler's return), log lines
 * on stderr, and leaving. */
static const long base_calls[] = {
    SYS_futex, SYS_rt_sigreturn, SYS_rt_sigprocmask, SYS_restart_syscall,
    SYS_sched_yield, SYS_brk, SYS_munmap, SYS_madvise, SYS_mremap,
    SYS_clock_gettime, SYS_clock_nanosleep, SYS_nanosleep, SYS_gettimeofday,
    SYS_getpid, SYS_gettid, SYS_getrandom, SYS_write, SYS_exit,
    SYS_exit_group,
};

/* The vCPU: device models answer exits (console output to a pipe, a tty
 * or the console socket; eventfds that ring the I/O thread; a tap sending
 * on DRIVER_OK); vCPU 0 notes its start-up cost. */
static const long vcpu_calls[] = {
    SYS_writev, SYS_sendto, SYS_timerfd_settime, SYS_getrusage,
};

/* The event loop: doorbells, completions, taps, the console socket. */
static const long io_calls[] = {
    SYS_read, SYS_readv, SYS_writev, SYS_epoll_wait, SYS_epoll_pwait,
    SYS_epoll_ctl, SYS_timerfd_settime, SYS_close, SYS_accept4, SYS_sendto,
    SYS_recvfrom, SYS_shutdown, SYS_fcntl,
};

/* libmicrohttpd (external epoll), and the API's VM operations (the
 * acpi-shutdown deadline; localtime() stats /etc/localtime, which
 * vm_sandbox_begin() had glibc load already). */
static const long api_calls[] = {
    SYS_read, SYS_epoll_wait, SYS_epoll_pwait, SYS_epoll_ctl, SYS_accept4,
    SYS_recvfrom, SYS_sendto, SYS_sendmsg, SYS_writev, SYS_shutdown,
    SYS_close, SYS_setsockopt, SYS_getsockopt, SYS_fcntl, SYS_poll,
    SYS_timerfd_settime, SYS_newfstatat,
};

/* Disk workers: the image's I/O. */
static const long blk_calls[] = {
    SYS_pread64, SYS_pwrite64, SYS_preadv, SYS_pwritev, SYS_preadv2,
    SYS_pwritev2, SYS_fdatasync, SYS_fsync, SYS_fallocate,
};

/* libslirp's loop. */
static const long slirp_calls[] = {
    SYS_read, SYS_poll, SYS_ppoll,
};

/* libslirp's datapath, on the slirp thread alone (guest frames reach it
 * through a queue, host/net_slirp.c): its sockets to the outside, and its
 * look at /etc/resolv.conf for the DNS forwarder. */
static const long slirp_data_calls[] = {
    SYS_connect, SYS_bind, SYS_listen, SYS_accept, SYS_accept4, SYS_sendto,
    SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_setsockopt, SYS_getsockopt,
    SYS_getsockname, SYS_getpeername, SYS_shutdown, SYS_close, SYS_fcntl,
    SYS_read, SYS_lseek, SYS_fstat, SYS_newfstatat, SYS_stat,
};

/* The main thread after the start: console input, signals, joins, then
 * tearing down (close, munmap), --stats (KVM's stats fds, rusage, RAM
 * residency) and the run directory's cleanup (its files unlinked through
 * a directory fd). */
static const long main_calls[] = {
    SYS_read, SYS_poll, SYS_ppoll, SYS_close, SYS_pread64, SYS_fstat,
    SYS_newfstatat, SYS_fdatasync, SYS_fsync, SYS_unlink, SYS_unlinkat,
    SYS_fcntl, SYS_shutdown, SYS_timerfd_settime, SYS_epoll_ctl,
    SYS_getrusage, SYS_mincore,
};

/* ioctls, by thread. The vCPU: entering the guest, interrupt lines and
 * MSI routes programmed by the guest, doorbells that follow a moved BAR,
 * the register dump of a crash. */
static const unsigned long vcpu_ioctls[] = {
    KVM_RUN, KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD,
    KVM_GET_REGS, KVM_GET_SREGS,
};
/* Interrupts raised from the I/O thread and the main thread (INTx of a
 * completed request, console input to the UART), the terminal put back
 * at the end, KVM statistics (--stats, GET /metrics). */
static const unsigned long io_ioctls[] = { KVM_IRQ_LINE };
static const unsigned long api_ioctls[] = { KVM_IRQ_LINE };
static const unsigned long main_ioctls[] = {
    KVM_IRQ_LINE, KVM_GET_STATS_FD, TCGETS, TCSETS, TCSETSW, TCSETSF,
};
/* The guest changes offloads: virtio-net's control queue (I/O thread) or
 * DRIVER_OK (vCPU). */
static const unsigned long tap_ioctls[] = { TUNSETOFFLOAD };
static const unsigned long slirp_ioctls[] = { FIONREAD };

/* ASan builds (tests): a thread's exit takes down its alternate signal
 * stack. LeakSanitizer's check at exit needs far more (ptrace of every
 * thread from a clone): host/sandbox.c leaves the main thread unfiltered
 * in those builds. */
#if defined(__SANITIZE_ADDRESS__)
#define ASAN_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN_BUILD 1
#endif
#endif
#ifdef ASAN_BUILD
static const long asan_calls[] = { SYS_sigaltstack };
#else
static const long asan_calls[] = { -1 };   /* unused */
#endif

static int allow_set(struct sandbox_filter *f, struct call_set s)
{
    for (size_t i = 0; i < s.n; i++) {
        int rc = sandbox_allow(f, s.nr[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* mmap and mprotect never make memory executable: no code is loaded once
 * the VM runs. tgkill only within this process (vCPU kicks, abort()). */
static int allow_base(struct sandbox_filter *f)
{
    struct sandbox_arg noexec = SANDBOX_ARG_MASKED(2, PROT_EXEC, 0);
    struct sandbox_arg self = SANDBOX_ARG_EQ(0, (uint64_t)getpid());
    int rc = allow_set(f, SET(base_calls));

#ifdef ASAN_BUILD
    if (rc == 0)
        rc = allow_set(f, SET(asan_calls));
#else
    (void)asan_calls;
#endif
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_mmap, &noexec, 1);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_mprotect, &noexec, 1);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_tgkill, &self, 1);
    return rc;
}

/* libslirp's sockets are IPv4 and IPv6; its file is read only. */
static int allow_slirp_data(struct sandbox_filter *f)
{
    struct sandbox_arg v4 = SANDBOX_ARG_EQ(0, AF_INET);
    struct sandbox_arg v6 = SANDBOX_ARG_EQ(0, AF_INET6);
    struct sandbox_arg ro = SANDBOX_ARG_MASKED(
        2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE, O_RDONLY);
    int rc = allow_set(f, SET(slirp_data_calls));

    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_socket, &v4, 1);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_socket, &v6, 1);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_openat, &ro, 1);
    if (rc == 0)
        rc = sandbox_allow_ioctls(f, slirp_ioctls, ARRAY_SIZE(slirp_ioctls));
    return rc;
}

/* The main thread opens the run directory again to clean it up, and
 * writes --stats FILE once the VM has ended. */
static int allow_main_opens(struct sandbox_filter *f, bool stats)
{
    struct sandbox_arg dir = SANDBOX_ARG_EQ(
        2, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct sandbox_arg wr = SANDBOX_ARG_MASKED(
        2, O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND,
        O_WRONLY | O_CREAT | O_TRUNC);
    int rc = sandbox_allow_if(f, SYS_openat, &dir, 1);

    if (rc == 0 && stats)
        rc = sandbox_allow_if(f, SYS_openat, &wr, 1);
    return rc;
}

#define IOCTLS(a) (a), ARRAY_SIZE(a)

static int role_rules(struct sandbox_filter *f, enum sandbox_role role,
                      const struct vm_sandbox_env *env)
{
    bool data = env->net_user, tap = env->net_tap;
    int rc;

    switch (role) {
    case SANDBOX_VCPU:
        rc = allow_set(f, SET(vcpu_calls));
        if (rc == 0)
            rc = sandbox_allow_ioctls(f, IOCTLS(vcpu_ioctls));
        data = false;
        break;
    case SANDBOX_IO:
        rc = allow_set(f, SET(io_calls));
        if (rc == 0)
            rc = sandbox_allow_ioctls(f, IOCTLS(io_ioctls));
        data = false;
        break;
    case SANDBOX_API:
        rc = allow_set(f, SET(api_calls));
        if (rc == 0)
            rc = sandbox_allow_ioctls(f, IOCTLS(api_ioctls));
        data = tap = false;
        break;
    case SANDBOX_SLIRP:
        rc = allow_set(f, SET(slirp_calls));
        tap = false;
        break;
    case SANDBOX_BLK:
        rc = allow_set(f, SET(blk_calls));
        data = tap = false;
        break;
    case SANDBOX_MAIN:
        rc = allow_set(f, SET(main_calls));
        if (rc == 0)
            rc = sandbox_allow_ioctls(f, IOCTLS(main_ioctls));
        if (rc == 0)
            rc = allow_main_opens(f, env->stats);
        data = tap = false;
        break;
    default:
        return -EINVAL;
    }
    if (rc == 0 && data)
        rc = allow_slirp_data(f);
    if (rc == 0 && tap)
        rc = sandbox_allow_ioctls(f, IOCTLS(tap_ioctls));
    return rc;
}

int vm_sandbox_policy(struct sandbox_filter *f, enum sandbox_role role,
                      const void *ctx)
{
    int rc = allow_base(f);

    return rc < 0 ? rc : role_rules(f, role, ctx);
}

void vm_sandbox_env(const struct vm_config *cfg, struct vm_sandbox_env *env)
{
    *env = (struct vm_sandbox_env){ .stats = cfg->stats_path != NULL };
    for (unsigned i = 0; i < cfg->nnets; i++) {
        struct vm_net_spec spec;
        char err[256];

        if (vm_net_parse_spec(cfg->nets[i], &spec, err, sizeof(err)) < 0)
            continue;   /* vm_create() reports it */
        if (spec.backend == VM_NET_USER)
            env->net_user = true;
        else
            env->net_tap = true;
    }
}

int vm_sandbox_begin(const struct vm_config *cfg, char *err, size_t errlen)
{
    static struct vm_sandbox_env env;   /* read by every thread's filter */
    struct sandbox_config sc = { .policy = vm_sandbox_policy, .ctx = &env };
    int rc = sandbox_close_stray_fds();

    if (rc < 0) {
        snprintf(err, errlen, "sandbox: cannot close inherited files: %s",
                 strerror(-rc));
        return rc;
    }
    if (cfg->user) {
        rc = sandbox_parse_user(cfg->user, &sc.uid, &sc.gid, err, errlen);
        if (rc < 0)
            return rc;
        sc.drop_user = true;
    }
    vm_sandbox_env(cfg, &env);
    /* Libraries that open a file on first use do it now, unfiltered:
     * glibc's time zone (localtime() in libmicrohttpd) and jansson's hash
     * seed (/dev/urandom, on the first JSON object: an API request). */
    tzset();
    json_object_seed(0);
    return sandbox_setup(&sc, err, errlen);
}
