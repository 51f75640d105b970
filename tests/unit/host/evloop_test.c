/* The I/O event loop: handlers run on its thread; stop joins it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/evloop.h"

struct hit {
    int fd;
    unsigned calls;
    uint64_t total;
};

static void on_ready(void *ctx, uint32_t events)
{
    struct hit *h = ctx;
    uint64_t v = evloop_eventfd_drain(h->fd);

    (void)events;
    __atomic_add_fetch(&h->total, v, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&h->calls, 1, __ATOMIC_SEQ_CST);
}

static void wait_for(const uint64_t *v, uint64_t want)
{
    struct timespec ts = { 0, 1000000 };

    for (int i = 0; i < 5000 && __atomic_load_n(v, __ATOMIC_SEQ_CST) < want; i++)
        nanosleep(&ts, NULL);
}

static void test_handler_runs_and_stop_joins(void **state)
{
    struct evloop *l;
    struct hit a = { 0 }, b = { 0 };
    uint64_t three = 3, five = 5;
    (void)state;

    assert_int_equal(evloop_create(&l), 0);
    a.fd = evloop_eventfd();
    b.fd = evloop_eventfd();
    assert_true(a.fd >= 0 && b.fd >= 0);
    assert_int_equal(evloop_add(l, a.fd, EPOLLIN, on_ready, &a), 0);
    assert_int_equal(evloop_add(l, b.fd, EPOLLIN, on_ready, &b), 0);
    assert_int_equal(evloop_start(l), 0);
    assert_int_equal(write(a.fd, &three, 8), 8);
    assert_int_equal(write(b.fd, &five, 8), 8);
    wait_for(&a.total, 3);
    wait_for(&b.total, 5);
    assert_int_equal(a.total, 3);
    assert_int_equal(b.total, 5);
    assert_int_equal(evloop_del(l, a.fd), 0);
    assert_int_equal(evloop_del(l, a.fd), -ENOENT);
    evloop_stop(l);
    evloop_destroy(l);
    close(a.fd);
    close(b.fd);
}

static void test_mod_switches_events(void **state)
{
    struct evloop *l;
    struct hit h = { 0 };
    struct timespec ms50 = { 0, 50000000 };
    uint64_t one = 1;
    (void)state;

    assert_int_equal(evloop_create(&l), 0);
    h.fd = evloop_eventfd();
    assert_int_equal(evloop_add(l, h.fd, EPOLLIN, on_ready, &h), 0);
    assert_int_equal(evloop_mod(l, h.fd, 0), 0);      /* nothing wanted */
    assert_int_equal(evloop_start(l), 0);
    assert_int_equal(write(h.fd, &one, 8), 8);
    nanosleep(&ms50, NULL);
    assert_int_equal(__atomic_load_n(&h.calls, __ATOMIC_SEQ_CST), 0);
    assert_int_equal(evloop_mod(l, h.fd, EPOLLIN), 0);
    wait_for(&h.total, 1);
    assert_int_equal(h.total, 1);
    assert_int_equal(evloop_mod(l, h.fd + 1000, EPOLLIN), -ENOENT);
    assert_int_equal(evloop_mod(l, -1, EPOLLIN), -ENOENT);
    evloop_destroy(l);
    close(h.fd);
}

static void test_table_full(void **state)
{
    struct evloop *l;
    int fds[EVLOOP_MAX_FDS + 1];
    struct hit h = { 0 };
    (void)state;

    assert_int_equal(evloop_create(&l), 0);
    for (unsigned i = 0; i < EVLOOP_MAX_FDS; i++) {
        fds[i] = evloop_eventfd();
        assert_int_equal(evloop_add(l, fds[i], EPOLLIN, on_ready, &h), 0);
    }
    fds[EVLOOP_MAX_FDS] = evloop_eventfd();
    assert_int_equal(evloop_add(l, fds[EVLOOP_MAX_FDS], EPOLLIN, on_ready, &h),
                     -ENOSPC);
    evloop_destroy(l);   /* never started: destroy must still be safe */
    for (unsigned i = 0; i <= EVLOOP_MAX_FDS; i++)
        close(fds[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handler_runs_and_stop_joins),
        cmocka_unit_test(test_mod_switches_events),
        cmocka_unit_test(test_table_full),
    };
    return cmocka_run_group_tests_name("host/evloop", tests, NULL, NULL);
}
