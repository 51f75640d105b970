/* Per-thread seccomp filters (libseccomp) and what happens on a refusal.
 * The process-wide part (fds, namespaces, user) is in sandbox_proc.c. */
#include "host/sandbox.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "host/sandbox_int.h"

/* LeakSanitizer checks at exit from the main thread, through a clone that
 * ptraces every thread: no filter of ours can allow that and still mean
 * much, so ASan builds (tests only) leave the main thread unfiltered. */
#if defined(__SANITIZE_ADDRESS__)
#define LEAK_CHECK_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LEAK_CHECK_AT_EXIT 1
#endif
#endif

#define MAX_NR 1024                     /* x86-64 numbers are below 512 */
#define MAX_CONDS 4

/* The kill switch: never implemented by Linux, so harmless without a
 * filter, and KILL_PROCESS in every filter. A refused call traps into
 * on_sigsys(), which names it and then makes this one. */
#define KILL_SWITCH_NR SYS_afs_syscall

struct sandbox_filter {
    scmp_filter_ctx ctx;
    uint64_t allowed[MAX_NR / 64];      /* for sandbox_filter_count() */
};

struct sandbox_state sandbox_st = { .selftest = -1 };

static _Thread_local int thread_role = -1;
static atomic_bool selftest_fired;

static const char *const role_names[SANDBOX__ROLES] = {
    [SANDBOX_MAIN] = "main",   [SANDBOX_VCPU] = "vcpu",
    [SANDBOX_IO] = "io",       [SANDBOX_API] = "api",
    [SANDBOX_SLIRP] = "slirp", [SANDBOX_BLK] = "blk",
};

const char *sandbox_role_name(enum sandbox_role role)
{
    return (unsigned)role < SANDBOX__ROLES ? role_names[role] : "?";
}

int sandbox_role_parse(const char *name)
{
    for (int r = 0; r < SANDBOX__ROLES; r++)
        if (!strcmp(name, role_names[r]))
            return r;
    return -EINVAL;
}

/* ---- building ---- */

static void mark(struct sandbox_filter *f, long nr)
{
    f->allowed[nr / 64] |= 1ULL << (nr % 64);
}

int sandbox_allow(struct sandbox_filter *f, long nr)
{
    int rc;

    if (nr < 0 || nr >= MAX_NR || nr == KILL_SWITCH_NR)
        return -EINVAL;
    rc = seccomp_rule_add(f->ctx, SCMP_ACT_ALLOW, (int)nr, 0);
    if (rc == 0)
        mark(f, nr);
    return rc;
}

int sandbox_allow_if(struct sandbox_filter *f, long nr,
                     const struct sandbox_arg *a, unsigned n)
{
    struct scmp_arg_cmp c[MAX_CONDS];
    int rc;

    if (nr < 0 || nr >= MAX_NR || nr == KILL_SWITCH_NR || n > MAX_CONDS)
        return -EINVAL;
    for (unsigned i = 0; i < n; i++) {
        if (a[i].idx > 5)
            return -EINVAL;
        c[i] = (struct scmp_arg_cmp){ .arg = a[i].idx, .op = SCMP_CMP_MASKED_EQ,
                                      .datum_a = a[i].mask,
                                      .datum_b = a[i].value };
    }
    rc = seccomp_rule_add_array(f->ctx, SCMP_ACT_ALLOW, (int)nr, n, c);
    if (rc == 0)
        mark(f, nr);
    return rc;
}

