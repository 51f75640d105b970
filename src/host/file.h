/* Reading whole files (kernels, initrds) with clear limits. */
#ifndef VESSEL_HOST_FILE_H
#define VESSEL_HOST_FILE_H

#include "core/types.h"

/* Read (path) into a new buffer (*buf, *len) that the caller frees.
 * Returns 0, -errno from the system, -EISDIR for a directory, or -EFBIG
 * when the file is larger than (max) bytes. */
int host_read_file(const char *path, uint64_t max, uint8_t **buf,
                   size_t *len) MUST_CHECK;

/* Write all (len) bytes of (buf) to (fd), retrying short writes and EINTR.
 * Returns 0 or -errno (-ENOSPC, ...). */
int host_write_all(int fd, const void *buf, size_t len) MUST_CHECK;

#endif
