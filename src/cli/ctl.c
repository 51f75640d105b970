/* vessel pause | resume | shutdown | stop | inspect: one request to each
 * named VM's control socket (docs/api.md). Each VM gets one line saying
 * how it went: on stdout what it is now ("web paused"), on stderr why
 * not; the exit status is 1 if any failed. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cli/cli.h"
#include "cli/parse.h"
#include "cli/target.h"
#include "host/clock.h"

#define SHUTDOWN_DEFAULT_S 30
#define SHUTDOWN_MAX_S (API_POWER_TIMEOUT_MAX_MS / 1000)

/* Options a command takes beside --help. */
#define CTL_OPT_TIMEOUT 1u
#define CTL_OPT_NO_WAIT 2u

struct ctl_args {
    unsigned timeout_s;
    bool no_wait;
    char **names;
    int n;
};

struct ctl_cmd {
    const char *name;
    const char *usage;
    unsigned opts;
    bool one_name;
    int (*run)(const struct ctl_cmd *cmd, const char *base,
               const struct ctl_args *a);
};

#define OPT_NO_WAIT 0x100

/* Every option; a command gets those its opts allow, and --help. */
static const struct {
    struct option opt;
    unsigned need;
} ctl_opts[] = {
    { { "timeout", required_argument, NULL, 't' }, CTL_OPT_TIMEOUT },
    { { "no-wait", no_argument, NULL, OPT_NO_WAIT }, CTL_OPT_NO_WAIT },
    { { "help", no_argument, NULL, 'h' }, 0 },
};

/* ---- arguments ---- */

static int bad(const struct ctl_cmd *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "vessel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'vessel %s --help')\n", cmd->name);
    return -EINVAL;
}

static int parse_timeout(const struct ctl_cmd *cmd, const char *arg,
                         unsigned *secs)
{
    if (parse_uint(arg, 1, SHUTDOWN_MAX_S, secs) < 0)
        return bad(cmd, "--timeout: '%s' is not a number of seconds from "
                   "1 to 3600", arg);
    return 0;
}

/* The option getopt_long() did not know, as the user wrote it. */
static const char *unknown_opt(char **argv)
{
    static char letter[3];

    if (optopt) {
        snprintf(letter, sizeof(letter), "-%c", optopt);
        return letter;
    }
    return argv[optind - 1];
}

/* Returns 0, 1 for --help, or -EINVAL after printing why. */
static int parse_ctl_args(const struct ctl_cmd *cmd, int argc, char **argv,
                          struct ctl_args *a)
{
    struct option opts[ARRAY_SIZE(ctl_opts) + 1] = { { 0 } };
    const char *shortopts = cmd->opts & CTL_OPT_TIMEOUT ? ":t:h" : ":h";
    size_t n = 0;
    int c, rc = 0;

    for (size_t i = 0; i < ARRAY_SIZE(ctl_opts); i++)
        if ((cmd->opts & ctl_opts[i].need) == ctl_opts[i].need)
            opts[n++] = ctl_opts[i].opt;
    *a = (struct ctl_args){ .timeout_s = SHUTDOWN_DEFAULT_S };
    opterr = 0;
    optind = 0;                 /* glibc: start afresh */
    while (rc == 0 &&
           (c = getopt_long(argc, argv, shortopts, opts, NULL)) != -1) {
        if (c == 'h')
            return 1;
        if (c == 't')
            rc = parse_timeout(cmd, optarg, &a->timeout_s);
        else if (c == OPT_NO_WAIT)
            a->no_wait = true;
        else if (c == ':')
            rc = bad(cmd, "option '%s' needs a value", argv[optind - 1]);
        else
            rc = bad(cmd, "unknown option '%s'", unknown_opt(argv));
    }
    if (rc < 0)
        return rc;
    a->names = argv + optind;
    a->n = argc - optind;
    if (a->n == 0)
        return bad(cmd, "%s needs the name of a VM", cmd->name);
    if (cmd->one_name && a->n > 1)
        return bad(cmd, "unexpected argument '%s'", a->names[1]);
    return 0;
}

/* ---- pause, resume, inspect ---- */

static int set_state(const char *base, const char *name, const char *verb,
                     const char *want, const char *done)
{
    struct api_response r;
    char body[64];
    int rc;

    snprintf(body, sizeof(body), "{\"state\": \"%s\"}", want);
    rc = target_request(base, name, "PUT", "/vm/state", body,
                        target_timing.request_ms, &r);
    if (rc < 0)
        return rc;
    if (r.status == 204) {
        printf("%s %s\n", name, done);
    } else {
        target_print_refusal(verb, name, &r);
        rc = -EIO;
    }
    api_response_free(&r);
    return rc;
}

