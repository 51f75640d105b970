/* vessel console and vessel logs against a real console socket
 * (host/consock.c) and a tiny fake control API, in a private runtime
 * directory (VESSEL_RUNTIME_DIR). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/rundir.h"
#include "cli/cli.h"
#include "cli/console.h"
#include "host/consock.h"
#include "host/evloop.h"

static char base[64];

/* ---- a VM: the name claimed here, a console socket on a loop ---- */

struct vm {
    struct rundir rd;
    struct evloop *io;
    struct consock *c;
    pthread_mutex_t lock;
    char got[1024];             /* console input the guest took */
    size_t len;
};

static size_t take_input(void *ctx, const uint8_t *buf, size_t len)
{
    struct vm *v = ctx;

    pthread_mutex_lock(&v->lock);
    if (len > sizeof(v->got) - 1 - v->len)
        len = sizeof(v->got) - 1 - v->len;
    memcpy(v->got + v->len, buf, len);
    v->len += len;
    pthread_mutex_unlock(&v->lock);
    return len;
}

static void vm_start(struct vm *v, bool console)
{
    char path[RUNDIR_PATH_MAX];

    memset(v, 0, sizeof(*v));
    pthread_mutex_init(&v->lock, NULL);
    assert_int_equal(rundir_claim(&v->rd, base, "vm1"), 0);
    if (!console)
        return;
    assert_int_equal(rundir_path(path, sizeof(path), base, "vm1",
                                 RUNDIR_CONSOLE_SOCK), 0);
    assert_int_equal(evloop_create(&v->io), 0);
    assert_int_equal(consock_start(&v->c, v->io, path, "vm1", take_input, v),
                     0);
    assert_int_equal(evloop_start(v->io), 0);
}

static void vm_print(struct vm *v, const char *s)
{
    consock_chr_ops.write(v->c, (const uint8_t *)s, strlen(s));
}

/* The console socket closes: what a client sees when the VM ends. */
static void vm_end_console(struct vm *v)
{
    if (v->io) {
        evloop_stop(v->io);
        consock_stop(v->c);
        evloop_destroy(v->io);
        v->io = NULL;
    }
}

static void vm_end(struct vm *v)
{
    vm_end_console(v);
    rundir_release(&v->rd);
    pthread_mutex_destroy(&v->lock);
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* What the guest got, once (want) bytes have come (or 2 s passed). */
static const char *vm_input(struct vm *v, size_t want)
{
    for (int i = 0; i < 2000; i++) {
        size_t len;

        pthread_mutex_lock(&v->lock);
        len = v->len;
        pthread_mutex_unlock(&v->lock);
        if (len >= want)
            break;
        sleep_ms(1);
    }
    return v->got;
}

/* ---- running a command with fds 0, 1 and 2 redirected ---- */

struct run {
    const char *in;             /* stdin's bytes (then EOF) */
    char out[8192], err[2048];
    size_t out_len;
    int status;
};

static int tmpfile_fd(void)
{
    FILE *f = tmpfile();
    int fd;

    assert_non_null(f);
    fd = dup(fileno(f));
    fclose(f);
    return fd;
}

static size_t slurp(int fd, char *buf, size_t cap)
{
    ssize_t n;

    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    n = read(fd, buf, cap - 1);
    assert_true(n >= 0);
    buf[n] = '\0';
    close(fd);
    return (size_t)n;
}

static void run_cmd(struct run *r, int (*fn)(int, char **), ...)
{
    char *argv[8];
    int argc = 0, fds[3], saved[3];
    va_list ap;

    va_start(ap, fn);
    while (argc < 7 && (argv[argc] = va_arg(ap, char *)))
        argc++;
    va_end(ap);
    argv[argc] = NULL;
    for (int i = 0; i < 3; i++)
        fds[i] = tmpfile_fd();
    if (r->in)
        assert_int_equal(write(fds[0], r->in, strlen(r->in)),
                         (ssize_t)strlen(r->in));
    assert_int_equal(lseek(fds[0], 0, SEEK_SET), 0);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 3; i++) {
        saved[i] = dup(i);
        dup2(fds[i], i);
    }
    r->status = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    for (int i = 0; i < 3; i++) {
        dup2(saved[i], i);
        close(saved[i]);
    }
    close(fds[0]);
    r->out_len = slurp(fds[1], r->out, sizeof(r->out));
    slurp(fds[2], r->err, sizeof(r->err));
}

