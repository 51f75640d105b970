/* Kernel image files; the contract is in kimage.h. */
#include "host/kimage.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int kimage_open_fd(struct kimage *ki, int fd, uint64_t max)
{
    struct stat st;
    void *map;
    int rc = 0;

    ki->fd = -1;
    ki->data = NULL;
    ki->len = 0;
    if (fstat(fd, &st) < 0)
        rc = -errno;
    else if (S_ISDIR(st.st_mode))
        rc = -EISDIR;
    else if (!S_ISREG(st.st_mode) || st.st_size < 0)
        rc = -EINVAL;
    else if ((uint64_t)st.st_size > max)
        rc = -EFBIG;
    else if (st.st_size == 0)
        rc = -ENOEXEC;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = -errno;
        close(fd);
        return rc;
    }
    ki->fd = fd;
    ki->data = map;
    ki->len = (size_t)st.st_size;
    return 0;
}

int kimage_open(struct kimage *ki, const char *path, uint64_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        ki->fd = -1;
        ki->data = NULL;
        ki->len = 0;
        return -errno;
    }
    return kimage_open_fd(ki, fd, max);
}

int kimage_read(const struct kimage *ki, uint64_t off, void *dst, size_t len)
{
    uint8_t *p = dst;

    while (len) {
        ssize_t n = pread(ki->fd, p, len, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int kimage_load_elf(const struct kimage *ki, const struct elf_info *ei,
                    struct gmem *gm)
{
    return kimage_load_elf_by(ki, ei, gm, kimage_read);
}

int kimage_load_elf_by(const struct kimage *ki, const struct elf_info *ei,
                       struct gmem *gm, kimage_read_fn read)
{
    for (unsigned i = 0; i < ei->nload; i++) {
        const struct elf_segment *s = &ei->load[i];
        void *dst;
        int rc;

        if (s->filesz == 0)
            continue;
        dst = gmem_span(gm, s->paddr, (size_t)s->filesz);
        if (!dst)
            return -EFAULT;
        rc = read(ki, s->offset, dst, (size_t)s->filesz);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void kimage_close(struct kimage *ki)
{
    if (ki->data)
        munmap(ki->data, ki->len);
    if (ki->fd >= 0)
        close(ki->fd);
    ki->fd = -1;
    ki->data = NULL;
    ki->len = 0;
}
