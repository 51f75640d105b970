/* A minimal modern virtio-pci driver (virtio 1.2, 4.1) with one split
 * queue (2.7), made to be misused: every step is its own call, so attacks
 * can skip, repeat or reorder them, and the rings are plain memory the
 * attack code writes directly. Polling only; the guest runs with
 * interrupts off. */
#ifndef HOSTILE_VIRTIO_H
#define HOSTILE_VIRTIO_H

#include "hw.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_PCI_BLK 0x1042
#define VIRTIO_PCI_RNG 0x1044

/* Device status (2.1) */
#define VS_ACK 0x01
#define VS_DRIVER 0x02
#define VS_DRIVER_OK 0x04
#define VS_FEATURES_OK 0x08
#define VS_NEEDS_RESET 0x40
#define VS_FAILED 0x80

/* Feature bits (6, 5.2.3) */
#define VF_BLK_RO (1ULL << 5)
#define VF_BLK_FLUSH (1ULL << 9)
#define VF_INDIRECT (1ULL << 28)
#define VF_EVENT_IDX (1ULL << 29)
#define VF_VERSION_1 (1ULL << 32)
#define VF_RING_PACKED (1ULL << 34)

/* Descriptor flags (2.7.5) */
#define VD_NEXT 1
#define VD_WRITE 2
#define VD_INDIRECT 4

/* Common configuration (4.1.4.3): offsets and widths */
#define VC_DFSELECT 0x00
#define VC_DF 0x04
#define VC_GFSELECT 0x08
#define VC_GF 0x0c
#define VC_MSIX 0x10
#define VC_NUMQ 0x12
#define VC_STATUS 0x14
#define VC_CFGGEN 0x15
#define VC_QSELECT 0x16
#define VC_QSIZE 0x18
#define VC_QMSIX 0x1a
#define VC_QENABLE 0x1c
#define VC_QNOFF 0x1e
#define VC_QDESC 0x20
#define VC_QAVAIL 0x28
#define VC_QUSED 0x30
#define VC_LEN 0x38

/* ISR bits (4.1.4.5) */
#define VISR_QUEUE 0x1
#define VISR_CONFIG 0x2

#define VQ_MAX 256
#define VBUF_SIZE 0x10000
#define VNO_VECTOR 0xffff

struct vq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags, next;
};

struct vq_used_elem {
    uint32_t id, len;
};

/* Ring and buffer memory of one device, one page each, identity-mapped:
 * descriptor table, avail ring (flags, idx, ring[], used_event), used
 * ring (flags, idx, elements, avail_event), an indirect table, and a
 * buffer area for requests. */
struct vmem {
    struct vq_desc desc[VQ_MAX];
    uint16_t avail[2048];
    uint8_t used[4096];
    struct vq_desc ind[VQ_MAX];
    uint8_t buf[VBUF_SIZE];
} __attribute__((aligned(4096)));

struct vdev {
    const char *name;
    unsigned slot;                /* PCI device number on bus 0 */
    uint16_t pci_id;
    uint64_t bar;                 /* BAR 0 */
    uint64_t common, isr, dcfg, notify;   /* absolute addresses */
    uint32_t notify_mult, dcfg_len;
    unsigned msix_cap;            /* config offset, 0 if none */
    uint64_t offered;             /* device features */
    uint64_t feat;                /* what vio_init() negotiates */
    uint16_t qsize;               /* what vio_init() sets */
    uint16_t qmax;                /* queue_size after reset */
    struct vmem *m;
    uint16_t avail_idx, last_used;
};

/* Find the capabilities of the virtio function in (slot); read the offered
 * features and the queue maximum. Returns 0, or -1 if it is no virtio-pci
 * function (printed). */
int vio_probe(struct vdev *d, unsigned slot, struct vmem *m, const char *name);

uint64_t vio_cc_read(struct vdev *d, unsigned off, unsigned width);
void vio_cc_write(struct vdev *d, unsigned off, unsigned width, uint64_t v);
uint8_t vio_status(struct vdev *d);
void vio_set_status(struct vdev *d, uint8_t s);
/* Read (and so clear) ISR. */
uint8_t vio_isr(struct vdev *d);

/* Status 0, wait until it reads 0; the ring memory is cleared and the
 * driver's indices start again. */
void vio_reset(struct vdev *d);
/* ACKNOWLEDGE, DRIVER, driver features (feat), FEATURES_OK. True if
 * FEATURES_OK stuck. */
bool vio_negotiate(struct vdev *d, uint64_t feat);
/* Queue 0's size and ring addresses, written as given. */
void vio_queue_regs(struct vdev *d, uint16_t size, uint64_t desc,
                    uint64_t avail, uint64_t used);
/* Write 1 to queue_enable; returns what it reads back. */
uint16_t vio_queue_enable(struct vdev *d);
/* Reset, then the whole start-up sequence with (d->feat), (d->qsize) and
 * the rings in d->m. Returns 0, or -1 (printed) if the device refused. */
int vio_init(struct vdev *d);

/* Descriptor (i) of the ring's table, or of the indirect table. */
void vio_desc(struct vdev *d, uint16_t i, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next);
void vio_ind(struct vdev *d, uint16_t i, uint64_t addr, uint32_t len,
             uint16_t flags, uint16_t next);
/* Raw avail ring writes: entry (slot) and idx. */
void vio_avail_put(struct vdev *d, uint16_t slot, uint16_t head);
void vio_avail_idx(struct vdev *d, uint16_t idx);
/* Make (head) available: the next ring entry, then avail.idx. */
void vio_publish(struct vdev *d, uint16_t head);

/* Ring queue 0's doorbell with the 16-bit write the driver uses: caught by
 * Vessel's ioeventfd, served by its I/O thread (asynchronous). */
void vio_kick(struct vdev *d);
/* The same as a 32-bit write, which the ioeventfd does not match: an MMIO
 * exit, served by the vCPU thread before the write instruction completes,
 * so the device's answer (or refusal) is there when this returns. */
void vio_kick_sync(struct vdev *d);

/* used.idx as the device last wrote it. */
uint16_t vio_used_idx(struct vdev *d);
struct vq_used_elem vio_used_elem(struct vdev *d, uint16_t i);
/* Wait up to (ms) for the next used element; true and (*e) if one came. */
bool vio_wait_used(struct vdev *d, unsigned ms, struct vq_used_elem *e);
/* Wait up to (ms) for any of (bits) in the status; returns the status. */
uint8_t vio_wait_status(struct vdev *d, uint8_t bits, unsigned ms);

#endif