/* ---- a fake control API: one canned answer to one request ---- */

struct api_fake {
    int fd;
    const char *answer;
    size_t answer_len;
    char request[256];
    pthread_t t;
};

static void *api_serve(void *arg)
{
    struct api_fake *a = arg;
    int c = accept(a->fd, NULL, NULL);
    char buf[4096];
    size_t len = 0;
    ssize_t n;

    if (c < 0)
        return NULL;
    while (len < sizeof(buf) - 1 &&
           (n = read(c, buf + len, sizeof(buf) - 1 - len)) > 0) {
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    snprintf(a->request, sizeof(a->request), "%.*s",
             (int)strcspn(buf, "\r"), buf);
    if (write(c, a->answer, a->answer_len) < 0)
        a->request[0] = '!';
    close(c);
    return NULL;
}

static void api_start(struct api_fake *a, const char *answer, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };

    assert_int_equal(rundir_path(sa.sun_path, sizeof(sa.sun_path), base,
                                 "vm1", RUNDIR_API_SOCK), 0);
    a->answer = answer;
    a->answer_len = len;
    a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_int_equal(bind(a->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(a->fd, 4), 0);
    assert_int_equal(pthread_create(&a->t, NULL, api_serve, a), 0);
}

static void api_stop(struct api_fake *a)
{
    pthread_join(a->t, NULL);
    close(a->fd);
}

/* ---- fixtures ---- */

static int setup(void **state)
{
    (void)state;
    snprintf(base, sizeof(base), "/tmp/vcon.XXXXXX");
    assert_non_null(mkdtemp(base));
    setenv("VESSEL_RUNTIME_DIR", base, 1);
    console_drain_ms = 100;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(base);
    return 0;
}

/* ---- arguments ---- */

static void test_help(void **state)
{
    struct run r = { 0 };
    (void)state;

    run_cmd(&r, cmd_console, "console", "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: vessel console NAME"));
    run_cmd(&r, cmd_logs, "logs", "-h", NULL);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: vessel logs [-f] NAME"));
}

static void test_argument_errors(void **state)
{
    struct run r = { 0 };
    (void)state;

    run_cmd(&r, cmd_console, "console", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "console needs the name of a VM"));
    run_cmd(&r, cmd_console, "console", "a", "b", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "unexpected argument 'b'"));
    run_cmd(&r, cmd_console, "console", "-f", "a", NULL);   /* logs only */
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "unknown option '-f'"));
    run_cmd(&r, cmd_logs, "logs", "--tail", "a", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "unknown option '--tail'"));
    run_cmd(&r, cmd_logs, "logs", "../etc", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "is not a VM name"));
}

static void test_no_such_vm(void **state)
{
    struct run r = { 0 };
    (void)state;

    run_cmd(&r, cmd_console, "console", "ghost", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "vessel: no VM called ghost is running\n");
    run_cmd(&r, cmd_logs, "logs", "ghost", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "vessel: no VM called ghost is running\n");
    run_cmd(&r, cmd_logs, "logs", "-f", "ghost", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "vessel: no VM called ghost is running\n");
}

static void test_vm_without_console_socket(void **state)
{
    struct vm v;
    struct run r = { 0 };
    (void)state;

    vm_start(&v, false);
    run_cmd(&r, cmd_console, "console", "vm1", NULL);
    assert_int_equal(r.status, 1);
    assert_non_null(strstr(r.err, "vm1 has no console socket"));
    vm_end(&v);
}

/* ---- vessel console ---- */

/* stdin from a file: its bytes go to the guest, its end detaches once
 * the output is quiet; the history comes first. */
static void test_console_piped_input(void **state)
{
    struct vm v;
    struct run r = { .in = "ls /\n" };
    (void)state;

    vm_start(&v, true);
    vm_print(&v, "boot ok\r\n# ");
    console_drain_ms = 1000;        /* the default: room for a slow host */
    run_cmd(&r, cmd_console, "console", "vm1", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.out, "boot ok\r\n# ");
    assert_string_equal(vm_input(&v, 5), "ls /\n");
    assert_non_null(strstr(r.err, "[detached from vm1]"));
    vm_end(&v);
}

