/* Whole-file reads, whole-buffer writes. */
#include "host/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_all(int fd, uint8_t *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;   /* file shrank under us */
        done += (size_t)n;
    }
    return 0;
}

int host_read_file(const char *path, uint64_t max, uint8_t **buf, size_t *len)
{
    struct stat st;
    uint8_t *b;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        rc = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0) {
        rc = -EINVAL;
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = -EFBIG;
        goto out;
    }
    b = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!b) {
        rc = -ENOMEM;
        goto out;
    }
    rc = read_all(fd, b, (size_t)st.st_size);
    if (rc < 0) {
        free(b);
        goto out;
    }
    *buf = b;
    *len = (size_t)st.st_size;
out:
    close(fd);
    return rc;
}

int host_write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
