/* The sandbox: each role's filter builds; in a forked child, allowed calls
 * go through and forbidden ones (by number or by ioctl request) kill the
 * process by SIGSYS after naming the call; a user drop reaches threads
 * that were filtered before it; stray fds are closed. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/sandbox.h"
#include "vmm/sandbox_policy.h"

static const struct vm_sandbox_env env_plain = { 0 };
static const struct vm_sandbox_env env_all = { .net_user = true,
                                               .net_tap = true, .stats = true };

/* ---- running a body in a sandboxed child ---- */

struct child {
    int status;
    char err[1024];      /* what it wrote on stderr */
};

typedef int (*body_fn)(void);

/* Fork; the child sets up the sandbox with (cfg) (env_plain's policy when
 * NULL), enters (role) and returns body()'s value as its exit status. */
static void run_child(enum sandbox_role role, const struct sandbox_config *cfg,
                      body_fn body, struct child *out)
{
    struct sandbox_config plain = { .policy = vm_sandbox_policy,
                                    .ctx = &env_plain };
    int p[2];
    pid_t pid;
    ssize_t n;
    size_t got = 0;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];

        dup2(p[1], STDERR_FILENO);
        close(p[0]);
        if (sandbox_setup(cfg ? cfg : &plain, err, sizeof(err)) < 0)
            _exit(100);
        if (role < SANDBOX__ROLES)   /* else: the body enters by itself */
            sandbox_thread_enter(role);
        _exit(body());
    }
    close(p[1]);
    while ((n = read(p[0], out->err + got, sizeof(out->err) - 1 - got)) > 0)
        got += (size_t)n;
    out->err[got] = '\0';
    close(p[0]);
    assert_int_equal(waitpid(pid, &out->status, 0), pid);
}

static void expect_killed(const struct child *c, const char *call)
{
    char want[128];

    if (!WIFSIGNALED(c->status) || WTERMSIG(c->status) != SIGSYS)
        fail_msg("child not killed by SIGSYS: status 0x%x, stderr <%s>",
                 c->status, c->err);
    snprintf(want, sizeof(want), "forbidden system call: %s", call);
    if (!strstr(c->err, want))
        fail_msg("stderr <%s> lacks <%s>", c->err, want);
}

static void expect_exit0(const struct child *c)
{
    if (!WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0)
        fail_msg("child status 0x%x (exit %d), stderr <%s>", c->status,
                 WIFEXITED(c->status) ? WEXITSTATUS(c->status) : -1, c->err);
}

/* ---- bodies ---- */

static int allowed_calls(void)
{
    struct timespec ts;
    char c = 'x';

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || getpid() <= 0)
        return 1;
    free(malloc(1 << 20));   /* mmap without PROT_EXEC */
    /* ioctl KVM_RUN is allowed: on a non-KVM fd it fails, it is not killed */
    if (ioctl(STDERR_FILENO, KVM_RUN, 0) == 0 || errno != ENOTTY)
        return 2;
    if (write(STDERR_FILENO, &c, 0) < 0)
        return 3;
    return 0;
}

static int call_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 10 : 11;
}

static int call_execve(void)
{
    char *argv[] = { "true", NULL };

    execve("/bin/true", argv, NULL);
    return 12;
}

static int call_open(void)
{
    return open("/etc/hostname", O_RDONLY) >= 0 ? 13 : 14;
}

static int call_bad_ioctl(void)
{
    /* A request the vCPU never needs, on an fd where it would harmlessly
     * fail: the filter must refuse it by its number alone. */
    return ioctl(STDERR_FILENO, KVM_CREATE_VM, 0) >= 0 ? 15 : 16;
}

static int call_exec_mmap(void)
{
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? 17 : 18;
}

static int call_kill_other(void)
{
    /* tgkill is for this process's threads only */
    return (int)syscall(SYS_tgkill, 1, 1, 0) == 0 ? 19 : 20;
}

/* ---- tests ---- */

static void test_every_role_builds(void **state)
{
    (void)state;
    for (int r = 0; r < SANDBOX__ROLES; r++) {
        for (int e = 0; e < 2; e++) {
            struct sandbox_filter *f = NULL;
            const struct vm_sandbox_env *env = e ? &env_all : &env_plain;

            assert_int_equal(sandbox_filter_build(&f, (enum sandbox_role)r,
                                                  vm_sandbox_policy, env), 0);
            assert_true(sandbox_filter_count(f) > 10);
            printf("# sandbox: %-5s allows %3u system calls (%s)\n",
                   sandbox_role_name((enum sandbox_role)r),
                   sandbox_filter_count(f),
                   e ? "--net user + tap + --stats" : "plain");
            sandbox_filter_free(f);
        }
    }
}

/* libslirp runs on its own thread alone: --net user (and a tap, --stats)
 * adds no system call to the vCPU, I/O or disk threads, and the slirp
 * thread's own list grows by libslirp's sockets. */
