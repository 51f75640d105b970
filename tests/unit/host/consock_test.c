/* The console socket: history ring, replay then live output, one client,
 * slow clients, input back-pressure, stop. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <seccomp.h>

#include "host/consock.h"
#include "host/evloop.h"

#define H CONSOCK_HISTORY
#define REFUSED "vessel: console vm1 is attached elsewhere\r\n"

/* What the guest side took; the callback runs on the loop thread. */
struct fake_in {
    pthread_mutex_t lock;
    uint8_t got[4096];
    size_t len;
    unsigned calls;
    unsigned refuse_first;  /* calls that take nothing */
    size_t max_take;        /* bytes taken per call after those (0: all) */
};

static size_t fake_input(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake_in *f = ctx;
    size_t take = 0;

    pthread_mutex_lock(&f->lock);
    if (f->calls++ >= f->refuse_first) {
        take = f->max_take && len > f->max_take ? f->max_take : len;
        if (take > sizeof(f->got) - f->len)
            take = sizeof(f->got) - f->len;
        memcpy(f->got + f->len, buf, take);
        f->len += take;
    }
    pthread_mutex_unlock(&f->lock);
    return take;
}

struct fix {
    char dir[64];
    char path[128];
    struct evloop *io;
    struct consock *c;
    struct fake_in in;
};

static int setup(void **state)
{
    struct fix *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    pthread_mutex_init(&f->in.lock, NULL);
    snprintf(f->dir, sizeof(f->dir), "/tmp/consock.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/console.sock", f->dir);
    assert_int_equal(evloop_create(&f->io), 0);
    assert_int_equal(consock_start(&f->c, f->io, f->path, "vm1", fake_input,
                                   &f->in), 0);
    assert_int_equal(evloop_start(f->io), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fix *f = *state;

    evloop_stop(f->io);
    consock_stop(f->c);
    evloop_destroy(f->io);
    rmdir(f->dir);
    pthread_mutex_destroy(&f->in.lock);
    free(f);
    return 0;
}

static void out(struct fix *f, const void *buf, size_t len)
{
    assert_int_equal(consock_chr_ops.write(f->c, buf, len), len);
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Read up to (len) bytes, waiting at most (ms) for each; returns how many
 * came before the wait ran out or EOF. */
static size_t recv_some(int fd, void *buf, size_t len, int ms)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, ms) <= 0)
            break;
        n = read(fd, (char *)buf + got, len - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    return got;
}

static void expect_recv(int fd, const char *want)
{
    char buf[256] = { 0 };
    size_t len = strlen(want);

    assert_true(len < sizeof(buf));
    assert_int_equal(recv_some(fd, buf, len, 2000), len);
    assert_memory_equal(buf, want, len);
}

