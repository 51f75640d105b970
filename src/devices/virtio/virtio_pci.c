/* The virtio 1.x modern PCI transport (virtio 1.2, 4.1). See virtio_pci.h
 * for the BAR layout. Registers are matched by exact offset and width
 * (4.1.3.1: the driver uses each field's natural width; 64-bit fields may
 * also be reached as two 32-bit halves). */
#include "devices/virtio/virtio_pci.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

/* What a BAR access does: a guest read (with side effects), a read
 * without side effects (prefetch for the PCI_CFG window), or a write. */
enum bar_acc { ACC_READ, ACC_PEEK, ACC_WRITE };

/* One common-config register: a field at (off) of (width) bytes; no
 * (set) means read-only. Ring addresses (qaddr) have no get/set of their
 * own: one pair serves all three, whole or by 32-bit half. */
struct cc_reg {
    uint16_t off;
    uint8_t width;
    bool qaddr;
    uint64_t (*get)(struct virtio_pci *vp);
    void (*set)(struct virtio_pci *vp, uint64_t val);
};

static uint64_t get_le(const uint8_t *p, unsigned len)
{
    uint64_t v = 0;

    for (unsigned i = len; i-- > 0;)
        v = v << 8 | p[i];
    return v;
}

static void put_le(uint8_t *p, unsigned len, uint64_t v)
{
    for (unsigned i = 0; i < len; i++, v >>= 8)
        p[i] = (uint8_t)v;
}

static bool overlaps(uint32_t off, unsigned len, uint32_t start,
                     unsigned n)
{
    return off < start + n && start < off + len;
}

/* ---- interrupts ---- */

/* INTx follows ISR (4.1.4.5): asserted while ISR is non-zero, MSI-X is
 * off and COMMAND.INTX_DISABLE is clear; STATUS.INTX shows the pending
 * state whatever the disable bit says (PCI 3.0, 6.2.3). */
static void update_intx(struct virtio_pci *vp)
{
    uint8_t *cfg = vp->pci.cfg;
    uint16_t cmd = le16_get(cfg, PCI_COMMAND);
    uint16_t st = le16_get(cfg, PCI_STATUS);
    bool pending = vp->isr != 0 && !msix_enabled(&vp->msix);
    bool level = pending && !(cmd & PCI_COMMAND_INTX_DISABLE);

    st = (uint16_t)(pending ? st | PCI_STATUS_INTX
                            : st & ~(unsigned)PCI_STATUS_INTX);
    le16_put(cfg, PCI_STATUS, st);
    if (level != vp->intx_level) {
        vp->intx_level = level;
        irq_line_set(&vp->intx, level);
    }
}

/* Used buffers in (q) (4.1.5.3): its MSI-X vector, none if the driver
 * set NO_VECTOR, or the ISR queue bit and INTx. */
static void irq_queue(void *ctx, unsigned q)
{
    struct virtio_pci *vp = ctx;

    if (msix_enabled(&vp->msix)) {
        if (q < vp->vdev->nqueues &&
            vp->vdev->vq[q].msix_vector != MSIX_VECTOR_NONE)
            msix_notify(&vp->msix, vp->vdev->vq[q].msix_vector);
        return;
    }
    vp->isr |= VIRTIO_PCI_ISR_QUEUE;
    update_intx(vp);
}

/* Config change or NEEDS_RESET (4.1.5.4): the ISR config bit is set in
 * both modes, so a driver that polls ISR sees it; the interrupt is the
 * config vector, or INTx. */
static void irq_config(void *ctx)
{
    struct virtio_pci *vp = ctx;

    vp->isr |= VIRTIO_PCI_ISR_CONFIG;
    if (msix_enabled(&vp->msix) && vp->msix_config != MSIX_VECTOR_NONE)
        msix_notify(&vp->msix, vp->msix_config);
    update_intx(vp);
}

static const struct virtio_irq_ops virtio_pci_irq_ops = {
    .queue_irq = irq_queue,
    .config_irq = irq_config,
};

/* ---- common configuration (4.1.4.3) ---- */

static struct virtq *sel_queue(struct virtio_pci *vp)
{
    if (vp->queue_select >= vp->vdev->nqueues)
        return NULL;
    return &vp->vdev->vq[vp->queue_select];
}

/* The selected queue if its registers may still change: not once it is
 * enabled (RELIABILITY (a) 13: the frozen copy stays in use). */
