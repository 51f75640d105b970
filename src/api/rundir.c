/* Runtime directory: names taken by an OFD lock, stale ones cleaned. */
#include "api/rundir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CLAIM_TRIES 8
#define LIST_MAX 4096           /* directories rundir_list() looks at */

/* What a VM may leave in its directory besides the lock. */
static const char *const vm_files[] = {
    RUNDIR_API_SOCK, RUNDIR_CONSOLE_SOCK, RUNDIR_PID, RUNDIR_PID ".tmp",
    RUNDIR_LOG,
};

/* BASE/NAME opened; the lock is not necessarily held. */
struct slot {
    int dirfd, lockfd;
};

int rundir_check_name(const char *name)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "abcdefghijklmnopqrstuvwxyz0123456789._-";
    size_t n = strnlen(name, RUNDIR_NAME_MAX + 1);

    if (n > RUNDIR_NAME_MAX)
        return -ENAMETOOLONG;
    if (n == 0 || name[0] == '.' || name[0] == '-' || strspn(name, ok) != n)
        return -EINVAL;
    return 0;
}

int rundir_default_base(char *out, size_t len)
{
    const char *env = getenv("VESSEL_RUNTIME_DIR");
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    int n;

    if (env && env[0] == '/')
        n = snprintf(out, len, "%s", env);
    else if (geteuid() == 0)
        n = snprintf(out, len, "/run/vessel");
    else if (xdg && xdg[0] == '/')
        n = snprintf(out, len, "%s/vessel", xdg);
    else
        return -ENOENT;
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int rundir_path(char *out, size_t len, const char *base, const char *name,
                const char *file)
{
    int rc = rundir_check_name(name), n;

    if (rc < 0)
        return rc;
    if (file)
        n = snprintf(out, len, "%s/%s/%s", base, name, file);
    else
        n = snprintf(out, len, "%s/%s", base, name);
    if (n < 0 || (size_t)n >= len || (size_t)n >= RUNDIR_PATH_MAX)
        return -ENAMETOOLONG;
    return 0;
}

/* Another user's directory, or one others may write to, could hold
 * planted sockets: refuse it. */
static int check_private(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077))
        return -EPERM;
    return 0;
}

