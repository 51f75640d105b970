/* A listening unix stream socket: see unixsock.h. */
#include "host/unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int unix_listen(const char *path, int backlog)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* Linux gives the socket file the socket inode's mode (less the
     * umask) at bind: 0600 from the start, no window. */
    if (fchmod(fd, 0600) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    if (listen(fd, backlog) < 0) {
        rc = -errno;
        unlink(path);
        close(fd);
        return rc;
    }
    return fd;
}
