/* probe: run one VMM (or any command) and measure it from the outside.
 *
 * Usage: probe [options] -- CMD [ARGS...]
 *   --marker STR    substring of the guest init's first line (default VESSEL-INIT)
 *   --snap-ms N     N ms after the marker line, snapshot the KVM debugfs counters
 *                   of the child's VMs (default 300; -1: never)
 *   --kill-ms N     N ms after the marker line, end the child if it still runs
 *                   (SIGTERM, then SIGKILL 2 s later; default 0 = never)
 *   --timeout S     end the child after S seconds (default 300)
 *   --stdin FILE    the child's stdin (default /dev/null)
 *   --log FILE      the child's stdout, each line prefixed with its arrival
 *                   time in ms since the start ("[   1234.5] ..."), written at the end
 *   --stderr FILE   the child's stderr (default: mixed into --log)
 *   --ram-kib N     at the snapshot, also read the Rss of the child's largest
 *                   mapping of N KiB to N KiB + 4 MiB (its guest RAM) from smaps
 *   --debugfs DIR   default /sys/kernel/debug/kvm
 *
 * Prints "key value" lines on stdout:
 *   marker_ms, marker_line, exit_ms, status (exit:N, signal:N), ended (self,
 *   killed, timeout), maxrss_kib, utime_us, stime_us, majflt, minflt,
 *   snap_ms, kvm.NAME (summed over the child's VM folders), ram_rss_kib;
 *   after a timeout also "hang_task TID COMM UTIME STIME" (clock ticks) per
 *   thread of the child, read just before it is ended, and the KVM counters
 *   of that moment if no snapshot was taken: which thread was busy, and
 *   whether the guest was still exiting.
 * Times are CLOCK_MONOTONIC, counted from just before fork().
 * Exit status: 0 if the child ran and was waited for, 1 on a probe error.
 *
 * The probe does no polling while the guest boots: it sleeps in poll() on the
 * child's output, so it steals no CPU from the (single, emulated) host CPU.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STATS 256

struct stat_val {
    char name[64];
    uint64_t val;
};

static struct timespec t_start;
static struct stat_val stats[MAX_STATS];
static int nstats;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("probe: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t_start.tv_sec) * 1e3 +
           (double)(t.tv_nsec - t_start.tv_nsec) / 1e6;
}

/* Growable byte buffer for the timestamped log. */
struct buf {
    char *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            die("out of memory");
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void stat_add(const char *name, uint64_t v)
{
    for (int i = 0; i < nstats; i++)
        if (strcmp(stats[i].name, name) == 0) {
            stats[i].val += v;
            return;
        }
    if (nstats == MAX_STATS)
        return;
    snprintf(stats[nstats].name, sizeof(stats[nstats].name), "%s", name);
    stats[nstats++].val = v;
}

/* Sum every counter file of the VM folders "<pid>-<fd>" under dir. */
static int snap_debugfs(const char *dir, pid_t pid)
{
    char prefix[32];
    int nvm = 0;
    snprintf(prefix, sizeof(prefix), "%d-", (int)pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    nstats = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        char vmdir[512];
        snprintf(vmdir, sizeof(vmdir), "%s/%s", dir, e->d_name);
        DIR *v = opendir(vmdir);
        if (!v)
            continue;
        nvm++;
        struct dirent *f;
        while ((f = readdir(v))) {
            if (f->d_name[0] == '.' || strlen(f->d_name) >= 60)
                continue;
            char path[1024], line[64];
            snprintf(path, sizeof(path), "%s/%s", vmdir, f->d_name);
            int fd = open(path, O_RDONLY);
            if (fd < 0)
                continue;   /* vcpuN folders, write-only files */
            ssize_t n = read(fd, line, sizeof(line) - 1);
            close(fd);
            if (n <= 0)
                continue;
            line[n] = 0;
            char *end;
            errno = 0;
            unsigned long long val = strtoull(line, &end, 10);
            if (errno || end == line || (*end && *end != '\n'))
                continue;
            stat_add(f->d_name, (uint64_t)val);
        }
        closedir(v);
    }
    closedir(d);
    return nvm;
}

/* Memory of the child at the snapshot, from smaps (KiB): the Rss of its
 * guest RAM (the largest-Rss mapping whose size is in [kib, kib + 4 MiB]),
 * and of everything else: Rss, anonymous, and private (pages no other
 * process maps: what one more VM really costs the host). */
struct smaps_sum {
    long ram_rss, out_rss, out_anon, out_private;
};

struct smaps_map {
    long size, rss, anon, priv;
};

static void smaps_add(struct smaps_sum *s, const struct smaps_map *m, long kib,
                      struct smaps_map *ram)
{
    if (m->size < 0)
        return;
    if (m->size >= kib && m->size <= kib + 4096 && m->rss > ram->rss) {
        if (ram->size >= 0) {   /* the previous candidate was not RAM */
            s->out_rss += ram->rss;
            s->out_anon += ram->anon;
            s->out_private += ram->priv;
        }
        *ram = *m;
        return;
    }
    s->out_rss += m->rss;
    s->out_anon += m->anon;
    s->out_private += m->priv;
}

/* A hung child: per-thread CPU from /proc/PID/task/TID/stat into (out). */
static void task_cpu(pid_t pid, char *out, size_t cap)
{
    char path[64];
    size_t len = 0;
    struct dirent *e;
    DIR *d;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    d = opendir(path);
    if (!d)
        return;
    while ((e = readdir(d)) && len + 128 < cap) {
        char buf[512], *close_paren;
        unsigned long ut, st;
        ssize_t n;
        int fd;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/stat", (int)pid, e->d_name);
        fd = open(path, O_RDONLY);
        if (fd < 0)
            continue;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            continue;
        buf[n] = 0;
        /* "TID (COMM) S ..." with utime and stime the 14th and 15th fields */
        close_paren = strrchr(buf, ')');
        if (!close_paren || sscanf(close_paren + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
                                   &ut, &st) != 2)
            continue;
        *close_paren = 0;
        len += (size_t)snprintf(out + len, cap - len, "hang_task %s %s %lu %lu\n", e->d_name,
                                strchr(buf, '(') ? strchr(buf, '(') + 1 : "?", ut, st);
    }
    closedir(d);
}

static int smaps_read(pid_t pid, long kib, struct smaps_sum *s)
{
    char path[64], line[256];
    struct smaps_map m = { .size = -1 }, ram = { .size = -1, .rss = -1 };
    long v;

    snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    memset(s, 0, sizeof(*s));
    while (fgets(line, sizeof(line), f)) {
        if (sscanf(line, "Size: %ld kB", &v) == 1) {
            smaps_add(s, &m, kib, &ram);
            m = (struct smaps_map){ .size = v };
        } else if (sscanf(line, "Rss: %ld kB", &v) == 1)
            m.rss = v;
        else if (sscanf(line, "Anonymous: %ld kB", &v) == 1)
            m.anon = v;
        else if (sscanf(line, "Private_Clean: %ld kB", &v) == 1 ||
                 sscanf(line, "Private_Dirty: %ld kB", &v) == 1)
            m.priv += v;
    }
    smaps_add(s, &m, kib, &ram);
    fclose(f);
    s->ram_rss = ram.rss;
    return 0;
}

static void usage(void)
{
    fputs("usage: probe [--marker STR] [--snap-ms N] [--kill-ms N] [--timeout S]\n"
          "             [--stdin FILE] [--log FILE] [--stderr FILE] [--ram-kib N]\n"
          "             [--debugfs DIR] -- CMD [ARGS...]\n", stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    const char *marker = "VESSEL-INIT", *in = "/dev/null", *logf = NULL,
               *errf = NULL, *debugfs = "/sys/kernel/debug/kvm";
    double snap_after = 300, kill_after = 0, timeout_s = 300;
    long ram_kib = 0;
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            usage();
        const char *v = argv[++i];
        if (!strcmp(a, "--marker")) marker = v;
        else if (!strcmp(a, "--snap-ms")) snap_after = atof(v);
        else if (!strcmp(a, "--kill-ms")) kill_after = atof(v);
        else if (!strcmp(a, "--timeout")) timeout_s = atof(v);
        else if (!strcmp(a, "--stdin")) in = v;
        else if (!strcmp(a, "--log")) logf = v;
        else if (!strcmp(a, "--stderr")) errf = v;
        else if (!strcmp(a, "--ram-kib")) ram_kib = atol(v);
        else if (!strcmp(a, "--debugfs")) debugfs = v;
        else usage();
    }
    if (i >= argc)
        usage();

    int infd = open(in, O_RDONLY | O_CLOEXEC);
    if (infd < 0)
        die("cannot open %s: %s", in, strerror(errno));
    int errfd = -1;
    if (errf && (errfd = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        die("cannot open %s: %s", errf, strerror(errno));
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) < 0)
        die("pipe: %s", strerror(errno));

    clock_gettime(CLOCK_MONOTONIC, &t_start);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(infd, 0);
        dup2(pfd[1], 1);
        dup2(errfd >= 0 ? errfd : pfd[1], 2);
        setpgid(0, 0);
        execvp(argv[i], argv + i);
        fprintf(stderr, "probe: cannot run %s: %s\n", argv[i], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    close(infd);
    if (errfd >= 0)
        close(errfd);

    struct buf log = {0};
    char line[4096];
    size_t llen = 0;
    int at_bol = 1, eof = 0, snapped = 0, nvm = -2;
    double marker_ms = -1, snap_ms = -1, term_ms = -1;
    struct smaps_sum mem;
    int have_mem = 0;
    const char *ended = "self";
    static char hang[4096];
    char marker_line[256] = "";
    int status = 0;
    struct rusage ru;

    for (;;) {
        double t = now_ms();
        /* deadlines */
        if (!snapped && marker_ms >= 0 && snap_after >= 0 && t >= marker_ms + snap_after) {
            snapped = 1;
            snap_ms = t;
            nvm = snap_debugfs(debugfs, pid);
            if (ram_kib > 0 && smaps_read(pid, ram_kib, &mem) == 0)
                have_mem = 1;
        }
        if (term_ms < 0 && ((marker_ms >= 0 && kill_after > 0 && t >= marker_ms + kill_after) ||
                            t >= timeout_s * 1e3)) {
            ended = t >= timeout_s * 1e3 ? "timeout" : "killed";
            if (t >= timeout_s * 1e3) {
                task_cpu(pid, hang, sizeof(hang));
                if (!snapped) {
                    snapped = 1;
                    snap_ms = t;
                    nvm = snap_debugfs(debugfs, pid);
                }
            }
            kill(-pid, SIGTERM);
            kill(pid, SIGTERM);
            term_ms = t;
        }
        if (term_ms >= 0 && t >= term_ms + 2000) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
        }
        pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            die("wait4: %s", strerror(errno));

        double next = timeout_s * 1e3;
        if (!snapped && marker_ms >= 0 && snap_after >= 0 && marker_ms + snap_after < next)
            next = marker_ms + snap_after;
        if (term_ms < 0 && marker_ms >= 0 && kill_after > 0 && marker_ms + kill_after < next)
            next = marker_ms + kill_after;
        if (term_ms >= 0)
            next = term_ms + 2000;
        int wait_ms = (int)(next - t) + 1;
        if (eof)   /* output closed: the child is exiting, poll its status */
            wait_ms = wait_ms < 5 ? wait_ms : 5;
        if (wait_ms < 0)
            wait_ms = 0;
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int r = eof ? poll(NULL, 0, wait_ms) : poll(&p, 1, wait_ms);
        if (r < 0 && errno != EINTR)
            die("poll: %s", strerror(errno));
        if (eof || r <= 0)
            continue;
        char chunk[4096];
        ssize_t n = read(pfd[0], chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            eof = 1;
            continue;
        }
        t = now_ms();
        for (ssize_t k = 0; k < n; k++) {
            char c = chunk[k];
            if (at_bol) {
                char ts[32];
                int m = snprintf(ts, sizeof(ts), "[%9.1f] ", t);
                buf_add(&log, ts, (size_t)m);
                at_bol = 0;
            }
            buf_add(&log, &c, 1);
            if (c == '\n') {
                at_bol = 1;
                llen = 0;
                continue;
            }
            if (llen < sizeof(line) - 1) {
                line[llen++] = c;
                line[llen] = 0;
            }
            /* match as soon as the marker is complete: the rest of the line
             * may arrive later */
            if (marker_ms < 0 && *marker && strstr(line, marker)) {
                marker_ms = t;
                /* the rest of this chunk's line, for the record */
                size_t j = 0;
                for (ssize_t q = k + 1; q < n && chunk[q] != '\n' && chunk[q] != '\r' &&
                                        llen + j < sizeof(line) - 1; q++, j++)
                    line[llen + j] = chunk[q];
                line[llen + j] = 0;
                snprintf(marker_line, sizeof(marker_line), "%.255s", line);
                line[llen] = 0;
            }
        }
    }
    double exit_ms = now_ms();
    /* drain what is left in the pipe (a grandchild could keep it open: don't block) */
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    for (;;) {
        char chunk[4096];
        ssize_t n = read(pfd[0], chunk, sizeof(chunk));
        if (n <= 0)
            break;
        buf_add(&log, chunk, (size_t)n);
    }
    close(pfd[0]);
    kill(-pid, SIGKILL);   /* leftovers in the child's process group */

    if (logf) {
        FILE *f = fopen(logf, "w");
        if (!f)
            die("cannot write %s: %s", logf, strerror(errno));
        if (log.len)
            fwrite(log.p, 1, log.len, f);
        fclose(f);
    }

    for (char *c = marker_line; *c; c++)
        if (*c == '\r' || (unsigned char)*c < ' ')
            *c = ' ';
    printf("marker_ms %.1f\n", marker_ms);
    printf("marker_line %s\n", marker_line);
    printf("exit_ms %.1f\n", exit_ms);
    if (WIFEXITED(status))
        printf("status exit:%d\n", WEXITSTATUS(status));
    else
        printf("status signal:%d\n", WTERMSIG(status));
    printf("ended %s\n", ended);
    printf("maxrss_kib %ld\n", ru.ru_maxrss);
    printf("utime_us %ld\n", (long)ru.ru_utime.tv_sec * 1000000L + (long)ru.ru_utime.tv_usec);
    printf("stime_us %ld\n", (long)ru.ru_stime.tv_sec * 1000000L + (long)ru.ru_stime.tv_usec);
    printf("majflt %ld\n", ru.ru_majflt);
    printf("minflt %ld\n", ru.ru_minflt);
    printf("snap_ms %.1f\n", snap_ms);
    printf("snap_vms %d\n", nvm);
    fputs(hang, stdout);
    for (int k = 0; k < nstats; k++)
        printf("kvm.%s %" PRIu64 "\n", stats[k].name, stats[k].val);
    if (ram_kib > 0)
        printf("ram_rss_kib %ld\n", have_mem ? mem.ram_rss : -1L);
    if (have_mem)
        printf("outside_rss_kib %ld\noutside_anon_kib %ld\noutside_private_kib %ld\n",
               mem.out_rss, mem.out_anon, mem.out_private);
    return 0;
}
