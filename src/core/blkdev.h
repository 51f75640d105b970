/* A block backend as a device model sees it: an image of (size) bytes that
 * takes asynchronous requests. host/blkfile.c implements it over a raw file
 * with a thread pool; tests implement it in memory. Nothing here makes a
 * system call, so devices/ can use it freestanding.
 *
 * Request lifetime (the protocol devices/virtio/blk.c and the VMM follow):
 *
 *  1. submit(ctx, req) is called under the device lock and must not block or
 *     call back into the device. It returns 0 (accepted: exactly one
 *     completion will be produced later) or a negative errno (refused: no
 *     completion will ever come; the device answers the guest itself).
 *  2. From acceptance until its completion is produced, the backend owns
 *     (req) and may read it and the host buffers it names from any thread.
 *     Afterwards it never touches (req) again.
 *  3. A completion is the pair (req->cookie as it was at submit, result),
 *     carried by value: the backend copies the cookie at submit, so the
 *     device may reuse (req) as soon as the completion is produced. Results
 *     are 0 or a negative errno. The backend hands completions to the VMM
 *     by its own means (blkfile: an eventfd and blkfile_reap()), and the
 *     VMM passes them to the device under the device lock.
 *  4. drain(ctx) is called under the device lock, from the device's reset.
 *     It blocks until every accepted request has been completed, then
 *     forgets the completions it has not handed out yet. A completion the
 *     VMM had already taken may still arrive after drain returns; the
 *     device recognises it by its cookie and drops it. When drain returns,
 *     no backend thread touches guest memory or any (req) of this device.
 *     drain must not wait for the device lock: the VMM's completion thread
 *     may be waiting for it.
 */
#ifndef VESSEL_CORE_BLKDEV_H
#define VESSEL_CORE_BLKDEV_H

#include "core/types.h"

#define BLKDEV_SECTOR 512u
#define BLKDEV_MAX_IOV 128 /* host buffers in one request */

enum blkdev_op {
    BLKDEV_OP_READ,         /* image[offset, +len) -> iov */
    BLKDEV_OP_WRITE,        /* iov -> image[offset, +len) */
    BLKDEV_OP_FLUSH,        /* writes completed before submit are durable */
    BLKDEV_OP_DISCARD,      /* may deallocate; later reads are undefined */
    BLKDEV_OP_WRITE_ZEROES, /* [offset, +len) reads back as zeroes */
};

/* WRITE, WRITE_ZEROES: durable on stable storage before completion (the
 * device is in writethrough mode). */
#define BLKDEV_F_FUA 1u
/* WRITE_ZEROES: the range may be deallocated instead of written. */
#define BLKDEV_F_UNMAP 2u

struct blkdev_iov {
    void *base;             /* host view of guest RAM (gmem_span) */
    size_t len;
};

struct blkdev_req {
    enum blkdev_op op;
    unsigned flags;         /* BLKDEV_F_* */
    uint64_t offset, len;   /* bytes; both 0 for FLUSH */
    uint64_t cookie;        /* opaque to the backend, returned by value */
    unsigned niov;          /* READ/WRITE: sum of iov[].len == len */
    struct blkdev_iov iov[BLKDEV_MAX_IOV];
};

struct blkdev_info {
    uint64_t size;          /* bytes; the device uses whole sectors only */
    bool read_only;
};

struct blkdev_ops {
    /* Size and mode, fixed while the device exists. */
    void (*info)(void *ctx, struct blkdev_info *out);
    /* Start (req). 0 or -errno (-EAGAIN when full, -EINVAL for a request
     * outside the image or malformed, -EROFS for a write to a read-only
     * image). Non-blocking, never re-enters the device. */
    int (*submit)(void *ctx, struct blkdev_req *req);
    /* Wait for every accepted request to complete; drop completions not yet
     * handed out (see 4. above). */
    void (*drain)(void *ctx);
};

#endif
