/* vessel console: attach the terminal to a running VM's serial console
 * through BASE/NAME/console.sock (host/consock.h). */
#include "cli/console.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/rundir.h"
#include "cli/cli.h"
#include "cli/target.h"
#include "host/term.h"
#include "vmm/escape.h"

#define COPY_BUF 4096
#define LAST_FLUSH_MS 200   /* keys typed just before detaching */

unsigned console_drain_ms = 1000;

static const char console_usage[] =
    "usage: vessel console NAME\n"
    "\n"
    "Attach to the serial console of the running VM NAME: first the output\n"
    "it kept (its last 64 KiB), then live output; what you type goes to the\n"
    "guest. One client at a time.\n"
    "\n"
    "  -h, --help   this help\n"
    "\n"
    "Ctrl-] or Ctrl-A d detaches; the VM keeps running, attach again later\n"
    "(Ctrl-A x detaches too: 'vessel stop NAME' ends a VM). Ctrl-A Ctrl-A\n"
    "sends Ctrl-A, Ctrl-A h shows these keys. When stdin is not a terminal\n"
    "its bytes go to the guest as they are (a Ctrl-] byte still detaches);\n"
    "at its end vessel detaches once the output has been quiet for 1 s.\n"
    "\n"
    "Exit status: 0 detached, or the VM ended (\"[NAME ended]\"); 1 no such\n"
    "VM, the console is attached elsewhere, or another error.\n";

static const char console_help_keys[] =
    "\r\n[vessel] Ctrl-] or Ctrl-A d: detach (the VM keeps running)   "
    "Ctrl-A Ctrl-A: send Ctrl-A   Ctrl-A h: this help\r\n";

/* The state of one copy loop. */
struct copy {
    const struct console_io *io;
    struct escape esc;
    uint8_t tovm[2 * COPY_BUF];     /* keys the socket has not taken */
    size_t off, len;
    bool in_eof;                    /* the user's input ended */
    bool shut;                      /* our writing side is shut */
    bool first;                     /* nothing received yet */
    bool held;                      /* the first read was the refusal line */
    char refuse[128];
    size_t refuse_len;
    int64_t quiet_until;            /* after in_eof: detach then (ms) */
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd w = { .fd = fd, .events = POLLOUT };
            poll(&w, 1, 1000);
        } else if (n < 0 && errno != EINTR) {
            return -errno;
        }
    }
    return 0;
}

/* Send what the socket takes of the pending keys, waiting up to (ms). A
 * VM that ended or stopped reading loses them; its EOF tells the rest. */
static void send_keys(struct copy *cp, int ms)
{
    int64_t until = now_ms() + ms;

    while (cp->len) {
        ssize_t n = send(cp->io->sock, cp->tovm + cp->off, cp->len,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        struct pollfd w = { .fd = cp->io->sock, .events = POLLOUT };

        if (n > 0) {
            cp->off += (size_t)n;
            cp->len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            cp->len = 0;
            break;
        }
        if (now_ms() >= until ||
            poll(&w, 1, (int)(until - now_ms())) <= 0)
            break;
    }
    if (!cp->len)
        cp->off = 0;
}

/* Guest output: to (out), except a first read that is exactly the
 * refusal line, held until we know whether EOF follows it. */
static int from_vm(struct copy *cp)
{
    uint8_t buf[COPY_BUF];
    ssize_t n = read(cp->io->sock, buf, sizeof(buf));
    bool first = cp->first;
    int rc = 0;

    if (n == 0)
        return cp->held ? CONSOLE_REFUSED : CONSOLE_ENDED;
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return 0;
        return errno == ECONNRESET ? CONSOLE_ENDED : -errno;
    }
    cp->first = false;
    if (first && (size_t)n == cp->refuse_len &&
        !memcmp(buf, cp->refuse, cp->refuse_len)) {
        cp->held = true;
        return 0;
    }
    if (cp->held) {
        cp->held = false;
        rc = write_all(cp->io->out, cp->refuse, cp->refuse_len);
    }
    if (rc == 0)
        rc = write_all(cp->io->out, buf, (size_t)n);
    cp->quiet_until = now_ms() + console_drain_ms;
    return rc;
}

/* The user's keys: the detach keys end the copy, the rest go to the
 * guest. Only read while no keys wait, so (tovm) has room. */
