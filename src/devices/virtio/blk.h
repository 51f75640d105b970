/* virtio-blk (virtio 1.2, 5.2): one request queue in front of a block
 * backend (core/blkdev.h).
 *
 * Offered: SEG_MAX, FLUSH, RO (read-only image) or DISCARD + WRITE_ZEROES
 * (writable image), INDIRECT_DESC, EVENT_IDX. Requests: IN, OUT, FLUSH,
 * GET_ID, DISCARD, WRITE_ZEROES; any other type is answered UNSUPP.
 *
 * Request framing does not depend on descriptor boundaries (2.6.4): the
 * readable bytes of a chain are one stream whose first 16 bytes are the
 * header, the writable bytes another whose last byte is the status. Data is
 * the rest of the readable stream (OUT, DISCARD, WRITE_ZEROES) or of the
 * writable stream (IN, GET_ID); bytes in the other direction are ignored.
 * (virtq_pop already refuses writable-then-readable chains and skips empty
 * descriptors.) A header short of 16 bytes is answered IOERR. A chain with
 * no writable byte cannot be answered at all: the device sets NEEDS_RESET
 * and leaves the chain in flight until the driver resets it.
 *
 * Checks (RELIABILITY.md (a) 19, 20), each answered without host I/O:
 *   IN/OUT: data % 512 != 0, sector >= capacity, sector*512 + data past the
 *   capacity (overflow-safe), more than VIRTIO_BLK_SEG_MAX data buffers, or a
 *   buffer that is not one host span -> IOERR. Zero-length data: OK.
 *   GET_ID: writable data other than exactly 20 bytes -> IOERR (the spec's
 *   driver requirement, 5.2.6.1; nothing partial is written).
 *   DISCARD/WRITE_ZEROES: unknown flag, or UNMAP on DISCARD -> UNSUPP
 *   (5.2.6.2); payload not exactly one 16-byte segment (max_*_seg is 1),
 *   more than the max sectors, or a range past the capacity -> IOERR.
 *   Read-only image: OUT, DISCARD, WRITE_ZEROES -> IOERR before anything
 *   else; FLUSH -> OK with no host I/O.
 *   The header's reserved field (Linux still puts ioprio there) is ignored.
 *
 * used.len is the number of bytes the device wrote into the chain: data +
 * status for IN (a failed read zero-fills its data first, so the guest
 * never sees a partial result and the count stays exact), 21 for GET_ID,
 * 1 for everything else.
 *
 * Cache mode: if the driver accepts FLUSH, writes are volatile until a
 * FLUSH completes; if not, every write is writethrough (BLKDEV_F_FUA), as
 * 5.2.6.2 requires when FLUSH was offered but not negotiated.
 *
 * Threading (see also core/blkdev.h): every function here, and every
 * virtio_dev_ops callback, runs under the VM's device lock. The backend's
 * threads never call in. The VMM's I/O thread collects completions from
 * the backend and calls virtio_blk_complete() under the lock; the reset
 * callback calls the backend's drain() and so may block until in-flight
 * host I/O finishes. Each of the VIRTIO_BLK_QUEUE_SIZE request slots is
 * owned by the descriptor head that uses it, so nothing is allocated per
 * request and in-flight requests never exceed the queue size. */
#ifndef VESSEL_DEVICES_VIRTIO_BLK_H
#define VESSEL_DEVICES_VIRTIO_BLK_H

#include "core/blkdev.h"
#include "devices/virtio/virtio.h"

/* Feature bits (5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_GEOMETRY 4
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_TOPOLOGY 10
#define VIRTIO_BLK_F_CONFIG_WCE 11
#define VIRTIO_BLK_F_MQ 12
#define VIRTIO_BLK_F_DISCARD 13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_T_GET_LIFETIME 10
#define VIRTIO_BLK_T_DISCARD 11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_T_SECURE_ERASE 14

/* Status byte (5.2.6) */
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