static struct virtq *writable_queue(struct virtio_pci *vp, const char *reg)
{
    struct virtq *q = sel_queue(vp);

    if (!q) {
        log_guest(&vp->rl, "guest: virtio-pci: %s of missing queue %u",
                  reg, vp->queue_select);
        return NULL;
    }
    if (q->enabled) {
        log_guest(&vp->rl,
                  "guest: virtio-pci: %s of enabled queue %u ignored", reg,
                  vp->queue_select);
        return NULL;
    }
    return q;
}

/* A vector the function has, or NO_VECTOR (4.1.5.1.2: the driver reads
 * the register back to learn the mapping failed). */
static uint16_t vector_or_none(const struct virtio_pci *vp, uint64_t val)
{
    return val < vp->msix.nvec ? (uint16_t)val : MSIX_VECTOR_NONE;
}

/* Status 0 resets the transport's registers too. */
static void transport_reset(struct virtio_pci *vp)
{
    vp->device_feature_select = 0;
    vp->driver_feature_select = 0;
    vp->queue_select = 0;
    vp->msix_config = MSIX_VECTOR_NONE;
    for (unsigned i = 0; i < vp->vdev->nqueues; i++)
        vp->vdev->vq[i].msix_vector = MSIX_VECTOR_NONE;
    vp->isr = 0;
    update_intx(vp);
}

static uint64_t get_dfselect(struct virtio_pci *vp)
{
    return vp->device_feature_select;
}

static void set_dfselect(struct virtio_pci *vp, uint64_t val)
{
    vp->device_feature_select = (uint32_t)val;
}

static uint64_t get_df(struct virtio_pci *vp)
{
    return virtio_host_features(vp->vdev, vp->device_feature_select);
}

static uint64_t get_gfselect(struct virtio_pci *vp)
{
    return vp->driver_feature_select;
}

static void set_gfselect(struct virtio_pci *vp, uint64_t val)
{
    vp->driver_feature_select = (uint32_t)val;
}

static uint64_t get_gf(struct virtio_pci *vp)
{
    if (vp->driver_feature_select > 1)
        return 0;
    return (uint32_t)(vp->vdev->guest_features >>
                      (32 * vp->driver_feature_select));
}

static void set_gf(struct virtio_pci *vp, uint64_t val)
{
    virtio_set_guest_features(vp->vdev, vp->driver_feature_select,
                              (uint32_t)val);
}

static uint64_t get_msix(struct virtio_pci *vp)
{
    return vp->msix_config;
}

static void set_msix(struct virtio_pci *vp, uint64_t val)
{
    vp->msix_config = vector_or_none(vp, val);
}

static uint64_t get_numq(struct virtio_pci *vp)
{
    return vp->vdev->nqueues;
}

static uint64_t get_status(struct virtio_pci *vp)
{
    return vp->vdev->status;
}

static void set_status(struct virtio_pci *vp, uint64_t val)
{
    virtio_set_status(vp->vdev, (uint8_t)val);
    if ((uint8_t)val == 0)
        transport_reset(vp);
}

static uint64_t get_cfggen(struct virtio_pci *vp)
{
    return vp->vdev->config_generation;
}

static uint64_t get_qselect(struct virtio_pci *vp)
{
    return vp->queue_select;
}

static void set_qselect(struct virtio_pci *vp, uint64_t val)
{
    vp->queue_select = (uint16_t)val;
}

/* 0 for a missing queue (4.1.4.3: "0 means the queue is unavailable"). */
static uint64_t get_qsize(struct virtio_pci *vp)
{
    struct virtq *q = sel_queue(vp);

    return q ? q->size : 0;
}

/* Stored as written; queue_enable refuses a size that is not a power of
 * two in [1, max] (RELIABILITY (a) 12), so a bad one cannot go unseen. */
static void set_qsize(struct virtio_pci *vp, uint64_t val)
{
    struct virtq *q = writable_queue(vp, "queue_size");

    if (q)
        q->size = (uint16_t)val;
}

static uint64_t get_qmsix(struct virtio_pci *vp)
{
    struct virtq *q = sel_queue(vp);

    return q ? q->msix_vector : MSIX_VECTOR_NONE;
}

static void set_qmsix(struct virtio_pci *vp, uint64_t val)
{
    struct virtq *q = writable_queue(vp, "queue_msix_vector");

    if (q)
        q->msix_vector = vector_or_none(vp, val);
}