static int inspect(const char *base, const char *name)
{
    struct api_response r;
    json_t *o = NULL;
    int rc = target_request(base, name, "GET", "/vm", NULL,
                            target_timing.request_ms, &r);

    if (rc < 0)
        return rc;
    if (r.status != 200) {
        target_print_refusal("inspect", name, &r);
        rc = -EIO;
    } else if (!(o = json_loads(r.body, 0, NULL))) {
        fprintf(stderr, "vessel: %s: GET /vm did not answer JSON\n", name);
        rc = -EPROTO;
    } else if (json_dumpf(o, stdout, JSON_INDENT(2)) < 0) {
        rc = -EIO;
    } else {
        putchar('\n');
    }
    json_decref(o);
    api_response_free(&r);
    return rc;
}

/* ---- shutdown, stop ---- */

/* Ask (name) for a power action; 0 once it is under way. */
static int power(const char *base, const char *name, const char *verb,
                 const char *body)
{
    struct api_response r;
    int rc = target_request(base, name, "PUT", "/vm/power", body,
                            target_timing.request_ms, &r);

    if (rc < 0)
        return rc;
    if (r.status != 202) {
        target_print_refusal(verb, name, &r);
        rc = -EIO;
    }
    api_response_free(&r);
    return rc;
}

/* Look at the VMs not yet gone (gone_ms[i] == 0 and ok[i]) until all
 * are, or (deadline_ms) passes. gone_ms[i]: when VM i was first seen
 * gone, in ms after (start_ms) (at least 1). A VM we cannot look at any
 * more is no longer ok. */
static void wait_gone(const char *base, char **names, int n, bool *ok,
                      uint64_t *gone_ms, uint64_t start_ms,
                      uint64_t deadline_ms)
{
    for (;;) {
        uint64_t now = host_mono_ns() / 1000000;
        int pending = 0;

        for (int i = 0; i < n; i++) {
            int alive;

            if (!ok[i] || gone_ms[i])
                continue;
            alive = target_alive(base, names[i]);
            if (alive == 0)
                gone_ms[i] = now > start_ms ? now - start_ms : 1;
            else if (alive < 0) {
                fprintf(stderr, "vessel: %s: cannot tell whether it has "
                        "ended: %s\n", names[i], strerror(-alive));
                ok[i] = false;
            } else
                pending++;
        }
        if (!pending || now >= deadline_ms)
            return;
        target_sleep_ms(target_timing.poll_ms);
    }
}

/* Send (body) to every VM, wait for them to end unless (a->no_wait),
 * and say how each ended; (timeout_ms): an acpi-shutdown's, 0 for stop. */
static int power_all(const struct ctl_cmd *cmd, const char *base,
                     const struct ctl_args *a, const char *body,
                     unsigned timeout_ms)
{
    uint64_t start = host_mono_ns() / 1000000;
    uint64_t wait_ms = (uint64_t)timeout_ms + target_timing.end_ms;
    bool *ok = calloc((size_t)a->n, sizeof(*ok));
    uint64_t *gone = calloc((size_t)a->n, sizeof(*gone));
    int failed = 0;

    if (!ok || !gone) {
        free(ok);
        free(gone);
        fprintf(stderr, "vessel: out of memory\n");
        return 1;
    }
    for (int i = 0; i < a->n; i++) {
        ok[i] = power(base, a->names[i], cmd->name, body) == 0;
        if (ok[i] && a->no_wait)
            printf("%s %s\n", a->names[i],
                   timeout_ms ? "shutting down" : "stopping");
    }
    if (!a->no_wait)
        wait_gone(base, a->names, a->n, ok, gone, start, start + wait_ms);
    for (int i = 0; i < a->n; i++) {
        const char *name = a->names[i];

        if (!ok[i])
            failed = 1;
        else if (a->no_wait)
            continue;
        else if (!gone[i]) {
            fprintf(stderr, "vessel: %s is still running %llu s after it "
                    "was told to %s\n", name,
                    (unsigned long long)(wait_ms / 1000), cmd->name);
            failed = 1;
        } else if (!timeout_ms)
            printf("%s stopped\n", name);
        else if (gone[i] < timeout_ms)
            printf("%s powered off\n", name);
        else
            printf("%s did not power off within %u s: stopped\n", name,
                   timeout_ms / 1000);
    }
    free(ok);
    free(gone);
    return failed;
}

/* ---- the commands ---- */

static int pause_all(const struct ctl_cmd *cmd, const char *base,
                     const struct ctl_args *a)
{
    int failed = 0;

    for (int i = 0; i < a->n; i++)
        failed |= set_state(base, a->names[i], cmd->name, "paused",
                            "paused") < 0;
    return failed;
}

