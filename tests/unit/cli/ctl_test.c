/* vessel pause, resume, inspect, shutdown and stop against fake VMs in a
 * private runtime directory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "helpers/cli_vm.h"
#include "host/clock.h"

static char base[64];

static int setup(void **state)
{
    (void)state;
    cli_base_make(base);
    target_timing = (struct target_timing){ .request_ms = 2000,
                                            .list_ms = 300, .end_ms = 1000,
                                            .poll_ms = 10 };
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_base_remove(base);
    return 0;
}

static void test_pause_resume(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    cli_run(&o, cmd_pause, "pause", "alpha", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "alpha paused\n");
    assert_string_equal(o.err, "");
    assert_int_equal(a.f.set_states, 1);
    assert_int_equal(a.f.last_want, API_VM_PAUSED);
    assert_int_equal(a.f.state, API_VM_PAUSED);

    cli_run(&o, cmd_resume, "resume", "alpha", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "alpha resumed\n");
    assert_int_equal(a.f.set_states, 2);
    assert_int_equal(a.f.last_want, API_VM_RUNNING);
    assert_int_equal(a.f.state, API_VM_RUNNING);
    cli_vm_end(&a);
}

/* The server's reason reaches the user. */
static void test_pause_refused(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    a.f.fail = -EBUSY;
    cli_run(&o, cmd_pause, "pause", "alpha", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.out, "");
    assert_string_equal(o.err, "vessel: cannot pause alpha: the VM cannot "
                        "do that in its current state\n");
    a.f.fail = -EIO;
    cli_run(&o, cmd_resume, "resume", "alpha", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: cannot resume alpha: the VM failed: "
                        "Input/output error\n");
    cli_vm_end(&a);
}

static void test_unknown_and_bad_names(void **state)
{
    struct cli_out o;

    (void)state;
    cli_run(&o, cmd_pause, "pause", "nope", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: no VM called nope is running\n");
    cli_run(&o, cmd_inspect, "inspect", "nope", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: no VM called nope is running\n");
    cli_run(&o, cmd_stop, "stop", "a/b", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: 'a/b' is not a VM name: use 1-64 "
                        "letters, digits, '.', '_' or '-', not starting "
                        "with '.' or '-'\n");
    cli_run(&o, cmd_resume, "resume", ".hidden", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "is not a VM name"));
    cli_run(&o, cmd_shutdown, "shutdown",
            "a123456789012345678901234567890123456789012345678901234567890"
            "12345", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "is too long for a VM name"));
}

/* A VM that died holding its name is not running. */
static void test_dead_vm(void **state)
{
    struct cli_out o;

    (void)state;
    cli_die_holding(base, "dead");
    cli_run(&o, cmd_stop, "stop", "dead", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: no VM called dead is running\n");
}

static void test_usage(void **state)
{
    static int (*const cmds[])(int, char **) = {
        cmd_pause, cmd_resume, cmd_shutdown, cmd_stop, cmd_inspect,
    };
    static const char *const names[] = {
        "pause", "resume", "shutdown", "stop", "inspect",
    };
    struct cli_out o;
    char want[128];

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        cli_run(&o, cmds[i], names[i], "--help", NULL);
        assert_int_equal(o.status, 0);
        snprintf(want, sizeof(want), "usage: vessel %s ", names[i]);
        assert_non_null(strstr(o.out, want));
        cli_run(&o, cmds[i], names[i], NULL);
        assert_int_equal(o.status, 1);
        snprintf(want, sizeof(want), "vessel: %s needs the name of a VM "
                 "(see 'vessel %s --help')\n", names[i], names[i]);
        assert_string_equal(o.err, want);
        cli_run(&o, cmds[i], names[i], "--bogus", "x", NULL);
        assert_int_equal(o.status, 1);
        assert_non_null(strstr(o.err, "unknown option '--bogus'"));
    }
    /* Options belong to their commands. */
    cli_run(&o, cmd_pause, "pause", "--no-wait", "x", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "unknown option '--no-wait'"));
    cli_run(&o, cmd_stop, "stop", "--timeout", "5", "x", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "unknown option '--timeout'"));
    cli_run(&o, cmd_shutdown, "shutdown", "x", "--timeout", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: option '--timeout' needs a value "
                        "(see 'vessel shutdown --help')\n");
    cli_run(&o, cmd_inspect, "inspect", "a", "b", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "unexpected argument 'b'"));
}

static void test_shutdown_timeout_values(void **state)
{
    static const char *const bad[] = { "0", "3601", "abc", "-1", "1.5", "" };
    struct cli_out o;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        cli_run(&o, cmd_shutdown, "shutdown", "--timeout", bad[i], "x", NULL);
        assert_int_equal(o.status, 1);
        assert_non_null(strstr(o.err, "is not a number of seconds from 1 "
                               "to 3600"));
    }
}

