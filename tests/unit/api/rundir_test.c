/* The runtime directory: names, claims, stale directories, listing. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "api/rundir.h"
#include "cli/parse.h"
#include "helpers/tmpdir.h"

static char base[64];

static int setup(void **state)
{
    (void)state;
    tmpdir_make(base, sizeof(base), "rundir");
    return 0;
}

static void rm_rf(const char *dir)
{
    tmpdir_remove(dir);
}

static int teardown(void **state)
{
    (void)state;
    rm_rf(base);
    return 0;
}

static bool exists(const char *name, const char *file)
{
    char p[RUNDIR_PATH_MAX];

    assert_int_equal(rundir_path(p, sizeof(p), base, name, file), 0);
    return access(p, F_OK) == 0;
}

static void touch(const char *name, const char *file)
{
    char p[RUNDIR_PATH_MAX];
    int fd;

    assert_int_equal(rundir_path(p, sizeof(p), base, name, file), 0);
    fd = open(p, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
}

/* A process that takes (name) and dies without releasing it. */
static void die_holding(const char *name)
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

/* The CLI checks --name with parse_name() before anything is built; both
 * must keep one rule. */
static void test_names(void **state)
{
    static const struct { const char *name; int rc; } cases[] = {
        { "a", 0 },         { "vm1", 0 },       { "web.prod", 0 },
        { "A_b-c", 0 },     { "0", 0 },         { "a.", 0 },
        { "a-", 0 },        { "", -EINVAL },    { ".", -EINVAL },
        { "..", -EINVAL },  { ".hidden", -EINVAL }, { "-rf", -EINVAL },
        { "a/b", -EINVAL }, { "a b", -EINVAL }, { "a\n", -EINVAL },
        { "caf\xc3\xa9", -EINVAL }, { "a:b", -EINVAL }, { "*", -EINVAL },
        { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
          0 },
        { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
          -ENAMETOOLONG },
    };
    (void)state;

    assert_int_equal(RUNDIR_NAME_MAX, PARSE_NAME_MAX);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(rundir_check_name(cases[i].name), cases[i].rc);
        assert_int_equal(parse_name(cases[i].name), cases[i].rc);
    }
}

static void test_paths(void **state)
{
    char p[RUNDIR_PATH_MAX], longbase[100];
    (void)state;

    assert_int_equal(rundir_path(p, sizeof(p), "/run/vessel", "web",
                                 RUNDIR_API_SOCK), 0);
    assert_string_equal(p, "/run/vessel/web/api.sock");
    assert_int_equal(rundir_path(p, sizeof(p), "/run/vessel", "web", NULL), 0);
    assert_string_equal(p, "/run/vessel/web");
    assert_int_equal(rundir_path(p, sizeof(p), "/run/vessel", "../x", NULL),
                     -EINVAL);
    memset(longbase, 'b', sizeof(longbase) - 1);
    longbase[0] = '/';
    longbase[sizeof(longbase) - 1] = '\0';
    assert_int_equal(rundir_path(p, sizeof(p), longbase, "web",
                                 RUNDIR_API_SOCK), -ENAMETOOLONG);
    assert_int_equal(rundir_path(p, 8, "/run", "web", NULL), -ENAMETOOLONG);
}

static void test_default_base(void **state)
{
    char p[RUNDIR_PATH_MAX];
    (void)state;

    setenv("VESSEL_RUNTIME_DIR", "/tmp/elsewhere", 1);
    assert_int_equal(rundir_default_base(p, sizeof(p)), 0);
    assert_string_equal(p, "/tmp/elsewhere");
    unsetenv("VESSEL_RUNTIME_DIR");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    assert_int_equal(rundir_default_base(p, sizeof(p)), 0);
    assert_string_equal(p, geteuid() == 0 ? "/run/vessel"
                                          : "/run/user/1000/vessel");
    setenv("XDG_RUNTIME_DIR", "relative", 1);
    assert_int_equal(rundir_default_base(p, sizeof(p)),
                     geteuid() == 0 ? 0 : -ENOENT);
    unsetenv("XDG_RUNTIME_DIR");
}

