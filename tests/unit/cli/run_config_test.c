/* vessel run --print-config and --config FILE: what a command line and a
 * file give, and how flags beside --config override it. Nothing boots:
 * --print-config returns before anything is built. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "cli/cli.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/vessel-runcfg-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd);
}

/* Run `vessel run ARGS...` with stdout captured into a file; returns the
 * exit status and the parsed JSON (NULL if stdout was not JSON). */
static int run(json_t **out, ...)
{
    char *argv[32] = { "run" }, path[96];
    int argc = 1, saved, fd, rc;
    va_list ap;

    va_start(ap, out);
    while ((argv[argc] = va_arg(ap, char *)) != NULL)
        argc++;
    va_end(ap);
    snprintf(path, sizeof(path), "%s/stdout", dir);
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    rc = cmd_run(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    *out = json_load_file(path, 0, NULL);
    return rc;
}

static void write_file(const char *name, const char *text, char *path,
                       size_t len)
{
    FILE *f;

    snprintf(path, len, "%s/%s", dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static long long num(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static void test_print_config(void **state)
{
    json_t *o;
    (void)state;
    assert_int_equal(run(&o, "--kernel", "/k", "--mem", "33000K", "--cpus",
                         "2", "--disk", "/img,ro,serial=S1", "--name", "web",
                         "--print-config", NULL), 0);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "web");
    assert_int_equal(num(o, "mem_bytes"), 33000 * 1024);
    assert_int_equal(num(o, "cpus"), 2);
    assert_true(json_is_true(json_object_get(
        json_array_get(json_object_get(o, "disks"), 0), "readonly")));
    json_decref(o);
}

/* The printed config read back prints the same; flags override it and
 * --disk replaces the file's list. */
static void test_config_round_trip_and_override(void **state)
{
    json_t *o, *o2;
    char path[128];
    char *text;
    (void)state;
    assert_int_equal(run(&o, "--kernel", "/k", "--disk", "/a", "--disk", "/b",
                         "--net", "user", "--print-config", NULL), 0);
    text = json_dumps(o, 0);
    write_file("vm.json", text, path, sizeof(path));
    free(text);
    assert_int_equal(run(&o2, "--config", path, "--print-config", NULL), 0);
    assert_true(json_equal(o, o2));
    json_decref(o2);
    assert_int_equal(run(&o2, "--config", path, "--cpus", "3", "--disk", "/c",
                         "--print-config", NULL), 0);
    assert_int_equal(num(o2, "cpus"), 3);
    assert_int_equal(json_array_size(json_object_get(o2, "disks")), 1);
    assert_int_equal(json_array_size(json_object_get(o2, "nets")), 1);
    json_decref(o2);
    json_decref(o);
}

static void test_config_errors(void **state)
{
    json_t *o;
    char path[128];
    (void)state;
    write_file("bad.json", "{\"kernel\":\"/k\",\"cpu\":2}", path, sizeof(path));
    assert_int_equal(run(&o, "--config", path, "--print-config", NULL), 1);
    assert_null(o);
    assert_int_equal(run(&o, "--config", "/nonexistent/vm.json",
                         "--print-config", NULL), 1);
    /* The file must be whole on its own: "kernel" is required there. */
    write_file("nokernel.json", "{\"cpus\":2}", path, sizeof(path));
    assert_int_equal(run(&o, "--config", path, "--kernel", "/k",
                         "--print-config", NULL), 1);
    assert_null(o);
    /* A bad flag beside a good file is still an error. */
    write_file("ok.json", "{\"kernel\":\"/k\"}", path, sizeof(path));
    assert_int_equal(run(&o, "--config", path, "--cpus", "99",
                         "--print-config", NULL), 1);
    assert_null(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_print_config),
        cmocka_unit_test(test_config_round_trip_and_override),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests_name("cli/run_config", tests, setup,
                                       teardown);
}
