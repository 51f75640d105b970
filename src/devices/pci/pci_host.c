/* The PCI host bridge; the contract is in pci_host.h. Configuration
 * mechanism #1 is PCI Local Bus 3.0 3.2.2.3.2; ECAM is PCIe Base 4.0
 * 7.2.2 (with the ACPI MCFG table describing the window). */
#include "devices/pci/pci_host.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

/* CONFIG_ADDRESS (0xCF8): enable, bus, device, function, register. */
#define CF8_ENABLE 0x80000000U
#define CF8_MASK 0x80fffffcU       /* reserved bits 30:24, 1:0 read 0 */
#define CF8_BUS(a) (((a) >> 16) & 0xffU)
#define CF8_DEV(a) (((a) >> 11) & 0x1fU)
#define CF8_FN(a) (((a) >> 8) & 0x7U)
#define CF8_REG(a) ((a) & 0xfcU)

#define ECAM_DEV(off) ((unsigned)((off) >> 15) & 0x1fU)
#define ECAM_FN(off) ((unsigned)((off) >> 12) & 0x7U)
#define ECAM_REG(off) ((uint32_t)(off) & 0xfffU)

static void fill_ones(void *data, unsigned len)
{
    memset(data, 0xff, len > 8 ? 8 : len);
}

/* The (len) low bytes of (v) into (data), or all-ones past 4 bytes. */
static void put_val(void *data, uint32_t v, unsigned len)
{
    uint8_t *p = data;

    if (len > 4) {
        fill_ones(data, len);
        return;
    }
    for (unsigned i = 0; i < len; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_val(const void *data, unsigned len)
{
    const uint8_t *p = data;
    uint32_t v = 0;

    for (unsigned i = 0; i < len && i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

void pci_host_init(struct pci_host *h, const struct pci_windows *win,
                   const struct pci_map_ops *map, void *map_ctx)
{
    memset(h, 0, sizeof(*h));
    h->win = *win;
    h->mmio32_next = win->mmio32_base;
    h->mmio64_next = win->mmio64_base;
    h->pio_next = win->pio_base;
    h->map = map;
    h->map_ctx = map_ctx;
    pci_dev_init(&h->bridge, PCI_HOST_BRIDGE_VENDOR, PCI_HOST_BRIDGE_DEVICE,
                 PCI_HOST_BRIDGE_CLASS, 0x1af4, 0x1100, 0);
    h->bridge.map = map;
    h->bridge.map_ctx = map_ctx;
    le16_put(h->bridge.cfg, PCI_COMMAND,
             PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    h->slot[0] = &h->bridge;
}

unsigned pci_host_intx_gsi(unsigned slot, unsigned pin)
{
    if (slot >= PCI_HOST_SLOTS || pin == 0 || pin > 4)
        return 0;
    return PCI_HOST_INTX_GSI_BASE + (slot + pin - 1) % PCI_HOST_INTX_GSIS;
}

/* Take (size) bytes aligned to (size) from the window [base, base + len)
 * whose free part starts at (*next). Returns 0 or -ENOSPC. */
static int win_take(uint64_t *next, uint64_t base, uint64_t len,
                    uint64_t size, uint64_t *at)
{
    uint64_t a, end, win_end;

    if (len == 0 || __builtin_add_overflow(base, len, &win_end) ||
        *next > UINT64_MAX - (size - 1))
        return -ENOSPC;
    a = align_up(*next, size);
    if (__builtin_add_overflow(a, size, &end) || end > win_end)
        return -ENOSPC;
    *at = a;
    *next = end;
    return 0;
}

/* Addresses for every BAR of (d) into (addr), moving the three cursors
 * (cur[0] mmio32, cur[1] mmio64, cur[2] pio) only on success. */
static int place_all(const struct pci_host *h, const struct pci_dev *d,
                     uint64_t addr[PCI_NUM_BARS], uint64_t cur[3])
{
    const struct pci_windows *w = &h->win;

    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        const struct pci_bar *b = &d->bar[n];
        int rc = 0;

        if (b->kind == PCI_BAR_PIO)
            rc = win_take(&cur[2], w->pio_base, w->pio_size, b->size,
                          &addr[n]);
        else if (b->kind == PCI_BAR_MMIO64 &&
                 win_take(&cur[1], w->mmio64_base, w->mmio64_size, b->size,
                          &addr[n]) == 0)
            rc = 0;
        else if (b->kind != PCI_BAR_UNUSED)  /* MMIO32, or no room above */
            rc = win_take(&cur[0], w->mmio32_base, w->mmio32_size, b->size,
                          &addr[n]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int pci_host_add(struct pci_host *h, struct pci_dev *d)
{
    uint64_t addr[PCI_NUM_BARS] = { 0 };
    uint64_t cur[3] = { h->mmio32_next, h->mmio64_next, h->pio_next };
    unsigned s = 1, pin = d->cfg[PCI_INTX_PIN];
    uint16_t cmd;
    int rc;

    for (unsigned i = 0; i < PCI_HOST_SLOTS; i++)
        if (h->slot[i] == d)
            return -EEXIST;
    while (s < PCI_HOST_SLOTS && h->slot[s])
        s++;
    if (s == PCI_HOST_SLOTS)
        return -ENOSPC;
    rc = place_all(h, d, addr, cur);
    if (rc < 0)
        return rc;
    h->mmio32_next = cur[0];
    h->mmio64_next = cur[1];
    h->pio_next = cur[2];
    d->map = h->map;
    d->map_ctx = h->map_ctx;
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        pci_dev_place_bar(d, n, addr[n]);
    if (pin)
        d->cfg[PCI_INTX_LINE] = (uint8_t)pci_host_intx_gsi(s, pin);
    h->slot[s] = d;
    cmd = (uint16_t)(le16_get(d->cfg, PCI_COMMAND) | PCI_COMMAND_MEMORY |
                     PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    pci_cfg_write(d, PCI_COMMAND, cmd, 2);
    return (int)s;
}

/* The function CONFIG_ADDRESS selects, and its register, or NULL. */
static struct pci_dev *cf8_target(const struct pci_host *h, uint32_t *reg)
{
    uint32_t a = h->cf8;

    if (!(a & CF8_ENABLE) || CF8_BUS(a) != 0 || CF8_FN(a) != 0)
        return NULL;
    *reg = CF8_REG(a);
    return h->slot[CF8_DEV(a)];
}

static void cf8_read(void *dev, uint64_t off, void *data, unsigned len)
{
    const struct pci_host *h = dev;

    if (off == 0 && len == 4)
        put_val(data, h->cf8, 4);
    else
        fill_ones(data, len);
}

static void cf8_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    /* GUEST: only a full dword at 0xCF8 is CONFIG_ADDRESS; byte and word
     * accesses belong to other devices on a PC and are dropped here. */
    struct pci_host *h = dev;

    if (off == 0 && len == 4)
        h->cf8 = get_val(data, 4) & CF8_MASK;
}

static void cfc_read(void *dev, uint64_t off, void *data, unsigned len)
{
    /* GUEST: (off, len) pick byte lanes of the selected dword. */
    struct pci_host *h = dev;
    struct pci_dev *d;
    uint32_t reg = 0;

    if (off >= 4 || len > 4 - off || !(d = cf8_target(h, &reg))) {
        fill_ones(data, len);
        return;
    }
    put_val(data, pci_cfg_read(d, reg + (uint32_t)off, len), len);
}

static void cfc_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct pci_host *h = dev;
    struct pci_dev *d;
    uint32_t reg = 0;

    if (off >= 4 || len > 4 - off || !(d = cf8_target(h, &reg)))
        return;
    pci_cfg_write(d, reg + (uint32_t)off, get_val(data, len), len);
}

static struct pci_dev *ecam_target(const struct pci_host *h, uint64_t off,
                                   unsigned len)
{
    if (off >= PCI_ECAM_BUS_SIZE || len > 4 || ECAM_FN(off) != 0)
        return NULL;
    return h->slot[ECAM_DEV(off)];
}

static void ecam_read(void *dev, uint64_t off, void *data, unsigned len)
{
    /* GUEST: (off, len) anywhere in the bus 0 window. */
    struct pci_dev *d = ecam_target(dev, off, len);

    if (!d) {
        fill_ones(data, len);
        return;
    }
    put_val(data, pci_cfg_read(d, ECAM_REG(off), len), len);
}

static void ecam_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct pci_dev *d = ecam_target(dev, off, len);

    if (d)
        pci_cfg_write(d, ECAM_REG(off), get_val(data, len), len);
}

const struct bus_ops pci_host_cf8_ops = { .read = cf8_read,
                                          .write = cf8_write };
const struct bus_ops pci_host_cfc_ops = { .read = cfc_read,
                                          .write = cfc_write };
const struct bus_ops pci_host_ecam_ops = { .read = ecam_read,
                                           .write = ecam_write };