static void test_user_net_widens_only_its_threads(void **state)
{
    static const enum sandbox_role same[] = { SANDBOX_BLK, SANDBOX_VCPU,
                                              SANDBOX_IO };
    struct sandbox_filter *a = NULL, *b = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        assert_int_equal(sandbox_filter_build(&a, same[i], vm_sandbox_policy,
                                              &env_plain), 0);
        assert_int_equal(sandbox_filter_build(&b, same[i], vm_sandbox_policy,
                                              &env_all), 0);
        assert_int_equal(sandbox_filter_count(a), sandbox_filter_count(b));
        sandbox_filter_free(a);
        sandbox_filter_free(b);
    }
    assert_int_equal(sandbox_filter_build(&a, SANDBOX_SLIRP, vm_sandbox_policy,
                                          &env_plain), 0);
    assert_int_equal(sandbox_filter_build(&b, SANDBOX_SLIRP, vm_sandbox_policy,
                                          &env_all), 0);
    assert_true(sandbox_filter_count(b) > sandbox_filter_count(a));
    sandbox_filter_free(a);
    sandbox_filter_free(b);
}

static void test_bad_role_and_rule_refused(void **state)
{
    struct sandbox_filter *f = NULL;

    (void)state;
    assert_int_equal(sandbox_filter_build(&f, SANDBOX__ROLES,
                                          vm_sandbox_policy, &env_plain),
                     -EINVAL);
    assert_int_equal(sandbox_filter_build(&f, SANDBOX_IO, vm_sandbox_policy,
                                          &env_plain), 0);
    assert_int_equal(sandbox_allow(f, -1), -EINVAL);
    assert_int_equal(sandbox_allow(f, 5000), -EINVAL);
    assert_int_equal(sandbox_allow(f, SYS_afs_syscall), -EINVAL);  /* kill switch */
    sandbox_filter_free(f);
}

static void test_vcpu_allowed_calls_pass(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_VCPU, NULL, allowed_calls, &c);
    expect_exit0(&c);
}

static void test_vcpu_socket_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_VCPU, NULL, call_socket, &c);
    expect_killed(&c, "socket (41)");
    assert_non_null(strstr(c.err, "the vcpu thread"));
}

static void test_vcpu_execve_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_VCPU, NULL, call_execve, &c);
    expect_killed(&c, "execve");
}

static void test_vcpu_open_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_VCPU, NULL, call_open, &c);
    expect_killed(&c, "openat");
}

static void test_vcpu_forbidden_ioctl_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_VCPU, NULL, call_bad_ioctl, &c);
    expect_killed(&c, "ioctl");
}

static void test_exec_mapping_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_IO, NULL, call_exec_mmap, &c);
    expect_killed(&c, "mmap");
}

static void test_tgkill_other_process_kills(void **state)
{
    struct child c;

    (void)state;
    run_child(SANDBOX_IO, NULL, call_kill_other, &c);
    expect_killed(&c, "tgkill");
}

static void test_blk_socket_kills_even_with_user_net(void **state)
{
    struct sandbox_config cfg = { .policy = vm_sandbox_policy,
                                  .ctx = &env_all };
    struct child c;

    (void)state;
    run_child(SANDBOX_BLK, &cfg, call_socket, &c);
    expect_killed(&c, "socket");
    run_child(SANDBOX_SLIRP, &cfg, call_socket, &c);
    assert_true(WIFEXITED(c.status));
    assert_int_equal(WEXITSTATUS(c.status), 10);   /* libslirp's own socket */
}

static int selftest_body(void)
{
    return 0;   /* never reached: entering already made the forbidden call */
}

static void test_selftest_env_kills(void **state)
{
    struct child c;

    (void)state;
    setenv("VESSEL_SANDBOX_SELFTEST", "vcpu", 1);
    run_child(SANDBOX_VCPU, NULL, selftest_body, &c);
    unsetenv("VESSEL_SANDBOX_SELFTEST");
    expect_killed(&c, "socket");
    /* another role is left alone */
    setenv("VESSEL_SANDBOX_SELFTEST", "vcpu", 1);
    run_child(SANDBOX_IO, NULL, selftest_body, &c);
    unsetenv("VESSEL_SANDBOX_SELFTEST");
    expect_exit0(&c);
}

static void test_selftest_env_bad_role(void **state)
{
    struct sandbox_config cfg = { .policy = vm_sandbox_policy,
                                  .ctx = &env_plain };
    char err[256] = "";
    pid_t pid;
    int st;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("VESSEL_SANDBOX_SELFTEST", "gpu", 1);
        _exit(sandbox_setup(&cfg, err, sizeof(err)) == -EINVAL &&
                      strstr(err, "'gpu' is not a thread role")
                  ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- the user drop ---- */

static pthread_mutex_t drop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t drop_cond = PTHREAD_COND_INITIALIZER;
static int drop_stage;   /* 1: helper filtered, 2: drop done, 3: checked */
static pid_t helper_tid;

static void *drop_helper(void *arg)
{
    (void)arg;
    sandbox_thread_enter(SANDBOX_BLK);
    pthread_mutex_lock(&drop_lock);
    helper_tid = (pid_t)syscall(SYS_gettid);
    drop_stage = 1;
    pthread_cond_broadcast(&drop_cond);
    while (drop_stage < 3)
        pthread_cond_wait(&drop_cond, &drop_lock);
    pthread_mutex_unlock(&drop_lock);
    return NULL;
}

/* The helper may not ask itself (getuid is not in its filter). */
static bool helper_dropped(void)
{
    char path[64], line[256];
    bool uid = false, gid = false;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)helper_tid);
    f = fopen(path, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        uid |= !strcmp(line, "Uid:\t65534\t65534\t65534\t65534\n");
        gid |= !strcmp(line, "Gid:\t65534\t65534\t65534\t65534\n");
    }
    fclose(f);
    return uid && gid;
}