static uint64_t get_qenable(struct virtio_pci *vp)
{
    struct virtq *q = sel_queue(vp);

    return q ? q->enabled : 0;
}

/* 1 enables the selected queue once the core has checked and frozen its
 * rings (size a power of two up to the offered maximum, aligned, in RAM;
 * FEATURES_OK set, so the ring format is settled, 3.1.1). A refusal is a
 * guest error the driver would not see otherwise: NEEDS_RESET
 * (RELIABILITY (a) 12). Writing 0 is forbidden to the driver
 * (4.1.4.3.2) and ignored. */
static void set_qenable(struct virtio_pci *vp, uint64_t val)
{
    struct virtq *q = writable_queue(vp, "queue_enable");

    if (!q || val != 1)
        return;
    if (virtio_queue_enable(vp->vdev, vp->queue_select) < 0) {
        log_guest(&vp->rl,
                  "guest: virtio-pci: enable of queue %u (size %u) refused",
                  vp->queue_select, q->size);
        virtio_needs_reset(vp->vdev);
    }
}

static uint64_t get_qnoff(struct virtio_pci *vp)
{
    return sel_queue(vp) ? vp->queue_select : 0;
}

static gpa_t *qaddr_field(struct virtq *q, uint64_t off)
{
    switch (off & ~7ULL) {
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        return &q->desc;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        return &q->avail;
    default:
        return &q->used;
    }
}

/* 64-bit ring addresses: whole, or a 32-bit half at off & 4. */
static uint64_t get_qaddr(struct virtio_pci *vp, uint64_t off, unsigned w)
{
    struct virtq *q = sel_queue(vp);
    uint64_t v;

    if (!q)
        return 0;
    v = *qaddr_field(q, off);
    if (w == 8)
        return v;
    return (uint32_t)(off & 4 ? v >> 32 : v);
}

static void set_qaddr(struct virtio_pci *vp, uint64_t off, unsigned w,
                      uint64_t val)
{
    struct virtq *q = writable_queue(vp, "queue address");
    gpa_t *f;

    if (!q)
        return;
    f = qaddr_field(q, off);
    if (w == 8)
        *f = val;
    else if (off & 4)
        *f = (*f & 0xffffffffULL) | val << 32;
    else
        *f = (*f & ~0xffffffffULL) | (uint32_t)val;
}

#define CC(o, w, g, s) {.off = (o), .width = (w), .get = (g), .set = (s)}
#define QA(o, w) {.off = (o), .width = (w), .qaddr = true}
static const struct cc_reg cc_regs[] = {
    CC(VIRTIO_PCI_COMMON_DFSELECT, 4, get_dfselect, set_dfselect),
    CC(VIRTIO_PCI_COMMON_DF, 4, get_df, NULL),
    CC(VIRTIO_PCI_COMMON_GFSELECT, 4, get_gfselect, set_gfselect),
    CC(VIRTIO_PCI_COMMON_GF, 4, get_gf, set_gf),
    CC(VIRTIO_PCI_COMMON_MSIX, 2, get_msix, set_msix),
    CC(VIRTIO_PCI_COMMON_NUMQ, 2, get_numq, NULL),
    CC(VIRTIO_PCI_COMMON_STATUS, 1, get_status, set_status),
    CC(VIRTIO_PCI_COMMON_CFGGENERATION, 1, get_cfggen, NULL),
    CC(VIRTIO_PCI_COMMON_Q_SELECT, 2, get_qselect, set_qselect),
    CC(VIRTIO_PCI_COMMON_Q_SIZE, 2, get_qsize, set_qsize),
    CC(VIRTIO_PCI_COMMON_Q_MSIX, 2, get_qmsix, set_qmsix),
    CC(VIRTIO_PCI_COMMON_Q_ENABLE, 2, get_qenable, set_qenable),
    CC(VIRTIO_PCI_COMMON_Q_NOFF, 2, get_qnoff, NULL),
    QA(VIRTIO_PCI_COMMON_Q_DESCLO, 8), QA(VIRTIO_PCI_COMMON_Q_DESCLO, 4),
    QA(VIRTIO_PCI_COMMON_Q_DESCHI, 4), QA(VIRTIO_PCI_COMMON_Q_AVAILLO, 8),
    QA(VIRTIO_PCI_COMMON_Q_AVAILLO, 4), QA(VIRTIO_PCI_COMMON_Q_AVAILHI, 4),
    QA(VIRTIO_PCI_COMMON_Q_USEDLO, 8), QA(VIRTIO_PCI_COMMON_Q_USEDLO, 4),
    QA(VIRTIO_PCI_COMMON_Q_USEDHI, 4),
};
#undef QA
#undef CC