static bool is_eof(int fd, int ms)
{
    char b;
    struct pollfd p = { .fd = fd, .events = POLLIN };

    return poll(&p, 1, ms) == 1 && read(fd, &b, 1) == 0;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Attach, retrying while the server still has the last client (its
 * hang-up is handled on the loop, a moment after close()). */
static int attach(struct fix *f)
{
    for (int i = 0; i < 200; i++) {
        int fd = connect_to(f->path);
        char buf[sizeof(REFUSED)];
        struct pollfd p = { .fd = fd, .events = POLLIN };

        /* Peek: what an accepted client got is the caller's to read. */
        if (poll(&p, 1, 50) == 1 &&
            recv(fd, buf, sizeof(buf), MSG_PEEK) == sizeof(REFUSED) - 1 &&
            !memcmp(buf, REFUSED, sizeof(REFUSED) - 1)) {
            close(fd);
            sleep_ms(10);
            continue;
        }
        return fd;
    }
    fail_msg("the server never let go of its client");
    return -1;
}

static void wait_attaches(struct fix *f, uint64_t want)
{
    struct consock_stats st;

    for (int i = 0; i < 2000; i++) {
        consock_get_stats(f->c, &st);
        if (st.attaches >= want)
            return;
        sleep_ms(1);
    }
    fail_msg("the client was never attached");
}

static uint8_t pattern(uint64_t i)
{
    return (uint8_t)(i * 7 + i / 251);
}

static void test_history_wraps(void **state)
{
    struct fix *f = *state;
    static uint8_t buf[H + 1000], got[H];
    const uint64_t n = H + 1000;

    for (uint64_t i = 0; i < n; i++)
        buf[i] = pattern(i);
    out(f, "lost", 4);
    for (uint64_t i = 0; i < n; i += 777)       /* odd-sized pieces */
        out(f, buf + i, (size_t)(n - i < 777 ? n - i : 777));
    assert_int_equal(consock_history(f->c, got, H), H);
    assert_memory_equal(got, buf + 1000, H);     /* the newest H, in order */
    assert_int_equal(consock_history(f->c, got, 10), 10);
    assert_memory_equal(got, buf + n - 10, 10);   /* short buffer: newest */
}

static void test_one_huge_write_keeps_its_tail(void **state)
{
    struct fix *f = *state;
    static uint8_t buf[3 * H + 5], got[H];
    struct consock_stats st;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = pattern(i);
    out(f, "ab", 2);
    out(f, buf, sizeof(buf));
    assert_int_equal(consock_history(f->c, got, H), H);
    assert_memory_equal(got, buf + sizeof(buf) - H, H);
    consock_get_stats(f->c, &st);
    assert_int_equal(st.out_bytes, sizeof(buf) + 2);
}

static void test_short_history_is_all_of_it(void **state)
{
    struct fix *f = *state;
    uint8_t got[64];

    assert_int_equal(consock_history(f->c, got, sizeof(got)), 0);
    out(f, "boot\r\n", 6);
    assert_int_equal(consock_history(f->c, got, sizeof(got)), 6);
    assert_memory_equal(got, "boot\r\n", 6);
}

static void test_replay_then_live(void **state)
{
    struct fix *f = *state;
    struct consock_stats st;
    int fd;

    out(f, "early ", 6);
    out(f, "output ", 7);
    fd = connect_to(f->path);
    expect_recv(fd, "early output ");
    out(f, "live", 4);
    expect_recv(fd, "live");
    consock_get_stats(f->c, &st);
    assert_int_equal(st.attaches, 1);
    assert_int_equal(st.client_dropped, 0);
    close(fd);
}

static void test_replay_after_wrap_is_oldest_first(void **state)
{
    struct fix *f = *state;
    static uint8_t buf[2 * H + 123], got[H];
    int fd;

    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = pattern(i);
    out(f, buf, sizeof(buf));
    fd = connect_to(f->path);
    assert_int_equal(recv_some(fd, got, H, 2000), H);
    assert_memory_equal(got, buf + sizeof(buf) - H, H);
    out(f, "next", 4);
    expect_recv(fd, "next");
    close(fd);
}

#define SLOW_TOTAL (16 * MiB)

/* A vCPU thread in its sandbox: the calls that are the loop's fail. */
static void *slow_writer(void *arg)
{
    static uint8_t chunk[4096];
    scmp_filter_ctx sc = seccomp_init(SCMP_ACT_ALLOW);
    static const int loop_only[] = { SCMP_SYS(epoll_ctl), SCMP_SYS(accept4),
                                     SCMP_SYS(close), SCMP_SYS(read) };
    struct fix *f = arg;

    assert_non_null(sc);
    for (size_t i = 0; i < ARRAY_SIZE(loop_only); i++)
        assert_int_equal(seccomp_rule_add(sc, SCMP_ACT_ERRNO(EPERM),
                                          loop_only[i], 0), 0);
    assert_int_equal(seccomp_load(sc), 0);   /* this thread only */
    seccomp_release(sc);
    for (uint64_t i = 0; i < SLOW_TOTAL; i += sizeof(chunk)) {
        for (size_t j = 0; j < sizeof(chunk); j++)
            chunk[j] = pattern(i + j);
        out(f, chunk, sizeof(chunk));
    }
    return NULL;
}

/* Output while the client reads nothing: every write returns at once,
 * what the client misses is counted, and once it reads it gets the rest
 * in order with nothing twice: received + dropped == written. The writer
 * makes no call that is the loop's (a vCPU's sandbox forbids them). */
static void test_slow_client_never_blocks(void **state)
{
    struct fix *f = *state;
    static uint8_t rbuf[65536];
    uint8_t tail[16] = { 0 };
    const uint64_t total = SLOW_TOTAL;
    struct consock_stats st;
    uint64_t got = 0;
    int fd = connect_to(f->path);
    time_t t0 = time(NULL);
    pthread_t t;

    wait_attaches(f, 1);
    assert_int_equal(pthread_create(&t, NULL, slow_writer, f), 0);
    pthread_join(t, NULL);
    assert_true(time(NULL) - t0 < 20);
    consock_get_stats(f->c, &st);
    assert_int_equal(st.out_bytes, total);
    assert_true(st.client_dropped > 0);
    assert_true(st.client_dropped < total);
    for (size_t n; (n = recv_some(fd, rbuf, sizeof(rbuf), 300)) > 0;) {
        got += n;
        if (n >= sizeof(tail)) {
            memcpy(tail, rbuf + n - sizeof(tail), sizeof(tail));
        } else {
            memmove(tail, tail + n, sizeof(tail) - n);
            memcpy(tail + sizeof(tail) - n, rbuf, n);
        }
    }
    consock_get_stats(f->c, &st);
    assert_int_equal(got + st.client_dropped, total);
    for (size_t j = 0; j < sizeof(tail); j++)   /* it caught up */
        assert_int_equal(tail[j], pattern(total - sizeof(tail) + j));
    close(fd);
}

static void test_second_client_refused(void **state)
{
    struct fix *f = *state;
    struct consock_stats st;
    int a = connect_to(f->path), b;

    out(f, "x", 1);
    expect_recv(a, "x");
    b = connect_to(f->path);
    expect_recv(b, REFUSED);
    assert_true(is_eof(b, 2000));
    close(b);
    out(f, "y", 1);
    expect_recv(a, "y");   /* the first one is untouched */
    consock_get_stats(f->c, &st);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.attaches, 1);
    close(a);
}