/* Root only: a thread filtered before the drop follows it (glibc runs
 * set*id in every thread), and root cannot come back. */
static int drop_body(void)
{
    char err[256] = "";
    pthread_t t;
    bool ok;

    if (pthread_create(&t, NULL, drop_helper, NULL) != 0)
        return 30;
    pthread_mutex_lock(&drop_lock);
    while (drop_stage < 1)
        pthread_cond_wait(&drop_cond, &drop_lock);
    pthread_mutex_unlock(&drop_lock);
    if (sandbox_drop_user(err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 31;
    }
    ok = helper_dropped();
    pthread_mutex_lock(&drop_lock);
    drop_stage = 3;
    pthread_cond_broadcast(&drop_cond);
    pthread_mutex_unlock(&drop_lock);
    pthread_join(t, NULL);
    if (!ok)
        return 32;
    return getuid() == 65534 && geteuid() == 65534 && setuid(0) < 0 ? 0 : 33;
}

static void test_user_drop_reaches_filtered_threads(void **state)
{
    struct sandbox_config cfg = { .policy = vm_sandbox_policy,
                                  .ctx = &env_plain, .drop_user = true,
                                  .uid = 65534, .gid = 65534 };
    struct child c;

    (void)state;
    if (geteuid() != 0)
        skip();
    /* The main thread stays unfiltered until the drop is done: the
     * process enters no role here (MAIN is entered last in real runs). */
    run_child((enum sandbox_role)SANDBOX__ROLES, &cfg, drop_body, &c);
    expect_exit0(&c);
}

static void test_parse_user(void **state)
{
    char err[256];
    uid_t u;
    gid_t g;

    (void)state;
    assert_int_equal(sandbox_parse_user("root", &u, &g, err, sizeof(err)), 0);
    assert_true(u == 0 && g == 0);
    assert_int_equal(sandbox_parse_user("1234:56", &u, &g, err, sizeof(err)), 0);
    assert_true(u == 1234 && g == 56);
    assert_int_equal(sandbox_parse_user("0:root", &u, &g, err, sizeof(err)), 0);
    assert_true(u == 0 && g == 0);
    assert_int_equal(sandbox_parse_user("4321", &u, &g, err, sizeof(err)), 0);
    assert_true(u == 4321 && g == 4321);   /* no passwd entry: gid = uid */
    assert_int_equal(sandbox_parse_user("no-such-user-h4", &u, &g, err,
                                        sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "no user 'no-such-user-h4'"));
    assert_int_equal(sandbox_parse_user("0:no-such-group-h4", &u, &g, err,
                                        sizeof(err)), -ENOENT);
    assert_int_equal(sandbox_parse_user(":0", &u, &g, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(sandbox_parse_user("4294967295", &u, &g, err,
                                        sizeof(err)), -ENOENT);
}

static void test_close_stray_fds(void **state)
{
    pid_t pid;
    int st;

    (void)state;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int a = open("/dev/null", O_RDONLY);
        int b = dup2(a, 200);

        close(STDIN_FILENO);
        if (a < 3 || b != 200 || sandbox_close_stray_fds() < 0)
            _exit(1);
        if (fcntl(a, F_GETFD) >= 0 || fcntl(b, F_GETFD) >= 0)
            _exit(2);   /* still open */
        _exit(fcntl(STDIN_FILENO, F_GETFD) >= 0 &&
                      fcntl(STDERR_FILENO, F_GETFD) >= 0 ? 0 : 3);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_role_builds),
        cmocka_unit_test(test_user_net_widens_only_its_threads),
        cmocka_unit_test(test_bad_role_and_rule_refused),
        cmocka_unit_test(test_vcpu_allowed_calls_pass),
        cmocka_unit_test(test_vcpu_socket_kills),
        cmocka_unit_test(test_vcpu_execve_kills),
        cmocka_unit_test(test_vcpu_open_kills),
        cmocka_unit_test(test_vcpu_forbidden_ioctl_kills),
        cmocka_unit_test(test_exec_mapping_kills),
        cmocka_unit_test(test_tgkill_other_process_kills),
        cmocka_unit_test(test_blk_socket_kills_even_with_user_net),
        cmocka_unit_test(test_selftest_env_kills),
        cmocka_unit_test(test_selftest_env_bad_role),
        cmocka_unit_test(test_user_drop_reaches_filtered_threads),
        cmocka_unit_test(test_parse_user),
        cmocka_unit_test(test_close_stray_fds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