static void common_rw(struct virtio_pci *vp, uint64_t off, uint8_t *data,
                      unsigned len, enum bar_acc acc)
{
    const struct cc_reg *r = NULL;

    for (size_t i = 0; i < ARRAY_SIZE(cc_regs); i++)
        if (cc_regs[i].off == off && cc_regs[i].width == len)
            r = &cc_regs[i];
    if (!r) {
        log_guest(&vp->rl,
                  "guest: virtio-pci: common config access at 0x%llx/%u",
                  (unsigned long long)off, len);
    } else if (acc != ACC_WRITE) {
        put_le(data, len, r->qaddr ? get_qaddr(vp, off, len) : r->get(vp));
    } else if (r->qaddr) {
        set_qaddr(vp, off, len, get_le(data, len));
    } else if (r->set) {
        r->set(vp, get_le(data, len));
    }
}

/* ---- ISR, device config, notify ---- */

/* Reading ISR returns it and clears it, which lowers INTx (4.1.4.5).
 * Writes do nothing. */
static void isr_rw(struct virtio_pci *vp, uint64_t off, uint8_t *data,
                   enum bar_acc acc)
{
    if (off != VIRTIO_PCI_ISR_OFF || acc == ACC_WRITE)
        return;
    data[0] = vp->isr;
    if (acc == ACC_READ) {
        vp->isr = 0;
        update_intx(vp);
    }
}

/* RELIABILITY (a) 16: only naturally aligned 1/2/4/8-byte accesses wholly
 * inside the device's config reach it (the core checks again). */
static void device_rw(struct virtio_pci *vp, uint64_t off, uint8_t *data,
                      unsigned len, enum bar_acc acc)
{
    struct virtio_dev *v = vp->vdev;
    uint64_t doff = off - VIRTIO_PCI_DEVICE_OFF;

    if ((len & (len - 1)) || doff % len || doff + len > v->config_len) {
        log_guest(&vp->rl,
                  "guest: virtio-pci: device config access at 0x%llx/%u",
                  (unsigned long long)doff, len);
        return;
    }
    if (acc == ACC_WRITE)
        virtio_config_write(v, (uint32_t)doff, data, len);
    else
        virtio_config_read(v, (uint32_t)doff, data, len);
}

void virtio_pci_kick(struct virtio_pci *vp, unsigned q)
{
    /* A kick before DRIVER_OK, or to a queue not enabled, has nothing to
     * serve: the core drops it, and the device looks at its queues when
     * it is activated. */
    virtio_notify(vp->vdev, q);
}

/* The driver writes the queue's 16-bit index at its notify address
 * (4.1.4.4); an index that is not that queue, 0xffff included, is
 * ignored (RELIABILITY (a) 14). Reads return 0. */
static void notify_rw(struct virtio_pci *vp, uint64_t off,
                      const uint8_t *data, unsigned len, enum bar_acc acc)
{
    uint64_t noff = off - VIRTIO_PCI_NOTIFY_OFF;
    uint64_t slot = noff / VIRTIO_PCI_NOTIFY_MULT;
    uint16_t idx;

    if (acc != ACC_WRITE)
        return;
    if ((len != 2 && len != 4) || noff % VIRTIO_PCI_NOTIFY_MULT) {
        log_guest(&vp->rl, "guest: virtio-pci: notify access at 0x%llx/%u",
                  (unsigned long long)noff, len);
        return;
    }
    idx = (uint16_t)get_le(data, 2);   /* GUEST: any value */
    if (idx != slot) {
        log_guest(&vp->rl,
                  "guest: virtio-pci: notify of queue %u at slot %llu "
                  "ignored", idx, (unsigned long long)slot);
        return;
    }
    virtio_pci_kick(vp, idx);
}

/* ---- BAR 0 ---- */

/* GUEST: (off, len) and the written bytes are the driver's; any (off) and
 * (len) must be safe, since tests and the PCI_CFG window call this
 * directly and the bus only guarantees the access lies in the BAR. */
