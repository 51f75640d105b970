/* The virtio 1.x modern PCI transport (virtio 1.2, 4.1): a PCI function
 * with vendor 0x1AF4, device 0x1040 + device id, whose BAR 0 holds the
 * common config, ISR, device config and notify regions (announced by
 * vendor capabilities) and the MSI-X table and PBA.
 *
 * BAR 0 layout (16 KiB, MMIO64):
 *   0x0000 common config (4.1.4.3)      0x1000 ISR status (one byte)
 *   0x2000 device config                0x3000 notify: queue n at 0x3000 + 4n
 *   0x3800 MSI-X table                  0x3c00 MSI-X PBA
 * Queue kicks are meant to be caught by the accelerator (ioeventfd) at
 * virtio_pci_notify_addr(); a kick that reaches this code as an MMIO write
 * works too, just slower. INTx (pin A) is raised through (intx) when MSI-X
 * is off, and lowered when the guest reads ISR.
 *
 * Every register is reached at its own width and offset only (4.1.3.1);
 * any other access inside BAR 0 reads 0 and writes nothing, outside BAR 0
 * reads all-ones. Queue registers are frozen once the queue is enabled
 * (RELIABILITY (a) 13). All entry points run under the VM's device lock. */
#ifndef VESSEL_DEVICES_VIRTIO_PCI_H
#define VESSEL_DEVICES_VIRTIO_PCI_H

#include "core/irq.h"
#include "devices/pci/msix.h"
#include "devices/virtio/virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_PCI_REVISION 1
#define VIRTIO_PCI_BAR 0
#define VIRTIO_PCI_BAR_SIZE 0x4000
#define VIRTIO_PCI_COMMON_OFF 0x0000
#define VIRTIO_PCI_ISR_OFF 0x1000
#define VIRTIO_PCI_DEVICE_OFF 0x2000
#define VIRTIO_PCI_NOTIFY_OFF 0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x3800
#define VIRTIO_PCI_MSIX_PBA_OFF 0x3c00
#define VIRTIO_PCI_REGION_SIZE 0x1000   /* common, ISR, device config */
#define VIRTIO_PCI_NOTIFY_SIZE 0x800

/* Vendor capability cfg_type (4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG 5

/* Vendor capability layout, from the capability's start (4.1.4) */
#define VIRTIO_PCI_CAP_LEN 2          /* u8 cap_len */
#define VIRTIO_PCI_CAP_TYPE 3         /* u8 cfg_type */
#define VIRTIO_PCI_CAP_BAR 4          /* u8 bar */
#define VIRTIO_PCI_CAP_OFFSET 8       /* le32 offset */
#define VIRTIO_PCI_CAP_LENGTH 12      /* le32 length */
#define VIRTIO_PCI_CAP_NOTIFY_MULT 16 /* le32, NOTIFY_CFG only */
#define VIRTIO_PCI_CAP_CFG_DATA 16    /* u8[4], PCI_CFG only */

/* Common configuration structure (4.1.4.3): offsets in BAR 0 */
#define VIRTIO_PCI_COMMON_DFSELECT 0x00     /* le32 device_feature_select */
#define VIRTIO_PCI_COMMON_DF 0x04           /* le32 device_feature (RO) */
#define VIRTIO_PCI_COMMON_GFSELECT 0x08     /* le32 driver_feature_select */
#define VIRTIO_PCI_COMMON_GF 0x0c           /* le32 driver_feature */
#define VIRTIO_PCI_COMMON_MSIX 0x10         /* le16 msix_config */
#define VIRTIO_PCI_COMMON_NUMQ 0x12         /* le16 num_queues (RO) */
#define VIRTIO_PCI_COMMON_STATUS 0x14       /* u8 device_status */
#define VIRTIO_PCI_COMMON_CFGGENERATION 0x15 /* u8 config_generation (RO) */
#define VIRTIO_PCI_COMMON_Q_SELECT 0x16     /* le16 queue_select */
#define VIRTIO_PCI_COMMON_Q_SIZE 0x18       /* le16 queue_size */
#define VIRTIO_PCI_COMMON_Q_MSIX 0x1a       /* le16 queue_msix_vector */
#define VIRTIO_PCI_COMMON_Q_ENABLE 0x1c     /* le16 queue_enable */
#define VIRTIO_PCI_COMMON_Q_NOFF 0x1e       /* le16 queue_notify_off (RO) */
#define VIRTIO_PCI_COMMON_Q_DESCLO 0x20     /* le64 queue_desc */
#define VIRTIO_PCI_COMMON_Q_DESCHI 0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28    /* le64 queue_driver */
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2c
#define VIRTIO_PCI_COMMON_Q_USEDLO 0x30     /* le64 queue_device */
#define VIRTIO_PCI_COMMON_Q_USEDHI 0x34
#define VIRTIO_PCI_COMMON_LEN 0x38

/* ISR status bits (4.1.4.5) */
#define VIRTIO_PCI_ISR_QUEUE 0x1
#define VIRTIO_PCI_ISR_CONFIG 0x2

struct virtio_pci {
    struct pci_dev pci;
    struct msix msix;
    struct virtio_dev *vdev;
    struct irq_line intx;
    /* common config registers (guest-visible) */
    uint32_t device_feature_select, driver_feature_select;
    uint16_t queue_select, msix_config;
    uint8_t isr;
    /* wiring */
    uint8_t cfg_cap;          /* offset of the PCI_CFG capability */
    bool intx_level;          /* last level given to (intx) */
    struct ratelimit rl;
};

/* Build the PCI function for (vdev), which virtio_init() set up: IDs,
 * class (from the device type), capabilities (common, notify, ISR, device
 * config when the device has any, PCI_CFG), BAR 0, MSI-X with one vector
 * per queue plus config, INTx pin A (the line register is left for the
 * VMM: pci_dev_set_intx()). Installs itself as (vdev)'s interrupt
 * transport and as the function's config-write hook. (msi, msi_ctx) are
 * the VMM's MSI routing (msix.h). (vp) is the caller's; nothing is
 * allocated. Returns 0, or -EINVAL if (vdev) has more queues than MSI-X
 * vectors or more config than its region, or the error from the PCI
 * model. Call before pci_host_add(). */
int virtio_pci_init(struct virtio_pci *vp, struct virtio_dev *vdev,
                    struct irq_line intx, const struct msix_ops *msi,
                    void *msi_ctx) MUST_CHECK;

/* Guest address of queue (q)'s notify register while BAR 0 decodes, or 0
 * when it does not or (q) is not a queue of the device. The driver writes
 * the 16-bit queue index there: an ioeventfd with datamatch (q), length 2,
 * catches exactly what this code would accept. When the guest moves or
 * disables BAR 0 (pci_map_ops.bar_map), the VMM moves the ioeventfds: the
 * old ones were at addr + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT
 * of the old (addr). */
uint64_t virtio_pci_notify_addr(const struct virtio_pci *vp, unsigned q);

/* The driver kicked queue (q): what the VMM calls when the ioeventfd of
 * (q) fires, and what a notify write through BAR 0 does. Ignored (and
 * logged, rate-limited) when (q) is not a queue; does nothing before
 * DRIVER_OK, after NEEDS_RESET or while (q) is not enabled. Otherwise
 * runs the device's notify handler, which does a bounded amount of work. */
void virtio_pci_kick(struct virtio_pci *vp, unsigned q);

/* BAR 0 accesses (dev = struct virtio_pci *; (off) relative to BAR 0),
 * registered by virtio_pci_init() as the BAR's ops. */
extern const struct bus_ops virtio_pci_bar_ops;

#endif