static void wait_input(struct fake_in *in, size_t want)
{
    for (int i = 0; i < 2000; i++) {
        size_t len;

        pthread_mutex_lock(&in->lock);
        len = in->len;
        pthread_mutex_unlock(&in->lock);
        if (len >= want)
            return;
        sleep_ms(1);
    }
}

static void wait_calls(struct fake_in *in, unsigned want)
{
    for (int i = 0; i < 2000; i++) {
        unsigned calls;

        pthread_mutex_lock(&in->lock);
        calls = in->calls;
        pthread_mutex_unlock(&in->lock);
        if (calls >= want)
            return;
        sleep_ms(1);
    }
}

static void test_input_back_pressure(void **state)
{
    struct fix *f = *state;
    struct consock_stats st;
    const char *msg = "hello, guest";
    int fd;

    f->in.refuse_first = 20;    /* the guest's FIFO is full for a while */
    f->in.max_take = 3;         /* then takes a little at a time */
    fd = connect_to(f->path);
    assert_int_equal(write(fd, msg, strlen(msg)), (ssize_t)strlen(msg));
    wait_input(&f->in, strlen(msg));
    pthread_mutex_lock(&f->in.lock);
    assert_int_equal(f->in.len, strlen(msg));
    assert_memory_equal(f->in.got, msg, strlen(msg));
    assert_true(f->in.calls >= 20 + 4);   /* retried on the timer */
    pthread_mutex_unlock(&f->in.lock);
    consock_get_stats(f->c, &st);
    assert_int_equal(st.in_bytes, strlen(msg));
    /* Reading resumes once the backlog is gone. */
    assert_int_equal(write(fd, "!", 1), 1);
    wait_input(&f->in, strlen(msg) + 1);
    assert_int_equal(f->in.got[strlen(msg)], '!');
    close(fd);
}

/* While the guest takes nothing, the socket is not read: at most one
 * buffer's worth is held, the rest stays in the client's socket. */
static void test_input_not_read_while_pending(void **state)
{
    struct fix *f = *state;
    static uint8_t big[256 * 1024];
    struct consock_stats st;
    ssize_t sent = 0, n;
    int fd;

    f->in.refuse_first = ~0u;
    fd = connect_to(f->path);
    memset(big, 'k', sizeof(big));
    while ((n = send(fd, big + sent, sizeof(big) - (size_t)sent,
                     MSG_DONTWAIT)) > 0)
        sent += n;
    assert_true(sent < (ssize_t)sizeof(big));   /* back-pressure reached us */
    sleep_ms(50);
    consock_get_stats(f->c, &st);
    assert_int_equal(st.in_bytes, 0);
    close(fd);
}

/* Input the guest has not taken survives the client's hang-up (and what
 * the client sent after it, unread, does not overwrite it). */
static void test_pending_input_outlives_client(void **state)
{
    struct fix *f = *state;
    int fd;

    f->in.refuse_first = ~0u;
    fd = connect_to(f->path);
    assert_int_equal(write(fd, "abc", 3), 3);
    wait_calls(&f->in, 1);          /* offered and refused: pending */
    assert_int_equal(write(fd, "def", 3), 3);
    close(fd);
    sleep_ms(50);
    pthread_mutex_lock(&f->in.lock);
    f->in.refuse_first = 0;         /* the guest takes input again */
    pthread_mutex_unlock(&f->in.lock);
    wait_input(&f->in, 3);
    sleep_ms(20);
    pthread_mutex_lock(&f->in.lock);
    assert_int_equal(f->in.len, 3);
    assert_memory_equal(f->in.got, "abc", 3);
    pthread_mutex_unlock(&f->in.lock);
}

