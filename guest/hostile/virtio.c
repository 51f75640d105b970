/* Modern virtio-pci driver; see virtio.h. */
#include "virtio.h"

#include "pci.h"
#include "serial.h"

/* Vendor capability fields (4.1.4) */
#define CAP_TYPE 3
#define CAP_BAR 4
#define CAP_OFFSET 8
#define CAP_LENGTH 12
#define CAP_NOTIFY_MULT 16
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

#define AVAIL_IDX 1          /* uint16_t index into vmem.avail */
#define AVAIL_RING 2

static uint64_t cap_addr(struct vdev *d, unsigned cap)
{
    unsigned bar = (unsigned)pci_read(d->slot, 0, cap + CAP_BAR, 1);

    return pci_bar(d->slot, bar) + pci_read(d->slot, 0, cap + CAP_OFFSET, 4);
}

int vio_probe(struct vdev *d, unsigned slot, struct vmem *m, const char *name)
{
    unsigned cap = 0;

    memset(d, 0, sizeof(*d));
    d->name = name;
    d->slot = slot;
    d->m = m;
    d->pci_id = (uint16_t)pci_read(slot, 0, PCI_DEVICE_ID, 2);
    d->bar = pci_bar(slot, 0);
    while ((cap = pci_find_cap(slot, PCI_CAP_ID_VENDOR, cap)) != 0) {
        uint64_t at = cap_addr(d, cap);

        switch (pci_read(slot, 0, cap + CAP_TYPE, 1)) {
        case CAP_COMMON:
            d->common = at;
            break;
        case CAP_NOTIFY:
            d->notify = at;
            d->notify_mult =
                (uint32_t)pci_read(slot, 0, cap + CAP_NOTIFY_MULT, 4);
            break;
        case CAP_ISR:
            d->isr = at;
            break;
        case CAP_DEVICE:
            d->dcfg = at;
            d->dcfg_len = (uint32_t)pci_read(slot, 0, cap + CAP_LENGTH, 4);
            break;
        default:
            break;
        }
    }
    d->msix_cap = pci_find_cap(slot, PCI_CAP_ID_MSIX, 0);
    if (!d->common || !d->notify || !d->isr) {
        con_printf("HOSTILE-ERROR %s (00:%02u.0): virtio capabilities "
                   "missing\n", name, slot);
        return -1;
    }
    vio_reset(d);
    vio_cc_write(d, VC_DFSELECT, 4, 0);
    d->offered = vio_cc_read(d, VC_DF, 4);
    vio_cc_write(d, VC_DFSELECT, 4, 1);
    d->offered |= vio_cc_read(d, VC_DF, 4) << 32;
    vio_cc_write(d, VC_QSELECT, 2, 0);
    d->qmax = (uint16_t)vio_cc_read(d, VC_QSIZE, 2);
    return 0;
}

uint64_t vio_cc_read(struct vdev *d, unsigned off, unsigned width)
{
    return mmio_read(d->common + off, width);
}

void vio_cc_write(struct vdev *d, unsigned off, unsigned width, uint64_t v)
{
    mmio_write(d->common + off, width, v);
}

uint8_t vio_status(struct vdev *d)
{
    return (uint8_t)vio_cc_read(d, VC_STATUS, 1);
}

void vio_set_status(struct vdev *d, uint8_t s)
{
    vio_cc_write(d, VC_STATUS, 1, s);
}

uint8_t vio_isr(struct vdev *d)
{
    return mmio_read8(d->isr);
}

void vio_reset(struct vdev *d)
{
    vio_set_status(d, 0);
    /* 4.1.4.3.2: the driver waits for 0 before going on. */
    for (unsigned i = 0; i < 1000 && vio_status(d) != 0; i++)
        cpu_relax();
    memset(d->m->desc, 0, sizeof(d->m->desc));
    memset(d->m->avail, 0, sizeof(d->m->avail));
    memset(d->m->used, 0, sizeof(d->m->used));
    memset(d->m->ind, 0, sizeof(d->m->ind));
    d->avail_idx = 0;
    d->last_used = 0;
}

bool vio_negotiate(struct vdev *d, uint64_t feat)
{
    vio_set_status(d, VS_ACK);
    vio_set_status(d, VS_ACK | VS_DRIVER);
    vio_cc_write(d, VC_GFSELECT, 4, 0);
    vio_cc_write(d, VC_GF, 4, (uint32_t)feat);
    vio_cc_write(d, VC_GFSELECT, 4, 1);
    vio_cc_write(d, VC_GF, 4, feat >> 32);
    vio_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK);
    return vio_status(d) & VS_FEATURES_OK;
}

