/* vessel run --detach: fork, handshake over a pipe, bounded wait. */
#include "cli/detach.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void parse_line(struct detach_msg *m, const char *l, size_t n)
{
    if (n == 2 && !memcmp(l, "ok", 2)) {
        m->ok = true;
    } else if (n > 5 && n - 5 < sizeof(m->name) && !memcmp(l, "name ", 5)) {
        memcpy(m->name, l + 5, n - 5);
        m->name[n - 5] = '\0';
        m->named = true;
    } else if (n > 4 && !memcmp(l, "err ", 4)) {
        snprintf(m->err, sizeof(m->err), "%.*s", (int)(n - 4), l + 4);
        m->failed = true;
    } else {
        snprintf(m->err, sizeof(m->err), "the VM process said something "
                 "unexpected: '%.*s'", (int)(n < 64 ? n : 64), l);
        m->failed = true;
    }
}

size_t detach_parse(struct detach_msg *m, const char *buf, size_t len)
{
    size_t used = 0;

    while (used < len && !m->failed) {
        const char *nl = memchr(buf + used, '\n', len - used);
        size_t n;

        if (!nl) {
            if (len - used >= DETACH_LINE_MAX) {
                snprintf(m->err, sizeof(m->err), "the VM process sent an "
                         "overlong line");
                m->failed = true;
                return len;
            }
            break;
        }
        n = (size_t)(nl - (buf + used));
        parse_line(m, buf + used, n);
        used += n + 1;
    }
    return used;
}

void detach_say(int fd, const char *what, const char *text)
{
    char line[DETACH_LINE_MAX];
    int n = snprintf(line, sizeof(line) - 1, "%s %s", what, text);

    if (fd < 0 || n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    for (int i = 0; i < n; i++)         /* one line, whatever the text */
        if (line[i] == '\n')
            line[i] = ' ';
    line[n++] = '\n';
    if (write(fd, line, (size_t)n) < 0) {
        /* the parent is gone: nobody to tell */
    }
}

int detach_child_log(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (fd < 0)
        return -errno;
    if (dup2(fd, STDERR_FILENO) < 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    close(fd);
    return 0;
}

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Read the child's lines until "ok", an error, EOF or the deadline. */
static void listen_child(int fd, struct detach_msg *m, unsigned wait_ms)
{
    char buf[2 * DETACH_LINE_MAX];
    size_t have = 0;
    uint64_t end = now_ms() + wait_ms;

    while (!m->ok && !m->failed) {
        uint64_t now = now_ms();
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        size_t used;

        if (now >= end || poll(&p, 1, (int)(end - now)) == 0) {
            snprintf(m->err, sizeof(m->err), "the VM did not start within "
                     "%u s", wait_ms / 1000);
            return;
        }
        n = read(fd, buf + have, sizeof(buf) - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        have += (size_t)n;
        used = detach_parse(m, buf, have);
        memmove(buf, buf + used, have - used);
        have -= used;
    }
}

static int parent_wait(pid_t child, int fd, unsigned wait_ms)
{
    struct detach_msg m = { 0 };
    int st = 0;

    listen_child(fd, &m, wait_ms);
    close(fd);
    if (m.ok) {
        if (m.named)
            printf("%s\n", m.name);
        return 0;
    }
    if (!m.failed && !m.err[0]) {
        /* EOF: the child ended (or closed the pipe) without a word. */
        if (waitpid(child, &st, 0) == child && WIFEXITED(st))
            snprintf(m.err, sizeof(m.err), "the VM process ended before "
                     "its VM started (exit status %d)", WEXITSTATUS(st));
        else
            snprintf(m.err, sizeof(m.err), "the VM process ended before "
                     "its VM started");
    } else if (!m.failed) {
        kill(child, SIGTERM);   /* timed out: do not leave it half-started */
    }
    fprintf(stderr, "vessel: %s\n", m.err);
    return 1;
}

static void child_setup(void)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    setsid();
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO)
            close(null);
    }
}

int detach_fork(int *fd, int *status, unsigned wait_ms)
{
    int p[2];
    pid_t pid;

    fflush(NULL);
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    pid = fork();
    if (pid < 0) {
        int rc = -errno;
        close(p[0]);
        close(p[1]);
        return rc;
    }
    if (pid == 0) {
        close(p[0]);
        child_setup();
        *fd = p[1];
        return 0;
    }
    close(p[1]);
    *status = parent_wait(pid, p[0], wait_ms);
    return 1;
}
