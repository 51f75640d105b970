/* A kernel image file (an ELF vmlinux, a bzImage): mapped read-only so its
 * headers can be parsed in place, with the bulk contents read by pread()
 * straight to where they go (guest RAM). Nothing but the few pages a
 * parser touches becomes resident in the VMM: a 60 MiB vmlinux costs no
 * VMM memory beyond the guest RAM it fills, and loading it is one copy. */
#ifndef VESSEL_HOST_KIMAGE_H
#define VESSEL_HOST_KIMAGE_H

#include "boot/elf.h"
#include "core/gmem.h"
#include "core/types.h"

struct kimage {
    int fd;                   /* -1 when closed */
    uint8_t *data;            /* PROT_READ mapping of the whole file */
    size_t len;
};

/* Open regular file (path) of at most (max) bytes (and at least 1). Returns
 * 0; -EINVAL if it is not a regular file, -EISDIR, -EFBIG, -ENOEXEC for an
 * empty file, or -errno. The mapping is only read, and only the pages a
 * parser looks at are read in; a file truncated under it would fault on
 * access, so bulk contents go through kimage_read(). */
int kimage_open(struct kimage *ki, const char *path, uint64_t max) MUST_CHECK;

/* The same for an open file (fd), which (ki) owns from now on (also on
 * failure: it is closed then). */
int kimage_open_fd(struct kimage *ki, int fd, uint64_t max) MUST_CHECK;

/* Read (len) bytes at file offset (off) into (dst). Returns 0, -EIO if the
 * file ends before (the file shrank), -errno. */
int kimage_read(const struct kimage *ki, uint64_t off, void *dst,
                size_t len) MUST_CHECK;

/* Copy the file contents of every PT_LOAD segment of (ei), which
 * elf_parse() filled from ki->data, to guest RAM at its p_paddr. The zero
 * tail [filesz, memsz) is the caller's (pvh_load_info() writes it).
 * Returns 0, -EFAULT if a segment is not in one RAM region, -EIO/-errno. */
int kimage_load_elf(const struct kimage *ki, const struct elf_info *ei,
                    struct gmem *gm) MUST_CHECK;

/* kimage_load_elf() with each segment's bytes read by (read) instead of
 * kimage_read() (the kernel cache reads only a sparse file's data). */
typedef int (*kimage_read_fn)(const struct kimage *ki, uint64_t off,
                              void *dst, size_t len);
int kimage_load_elf_by(const struct kimage *ki, const struct elf_info *ei,
                       struct gmem *gm, kimage_read_fn read) MUST_CHECK;

void kimage_close(struct kimage *ki);

#endif
