/* A raw disk image behind the block backend interface (core/blkdev.h).
 *
 * The image is a regular file or a block device, used as is: no format is
 * ever probed, so a guest that writes a qcow2 header into sector 0 still
 * gets a raw disk next time. Opening takes an OFD lock on the whole file
 * (a write lock read-write, a read lock read-only), so a second VM cannot
 * open the image read-write while this one has it, nor read-only while
 * another has it read-write.
 *
 * I/O runs on a small pool of worker threads (with every signal blocked)
 * through the blkio seam (host/blkfault.h): preadv/pwritev loop on short
 * counts and EINTR; reading past the end of a file that shrank is -EIO;
 * FLUSH is fdatasync; DISCARD punches a hole (a filesystem that cannot is
 * a successful no-op: the spec lets a device ignore discards); WRITE_ZEROES
 * punches a hole if the guest allows unmapping, else zeroes the range with
 * fallocate, else writes zeroes. FUA requests end with a flush.
 *
 * Flush failures are sticky (RELIABILITY.md NDL2): after one fdatasync
 * fails, the image is "suspect" and every later FLUSH (and FUA write) fails
 * with -EIO without trying again, since a retried fsync can report success
 * for data the kernel already dropped. Flushes are serialised so that two
 * cannot share one error report.
 *
 * Threads and completions: submit() and drain() are called under the
 * device lock (vCPU or I/O thread). Workers never call into the device:
 * they queue each completion and signal blkfile_completion_fd(), an
 * eventfd the VMM's I/O thread polls; on POLLIN it calls blkfile_reap(),
 * and the callback calls virtio_blk_complete() under the device lock.
 * drain() waits for the workers and then drops completions not yet reaped;
 * reap hands completions out only after returning their queue entries, so
 * a callback may submit again at once.
 *
 * Locks: the device lock, when held, is always taken before the backend's
 * internal lock, and workers never take the device lock, so drain() under
 * the device lock cannot deadlock with a reaper waiting for it. */
#ifndef VESSEL_HOST_BLKFILE_H
#define VESSEL_HOST_BLKFILE_H

#include "core/blkdev.h"
#include "host/blkfault.h"

#define BLKFILE_PATH_MAX 4096
#define BLKFILE_SERIAL_MAX 20
#define BLKFILE_DEF_THREADS 4
#define BLKFILE_DEF_QDEPTH 256   /* one virtio-blk queue */

/* What `--disk PATH[,ro][,serial=S]` says. */
struct blkfile_spec {
    char path[BLKFILE_PATH_MAX];
    bool read_only;
    char serial[BLKFILE_SERIAL_MAX + 1];  /* "" when not given */
};

/* Parse (arg) into (out): PATH, then options after commas: "ro", "rw",
 * "serial=S" (1-20 printable ASCII characters, no comma). A comma inside
 * PATH is written ",,". Returns 0, or -EINVAL / -ENAMETOOLONG with one log
 * line saying what is wrong. */
int blkfile_parse_spec(const char *arg, struct blkfile_spec *out) MUST_CHECK;

struct blkfile_config {
    const char *path;
    bool read_only;
    unsigned nthreads;      /* 0: BLKFILE_DEF_THREADS */
    unsigned qdepth;        /* requests accepted at once; 0: default */
    /* I/O layer: NULL for the system calls, or for a fault injector set up
     * from VESSEL_BLK_FAULT when that is set (host/blkfault.h). */
    const struct blkio_ops *io;
    void *io_ctx;
};

struct blkfile;

/* Open, lock and size the image, start the workers. Returns 0 with (*out)
 * set, or -errno with one log line naming the file: -EBUSY if another
 * process holds a conflicting lock, -EINVAL if it is not a regular file or
 * block device (or VESSEL_BLK_FAULT is malformed). */
int blkfile_open(struct blkfile **out, const struct blkfile_config *cfg)
    MUST_CHECK;

/* Wait for accepted requests, stop the workers, unlock and close. Call
 * after the device is reset or gone; completions not reaped are dropped.
 * NULL is ignored. */
void blkfile_close(struct blkfile *bf);

/* The backend interface; ctx = struct blkfile *. */
extern const struct blkdev_ops blkfile_blkdev_ops;

/* An eventfd that is readable while completions wait to be reaped. */
int blkfile_completion_fd(const struct blkfile *bf);

/* Hand waiting completions to (cb)(ctx, cookie, result), at most the queue
 * depth per call (if more remain the fd stays readable). Call from the
 * VMM's I/O thread, either holding the device lock around the whole call
 * (one lock round trip per batch) or taking it in (cb); (cb) may submit.
 * Returns the number handed out. */
unsigned blkfile_reap(struct blkfile *bf,
                      void (*cb)(void *ctx, uint64_t cookie, int result),
                      void *ctx);

uint64_t blkfile_size(const struct blkfile *bf);   /* bytes, at open */
bool blkfile_read_only(const struct blkfile *bf);
const char *blkfile_path(const struct blkfile *bf);

/* True once a flush has failed: no FLUSH will succeed again. */
bool blkfile_suspect(const struct blkfile *bf);

#endif