/* console_copy on pipes, in a thread; the test plays the user. */
struct copier {
    int in[2], out[2];
    struct console_io io;
    pthread_t t;
    int rc;
};

static void *copy_thread(void *arg)
{
    struct copier *k = arg;

    k->rc = console_copy(&k->io);
    close(k->io.sock);
    close(k->out[1]);
    return NULL;
}

static int connect_console(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_int_equal(rundir_path(sa.sun_path, sizeof(sa.sun_path), base,
                                 "vm1", RUNDIR_CONSOLE_SOCK), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void copier_start(struct copier *k, bool keys)
{
    assert_int_equal(pipe2(k->in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(k->out, O_CLOEXEC), 0);
    k->io = (struct console_io){ .sock = connect_console(),
                                 .in = keys ? k->in[0] : -1,
                                 .out = k->out[1], .name = "vm1" };
    assert_int_equal(pthread_create(&k->t, NULL, copy_thread, k), 0);
}

/* Everything the copier wrote, once it has finished. */
static size_t copier_join(struct copier *k, char *buf, size_t cap)
{
    size_t len = 0;
    ssize_t n;

    for (;;) {
        struct pollfd p = { .fd = k->out[0], .events = POLLIN };

        if (poll(&p, 1, 10000) != 1)
            fail_msg("the copy loop did not end");
        n = read(k->out[0], buf + len, cap - 1 - len);
        if (n <= 0 || (len += (size_t)n) == cap - 1)
            break;
    }
    buf[len] = '\0';
    pthread_join(k->t, NULL);
    close(k->in[0]);
    close(k->in[1]);
    close(k->out[0]);
    return len;
}

static void keys(struct copier *k, const char *s)
{
    assert_int_equal(write(k->in[1], s, strlen(s)), (ssize_t)strlen(s));
}

static void test_detach_key(void **state)
{
    struct vm v;
    struct copier k;
    char out[256];
    (void)state;

    vm_start(&v, true);
    vm_print(&v, "login: ");
    copier_start(&k, true);
    assert_int_equal(read(k.out[0], out, 7), 7);   /* attached */
    assert_memory_equal(out, "login: ", 7);
    keys(&k, "root\r\x1dnot this");
    copier_join(&k, out, sizeof(out));
    assert_int_equal(k.rc, CONSOLE_DETACHED);
    assert_string_equal(out, "");
    sleep_ms(50);
    assert_string_equal(vm_input(&v, 5), "root\r");   /* not after Ctrl-] */
    vm_end(&v);
}

static void test_ctrl_a_keys(void **state)
{
    struct vm v;
    struct copier k;
    char out[512];
    (void)state;

    vm_start(&v, true);
    copier_start(&k, true);
    keys(&k, "a\x01\x01" "b");      /* Ctrl-A Ctrl-A: one Ctrl-A */
    assert_string_equal(vm_input(&v, 3), "a\x01" "b");
    keys(&k, "\x01h");              /* help, to the user */
    sleep_ms(50);
    keys(&k, "c\x01" "dnot this");  /* Ctrl-A d detaches */
    copier_join(&k, out, sizeof(out));
    assert_int_equal(k.rc, CONSOLE_DETACHED);
    assert_non_null(strstr(out, "Ctrl-] or Ctrl-A d: detach"));
    sleep_ms(50);
    assert_string_equal(vm_input(&v, 4), "a\x01" "bc");
    vm_end(&v);
}

static void test_vm_ends_while_attached(void **state)
{
    struct vm v;
    struct copier k;
    char out[256];
    (void)state;

    vm_start(&v, true);
    vm_print(&v, "history ");
    copier_start(&k, true);
    sleep_ms(50);
    vm_print(&v, "live ");
    sleep_ms(50);
    vm_print(&v, "last");
    sleep_ms(50);
    vm_end_console(&v);           /* the user never typed or left */
    copier_join(&k, out, sizeof(out));
    assert_int_equal(k.rc, CONSOLE_ENDED);
    assert_string_equal(out, "history live last");
    vm_end(&v);
}

static void test_attached_elsewhere(void **state)
{
    struct vm v;
    struct copier k;
    struct run r = { .in = "" };
    struct consock_stats st;
    char out[256];
    int first;
    (void)state;

    vm_start(&v, true);
    first = connect_console();
    for (int i = 0; i < 2000 && (consock_get_stats(v.c, &st), !st.attaches);
         i++)
        sleep_ms(1);
    copier_start(&k, true);
    copier_join(&k, out, sizeof(out));
    assert_int_equal(k.rc, CONSOLE_REFUSED);
    assert_string_equal(out, "");   /* the refusal is not guest output */
    run_cmd(&r, cmd_console, "console", "vm1", NULL);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.err, "vessel: console vm1 is attached elsewhere "
                        "(one client at a time)\n");
    close(first);
    vm_end(&v);
}

/* Output that only looks like the refusal at first is output. */
static void test_refusal_lookalike_is_output(void **state)
{
    static const char line[] = "vessel: console vm1 is attached elsewhere\r\n";
    struct vm v;
    struct copier k;
    char out[256];
    (void)state;

    vm_start(&v, true);
    vm_print(&v, line);
    copier_start(&k, false);
    sleep_ms(100);
    vm_print(&v, "more");
    sleep_ms(50);
    vm_end_console(&v);
    copier_join(&k, out, sizeof(out));
    assert_int_equal(k.rc, CONSOLE_ENDED);
    assert_string_equal(out, "vessel: console vm1 is attached elsewhere\r\n"
                             "more");
    vm_end(&v);
}

/* ---- vessel logs ---- */

static void test_logs_prints_history(void **state)
{
    static const char answer[] =
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: 12\r\nConnection: close\r\n\r\n"
        "boot\r\n\0\xff" "ok\r\n";
    struct vm v;
    struct api_fake a;
    struct run r = { 0 };
    (void)state;

    vm_start(&v, false);
    api_start(&a, answer, sizeof(answer) - 1);
    run_cmd(&r, cmd_logs, "logs", "vm1", NULL);
    api_stop(&a);
    assert_int_equal(r.status, 0);
    assert_string_equal(a.request, "GET /console HTTP/1.1");
    assert_int_equal(r.out_len, 12);
    assert_memory_equal(r.out, "boot\r\n\0\xff" "ok\r\n", 12);   /* raw */
    assert_string_equal(r.err, "");
    vm_end(&v);
}

static void test_logs_refused(void **state)
{
    static const char answer[] =
        "HTTP/1.1 501 Not Implemented\r\nContent-Type: application/json\r\n"
        "Content-Length: 35\r\nConnection: close\r\n\r\n"
        "{\"error\": \"no console output kept\"}";
    struct vm v;
    struct api_fake a;
    struct run r = { 0 };
    (void)state;

    vm_start(&v, false);
    api_start(&a, answer, sizeof(answer) - 1);
    run_cmd(&r, cmd_logs, "logs", "vm1", NULL);
    api_stop(&a);
    assert_int_equal(r.status, 1);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "vessel: cannot read the console of vm1: no "
                        "console output kept\n");
    vm_end(&v);
}

struct logs_job {
    struct run r;
    pthread_t t;
};

static void *logs_follow(void *arg)
{
    struct logs_job *j = arg;

    run_cmd(&j->r, cmd_logs, "logs", "--follow", "vm1", NULL);
    return NULL;
}

/* -f: the history, then live output, until the VM ends; sends nothing. */
static void test_logs_follow(void **state)
{
    struct vm v;
    struct logs_job j = { .r = { 0 } };
    (void)state;

    vm_start(&v, true);
    vm_print(&v, "old ");
    assert_int_equal(pthread_create(&j.t, NULL, logs_follow, &j), 0);
    sleep_ms(100);
    vm_print(&v, "new");
    sleep_ms(50);
    vm_end_console(&v);
    pthread_join(j.t, NULL);
    assert_int_equal(j.r.status, 0);
    assert_string_equal(j.r.out, "old new");
    assert_int_equal(v.len, 0);
    vm_end(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_help),
        T(test_argument_errors),
        T(test_no_such_vm),
        T(test_vm_without_console_socket),
        T(test_console_piped_input),
        T(test_detach_key),
        T(test_ctrl_a_keys),
        T(test_vm_ends_while_attached),
        T(test_attached_elsewhere),
        T(test_refusal_lookalike_is_output),
        T(test_logs_prints_history),
        T(test_logs_refused),
        T(test_logs_follow),
#undef T
    };

    alarm(120);   /* a hang fails the run instead of stalling it */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
