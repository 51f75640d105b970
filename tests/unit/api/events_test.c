/* The event hub: fan-out through one ring, cursors, the dropped count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "api/events.h"

static struct events ev;

static int setup(void **state)
{
    (void)state;
    events_init(&ev);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    events_fini(&ev);
    return 0;
}

static void test_subscriber_sees_later_events_only(void **state)
{
    struct events_sub a, b;
    char buf[1024];
    size_t n;
    (void)state;

    events_publish(&ev, API_EV_STARTED, NULL, 1000);
    events_subscribe(&ev, &a);
    assert_false(events_pending(&ev, &a));
    assert_int_equal(events_read(&ev, &a, buf, sizeof(buf)), 0);
    assert_int_equal(events_publish(&ev, API_EV_PAUSED, "by the API", 2000), 2);
    events_subscribe(&ev, &b);
    assert_true(events_pending(&ev, &a));
    n = events_read(&ev, &a, buf, sizeof(buf));
    buf[n] = '\0';
    assert_string_equal(buf, "{\"seq\":2,\"time_ms\":2000,\"event\":\"paused\","
                             "\"reason\":\"by the API\"}\n");
    assert_false(events_pending(&ev, &a));
    assert_int_equal(events_read(&ev, &b, buf, sizeof(buf)), 0);
}

static void test_fan_out_whole_lines(void **state)
{
    struct events_sub subs[8];
    char buf[EVENTS_LINE_MAX];
    (void)state;

    for (int i = 0; i < 8; i++)
        events_subscribe(&ev, &subs[i]);
    events_publish(&ev, API_EV_PAUSED, NULL, 1);
    events_publish(&ev, API_EV_RESUMED, NULL, 2);
    for (int i = 0; i < 8; i++) {
        /* A buffer with room for one line gets one line at a time. */
        size_t n = events_read(&ev, &subs[i], buf, 60);

        assert_true(n > 0 && n <= 60 && buf[n - 1] == '\n');
        assert_non_null(memmem(buf, n, "\"paused\"", 8));
        n = events_read(&ev, &subs[i], buf, 60);
        assert_non_null(memmem(buf, n, "\"resumed\"", 9));
        assert_int_equal(events_read(&ev, &subs[i], buf, sizeof(buf)), 0);
    }
}

static void test_falling_behind_drops_oldest(void **state)
{
    struct events_sub s;
    char buf[EVENTS_RING * EVENTS_LINE_MAX], want[64];
    size_t n;
    (void)state;

    events_subscribe(&ev, &s);
    for (int i = 0; i < EVENTS_RING + 10; i++)
        events_publish(&ev, API_EV_RESET, NULL, (uint64_t)i);
    n = events_read(&ev, &s, buf, sizeof(buf));
    buf[n] = '\0';
    assert_memory_equal(buf, "{\"event\":\"dropped\",\"count\":10}\n", 31);
    snprintf(want, sizeof(want), "{\"seq\":11,");
    assert_memory_equal(buf + 31, want, strlen(want));
    assert_int_equal(ev.dropped, 10);
    /* All EVENTS_RING kept events follow. */
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 1 + EVENTS_RING);
    assert_false(events_pending(&ev, &s));
}

static void test_reason_is_cleaned_and_cut(void **state)
{
    struct events_sub s;
    char reason[1000], buf[EVENTS_LINE_MAX + 1];
    size_t n;
    (void)state;

    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    memcpy(reason, "a\"b\\c\n\xc3\xa9", 8);
    events_subscribe(&ev, &s);
    events_publish(&ev, API_EV_CRASHED, reason, UINT64_MAX);
    n = events_read(&ev, &s, buf, sizeof(buf) - 1);
    buf[n] = '\0';
    assert_true(n < EVENTS_LINE_MAX);
    assert_non_null(strstr(buf, "\"reason\":\"a?b?c???rrr"));
    assert_non_null(strstr(buf, "\"time_ms\":18446744073709551615,"));
    assert_int_equal(strstr(buf, "\"}\n") - strstr(buf, "a?b"), API_REASON_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_subscriber_sees_later_events_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_fan_out_whole_lines, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_falling_behind_drops_oldest,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reason_is_cleaned_and_cut, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("api/events", tests, NULL, NULL);
}
