/* vessel run --detach: the handshake lines and the fork's bounded wait. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/detach.h"

static size_t feed(struct detach_msg *m, const char *s)
{
    return detach_parse(m, s, strlen(s));
}

static void test_name_then_ok(void **state)
{
    struct detach_msg m = { 0 };
    (void)state;
    assert_int_equal(feed(&m, "name web\nok\n"), 12);
    assert_true(m.named);
    assert_string_equal(m.name, "web");
    assert_true(m.ok);
    assert_false(m.failed);
}

static void test_partial_line_waits(void **state)
{
    struct detach_msg m = { 0 };
    (void)state;
    assert_int_equal(feed(&m, "name we"), 0);
    assert_false(m.named);
    assert_int_equal(feed(&m, "name web\no"), 9);
    assert_true(m.named);
    assert_false(m.ok);
}

static void test_error_line(void **state)
{
    struct detach_msg m = { 0 };
    (void)state;
    feed(&m, "err a VM called web is already running (pid 7)\n");
    assert_true(m.failed);
    assert_string_equal(m.err, "a VM called web is already running (pid 7)");
}

static void test_garbage_and_overlong(void **state)
{
    struct detach_msg m = { 0 };
    char big[DETACH_LINE_MAX + 10];
    (void)state;
    feed(&m, "hello\n");
    assert_true(m.failed);
    assert_non_null(strstr(m.err, "unexpected"));
    memset(&m, 0, sizeof(m));
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(feed(&m, big), sizeof(big) - 1);
    assert_true(m.failed);
    memset(&m, 0, sizeof(m));
    feed(&m, "name \n");                /* empty name */
    assert_true(m.failed);
}

/* detach_say() writes one line, whatever the text holds. */
static void test_say_one_line(void **state)
{
    struct detach_msg m = { 0 };
    char buf[DETACH_LINE_MAX * 2];
    int p[2];
    ssize_t n;
    (void)state;
    assert_int_equal(pipe(p), 0);
    detach_say(p[1], "err", "two\nlines");
    n = read(p[0], buf, sizeof(buf));
    assert_int_equal(n, 14);
    assert_int_equal(detach_parse(&m, buf, (size_t)n), 14);
    assert_string_equal(m.err, "two lines");
    close(p[0]);
    close(p[1]);
}

/* The parent's side with real children: ok, an error, silence (a
 * timeout) and a child that dies without a word. */
static int fork_and(void (*child)(int fd), unsigned wait_ms, int *status)
{
    int fd = -1;
    int rc = detach_fork(&fd, status, wait_ms);

    if (rc == 0) {
        child(fd);
        _exit(0);
    }
    return rc;
}

static void child_ok(int fd)
{
    detach_say(fd, "name", "vm-1");
    if (write(fd, "ok\n", 3) < 0)
        _exit(3);
    sleep(1);
}

static void child_err(int fd)
{
    detach_say(fd, "err", "no kernel");
}

static void child_silent(int fd)
{
    (void)fd;
    sleep(5);
}

static void child_dies(int fd)
{
    (void)fd;
    _exit(9);
}

static void test_fork_outcomes(void **state)
{
    int status = -1;
    (void)state;
    assert_int_equal(fork_and(child_ok, 5000, &status), 1);
    assert_int_equal(status, 0);
    assert_int_equal(fork_and(child_err, 5000, &status), 1);
    assert_int_equal(status, 1);
    assert_int_equal(fork_and(child_silent, 100, &status), 1);
    assert_int_equal(status, 1);
    assert_int_equal(fork_and(child_dies, 5000, &status), 1);
    assert_int_equal(status, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_then_ok),
        cmocka_unit_test(test_partial_line_waits),
        cmocka_unit_test(test_error_line),
        cmocka_unit_test(test_garbage_and_overlong),
        cmocka_unit_test(test_say_one_line),
        cmocka_unit_test(test_fork_outcomes),
    };
    return cmocka_run_group_tests_name("cli/detach", tests, NULL, NULL);
}