static void bar_rw(struct virtio_pci *vp, uint64_t off, uint8_t *data,
                   unsigned len, enum bar_acc acc)
{
    if (len == 0 || len > 8 || off >= VIRTIO_PCI_BAR_SIZE ||
        VIRTIO_PCI_BAR_SIZE - off < len) {
        if (acc != ACC_WRITE)
            memset(data, 0xff, len);
        return;
    }
    if (acc != ACC_WRITE)
        memset(data, 0, len);
    if (off < VIRTIO_PCI_ISR_OFF)
        common_rw(vp, off, data, len, acc);
    else if (off < VIRTIO_PCI_DEVICE_OFF)
        isr_rw(vp, off, data, acc);
    else if (off < VIRTIO_PCI_NOTIFY_OFF)
        device_rw(vp, off, data, len, acc);
    else if (off < VIRTIO_PCI_MSIX_TABLE_OFF)
        notify_rw(vp, off, data, len, acc);
    else if (acc == ACC_WRITE)
        (void)msix_bar_write(&vp->msix, off, data, len);
    else if (!msix_bar_read(&vp->msix, off, data, len))
        memset(data, 0, len);
}

static void bar_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bar_rw(dev, off, data, len, ACC_READ);
}

static void bar_write(void *dev, uint64_t off, const void *data,
                      unsigned len)
{
    uint8_t buf[8];

    if (len > sizeof(buf))
        return;
    memcpy(buf, data, len);
    bar_rw(dev, off, buf, len, ACC_WRITE);
}

const struct bus_ops virtio_pci_bar_ops = {
    .read = bar_read,
    .write = bar_write,
};

/* ---- PCI config space ---- */

/* The PCI_CFG capability (4.1.4.9) is a window into BAR 0: writing
 * pci_cfg_data writes cap.length bytes at cap.offset. The PCI model has no
 * read hook, so a read is served by prefetching into pci_cfg_data whenever
 * bar, offset or length are written; the prefetch has no side effects
 * (ISR is not cleared through the window). A window that is not BAR 0,
 * not 1/2/4 bytes, misaligned or past the BAR does nothing. */
static void cfg_window(struct virtio_pci *vp, bool write)
{
    uint8_t *cap = &vp->pci.cfg[vp->cfg_cap];
    uint8_t *buf = cap + VIRTIO_PCI_CAP_CFG_DATA;
    /* GUEST: bar, offset and length are the driver's, read once here */
    uint32_t off = le32_get(cap, VIRTIO_PCI_CAP_OFFSET);
    uint32_t len = le32_get(cap, VIRTIO_PCI_CAP_LENGTH);

    if (!write)
        memset(buf, 0, 4);
    if (cap[VIRTIO_PCI_CAP_BAR] != VIRTIO_PCI_BAR ||
        (len != 1 && len != 2 && len != 4) || off % len ||
        off > VIRTIO_PCI_BAR_SIZE - len)
        return;
    bar_rw(vp, off, buf, len, write ? ACC_WRITE : ACC_PEEK);
}

static void cfg_written(void *ctx, uint32_t off, unsigned len)
{
    struct virtio_pci *vp = ctx;
    uint32_t c = vp->cfg_cap;

    msix_cfg_written(&vp->msix, off, len);
    update_intx(vp);   /* COMMAND.INTX_DISABLE or MSI-X enable moved */
    if (overlaps(off, len, c + VIRTIO_PCI_CAP_CFG_DATA, 4))
        cfg_window(vp, true);
    else if (overlaps(off, len, c + VIRTIO_PCI_CAP_BAR, 1) ||
             overlaps(off, len, c + VIRTIO_PCI_CAP_OFFSET, 8))
        cfg_window(vp, false);
}

static const struct pci_dev_ops virtio_pci_cfg_ops = {
    .cfg_written = cfg_written,
};

/* ---- set-up ---- */

/* Class codes as the common virtio-pci devices report them. */
static uint32_t class_for(uint32_t device_id)
{
    switch (device_id) {
    case VIRTIO_ID_NET:
        return 0x020000;   /* network, ethernet */
    case VIRTIO_ID_BLOCK:
        return 0x018000;   /* storage, other */
    case VIRTIO_ID_CONSOLE:
        return 0x078000;   /* communication, other */
    default:
        return 0x00ff00;   /* unclassified, other */
    }
}

/* A vendor capability (4.1.4): cfg_type (type) for [off, off+len) of BAR
 * 0, with (extra) as the trailing le32 (notify multiplier) when (xlen) is
 * 4. (wmask), when given, marks guest-writable body bytes. Returns the
 * capability offset or -errno. */
