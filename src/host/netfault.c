/* The network I/O seam and its fault injector; see netfault.h. */
#include "host/netfault.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "host/faultspec.h"

static ssize_t sys_writev(void *ctx, int fd, const struct iovec *iov, int cnt)
{
    ssize_t n = writev(fd, iov, cnt);

    (void)ctx;
    return n < 0 ? -errno : n;
}

static ssize_t sys_read(void *ctx, int fd, void *buf, size_t len)
{
    ssize_t n = read(fd, buf, len);

    (void)ctx;
    return n < 0 ? -errno : n;
}

const struct netio_ops netio_sys_ops = {
    .writev = sys_writev,
    .read = sys_read,
};

/* Call number (call), from 1, fails under (f)'s rules. */
static bool write_fails(const struct netfault *f, uint64_t call)
{
    if (f->every && call % f->every == 0)
        return true;
    return f->storm && ((call - 1) / f->storm) % 2 == 0;
}

static ssize_t fault_writev(void *ctx, int fd, const struct iovec *iov,
                            int cnt)
{
    struct netfault *f = ctx;

    if (write_fails(f, ++f->writes)) {
        f->injected++;
        return -EAGAIN;
    }
    return f->next->writev(f->next_ctx, fd, iov, cnt);
}

static ssize_t fault_read(void *ctx, int fd, void *buf, size_t len)
{
    struct netfault *f = ctx;

    return f->next->read(f->next_ctx, fd, buf, len);
}

const struct netio_ops netfault_ops = {
    .writev = fault_writev,
    .read = fault_read,
};

void netfault_init(struct netfault *f)
{
    memset(f, 0, sizeof(*f));
    f->next = &netio_sys_ops;
}

bool netfault_active(const struct netfault *f)
{
    return f->every || f->storm;
}

static int parse_one(void *ctx, const char *key, const char *val)
{
    struct netfault *f = ctx;

    /* eagain:1 would refuse every write forever: a guaranteed stall. */
    if (strcmp(key, "eagain") == 0)
        return faultspec_count(val, 2, &f->every, NULL);
    if (strcmp(key, "eagain-storm") == 0)
        return faultspec_count(val, 1, &f->storm, NULL);
    return -EINVAL;
}

int netfault_parse(struct netfault *f, const char *spec)
{
    return faultspec_parse(NETFAULT_ENV, spec,
                           "eagain:N with N >= 2, or eagain-storm:N",
                           parse_one, f);
}
