/* vessel ls against fake VMs in a private runtime directory, and the
 * units it prints. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "cli/human.h"
#include "cli/target.h"
#include "helpers/cli_vm.h"

static char base[64];

static int setup(void **state)
{
    (void)state;
    cli_base_make(base);
    target_timing.list_ms = 300;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_base_remove(base);
    return 0;
}

static const char *bytes(uint64_t v)
{
    static char out[HUMAN_MAX];

    human_bytes(v, out);
    return out;
}

static const char *uptime(uint64_t ms)
{
    static char out[HUMAN_MAX];

    human_uptime(ms, out);
    return out;
}

static void test_human_bytes(void **state)
{
    (void)state;
    assert_string_equal(bytes(512 * MiB), "512M");
    assert_string_equal(bytes(2 * GiB), "2G");
    assert_string_equal(bytes(1536 * MiB), "1536M");
    assert_string_equal(bytes(33000 * KiB), "33000K");
    assert_string_equal(bytes(1024 * GiB), "1T");
    assert_string_equal(bytes(1000), "1000B");
    assert_string_equal(bytes(0), "0B");
    assert_string_equal(bytes(UINT64_MAX), "18446744073709551615B");
}

static void test_human_uptime(void **state)
{
    (void)state;
    assert_string_equal(uptime(0), "0s");
    assert_string_equal(uptime(999), "0s");
    assert_string_equal(uptime(5000), "5s");
    assert_string_equal(uptime(59999), "59s");
    assert_string_equal(uptime(60000), "1m00s");
    assert_string_equal(uptime((3 * 60 + 12) * 1000), "3m12s");
    assert_string_equal(uptime((3 * 60 + 5) * 1000), "3m05s");
    assert_string_equal(uptime((2 * 3600 + 5 * 60 + 59) * 1000), "2h05m");
    assert_string_equal(uptime(86399999), "23h59m");
    assert_string_equal(uptime((3 * 86400 + 4 * 3600 + 59) * 1000ULL),
                        "3d4h");
    assert_string_equal(uptime(UINT64_MAX), "213503982334d14h");
}

static void test_empty_is_header(void **state)
{
    struct cli_out o;

    (void)state;
    cli_run(&o, cmd_ls, "ls", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "NAME  STATE  PID  VCPUS  MEMORY  UPTIME\n");
    assert_string_equal(o.err, "");
    cli_run(&o, cmd_ls, "ls", "--json", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "[]\n");
    cli_run(&o, cmd_ls, "ls", "-q", NULL);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "");
}

/* A base that does not exist has no VMs. */
static void test_missing_base(void **state)
{
    char missing[80];
    struct cli_out o;

    (void)state;
    snprintf(missing, sizeof(missing), "%s/nothing", base);
    setenv("VESSEL_RUNTIME_DIR", missing, 1);
    cli_run(&o, cmd_ls, "ls", "-q", NULL);
    setenv("VESSEL_RUNTIME_DIR", base, 1);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.out, "");
}

static void test_table(void **state)
{
    struct cli_vm a, b;
    struct cli_out o;
    char want[512];
    int pid = (int)getpid();

    (void)state;
    cli_vm_start(&b, base, "zeta-long-name");
    cli_vm_start(&a, base, "alpha");
    b.f.state = API_VM_PAUSED;
    b.f.cfg.ncpus = 12;
    b.f.cfg.mem_size = 2 * GiB;
    cli_run(&o, cmd_ls, "ls", NULL);
    assert_int_equal(o.status, 0);
    snprintf(want, sizeof(want),
             "NAME            STATE    PID%*s  VCPUS  MEMORY  UPTIME\n"
             "alpha           running  %d  2      512M    1s\n"
             "zeta-long-name  paused   %d  12     2G      1s\n",
             (int)snprintf(NULL, 0, "%d", pid) - 3, "", pid, pid);
    assert_string_equal(o.out, want);
    assert_string_equal(o.err, "");
    assert_int_equal(a.f.describes, 1);
    assert_int_equal(b.f.describes, 1);

    cli_run(&o, cmd_ls, "ls", "-q", NULL);
    assert_string_equal(o.out, "alpha\nzeta-long-name\n");
    assert_int_equal(a.f.describes, 1);     /* -q asks nobody */
    cli_vm_end(&a);
    cli_vm_end(&b);
}

