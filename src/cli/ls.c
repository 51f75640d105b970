/* vessel ls: the running VMs, one GET /vm each. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/human.h"
#include "cli/target.h"

static const char ls_usage[] =
    "usage: vessel ls [--json | -q]\n"
    "\n"
    "The running VMs: name, state, pid, vCPUs, memory, uptime. A VM whose\n"
    "control socket does not answer within 2 s is listed as unresponsive.\n"
    "\n"
    "      --json    a JSON array of {name, state, pid, cpus, mem_bytes,\n"
    "                uptime_ms} (null where unknown)\n"
    "  -q, --quiet   names only, one a line\n"
    "  -h, --help    this help\n";

#define OPT_JSON 0x100
#define UNRESPONSIVE "unresponsive"

static const struct option ls_opts[] = {
    { "json", no_argument, NULL, OPT_JSON },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* One VM as listed; what it did not tell us is unknown. */
struct ls_row {
    char name[RUNDIR_NAME_MAX + 1];
    char state[16];
    long long pid;                  /* 0: unknown */
    bool known;                     /* cpus, mem, uptime valid */
    long long cpus;
    uint64_t mem, uptime_ms;
};

struct ls_list {
    const char *base;
    bool quiet;
    struct ls_row *rows;
    size_t n, cap;
};

/* Fill (row) from GET /vm's answer; false if it is not one. */
static bool parse_vm(const char *body, struct ls_row *row)
{
    json_t *o = json_loads(body, 0, NULL);
    json_t *cfg = json_object_get(o, "config");
    const char *state = json_string_value(json_object_get(o, "state"));
    json_t *pid = json_object_get(o, "pid");
    json_t *cpus = json_object_get(cfg, "cpus");
    json_t *mem = json_object_get(cfg, "mem_bytes");
    json_t *up = json_object_get(o, "uptime_ms");
    bool ok = state && json_is_integer(cpus) && json_is_integer(mem) &&
              json_is_integer(up) && json_integer_value(mem) >= 0 &&
              json_integer_value(up) >= 0;

    if (ok) {
        snprintf(row->state, sizeof(row->state), "%s", state);
        if (json_integer_value(pid) > 0)
            row->pid = json_integer_value(pid);
        row->cpus = json_integer_value(cpus);
        row->mem = (uint64_t)json_integer_value(mem);
        row->uptime_ms = (uint64_t)json_integer_value(up);
        row->known = true;
    }
    json_decref(o);
    return ok;
}

static void ask_vm(const char *base, struct ls_row *row)
{
    char sock[RUNDIR_PATH_MAX];
    struct api_response r;

    snprintf(row->state, sizeof(row->state), UNRESPONSIVE);
    if (rundir_path(sock, sizeof(sock), base, row->name, RUNDIR_API_SOCK) < 0 ||
        api_client_request(sock, "GET", "/vm", NULL, target_timing.list_ms,
                           &r) < 0)
        return;
    if (r.status != 200 || !parse_vm(r.body, row))
        snprintf(row->state, sizeof(row->state), UNRESPONSIVE);
    api_response_free(&r);
}

static int add_row(void *ctx, const struct rundir_entry *e)
{
    struct ls_list *l = ctx;
    struct ls_row *row;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        struct ls_row *more = realloc(l->rows, cap * sizeof(*more));

        if (!more)
            return -ENOMEM;
        l->rows = more;
        l->cap = cap;
    }
    row = &l->rows[l->n++];
    memset(row, 0, sizeof(*row));
    snprintf(row->name, sizeof(row->name), "%s", e->name);
    row->pid = e->pid;
    if (!l->quiet)
        ask_vm(l->base, row);
    return 0;
}

/* ---- output ---- */

enum { COL_NAME, COL_STATE, COL_PID, COL_CPUS, COL_MEM, COL_UP, NCOLS };

static const char *const headers[NCOLS] = {
    "NAME", "STATE", "PID", "VCPUS", "MEMORY", "UPTIME",
};

typedef char cell[RUNDIR_NAME_MAX + 1];