void vio_queue_regs(struct vdev *d, uint16_t size, uint64_t desc,
                    uint64_t avail, uint64_t used)
{
    vio_cc_write(d, VC_QSELECT, 2, 0);
    vio_cc_write(d, VC_QSIZE, 2, size);
    vio_cc_write(d, VC_QDESC, 8, desc);
    vio_cc_write(d, VC_QAVAIL, 8, avail);
    vio_cc_write(d, VC_QUSED, 8, used);
}

uint16_t vio_queue_enable(struct vdev *d)
{
    vio_cc_write(d, VC_QENABLE, 2, 1);
    return (uint16_t)vio_cc_read(d, VC_QENABLE, 2);
}

int vio_init(struct vdev *d)
{
    const char *why = NULL;

    vio_reset(d);
    if (!vio_negotiate(d, d->feat))
        why = "FEATURES_OK refused";
    if (!why) {
        vio_queue_regs(d, d->qsize, (uint64_t)d->m->desc,
                       (uint64_t)d->m->avail, (uint64_t)d->m->used);
        if (vio_queue_enable(d) != 1)
            why = "queue_enable refused";
    }
    if (!why) {
        vio_set_status(d, VS_ACK | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
        if (vio_status(d) != (VS_ACK | VS_DRIVER | VS_FEATURES_OK |
                              VS_DRIVER_OK))
            why = "DRIVER_OK not taken";
    }
    if (!why)
        return 0;
    con_printf("HOSTILE-ERROR %s: start-up failed: %s (status 0x%02x)\n",
               d->name, why, vio_status(d));
    return -1;
}

void vio_desc(struct vdev *d, uint16_t i, uint64_t addr, uint32_t len,
              uint16_t flags, uint16_t next)
{
    d->m->desc[i] = (struct vq_desc){addr, len, flags, next};
}

void vio_ind(struct vdev *d, uint16_t i, uint64_t addr, uint32_t len,
             uint16_t flags, uint16_t next)
{
    d->m->ind[i] = (struct vq_desc){addr, len, flags, next};
}

void vio_avail_put(struct vdev *d, uint16_t slot, uint16_t head)
{
    ((volatile uint16_t *)d->m->avail)[AVAIL_RING + slot] = head;
}

void vio_avail_idx(struct vdev *d, uint16_t idx)
{
    /* 2.7.13: ring entries and descriptors before the index (x86 keeps
     * stores in order; the compiler must too). */
    barrier();
    ((volatile uint16_t *)d->m->avail)[AVAIL_IDX] = idx;
}

void vio_publish(struct vdev *d, uint16_t head)
{
    vio_avail_put(d, (uint16_t)(d->avail_idx % d->qsize), head);
    vio_avail_idx(d, ++d->avail_idx);
}

void vio_kick(struct vdev *d)
{
    mb();
    mmio_write16(d->notify, 0);
}

void vio_kick_sync(struct vdev *d)
{
    mb();
    mmio_write32(d->notify, 0);
}

uint16_t vio_used_idx(struct vdev *d)
{
    barrier();
    return *(volatile uint16_t *)(d->m->used + 2);
}

struct vq_used_elem vio_used_elem(struct vdev *d, uint16_t i)
{
    volatile struct vq_used_elem *e =
        (volatile struct vq_used_elem *)(d->m->used + 4);

    return (struct vq_used_elem){e[i % d->qsize].id, e[i % d->qsize].len};
}

bool vio_wait_used(struct vdev *d, unsigned ms, struct vq_used_elem *e)
{
    uint64_t dl = time_deadline(ms);

    while (vio_used_idx(d) == d->last_used) {
        if (time_passed(dl))
            return false;
        cpu_relax();
    }
    /* 2.7.14: the element after the index. */
    barrier();
    *e = vio_used_elem(d, d->last_used++);
    return true;
}

uint8_t vio_wait_status(struct vdev *d, uint8_t bits, unsigned ms)
{
    uint64_t dl = time_deadline(ms);
    uint8_t s;

    while (!((s = vio_status(d)) & bits) && !time_passed(dl))
        time_delay(1);
    return s;
}