/* struct virtio_blk_discard_write_zeroes.flags */
#define VIRTIO_BLK_DWZ_F_UNMAP 1u

#define VIRTIO_BLK_HDR_LEN 16     /* le32 type, le32 reserved, le64 sector */
#define VIRTIO_BLK_DWZ_LEN 16     /* le64 sector, le32 num, le32 flags */
#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_QUEUE_SIZE VIRTQ_MAX_SIZE
#define VIRTIO_BLK_SEG_MAX BLKDEV_MAX_IOV
#define VIRTIO_BLK_MAX_DWZ_SECTORS (4u * 1024 * 1024) /* 2 GiB a request */
#define VIRTIO_BLK_DISCARD_ALIGN 8u                   /* sectors: 4 KiB */

/* Device config layout (5.2.4): byte offsets of the fields used. */
#define VIRTIO_BLK_CFG_CAPACITY 0
#define VIRTIO_BLK_CFG_SEG_MAX 12
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN 44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG 52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP 56
#define VIRTIO_BLK_CONFIG_LEN 60  /* through unused1[3] */

struct virtio_blk_stats {
    uint64_t reads, writes, flushes, discards, write_zeroes, get_ids;
    uint64_t read_bytes, write_bytes;
    uint64_t io_errors;     /* backend completed with an error */
    uint64_t guest_errors;  /* requests refused by the checks above */
    uint64_t unsupported;   /* answered UNSUPP */
    uint64_t refused;       /* backend submit() failed: answered IOERR */
    uint64_t stale;         /* completions dropped after a reset */
};

/* One request handed to the backend; slot i belongs to descriptor head i. */
struct virtio_blk_slot {
    bool busy;
    bool read;              /* IN: zero-fill data if the read fails */
    gpa_t status;           /* guest address of the status byte */
    uint32_t used_len;      /* used.len if the request succeeds */
    struct blkdev_req req;
};

struct virtio_blk {
    struct virtio_dev vdev;         /* hand &vdev to the transport */
    uint8_t config[VIRTIO_BLK_CONFIG_LEN]; /* little-endian, fixed */
    uint64_t capacity;              /* 512-byte sectors */
    bool read_only;
    bool writethrough;              /* FLUSH not negotiated */
    uint8_t serial[VIRTIO_BLK_ID_BYTES]; /* NUL-padded */
    const struct blkdev_ops *be;
    void *be_ctx;
    uint64_t epoch;                 /* bumped by every reset */
    unsigned inflight;              /* busy slots */
    struct virtio_blk_stats stats;
    struct ratelimit rl;            /* guest errors */
    struct ratelimit io_rl;         /* backend errors */
    struct virtq_chain chain;       /* scratch for virtq_pop */
    struct virtio_blk_slot slot[VIRTIO_BLK_QUEUE_SIZE];
};

/* Set up (blk), owned by the caller (about 550 KiB: allocate it, do not put
 * it on a stack), over guest memory (gm) and backend (be, be_ctx), whose
 * info() gives the capacity (whole 512-byte sectors of its size) and the
 * read-only mode. (serial) is the GET_ID string, at most 20 bytes, or NULL.
 * Returns 0, or -EINVAL if (serial) is longer. Call before the transport. */
int virtio_blk_init(struct virtio_blk *blk, struct gmem *gm,
                    const struct blkdev_ops *be, void *be_ctx,
                    const char *serial) MUST_CHECK;

/* A backend completion (cookie, result) reached the VMM: answer the guest
 * (status OK for result 0, UNSUPP for -EOPNOTSUPP, IOERR otherwise) and
 * interrupt it if it wants. A cookie from before the last reset, or one
 * that names no request in flight, is counted in stats.stale and dropped.
 * Call under the device lock, from the VMM's I/O thread. */
void virtio_blk_complete(struct virtio_blk *blk, uint64_t cookie, int result);

/* Requests submitted to the backend and not yet completed. */
unsigned virtio_blk_inflight(const struct virtio_blk *blk);

#endif
