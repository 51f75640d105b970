/* The process-wide half of the sandbox: inherited fds, NO_NEW_PRIVS, the
 * mount namespace, and the user to run as. Filters are in sandbox.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/log.h"
#include "host/sandbox_int.h"

/* ---- fds ---- */

/* Fallback for kernels before close_range (5.9). */
static int close_by_walk(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;

    if (!d)
        return -errno;
    while ((e = readdir(d))) {
        int fd = atoi(e->d_name);
        if (fd > 2 && fd != dirfd(d))
            close(fd);
    }
    closedir(d);
    return 0;
}

int sandbox_close_stray_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        int n;

        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        n = open("/dev/null", O_RDWR);   /* lowest free: this one */
        if (n < 0)
            return -errno;
        if (n != fd)
            close(n);
    }
    if (close_range(3, ~0U, 0) == 0)
        return 0;
    return errno == ENOSYS ? close_by_walk() : -errno;
}

/* ---- --user ---- */

static int parse_id(const char *s, unsigned *out)
{
    char *end;
    unsigned long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (*end || errno || v >= 0xffffffffUL)   /* (uid_t)-1 means "unchanged" */
        return -ERANGE;
    *out = (unsigned)v;
    return 0;
}

/* Users and groups come from /etc/passwd and /etc/group, read with
 * fgetpwent/fgetgrent, not through NSS (getpwnam and friends): vessel is a
 * static executable, and an NSS module dlopen()ed into one brings its own
 * libc along (libnss_systemd crashes there). A user known only to another
 * source (LDAP, systemd's dynamic users) is given as UID[:GID]. The result
 * points into libc's static buffer, as getpwnam's does. */
static struct passwd *passwd_by(const char *name, uid_t uid)
{
    FILE *f = fopen("/etc/passwd", "re");
    struct passwd *pw = NULL;

    if (!f)
        return NULL;
    while ((pw = fgetpwent(f)))
        if (name ? strcmp(pw->pw_name, name) == 0 : pw->pw_uid == uid)
            break;
    fclose(f);
    return pw;
}

static struct passwd *passwd_by_name(const char *name)
{
    return passwd_by(name, 0);
}

static struct passwd *passwd_by_uid(uid_t uid)
{
    return passwd_by(NULL, uid);
}

static struct group *group_by_name(const char *name)
{
    FILE *f = fopen("/etc/group", "re");
    struct group *gr = NULL;

    if (!f)
        return NULL;
    while ((gr = fgetgrent(f)) && strcmp(gr->gr_name, name) != 0)
        ;
    fclose(f);
    return gr;
}

static int parse_group(const char *s, gid_t *gid, char *err, size_t errlen)
{
    struct group *gr;
    unsigned v;

    if (parse_id(s, &v) == 0) {
        *gid = v;
        return 0;
    }
    gr = *s ? group_by_name(s) : NULL;
    if (!gr) {
        snprintf(err, errlen, "--user: no group '%s'", s);
        return -ENOENT;
    }
    *gid = gr->gr_gid;
    return 0;
}

int sandbox_parse_user(const char *spec, uid_t *uid, gid_t *gid, char *err,
                       size_t errlen)
{
    const char *colon = strchr(spec, ':');
    char name[256];
    size_t n = colon ? (size_t)(colon - spec) : strlen(spec);
    struct passwd *pw;
    unsigned v;

    if (n == 0 || n >= sizeof(name)) {
        snprintf(err, errlen, "--user '%s': want NAME or UID, then "
                 "optionally :GROUP or :GID", spec);
        return -EINVAL;
    }
    memcpy(name, spec, n);
    name[n] = '\0';
    if (parse_id(name, &v) == 0) {
        *uid = v;
        pw = passwd_by_uid(v);
        *gid = pw ? pw->pw_gid : v;
    } else if ((pw = passwd_by_name(name))) {
        *uid = pw->pw_uid;
        *gid = pw->pw_gid;
    } else {
        snprintf(err, errlen, "--user: no user '%s'", name);
        return -ENOENT;
    }
    return colon ? parse_group(colon + 1, gid, err, errlen) : 0;
}

