/* Fake VMs in a private runtime directory, for tests/unit/cli/. */
#include "helpers/cli_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "helpers/tmpdir.h"

void cli_base_make(char base[64])
{
    tmpdir_make(base, 64, "cli");
    assert_int_equal(setenv("VESSEL_RUNTIME_DIR", base, 1), 0);
}

void cli_base_remove(const char *base)
{
    tmpdir_remove(base);
}

void cli_vm_start(struct cli_vm *v, const char *base, const char *name)
{
    char sock[RUNDIR_PATH_MAX];

    memset(v, 0, sizeof(*v));
    fake_vm_init(&v->f);
    assert_int_equal(rundir_claim(&v->rd, base, name), 0);
    assert_int_equal(rundir_path(sock, sizeof(sock), base, name,
                                 RUNDIR_API_SOCK), 0);
    assert_int_equal(api_server_start(&v->srv, &(struct api_server_config){
                         .sock_path = sock, .ops = &fake_vm_ops,
                         .ctx = &v->f }), 0);
}

void cli_vm_end(struct cli_vm *v)
{
    api_server_stop(v->srv);
    v->srv = NULL;
    rundir_release(&v->rd);
}

static void *ender(void *arg)
{
    struct cli_vm *v = arg;
    struct timespec ts = { 0, 5000000 };

    /* The fake counts on the API thread. */
    while (__atomic_load_n(&v->f.powers, __ATOMIC_SEQ_CST) == 0)
        nanosleep(&ts, NULL);
    ts = (struct timespec){ v->end_delay_ms / 1000,
                            (long)(v->end_delay_ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
    cli_vm_end(v);
    return NULL;
}

void cli_vm_end_on_power(struct cli_vm *v, unsigned delay_ms)
{
    v->end_delay_ms = delay_ms;
    assert_int_equal(pthread_create(&v->ender, NULL, ender, v), 0);
    v->ending = true;
}

void cli_vm_join(struct cli_vm *v)
{
    if (v->ending)
        assert_int_equal(pthread_join(v->ender, NULL), 0);
    v->ending = false;
}

void cli_die_holding(const char *base, const char *name)
{
    pid_t pid = fork();
    int st;

    assert_true(pid >= 0);
    if (pid == 0) {
        struct rundir rd;

        _exit(rundir_claim(&rd, base, name) == 0 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Point (fd) at a fresh temporary file; returns the old fd. */
static int redirect(int fd, char path[32])
{
    int saved = dup(fd), t;

    snprintf(path, 32, "/tmp/vessel-out-XXXXXX");
    t = mkstemp(path);
    assert_true(saved >= 0 && t >= 0);
    assert_int_equal(dup2(t, fd), fd);
    close(t);
    return saved;
}

static void restore(int fd, int saved, const char *path, char *buf,
                    size_t cap)
{
    FILE *f;
    size_t n;

    assert_int_equal(dup2(saved, fd), fd);
    close(saved);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(path);
}

void cli_run(struct cli_out *o, int (*fn)(int, char **), ...)
{
    char *argv[32], pout[32], perr[32];
    int argc = 0, sout, serr;
    va_list ap;
    const char *a;

    va_start(ap, fn);
    while ((a = va_arg(ap, const char *)) && argc < 31)
        argv[argc++] = strdup(a);
    va_end(ap);
    argv[argc] = NULL;
    fflush(stdout);
    fflush(stderr);
    sout = redirect(STDOUT_FILENO, pout);
    serr = redirect(STDERR_FILENO, perr);
    o->status = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    restore(STDOUT_FILENO, sout, pout, o->out, sizeof(o->out));
    restore(STDERR_FILENO, serr, perr, o->err, sizeof(o->err));
    for (int i = 0; i < argc; i++)
        free(argv[i]);
}