static void test_inspect(void **state)
{
    struct cli_vm a;
    struct cli_out o;
    json_t *j;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    cli_run(&o, cmd_inspect, "inspect", "alpha", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_int_equal(strncmp(o.out, "{\n  \"pid\": ", 11), 0);
    assert_non_null(strstr(o.out, "\n  \"config\": {\n    \"name\": "
                           "\"test-vm\",\n"));
    assert_int_equal(o.out[strlen(o.out) - 1], '\n');
    j = json_loads(o.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")),
                        "running");
    assert_int_equal(json_integer_value(json_object_get(j, "pid")), getpid());
    assert_int_equal(json_array_size(json_object_get(j, "vcpus")), 2);
    json_decref(j);

    a.f.fail = -EIO;
    cli_run(&o, cmd_inspect, "inspect", "alpha", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.out, "");
    assert_string_equal(o.err, "vessel: cannot inspect alpha: the VM "
                        "failed: Input/output error\n");
    cli_vm_end(&a);
}

static void test_shutdown_no_wait(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    cli_run(&o, cmd_shutdown, "shutdown", "--no-wait", "alpha", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "alpha shutting down\n");
    assert_int_equal(a.f.powers, 1);
    assert_int_equal(a.f.last_power.action, API_POWER_ACPI_SHUTDOWN);
    assert_int_equal(a.f.last_power.timeout_ms, 30000);
    cli_run(&o, cmd_shutdown, "shutdown", "alpha", "--no-wait", "-t", "7",
            NULL);
    assert_int_equal(o.status, 0);
    assert_int_equal(a.f.powers, 2);
    assert_int_equal(a.f.last_power.timeout_ms, 7000);
    cli_run(&o, cmd_stop, "stop", "--no-wait", "alpha", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "alpha stopping\n");
    assert_int_equal(a.f.powers, 3);
    assert_int_equal(a.f.last_power.action, API_POWER_STOP);
    assert_int_equal(a.f.last_power.timeout_ms, 0);
    cli_vm_end(&a);
}

static uint64_t now_ms(void)
{
    return host_mono_ns() / 1000000;
}

/* The guest powers off before the timeout. */
static void test_shutdown_powered_off(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    cli_vm_end_on_power(&a, 100);
    cli_run(&o, cmd_shutdown, "shutdown", "alpha", "--timeout", "2", NULL);
    cli_vm_join(&a);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.err, "");
    assert_string_equal(o.out, "alpha powered off\n");
    assert_int_equal(a.f.last_power.action, API_POWER_ACPI_SHUTDOWN);
    assert_int_equal(a.f.last_power.timeout_ms, 2000);
}

/* The VM ends only when the VMM stops it after the timeout. */
static void test_shutdown_stopped_after_timeout(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    target_timing.end_ms = 4000;    /* a loaded machine's margin */
    cli_vm_end_on_power(&a, 1200);
    cli_run(&o, cmd_shutdown, "shutdown", "alpha", "--timeout", "1", NULL);
    cli_vm_join(&a);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "alpha did not power off within 1 s: "
                        "stopped\n");
}

/* Never ends: the wait is bounded by the timeout and a margin. */
static void test_shutdown_never_ends(void **state)
{
    struct cli_vm a;
    struct cli_out o;
    uint64_t t0 = now_ms(), took;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    target_timing.end_ms = 500;
    cli_run(&o, cmd_shutdown, "shutdown", "alpha", "--timeout", "1", NULL);
    took = now_ms() - t0;
    assert_int_equal(o.status, 1);
    assert_string_equal(o.out, "");
    assert_string_equal(o.err, "vessel: alpha is still running 1 s after "
                        "it was told to shutdown\n");
    assert_true(took >= 1500 && took < 5000);
    cli_vm_end(&a);
}

/* Several at once: each told and reported, exit 1 if any failed. */
static void test_stop_several(void **state)
{
    struct cli_vm a, b;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "a");
    cli_vm_start(&b, base, "b");
    cli_vm_end_on_power(&a, 50);
    cli_vm_end_on_power(&b, 150);
    cli_run(&o, cmd_stop, "stop", "a", "nope", "b", NULL);
    cli_vm_join(&a);
    cli_vm_join(&b);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.out, "a stopped\nb stopped\n");
    assert_string_equal(o.err, "vessel: no VM called nope is running\n");
    assert_int_equal(a.f.last_power.action, API_POWER_STOP);
    assert_int_equal(b.f.last_power.action, API_POWER_STOP);

    cli_vm_start(&a, base, "a");
    cli_vm_start(&b, base, "b");
    cli_run(&o, cmd_pause, "pause", "a", "b", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "a paused\nb paused\n");
    assert_int_equal(a.f.state, API_VM_PAUSED);
    assert_int_equal(b.f.state, API_VM_PAUSED);
    cli_vm_end(&a);
    cli_vm_end(&b);
}

static void test_stop_refused(void **state)
{
    struct cli_vm a;
    struct cli_out o;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    a.f.fail = -ENOTSUP;
    cli_run(&o, cmd_stop, "stop", "alpha", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.out, "");
    assert_string_equal(o.err, "vessel: cannot stop alpha: this VM cannot "
                        "do that\n");
    cli_vm_end(&a);
}

/* A VM whose socket takes connections and never answers. */
static void test_socket_timeout(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct rundir rd;
    struct cli_out o;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    (void)state;
    assert_int_equal(rundir_claim(&rd, base, "mute"), 0);
    assert_int_equal(rundir_path(sa.sun_path, sizeof(sa.sun_path), base,
                                 "mute", RUNDIR_API_SOCK), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    target_timing.request_ms = 200;
    cli_run(&o, cmd_pause, "pause", "mute", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: mute: the VM did not answer within "
                        "200 ms on its control socket\n");
    close(fd);
    /* Now nobody listens at all. */
    cli_run(&o, cmd_pause, "pause", "mute", NULL);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "vessel: mute: nobody answers on its "
                           "control socket "));
    rundir_release(&rd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pause_resume),
        T(test_pause_refused),
        T(test_unknown_and_bad_names),
        T(test_dead_vm),
        T(test_usage),
        T(test_shutdown_timeout_values),
        T(test_inspect),
        T(test_shutdown_no_wait),
        T(test_shutdown_powered_off),
        T(test_shutdown_stopped_after_timeout),
        T(test_shutdown_never_ends),
        T(test_stop_several),
        T(test_stop_refused),
        T(test_socket_timeout),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