static void test_json(void **state)
{
    struct cli_vm a;
    struct cli_out o;
    json_t *j, *e;

    (void)state;
    cli_vm_start(&a, base, "alpha");
    cli_run(&o, cmd_ls, "ls", "--json", NULL);
    assert_int_equal(o.status, 0);
    j = json_loads(o.out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 1);
    e = json_array_get(j, 0);
    assert_string_equal(json_string_value(json_object_get(e, "name")),
                        "alpha");
    assert_string_equal(json_string_value(json_object_get(e, "state")),
                        "running");
    assert_int_equal(json_integer_value(json_object_get(e, "pid")), getpid());
    assert_int_equal(json_integer_value(json_object_get(e, "cpus")), 2);
    assert_int_equal(json_integer_value(json_object_get(e, "mem_bytes")),
                     512 * MiB);
    assert_int_equal(json_integer_value(json_object_get(e, "uptime_ms")),
                     1234);
    json_decref(j);
    cli_vm_end(&a);
}

/* A socket that takes connections and never answers. */
static int mute_socket(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(rundir_path(sa.sun_path, sizeof(sa.sun_path), base,
                                 name, RUNDIR_API_SOCK), 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

/* Listed, not skipped: one that never answers, one without a socket,
 * one whose describe() fails. */
static void test_unresponsive(void **state)
{
    struct rundir mute, nosock;
    struct cli_vm bad;
    struct cli_out o;
    json_t *j;
    int fd;

    (void)state;
    assert_int_equal(rundir_claim(&mute, base, "mute"), 0);
    fd = mute_socket("mute");
    assert_int_equal(rundir_claim(&nosock, base, "nosock"), 0);
    cli_vm_start(&bad, base, "bad");
    bad.f.fail = -EIO;
    cli_run(&o, cmd_ls, "ls", NULL);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "\nbad     unresponsive  "));
    assert_non_null(strstr(o.out, "\nmute    unresponsive  "));
    assert_non_null(strstr(o.out, "\nnosock  unresponsive  "));
    assert_non_null(strstr(o.out, "  -      -       -\n"));
    cli_run(&o, cmd_ls, "ls", "--json", NULL);
    j = json_loads(o.out, 0, NULL);
    assert_int_equal(json_array_size(j), 3);
    assert_true(json_is_null(json_object_get(json_array_get(j, 1),
                                             "cpus")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 1),
                                                        "pid")), getpid());
    json_decref(j);
    close(fd);
    cli_vm_end(&bad);
    rundir_release(&mute);
    rundir_release(&nosock);
}

/* A VM that died holding its name is not listed, and its directory goes. */
static void test_dead_not_listed(void **state)
{
    struct cli_vm a;
    struct cli_out o;
    char dead[RUNDIR_PATH_MAX];

    (void)state;
    cli_die_holding(base, "dead");
    cli_vm_start(&a, base, "alive");
    assert_int_equal(rundir_path(dead, sizeof(dead), base, "dead", NULL), 0);
    assert_int_equal(access(dead, F_OK), 0);
    cli_run(&o, cmd_ls, "ls", "-q", NULL);
    assert_string_equal(o.out, "alive\n");
    assert_int_equal(access(dead, F_OK), -1);
    cli_vm_end(&a);
    cli_run(&o, cmd_ls, "ls", "-q", NULL);
    assert_string_equal(o.out, "");
}

static void test_usage_errors(void **state)
{
    struct cli_out o;

    (void)state;
    cli_run(&o, cmd_ls, "ls", "--help", NULL);
    assert_int_equal(o.status, 0);
    assert_non_null(strstr(o.out, "usage: vessel ls"));
    cli_run(&o, cmd_ls, "ls", "--bogus", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: unknown option '--bogus' (see "
                        "'vessel ls --help')\n");
    cli_run(&o, cmd_ls, "ls", "web", NULL);
    assert_int_equal(o.status, 1);
    assert_string_equal(o.err, "vessel: unexpected argument 'web' (see "
                        "'vessel ls --help')\n");
    cli_run(&o, cmd_ls, "ls", "--json", "-q", NULL);
    assert_int_equal(o.status, 1);
}

/* A base open to others could hold planted sockets. */
static void test_base_not_private(void **state)
{
    struct cli_out o;

    (void)state;
    assert_int_equal(chmod(base, 0755), 0);
    cli_run(&o, cmd_ls, "ls", NULL);
    assert_int_equal(chmod(base, 0700), 0);
    assert_int_equal(o.status, 1);
    assert_non_null(strstr(o.err, "open to others"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_human_bytes),
        cmocka_unit_test(test_human_uptime),
        cmocka_unit_test_setup_teardown(test_empty_is_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_base, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unresponsive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_not_listed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base_not_private, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