static void row_cells(const struct ls_row *row, cell c[NCOLS])
{
    snprintf(c[COL_NAME], sizeof(cell), "%s", row->name);
    snprintf(c[COL_STATE], sizeof(cell), "%s", row->state);
    if (row->pid)
        snprintf(c[COL_PID], sizeof(cell), "%lld", row->pid);
    else
        snprintf(c[COL_PID], sizeof(cell), "-");
    if (!row->known) {
        snprintf(c[COL_CPUS], sizeof(cell), "-");
        snprintf(c[COL_MEM], sizeof(cell), "-");
        snprintf(c[COL_UP], sizeof(cell), "-");
        return;
    }
    snprintf(c[COL_CPUS], sizeof(cell), "%lld", row->cpus);
    human_bytes(row->mem, c[COL_MEM]);
    human_uptime(row->uptime_ms, c[COL_UP]);
}

static void print_line(const char *const text[NCOLS],
                       const size_t width[NCOLS])
{
    for (size_t i = 0; i < NCOLS - 1; i++)
        printf("%-*s  ", (int)width[i], text[i]);
    printf("%s\n", text[NCOLS - 1]);
}

/* Columns as wide as their widest cell, two spaces apart. */
static int print_table(const struct ls_list *l)
{
    cell *cells = calloc(l->n ? l->n : 1, sizeof(cell) * NCOLS);
    size_t width[NCOLS];
    const char *text[NCOLS];

    if (!cells)
        return -ENOMEM;
    for (size_t i = 0; i < NCOLS; i++)
        width[i] = strlen(headers[i]);
    for (size_t r = 0; r < l->n; r++) {
        row_cells(&l->rows[r], &cells[r * NCOLS]);
        for (size_t i = 0; i < NCOLS; i++)
            if (strlen(cells[r * NCOLS + i]) > width[i])
                width[i] = strlen(cells[r * NCOLS + i]);
    }
    print_line(headers, width);
    for (size_t r = 0; r < l->n; r++) {
        for (size_t i = 0; i < NCOLS; i++)
            text[i] = cells[r * NCOLS + i];
        print_line(text, width);
    }
    free(cells);
    return 0;
}

static json_t *row_json(const struct ls_row *row)
{
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
                     "name", row->name, "state", row->state,
                     "pid", row->pid ? json_integer(row->pid) : json_null(),
                     "cpus", row->known ? json_integer(row->cpus)
                                        : json_null(),
                     "mem_bytes", row->known ? json_integer(
                                       (json_int_t)row->mem) : json_null(),
                     "uptime_ms", row->known ? json_integer(
                                       (json_int_t)row->uptime_ms)
                                             : json_null());
}

static int print_json(const struct ls_list *l)
{
    json_t *a = json_array();
    int rc = a ? 0 : -ENOMEM;

    for (size_t r = 0; rc == 0 && r < l->n; r++)
        if (json_array_append_new(a, row_json(&l->rows[r])) < 0)
            rc = -ENOMEM;
    if (rc == 0 && json_dumpf(a, stdout, JSON_INDENT(2)) < 0)
        rc = -EIO;
    if (rc == 0)
        putchar('\n');
    json_decref(a);
    return rc;
}

/* ---- the command ---- */

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "vessel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'vessel ls --help')\n");
    return 1;
}

int cmd_ls(int argc, char **argv)
{
    struct ls_list l = { 0 };
    char base[RUNDIR_PATH_MAX];
    bool json = false;
    int c, rc;

    opterr = 0;
    optind = 0;                 /* glibc: start afresh */
    while ((c = getopt_long(argc, argv, "+qh", ls_opts, NULL)) != -1) {
        switch (c) {
        case OPT_JSON: json = true; break;
        case 'q': l.quiet = true; break;
        case 'h': fputs(ls_usage, stdout); return 0;
        default:
            if (optopt)
                return usage_error("unknown option '-%s'",
                                   (char[]){ (char)optopt, '\0' });
            return usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (json && l.quiet)
        return usage_error("%s", "--json and -q do not go together");
    if (target_base(base, sizeof(base)) < 0)
        return 1;
    l.base = base;
    rc = rundir_list(base, add_row, &l);
    if (rc == 0 && l.quiet) {
        for (size_t r = 0; r < l.n; r++)
            printf("%s\n", l.rows[r].name);
    } else if (rc == 0) {
        rc = json ? print_json(&l) : print_table(&l);
    }
    if (rc == -EPERM)
        fprintf(stderr, "vessel: the runtime directory %s belongs to "
                "another user or is open to others: refusing it\n", base);
    else if (rc < 0)
        fprintf(stderr, "vessel: cannot list %s: %s\n", base, strerror(-rc));
    free(l.rows);
    return rc < 0 ? 1 : 0;
}