static int add_vcap(struct virtio_pci *vp, uint8_t type, uint32_t off,
                    uint32_t len, uint32_t extra, uint8_t xlen,
                    const uint8_t *wmask)
{
    uint8_t body[18] = {0};
    uint8_t blen = (uint8_t)(14 + xlen);

    /* body[i] is capability byte i + 2 (after the id and next bytes) */
    body[0] = (uint8_t)(blen + 2);
    body[1] = type;
    body[2] = VIRTIO_PCI_BAR;
    le32_put(body, 6, off);
    le32_put(body, 10, len);
    if (xlen)
        le32_put(body, 14, extra);
    return pci_dev_add_cap(&vp->pci, PCI_CAP_ID_VENDOR, body, wmask, blen);
}

static int add_caps(struct virtio_pci *vp)
{
    /* PCI_CFG: bar, offset, length and data are the driver's */
    static const uint8_t cfg_wmask[18] = {
        [2] = 0xff, [6] = 0xff, [7] = 0xff, [8] = 0xff, [9] = 0xff,
        [10] = 0xff, [11] = 0xff, [12] = 0xff, [13] = 0xff,
        [14] = 0xff, [15] = 0xff, [16] = 0xff, [17] = 0xff,
    };
    const struct virtio_dev *v = vp->vdev;
    int rc;

    rc = add_vcap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF,
                  VIRTIO_PCI_COMMON_LEN, 0, 0, NULL);
    if (rc >= 0)
        rc = add_vcap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
                      v->nqueues * VIRTIO_PCI_NOTIFY_MULT,
                      VIRTIO_PCI_NOTIFY_MULT, 4, NULL);
    if (rc >= 0)
        rc = add_vcap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1, 0,
                      0, NULL);
    if (rc >= 0 && v->config_len)
        rc = add_vcap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
                      v->config_len, 0, 0, NULL);
    if (rc >= 0)
        rc = add_vcap(vp, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 0, 4, cfg_wmask);
    if (rc < 0)
        return rc;
    vp->cfg_cap = (uint8_t)rc;
    return 0;
}

int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vdev,
                    struct irq_line intx, const struct msix_ops *msi,
                    void *msi_ctx)
{
    int rc;

    if (!vdev || vdev->nqueues == 0 || vdev->nqueues > VIRTIO_MAX_QUEUES ||
        vdev->nqueues + 1 > MSIX_MAX_VECTORS ||
        vdev->config_len > VIRTIO_PCI_REGION_SIZE ||
        vdev->device_id > 0xff)
        return -EINVAL;
    memset(vp, 0, sizeof(*vp));
    vp->vdev = vdev;
    vp->intx = intx;
    vp->rl = (struct ratelimit)RATELIMIT_INIT;
    pci_dev_init(&vp->pci, VIRTIO_PCI_VENDOR,
                 (uint16_t)(VIRTIO_PCI_DEVICE_BASE + vdev->device_id),
                 class_for(vdev->device_id), VIRTIO_PCI_VENDOR,
                 (uint16_t)vdev->device_id, VIRTIO_PCI_REVISION);
    rc = pci_dev_add_bar(&vp->pci, VIRTIO_PCI_BAR, PCI_BAR_MMIO64,
                         VIRTIO_PCI_BAR_SIZE, &virtio_pci_bar_ops, vp);
    if (rc < 0)
        return rc;
    rc = add_caps(vp);
    if (rc < 0)
        return rc;
    rc = msix_init(&vp->msix, &vp->pci, vdev->nqueues + 1, VIRTIO_PCI_BAR,
                   VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF, msi,
                   msi_ctx);
    if (rc < 0)
        return rc;
    pci_dev_set_intx(&vp->pci, 1, 0);
    vp->pci.ops = &virtio_pci_cfg_ops;
    vp->pci.ops_ctx = vp;
    virtio_set_irq(vdev, &virtio_pci_irq_ops, vp);
    transport_reset(vp);
    return 0;
}

uint64_t virtio_pci_notify_addr(const struct virtio_pci *vp, unsigned q)
{
    if (q >= vp->vdev->nqueues || !vp->pci.bar_on[VIRTIO_PCI_BAR])
        return 0;
    return vp->pci.bar_addr[VIRTIO_PCI_BAR] + VIRTIO_PCI_NOTIFY_OFF +
           (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
}