static int resume_all(const struct ctl_cmd *cmd, const char *base,
                      const struct ctl_args *a)
{
    int failed = 0;

    for (int i = 0; i < a->n; i++)
        failed |= set_state(base, a->names[i], cmd->name, "running",
                            "resumed") < 0;
    return failed;
}

static int inspect_one(const struct ctl_cmd *cmd, const char *base,
                       const struct ctl_args *a)
{
    (void)cmd;
    return inspect(base, a->names[0]) < 0;
}

static int shutdown_all(const struct ctl_cmd *cmd, const char *base,
                        const struct ctl_args *a)
{
    char body[96];

    snprintf(body, sizeof(body), "{\"action\": \"acpi-shutdown\", "
             "\"timeout_ms\": %u}", a->timeout_s * 1000);
    return power_all(cmd, base, a, body, a->timeout_s * 1000);
}

static int stop_all(const struct ctl_cmd *cmd, const char *base,
                    const struct ctl_args *a)
{
    return power_all(cmd, base, a, "{\"action\": \"stop\"}", 0);
}

static const struct ctl_cmd cmd_pause_def = {
    "pause",
    "usage: vessel pause NAME...\n"
    "\n"
    "Pause the VMs: their vCPUs stop until 'vessel resume'. Prints\n"
    "'NAME paused' once a VM's vCPUs are parked.\n"
    "\n"
    "  -h, --help          this help\n",
    0, false, pause_all,
};

static const struct ctl_cmd cmd_resume_def = {
    "resume",
    "usage: vessel resume NAME...\n"
    "\n"
    "Let paused VMs run again. Prints 'NAME resumed'.\n"
    "\n"
    "  -h, --help          this help\n",
    0, false, resume_all,
};

static const struct ctl_cmd cmd_shutdown_def = {
    "shutdown",
    "usage: vessel shutdown [--timeout SECS] [--no-wait] NAME...\n"
    "\n"
    "Press the VMs' ACPI power button: a guest that honours it (Linux does)\n"
    "powers off cleanly; one that has not after the timeout is stopped.\n"
    "Waits until each VM has ended and prints 'NAME powered off' or\n"
    "'NAME did not power off within SECS s: stopped'.\n"
    "\n"
    "  -t, --timeout SECS  stop a VM that has not powered off after SECS\n"
    "                      seconds (1 to 3600; default 30)\n"
    "      --no-wait       return once the button is pressed\n"
    "  -h, --help          this help\n",
    CTL_OPT_TIMEOUT | CTL_OPT_NO_WAIT, false, shutdown_all,
};

static const struct ctl_cmd cmd_stop_def = {
    "stop",
    "usage: vessel stop [--no-wait] NAME...\n"
    "\n"
    "End the VMs at once, as pulling the plug would. Waits until each has\n"
    "ended and prints 'NAME stopped'.\n"
    "\n"
    "      --no-wait       return once the VMs are told\n"
    "  -h, --help          this help\n",
    CTL_OPT_NO_WAIT, false, stop_all,
};

static const struct ctl_cmd cmd_inspect_def = {
    "inspect",
    "usage: vessel inspect NAME\n"
    "\n"
    "Print what the VM says about itself (GET /vm, docs/api.md) as indented\n"
    "JSON: pid, state, uptime, its config (the schema 'vessel run --config'\n"
    "reads), vCPUs and device counters.\n"
    "\n"
    "  -h, --help          this help\n",
    0, true, inspect_one,
};

static int run_ctl(const struct ctl_cmd *cmd, int argc, char **argv)
{
    char base[RUNDIR_PATH_MAX];
    struct ctl_args a;
    int rc = parse_ctl_args(cmd, argc, argv, &a);

    if (rc == 1) {
        fputs(cmd->usage, stdout);
        return 0;
    }
    if (rc < 0 || target_base(base, sizeof(base)) < 0)
        return 1;
    return cmd->run(cmd, base, &a);
}

int cmd_pause(int argc, char **argv)
{
    return run_ctl(&cmd_pause_def, argc, argv);
}

int cmd_resume(int argc, char **argv)
{
    return run_ctl(&cmd_resume_def, argc, argv);
}

int cmd_shutdown(int argc, char **argv)
{
    return run_ctl(&cmd_shutdown_def, argc, argv);
}

int cmd_stop(int argc, char **argv)
{
    return run_ctl(&cmd_stop_def, argc, argv);
}

int cmd_inspect(int argc, char **argv)
{
    return run_ctl(&cmd_inspect_def, argc, argv);
}