static int open_base(const char *base, bool create)
{
    int fd, rc;

    if (create && mkdir(base, 0700) < 0 && errno != EEXIST)
        return -errno;
    fd = open(base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    rc = check_private(fd);
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

static void close_slot(struct slot *s)
{
    close(s->lockfd);
    close(s->dirfd);
    s->lockfd = s->dirfd = -1;
}

/* Open BASE/NAME and its lock file, creating both when (create). -ENOENT
 * when either is missing (with (create): removed under us, try again). */
static int open_slot(int basefd, const char *name, bool create,
                     struct slot *s)
{
    int rc;

    if (create && mkdirat(basefd, name, 0700) < 0 && errno != EEXIST)
        return -errno;
    s->dirfd = openat(basefd, name,
                      O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (s->dirfd < 0)
        return errno == ENOTDIR || errno == ELOOP ? -ENOENT : -errno;
    rc = check_private(s->dirfd);
    if (rc == 0) {
        s->lockfd = openat(s->dirfd, RUNDIR_LOCK,
                           O_RDWR | O_CLOEXEC | O_NOFOLLOW |
                           (create ? O_CREAT : 0), 0600);
        rc = s->lockfd < 0 ? -errno : 0;
    }
    if (rc < 0)
        close(s->dirfd);
    return rc;
}

/* Is (name) in (dirfd) still the file open as (fd)? */
static bool same_file(int dirfd, const char *name, int fd)
{
    struct stat a, b;

    return fstatat(dirfd, name, &a, AT_SYMLINK_NOFOLLOW) == 0 &&
           fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Returns 0 with the lock held on the files BASE/NAME/lock now names,
 * -EEXIST if a live process holds it, -EAGAIN if the directory changed
 * hands under us (close the slot and try again), or -errno. */
static int lock_slot(int basefd, const char *name, struct slot *s)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    struct stat st;

    if (fcntl(s->lockfd, F_OFD_SETLK, &fl) < 0) {
        if (errno != EAGAIN && errno != EACCES)
            return -errno;
        /* A holder that has unlinked the file is releasing the name. */
        if (fstat(s->lockfd, &st) == 0 && st.st_nlink == 0)
            return -EAGAIN;
        return -EEXIST;
    }
    /* We may have locked a file its last owner unlinked after we opened
     * it, or a directory removed and made again. */
    if (!same_file(s->dirfd, RUNDIR_LOCK, s->lockfd) ||
        !same_file(basefd, name, s->dirfd))
        return -EAGAIN;
    return 0;
}

static void clean_files(int dirfd)
{
    for (size_t i = 0; i < ARRAY_SIZE(vm_files); i++)
        unlinkat(dirfd, vm_files[i], 0);
}

/* With the lock held: remove the files, then the lock file, then the
 * directory (left if something unknown is in it). */
static void remove_slot(int basefd, const char *name, const struct slot *s)
{
    clean_files(s->dirfd);
    unlinkat(s->dirfd, RUNDIR_LOCK, 0);
    unlinkat(basefd, name, AT_REMOVEDIR);
}

static int write_pid(int dirfd)
{
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    int fd = openat(dirfd, RUNDIR_PID ".tmp",
                    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                    0600);
    int rc = 0;

    if (fd < 0)
        return -errno;
    if (write(fd, buf, (size_t)n) != n)
        rc = -EIO;
    close(fd);
    if (rc == 0 && renameat(dirfd, RUNDIR_PID ".tmp", dirfd, RUNDIR_PID) < 0)
        rc = -errno;
    return rc;
}

static pid_t read_pid(int dirfd)
{
    char buf[24];
    int fd = openat(dirfd, RUNDIR_PID, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;
    long v;
    char *end;

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    v = strtol(buf, &end, 10);
    return v > 0 && v <= 0x3fffffff && *end == '\n' ? (pid_t)v : 0;
}

static void backoff(void)
{
    struct timespec ts = { 0, 2000000 };

    nanosleep(&ts, NULL);
}

static int claim_at(int basefd, const char *name, struct slot *s)
{
    int rc = -EBUSY;

    for (int i = 0; i < CLAIM_TRIES; i++) {
        rc = open_slot(basefd, name, true, s);
        if (rc == -ENOENT)
            continue;
        if (rc < 0)
            return rc;
        rc = lock_slot(basefd, name, s);
        if (rc == 0)
            return 0;
        close_slot(s);
        if (rc != -EAGAIN)
            return rc;
        backoff();
    }
    return -EBUSY;              /* it kept changing hands */
}

int rundir_claim(struct rundir *rd, const char *base, const char *name)
{
    char longest[RUNDIR_PATH_MAX];
    struct slot s;
    int basefd, rc;

    memset(rd, 0, sizeof(*rd));
    rd->dirfd = rd->lockfd = -1;
    rc = rundir_path(longest, sizeof(longest), base, name,
                     RUNDIR_CONSOLE_SOCK);
    if (rc < 0)
        return rc;
    basefd = open_base(base, true);
    if (basefd < 0)
        return basefd;
    rc = claim_at(basefd, name, &s);
    if (rc == 0) {
        clean_files(s.dirfd);
        rc = write_pid(s.dirfd);
        if (rc < 0) {
            remove_slot(basefd, name, &s);
            close_slot(&s);
        }
    }
    close(basefd);
    if (rc < 0)
        return rc;
    snprintf(rd->base, sizeof(rd->base), "%s", base);
    snprintf(rd->name, sizeof(rd->name), "%s", name);
    rd->dirfd = s.dirfd;
    rd->lockfd = s.lockfd;
    return 0;
}

void rundir_release(struct rundir *rd)
{
    struct slot s = { rd->dirfd, rd->lockfd };
    int basefd;

    if (rd->lockfd < 0)
        return;
    basefd = open(rd->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (basefd >= 0) {
        remove_slot(basefd, rd->name, &s);
        close(basefd);
    }
    close_slot(&s);
    rd->dirfd = rd->lockfd = -1;
}

/* 0 with (out) filled if a live process holds (name); a stale directory
 * is removed and gives -ENOENT. */
static int probe_at(int basefd, const char *name, struct rundir_entry *out)
{
    struct slot s;
    int rc = -ENOENT;

    for (int i = 0; i < CLAIM_TRIES; i++) {
        rc = open_slot(basefd, name, false, &s);
        if (rc < 0)
            return rc;
        rc = lock_slot(basefd, name, &s);
        if (rc == -EEXIST) {
            snprintf(out->name, sizeof(out->name), "%s", name);
            out->pid = read_pid(s.dirfd);
            rc = 0;
        } else if (rc == 0) {
            remove_slot(basefd, name, &s);
            rc = -ENOENT;
        }
        close_slot(&s);
        if (rc != -EAGAIN)
            return rc;
        backoff();
    }
    return -ENOENT;
}

int rundir_probe(const char *base, const char *name, struct rundir_entry *out)
{
    int basefd, rc = rundir_check_name(name);

    if (rc < 0)
        return rc;
    basefd = open_base(base, false);
    if (basefd < 0)
        return basefd;
    rc = probe_at(basefd, name, out);
    close(basefd);
    return rc;
}

typedef char name_buf[RUNDIR_NAME_MAX + 1];

static int cmp_names(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The names in (basefd) that could be VMs, sorted, in a malloc'd array. */
static int collect(int basefd, name_buf **out, size_t *count)
{
    int fd = dup(basefd);
    DIR *d = fd < 0 ? NULL : fdopendir(fd);
    name_buf *names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return -errno;
    }
    while ((de = readdir(d)) && n < LIST_MAX) {
        if (rundir_check_name(de->d_name) < 0)
            continue;
        if (n == cap) {
            name_buf *more = realloc(names, (cap ? cap * 2 : 16) *
                                                sizeof(*names));
            if (!more)
                break;
            names = more;
            cap = cap ? cap * 2 : 16;
        }
        /* checked: it fits */
        memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    *out = names;
    *count = n;
    return 0;
}

int rundir_list(const char *base, rundir_list_fn fn, void *ctx)
{
    name_buf *names = NULL;
    size_t n = 0;
    int basefd = open_base(base, false), rc;

    if (basefd == -ENOENT)
        return 0;
    if (basefd < 0)
        return basefd;
    rc = collect(basefd, &names, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct rundir_entry e;

        if (probe_at(basefd, names[i], &e) == 0)
            rc = fn(ctx, &e);
    }
    free(names);
    close(basefd);
    return rc;
}