/* Did the switch to (u, g) stick, with no way back to root? */
static int check_dropped(uid_t u, gid_t g)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;

    if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
        return -errno;
    if (r != u || e != u || s != u || rg != g || eg != g || sg != g ||
        getgroups(0, NULL) != 0)
        return -EPERM;
    /* Raw calls: glibc's wrappers would run them in every thread, and the
     * filtered ones may only repeat the drop itself. */
    if (u != 0 && (syscall(SYS_setuid, 0) == 0 ||
                   syscall(SYS_setresuid, -1, 0, -1) == 0))
        return -EPERM;
    return 0;
}

int sandbox_drop_user(char *err, size_t errlen)
{
    uid_t u = sandbox_st.cfg.uid;
    gid_t g = sandbox_st.cfg.gid;
    int rc;

    if (!sandbox_st.on || !sandbox_st.cfg.drop_user || sandbox_st.dropped)
        return 0;
    if (geteuid() != 0) {
        if (getuid() == u && getgid() == g)
            return 0;   /* already that user */
        snprintf(err, errlen, "--user: only root can switch users");
        return -EPERM;
    }
    /* Groups first: after setresuid there is no right left to do it. */
    if (setgroups(0, NULL) < 0 || setresgid(g, g, g) < 0 ||
        setresuid(u, u, u) < 0) {
        rc = -errno;
        snprintf(err, errlen, "--user: cannot switch to uid %u gid %u: %s",
                 (unsigned)u, (unsigned)g, strerror(errno));
        return rc;
    }
    rc = check_dropped(u, g);
    if (rc < 0) {
        snprintf(err, errlen, "--user: the switch to uid %u gid %u did not "
                 "stick", (unsigned)u, (unsigned)g);
        return rc;
    }
    sandbox_st.dropped = true;
    log_info("sandbox: running as uid %u gid %u", (unsigned)u, (unsigned)g);
    return 0;
}

/* ---- setup ---- */

/* Our own view of the mounts: nothing mounted here leaks out, and mounts
 * made by the host still arrive (slave). Not permitted without root or a
 * user namespace: then the host's view stays. */
static void private_mounts(void)
{
    if (unshare(CLONE_NEWNS) < 0) {
        log_debug("sandbox: no private mount namespace: %s", strerror(errno));
        return;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        log_debug("sandbox: cannot make / a slave mount: %s", strerror(errno));
}

static int read_selftest(char *err, size_t errlen)
{
    const char *env = getenv("VESSEL_SANDBOX_SELFTEST");
    int r;

    sandbox_st.selftest = -1;
    if (!env || !*env)
        return 0;
    r = sandbox_role_parse(env);
    if (r < 0) {
        snprintf(err, errlen, "VESSEL_SANDBOX_SELFTEST='%s' is not a thread "
                 "role (main, vcpu, io, api, slirp, blk)", env);
        return r;
    }
    sandbox_st.selftest = r;
    return 0;
}

int sandbox_setup(const struct sandbox_config *cfg, char *err, size_t errlen)
{
    int rc = read_selftest(err, errlen);

    if (rc < 0)
        return rc;
    /* Inherited by every thread created from here on. Not dumpable: no
     * core file full of guest memory, no ptrace or /proc/PID/mem by other
     * processes of the same user. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1UL, 0UL, 0UL, 0UL) < 0 ||
        prctl(PR_SET_DUMPABLE, 0UL, 0UL, 0UL, 0UL) < 0) {
        rc = -errno;
        snprintf(err, errlen, "sandbox: prctl: %s", strerror(errno));
        return rc;
    }
    private_mounts();
    rc = sandbox_install_handler();
    if (rc < 0) {
        snprintf(err, errlen, "sandbox: SIGSYS handler: %s", strerror(-rc));
        return rc;
    }
    sandbox_load_names();
    sandbox_st.cfg = *cfg;
    sandbox_st.dropped = false;
    sandbox_st.on = true;
    return 0;
}