static void test_claim_and_release(void **state)
{
    struct rundir rd, again;
    struct rundir_entry e;
    char p[RUNDIR_PATH_MAX], buf[32];
    struct stat st;
    int fd;
    (void)state;

    assert_int_equal(rundir_claim(&rd, base, "web"), 0);
    assert_int_equal(rundir_path(p, sizeof(p), base, "web", NULL), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(rundir_path(p, sizeof(p), base, "web", RUNDIR_PID), 0);
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    buf[read(fd, buf, sizeof(buf) - 1)] = '\0';
    close(fd);
    assert_int_equal(atoi(buf), getpid());
    /* Taken, also for this process (OFD locks belong to open files). */
    assert_int_equal(rundir_claim(&again, base, "web"), -EEXIST);
    assert_int_equal(rundir_probe(base, "web", &e), 0);
    assert_string_equal(e.name, "web");
    assert_int_equal(e.pid, getpid());
    rundir_release(&rd);
    assert_false(exists("web", NULL));
    assert_int_equal(rundir_probe(base, "web", &e), -ENOENT);
    rundir_release(&rd);                    /* twice: harmless */
    assert_int_equal(rundir_claim(&rd, base, "web"), 0);
    rundir_release(&rd);
}

static void test_claim_creates_base(void **state)
{
    struct rundir rd;
    char sub[96];
    (void)state;

    snprintf(sub, sizeof(sub), "%s/vessel", base);
    assert_int_equal(rundir_claim(&rd, sub, "a"), 0);
    rundir_release(&rd);
    assert_int_equal(rmdir(sub), 0);
}

static void test_refuses_open_base(void **state)
{
    struct rundir rd;
    (void)state;

    assert_int_equal(chmod(base, 0755), 0);
    assert_int_equal(rundir_claim(&rd, base, "a"), -EPERM);
    assert_int_equal(chmod(base, 0700), 0);
    assert_int_equal(rundir_claim(&rd, base, "../a"), -EINVAL);
}

/* A VM killed with its name: the next claim cleans what it left. */
static void test_stale_claim(void **state)
{
    struct rundir rd;
    struct rundir_entry e;
    (void)state;

    die_holding("web");
    touch("web", RUNDIR_API_SOCK);
    touch("web", RUNDIR_CONSOLE_SOCK);
    assert_true(exists("web", RUNDIR_LOCK));
    assert_int_equal(rundir_claim(&rd, base, "web"), 0);
    assert_false(exists("web", RUNDIR_API_SOCK));
    assert_false(exists("web", RUNDIR_CONSOLE_SOCK));
    assert_int_equal(rundir_probe(base, "web", &e), 0);
    assert_int_equal(e.pid, getpid());
    rundir_release(&rd);
}

struct seen {
    char names[8][RUNDIR_NAME_MAX + 1];
    pid_t pids[8];
    unsigned n, stop_after;
};

static int on_entry(void *ctx, const struct rundir_entry *e)
{
    struct seen *s = ctx;

    snprintf(s->names[s->n], sizeof(s->names[0]), "%s", e->name);
    s->pids[s->n++] = e->pid;
    return s->n == s->stop_after ? 7 : 0;
}

static void test_list(void **state)
{
    struct rundir a, b, c;
    struct seen s = { .stop_after = 100 };
    char p[96];
    (void)state;

    assert_int_equal(rundir_claim(&c, base, "charlie"), 0);
    assert_int_equal(rundir_claim(&a, base, "alpha"), 0);
    die_holding("dead");
    assert_int_equal(rundir_claim(&b, base, "bravo"), 0);
    snprintf(p, sizeof(p), "%s/.hidden", base);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/notadir", base);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    snprintf(p, sizeof(p), "%s/nolock", base);
    assert_int_equal(mkdir(p, 0700), 0);

    assert_int_equal(rundir_list(base, on_entry, &s), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.names[0], "alpha");
    assert_string_equal(s.names[1], "bravo");
    assert_string_equal(s.names[2], "charlie");
    assert_int_equal(s.pids[0], getpid());
    assert_false(exists("dead", NULL));     /* cleaned on the way */
    assert_true(exists("nolock", NULL));    /* not ours to judge */

    s = (struct seen){ .stop_after = 2 };
    assert_int_equal(rundir_list(base, on_entry, &s), 7);
    assert_int_equal(s.n, 2);
    rundir_release(&a);
    rundir_release(&b);
    rundir_release(&c);
    s = (struct seen){ .stop_after = 100 };
    assert_int_equal(rundir_list(base, on_entry, &s), 0);
    assert_int_equal(s.n, 0);
    assert_int_equal(rundir_list("/nonexistent/vessel", on_entry, &s), 0);
}

/* Eight processes race for one name: exactly one gets it. */
static void test_claim_race(void **state)
{
    int results[2], hold[2], won = 0, busy = 0;
    pid_t pids[8];
    (void)state;

    assert_int_equal(pipe(results), 0);
    assert_int_equal(pipe(hold), 0);
    for (int i = 0; i < 8; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            struct rundir rd;
            char r, x;
            int rc = rundir_claim(&rd, base, "contested");

            close(hold[1]);
            r = rc == 0 ? 'w' : rc == -EEXIST ? 'b' : 'e';
            if (write(results[1], &r, 1) != 1)
                _exit(2);
            if (rc == 0 && read(hold[0], &x, 1) < 0)
                _exit(2);           /* hold the name until released */
            _exit(0);
        }
    }
    for (int i = 0; i < 8; i++) {
        char r;

        assert_int_equal(read(results[0], &r, 1), 1);
        won += r == 'w';
        busy += r == 'b';
    }
    close(hold[1]);
    for (int i = 0; i < 8; i++)
        waitpid(pids[i], NULL, 0);
    close(hold[0]);
    close(results[0]);
    close(results[1]);
    assert_int_equal(won, 1);
    assert_int_equal(busy, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_default_base),
        cmocka_unit_test_setup_teardown(test_claim_and_release, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_claim_creates_base, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refuses_open_base, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stale_claim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_race, setup, teardown),
    };
    return cmocka_run_group_tests_name("api/rundir", tests, NULL, NULL);
}