static void test_reattach_gets_history(void **state)
{
    struct fix *f = *state;
    struct consock_stats st;
    int fd = connect_to(f->path);

    out(f, "one ", 4);
    expect_recv(fd, "one ");
    close(fd);
    out(f, "two ", 4);          /* nobody attached: history only */
    fd = attach(f);
    expect_recv(fd, "one two ");
    out(f, "three", 5);
    expect_recv(fd, "three");
    consock_get_stats(f->c, &st);
    assert_int_equal(st.attaches, 2);
    close(fd);
}

static void test_half_closed_client_still_gets_output(void **state)
{
    struct fix *f = *state;
    int fd = connect_to(f->path);

    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    sleep_ms(50);               /* the server has seen the EOF */
    out(f, "still here", 10);
    expect_recv(fd, "still here");
    close(fd);
}

static void test_stop_with_client_attached(void **state)
{
    struct fix *f = *state;
    struct stat st;
    int fd = connect_to(f->path);

    out(f, "bye", 3);
    expect_recv(fd, "bye");
    evloop_stop(f->io);
    consock_stop(f->c);
    f->c = NULL;
    assert_true(is_eof(fd, 2000));
    assert_int_equal(stat(f->path, &st), -1);   /* the socket file is gone */
    close(fd);
}

static void test_socket_is_private(void **state)
{
    struct fix *f = *state;
    struct stat st;

    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_start_errors(void **state)
{
    struct fix *f = *state;
    struct consock *c2 = NULL;
    char longp[200];
    struct stat st;

    assert_int_equal(consock_start(&c2, f->io, f->path, "vm1", fake_input,
                                   &f->in), -EADDRINUSE);
    assert_int_equal(stat(f->path, &st), 0);   /* the first one's is intact */
    memset(longp, 'a', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(consock_start(&c2, f->io, longp, "vm1", fake_input,
                                   &f->in), -ENAMETOOLONG);
}

/* Writers on two threads while clients come and go (run under ASan in
 * unit-san): no crash, nothing lost from the count. */
static void *writer(void *arg)
{
    struct fix *f = arg;
    uint8_t b[100];

    memset(b, 'w', sizeof(b));
    for (int i = 0; i < 20000; i++)
        out(f, b, 1 + (size_t)(i % 100));
    return NULL;
}

static void test_writers_while_clients_churn(void **state)
{
    struct fix *f = *state;
    struct consock_stats st;
    pthread_t t[2];
    uint64_t want = 0;
    char buf[4096];

    for (int i = 0; i < 20000; i++)
        want += 1 + (uint64_t)(i % 100);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, writer, f), 0);
    for (int i = 0; i < 30; i++) {
        int fd = connect_to(f->path);
        recv_some(fd, buf, sizeof(buf), 2);
        close(fd);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2000; i++) {   /* the last ones may still queue */
        consock_get_stats(f->c, &st);
        if (st.attaches + st.refused == 30)
            break;
        sleep_ms(1);
    }
    assert_int_equal(st.out_bytes, 2 * want);
    assert_int_equal(st.attaches + st.refused, 30);
}

static long cpu_ms(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000L +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000L;
}

/* Out of descriptors (RELIABILITY (b) 19): a queued connection the loop
 * cannot accept must not make it spin; once fds are back it is served. */
static void test_b19_out_of_fds_no_spin(void **state)
{
    struct fix *f = *state;
    struct rlimit old, low;
    char buf[8];
    long before;
    int fd, probe;

    out(f, "hist", 4);
    fd = connect_to(f->path);          /* queued; the loop needs an fd */
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
    probe = dup(0);                    /* the lowest free fd number */
    assert_true(probe >= 0);
    close(probe);
    low = old;
    low.rlim_cur = (rlim_t)probe;      /* no new fd can be made */
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    before = cpu_ms();
    usleep(500 * 1000);
    /* A spinning loop burns ~500 ms here; paused, a retry every 100 ms. */
    assert_true(cpu_ms() - before < 150);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
    assert_int_equal(recv_some(fd, buf, 4, 2000), 4);
    assert_memory_equal(buf, "hist", 4);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_history_wraps),
        T(test_one_huge_write_keeps_its_tail),
        T(test_short_history_is_all_of_it),
        T(test_replay_then_live),
        T(test_replay_after_wrap_is_oldest_first),
        T(test_slow_client_never_blocks),
        T(test_second_client_refused),
        T(test_input_back_pressure),
        T(test_input_not_read_while_pending),
        T(test_pending_input_outlives_client),
        T(test_reattach_gets_history),
        T(test_half_closed_client_still_gets_output),
        T(test_stop_with_client_attached),
        T(test_socket_is_private),
        T(test_start_errors),
        T(test_writers_while_clients_churn),
        T(test_b19_out_of_fds_no_spin),
#undef T
    };

    alarm(120);   /* a hang fails the run instead of stalling it */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