static int from_user(struct copy *cp)
{
    uint8_t buf[COPY_BUF];
    ssize_t n = read(cp->io->in, buf, sizeof(buf));
    const uint8_t *key;
    enum escape_action act;
    size_t m;

    if (n == 0) {
        cp->in_eof = true;
        cp->quiet_until = now_ms() + console_drain_ms;
        return 0;
    }
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
    key = memchr(buf, CONSOLE_DETACH_KEY, (size_t)n);
    m = key ? (size_t)(key - buf) : (size_t)n;
    cp->off = 0;
    cp->len = escape_filter(&cp->esc, buf, m, cp->tovm, &act);
    if (key || act == ESCAPE_DETACH || act == ESCAPE_QUIT) {
        send_keys(cp, LAST_FLUSH_MS);
        return CONSOLE_DETACHED;
    }
    if (act == ESCAPE_HELP)
        return write_all(cp->io->out, console_help_keys,
                         strlen(console_help_keys));
    return 0;
}

/* How long poll() may wait: until the quiet time after input ended. */
static int wait_ms(const struct copy *cp)
{
    int64_t left;

    if (!cp->in_eof || cp->io->in < 0)
        return -1;
    left = cp->quiet_until - now_ms();
    return left < 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

static int copy_step(struct copy *cp)
{
    struct pollfd p[2] = {
        { .fd = cp->io->sock, .events = POLLIN | (cp->len ? POLLOUT : 0) },
        { .fd = cp->in_eof || cp->len ? -1 : cp->io->in, .events = POLLIN },
    };
    int n, rc = 0;

    if (cp->in_eof && !cp->len && !cp->shut) {
        shutdown(cp->io->sock, SHUT_WR);   /* no more keys */
        cp->shut = true;
    }
    if (cp->in_eof && cp->io->in >= 0 && now_ms() >= cp->quiet_until)
        return CONSOLE_DETACHED;
    n = poll(p, 2, wait_ms(cp));
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    if (p[0].revents & POLLOUT)
        send_keys(cp, 0);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        rc = from_vm(cp);
    if (rc == 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
        rc = from_user(cp);
    return rc;
}

int console_copy(const struct console_io *io)
{
    struct copy cp;
    int flags = fcntl(io->sock, F_GETFL);
    int rc;

    if (flags < 0 || fcntl(io->sock, F_SETFL, flags | O_NONBLOCK) < 0)
        return -errno;
    memset(&cp, 0, sizeof(cp));
    cp.io = io;
    cp.esc.detach_key = true;
    cp.first = true;
    cp.in_eof = io->in < 0;
    snprintf(cp.refuse, sizeof(cp.refuse),
             "vessel: console %.64s is attached elsewhere\r\n", io->name);
    cp.refuse_len = strlen(cp.refuse);
    while ((rc = copy_step(&cp)) == 0)
        ;
    return rc;
}

int console_connect(const char *name)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char base[RUNDIR_PATH_MAX], path[RUNDIR_PATH_MAX];
    int fd, rc = target_base(base, sizeof(base));

    if (rc == 0)
        rc = target_find(base, name, path, sizeof(path));
    if (rc == 0)
        rc = rundir_path(sa.sun_path, sizeof(sa.sun_path), base, name,
                         RUNDIR_CONSOLE_SOCK);
    if (rc < 0)
        return rc;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        rc = -errno;
    else if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
        rc = -errno;
    if (rc == 0)
        return fd;
    if (fd >= 0)
        close(fd);
    if (rc == -ENOENT || rc == -ECONNREFUSED)
        fprintf(stderr, "vessel: %s has no console socket to attach to (it "
                "is starting or ending)\n", name);
    else
        fprintf(stderr, "vessel: %s: console socket %s: %s\n", name,
                sa.sun_path, strerror(-rc));
    return rc;
}

/* ---- arguments ---- */

static const struct option cli_opts[] = {
    { "follow", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int bad(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "vessel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see 'vessel %s --help')\n", cmd);
    return -EINVAL;
}

/* One NAME and the options (cmd) takes (-f: (follow) non-NULL). Returns
 * 0 with (*name) set, 1 for --help, or -EINVAL after printing why. */
static int parse_args(const char *cmd, int argc, char **argv,
                      const char **name, bool *follow)
{
    int c, rc = 0;

    opterr = 0;
    optind = 0;                 /* glibc: start afresh */
    while (rc == 0 && (c = getopt_long(argc, argv, ":fh", cli_opts,
                                       NULL)) != -1) {
        if (c == 'h')
            return 1;
        if (c == 'f' && follow)
            *follow = true;
        else
            rc = bad(cmd, "unknown option '%s'", argv[optind - 1]);
    }
    if (rc < 0)
        return rc;
    if (optind >= argc)
        return bad(cmd, "%s needs the name of a VM", cmd);
    if (optind + 1 < argc)
        return bad(cmd, "unexpected argument '%s'", argv[optind + 1]);
    *name = argv[optind];
    return 0;
}

/* ---- vessel console ---- */

int cmd_console(int argc, char **argv)
{
    struct console_io io = { .in = STDIN_FILENO, .out = STDOUT_FILENO };
    int rc = parse_args("console", argc, argv, &io.name, NULL);

    if (rc == 1)
        fputs(console_usage, stdout);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    io.sock = console_connect(io.name);
    if (io.sock < 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);   /* a closed stdout is an error return */
    if (term_raw_enter(STDIN_FILENO))
        fprintf(stderr, "[attached to %s: Ctrl-] or Ctrl-A d detaches]\r\n",
                io.name);
    rc = console_copy(&io);
    term_restore();
    close(io.sock);
    switch (rc) {
    case CONSOLE_DETACHED:
        fprintf(stderr, "\r\n[detached from %s]\r\n", io.name);
        return 0;
    case CONSOLE_ENDED:
        fprintf(stderr, "\r\n[%s ended]\r\n", io.name);
        return 0;
    case CONSOLE_REFUSED:
        fprintf(stderr, "vessel: console %s is attached elsewhere (one "
                "client at a time)\n", io.name);
        return 1;
    default:
        fprintf(stderr, "\r\nvessel: console of %s: %s\r\n", io.name,
                strerror(-rc));
        return 1;
    }
}

/* ---- vessel logs ---- */

static const char logs_usage[] =
    "usage: vessel logs [-f] NAME\n"
    "\n"
    "Print the serial console output the running VM NAME kept (its last\n"
    "64 KiB), raw, as the guest wrote it.\n"
    "\n"
    "  -f, --follow  then keep printing new output until the VM ends (or\n"
    "                Ctrl-C). It watches through the console socket, so it\n"
    "                takes the console's one client place: it fails while\n"
    "                'vessel console NAME' is attached, and the other way\n"
    "                round\n"
    "  -h, --help    this help\n"
    "\n"
    "Exit status: 0 printed (with -f: the VM ended), 1 no such VM or\n"
    "another error.\n";

static int follow(const char *name)
{
    struct console_io io = { .in = -1, .out = STDOUT_FILENO, .name = name };
    int rc;

    io.sock = console_connect(name);
    if (io.sock < 0)
        return 1;
    rc = console_copy(&io);
    close(io.sock);
    if (rc == CONSOLE_ENDED || rc == -EPIPE)   /* -EPIPE: | head */
        return 0;
    if (rc == CONSOLE_REFUSED)
        fprintf(stderr, "vessel: console %s is attached elsewhere: "
                "'vessel logs -f' needs the console's client place\n", name);
    else
        fprintf(stderr, "vessel: logs of %s: %s\n", name, strerror(-rc));
    return 1;
}

int cmd_logs(int argc, char **argv)
{
    struct api_response r;
    char base[RUNDIR_PATH_MAX];
    const char *name;
    bool follow_on = false;
    int rc = parse_args("logs", argc, argv, &name, &follow_on);

    if (rc == 1)
        fputs(logs_usage, stdout);
    if (rc != 0)
        return rc == 1 ? 0 : 1;
    signal(SIGPIPE, SIG_IGN);
    if (follow_on)
        return follow(name);
    if (target_base(base, sizeof(base)) < 0 ||
        target_request(base, name, "GET", "/console", NULL,
                       target_timing.request_ms, &r) < 0)
        return 1;
    if (r.status != 200) {
        target_print_refusal("read the console of", name, &r);
        rc = -EPROTO;
    } else {
        rc = write_all(STDOUT_FILENO, r.body, r.len);
        if (rc < 0 && rc != -EPIPE)
            fprintf(stderr, "vessel: logs of %s: %s\n", name, strerror(-rc));
        else
            rc = 0;
    }
    api_response_free(&r);
    return rc < 0 ? 1 : 0;
}