int sandbox_allow_ioctls(struct sandbox_filter *f, const unsigned long *req,
                         size_t n)
{
    /* The kernel reads the request as an unsigned int: compare that. */
    for (size_t i = 0; i < n; i++) {
        struct sandbox_arg a = SANDBOX_ARG_MASKED(1, 0xffffffffULL, req[i]);
        int rc = sandbox_allow_if(f, SYS_ioctl, &a, 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* glibc runs set*id in every thread (a signal to each): the threads that
 * are filtered before sandbox_drop_user() must let exactly that through. */
static int allow_pending_drop(struct sandbox_filter *f)
{
    uid_t u = sandbox_st.cfg.uid;
    gid_t g = sandbox_st.cfg.gid;
    struct sandbox_arg none = SANDBOX_ARG_EQ(0, 0);
    struct sandbox_arg gs[3] = { SANDBOX_ARG_EQ(0, g), SANDBOX_ARG_EQ(1, g),
                                 SANDBOX_ARG_EQ(2, g) };
    struct sandbox_arg us[3] = { SANDBOX_ARG_EQ(0, u), SANDBOX_ARG_EQ(1, u),
                                 SANDBOX_ARG_EQ(2, u) };
    int rc;

    if (!sandbox_st.on || !sandbox_st.cfg.drop_user || sandbox_st.dropped)
        return 0;
    rc = sandbox_allow_if(f, SYS_setgroups, &none, 1);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_setresgid, gs, 3);
    if (rc == 0)
        rc = sandbox_allow_if(f, SYS_setresuid, us, 3);
    return rc;
}

int sandbox_filter_build(struct sandbox_filter **out, enum sandbox_role role,
                         sandbox_policy_fn policy, const void *ctx)
{
    struct sandbox_filter *f = calloc(1, sizeof(*f));
    int rc;

    if (!f)
        return -ENOMEM;
    /* Refusals trap so on_sigsys() can say what was refused; a foreign
     * architecture's call (int 0x80) is killed outright. */
    f->ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!f->ctx) {
        free(f);
        return -ENOMEM;
    }
    rc = seccomp_attr_set(f->ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    if (rc == 0)   /* a binary tree: KVM_RUN should not walk a long list */
        rc = seccomp_attr_set(f->ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc == 0)
        rc = seccomp_rule_add(f->ctx, SCMP_ACT_KILL_PROCESS, KILL_SWITCH_NR, 0);
    if (rc == 0)
        rc = policy(f, role, ctx);
    if (rc == 0)
        rc = allow_pending_drop(f);
    if (rc < 0) {
        sandbox_filter_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

unsigned sandbox_filter_count(const struct sandbox_filter *f)
{
    unsigned n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(f->allowed); i++)
        n += (unsigned)__builtin_popcountll(f->allowed[i]);
    return n;
}

int sandbox_filter_load(struct sandbox_filter *f)
{
    return seccomp_load(f->ctx);   /* sets NO_NEW_PRIVS first */
}

void sandbox_filter_free(struct sandbox_filter *f)
{
    if (!f)
        return;
    seccomp_release(f->ctx);
    free(f);
}

/* ---- a refusal ---- */

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static size_t put_num(char *buf, size_t at, size_t cap, unsigned long v)
{
    char d[24];
    size_t n = 0;

    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && at < cap)
        buf[at++] = d[--n];
    return at;
}

/* Async-signal-safe: formats by hand, writes once, then flips the kill
 * switch. The filter forbids rt_sigaction to every thread, so a thread
 * gone bad cannot swap this handler for one that carries on; and blocking
 * SIGSYS does not help it either (the kernel then kills at once). */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    char msg[256];
    size_t n = 0, cap = sizeof(msg);
    int nr = si->si_syscall;

    (void)sig, (void)uc;
    n = put(msg, n, cap, "vessel: error: sandbox: the ");
    n = put(msg, n, cap, thread_role >= 0
                             ? sandbox_role_name((enum sandbox_role)thread_role)
                             : "unfiltered");
    n = put(msg, n, cap, " thread made a forbidden system call: ");
    if (nr >= 0 && nr < SANDBOX_NAMES && sandbox_st.names[nr]) {
        n = put(msg, n, cap, sandbox_st.names[nr]);
        n = put(msg, n, cap, " (");
        n = put_num(msg, n, cap, (unsigned long)nr);
        n = put(msg, n, cap, ")");
    } else {
        n = put_num(msg, n, cap, (unsigned long)(unsigned)nr);
    }
    n = put(msg, n, cap, "; Vessel stops\r\n");
    if (write(STDERR_FILENO, msg, n) < 0) {
        /* nothing else to say it with */
    }
    syscall(KILL_SWITCH_NR);
    _exit(128 + SIGSYS);   /* only without a filter of ours */
}

int sandbox_install_handler(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGSYS, &sa, NULL) < 0 ? -errno : 0;
}

/* Names for the message, looked up now: the handler cannot allocate. */
void sandbox_load_names(void)
{
    for (int nr = 0; nr < SANDBOX_NAMES; nr++)
        if (!sandbox_st.names[nr])
            sandbox_st.names[nr] =
                seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

/* ---- entering ---- */

/* VESSEL_SANDBOX_SELFTEST: a netlink socket is refused to every role. */
static void selftest(void)
{
    int fd;

    log_warn("sandbox self-test: the %s thread makes a forbidden call",
             sandbox_role_name((enum sandbox_role)thread_role));
    fd = socket(AF_NETLINK, SOCK_RAW, 0);
    log_error("sandbox self-test: the forbidden call was allowed");
    if (fd >= 0)
        close(fd);
}

static void name_thread(enum sandbox_role role)
{
    char name[16];

    /* The main thread's name is the process's: ps and pgrep keep it. */
    if (role == SANDBOX_MAIN)
        return;
    snprintf(name, sizeof(name), "vessel-%s", sandbox_role_name(role));
    prctl(PR_SET_NAME, (unsigned long)name, 0UL, 0UL, 0UL);
}

void sandbox_thread_enter(enum sandbox_role role)
{
    struct sandbox_filter *f = NULL;
    sigset_t sys;
    int rc;

    name_thread(role);
    if (!sandbox_st.on)
        return;
#ifdef LEAK_CHECK_AT_EXIT
    if (role == SANDBOX_MAIN) {
        log_debug("sandbox: main thread left unfiltered (ASan build)");
        return;
    }
#endif
    thread_role = (int)role;
    /* Helper threads start with every signal blocked; a blocked SIGSYS
     * would kill without saying why. */
    sigemptyset(&sys);
    sigaddset(&sys, SIGSYS);
    pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
    rc = sandbox_filter_build(&f, role, sandbox_st.cfg.policy,
                              sandbox_st.cfg.ctx);
    if (rc == 0)
        rc = sandbox_filter_load(f);
    if (rc == 0)
        log_debug("sandbox: %s thread filtered (%u system calls allowed)",
                  sandbox_role_name(role), sandbox_filter_count(f));
    sandbox_filter_free(f);
    /* Building the filter took ~100 KiB of scratch heap, free again now:
     * hand those pages back (madvise and brk are in every role's list),
     * or they stay in the VM's memory for its life (issue 7). */
    malloc_trim(0);
    if (rc < 0) {
        log_error("sandbox: cannot filter the %s thread: %s",
                  sandbox_role_name(role), strerror(-rc));
        abort();   /* it must not run unfiltered */
    }
    if (sandbox_st.selftest == (int)role &&
        !atomic_exchange(&selftest_fired, true))
        selftest();
}
