/* A PCI function's configuration space; the contract is in pci.h. Register
 * layouts are from PCI Local Bus 3.0 chapter 6 (6.2 header, 6.2.5 BARs,
 * 6.7 capabilities list) and PCIe Base 4.0 7.5.1. */
#include "devices/pci/pci.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define PCI_CACHE_LINE 0x0c
#define PCI_CAP_START 0x40         /* first byte after the type 0 header */
#define PCI_BAR_END (PCI_BAR0 + 4 * PCI_NUM_BARS)

/* BAR low bits (6.2.5.1): bit 0 I/O space; bits 2:1 memory type. */
#define BAR_IO 0x1U
#define BAR_MEM64 0x4U
#define BAR_IO_ADDR 0xfffffffcU
#define BAR_MEM_ADDR 0xfffffff0U

#define PIO_SPACE 0x10000ULL       /* x86 ports */
#define MMIO_BAR_MIN (4 * KiB)
#define MMIO32_BAR_MAX (2 * GiB)
#define PIO_BAR_MIN 4U
#define PIO_BAR_MAX 256U

/* Decode bits the guest may set in COMMAND. */
#define COMMAND_WMASK                                                          \
    (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |                \
     PCI_COMMAND_INTX_DISABLE)

static uint32_t bar_reg(const struct pci_dev *d, unsigned n)
{
    return le32_get(d->cfg, PCI_BAR0 + 4 * (size_t)n);
}

static void bar_reg_put(struct pci_dev *d, unsigned n, uint32_t v)
{
    le32_put(d->cfg, PCI_BAR0 + 4 * (size_t)n, v);
}

static bool is_upper_half(const struct pci_dev *d, unsigned n)
{
    return n > 0 && d->bar[n - 1].kind == PCI_BAR_MMIO64;
}

/* The bits of BAR (n)'s low dword that hold address bits; the rest are
 * type bits (read-only) or zero because of the size. */
static uint32_t bar_lo_mask(const struct pci_bar *b)
{
    uint32_t size_mask = (uint32_t)~(b->size - 1);

    return size_mask & (b->kind == PCI_BAR_PIO ? BAR_IO_ADDR : BAR_MEM_ADDR);
}

static uint32_t bar_hi_mask(const struct pci_bar *b)
{
    return (uint32_t)(~(b->size - 1) >> 32);
}

static uint32_t bar_type_bits(enum pci_bar_kind kind)
{
    if (kind == PCI_BAR_PIO)
        return BAR_IO;
    return kind == PCI_BAR_MMIO64 ? BAR_MEM64 : 0;
}

/* Force the type bits and size-aligned address of BAR register (r) after a
 * write; registers of unused BARs have wmask 0 and stay 0. */
static void bar_reg_fixup(struct pci_dev *d, unsigned r)
{
    const struct pci_bar *b;

    if (is_upper_half(d, r)) {
        b = &d->bar[r - 1];
        bar_reg_put(d, r, bar_reg(d, r) & bar_hi_mask(b));
        return;
    }
    b = &d->bar[r];
    if (b->kind == PCI_BAR_UNUSED)
        return;
    bar_reg_put(d, r, (bar_reg(d, r) & bar_lo_mask(b)) | bar_type_bits(b->kind));
}

/* Where BAR (n) decodes now, if it does: its decode bit in COMMAND is on
 * and its address is neither 0, nor the sizing pattern (all address bits
 * of a dword set), nor a range that wraps or leaves the port space. */
static bool bar_target(const struct pci_dev *d, unsigned n, uint64_t *addr)
{
    const struct pci_bar *b = &d->bar[n];
    uint16_t cmd = le16_get(d->cfg, PCI_COMMAND);
    uint32_t lo_mask = bar_lo_mask(b), lo = bar_reg(d, n) & lo_mask;
    uint64_t a = lo, end;

    switch (b->kind) {
    case PCI_BAR_MMIO64:
        if (bar_reg(d, n + 1) == bar_hi_mask(b))
            return false;
        a |= (uint64_t)bar_reg(d, n + 1) << 32;
        /* fall through */
    case PCI_BAR_MMIO32:
        if (!(cmd & PCI_COMMAND_MEMORY))
            return false;
        break;
    case PCI_BAR_PIO:
        if (!(cmd & PCI_COMMAND_IO))
            return false;
        break;
    default:
        return false;
    }
    if (a == 0 || (lo_mask != 0 && lo == lo_mask) ||
        __builtin_add_overflow(a, b->size, &end) ||
        (b->kind == PCI_BAR_PIO && end > PIO_SPACE))
        return false;
    *addr = a;
    return true;
}

/* Tell the owner about every BAR whose decoded window changed: the old
 * window goes off before the new one comes on. At most two calls per BAR. */
static void bars_update(struct pci_dev *d)
{
    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        uint64_t a = 0;
        bool on = bar_target(d, n, &a);

        if (on == d->bar_on[n] && (!on || a == d->bar_addr[n]))
            continue;
        if (d->bar_on[n] && d->map)
            d->map->bar_map(d->map_ctx, d, n, d->bar_addr[n], false);
        d->bar_on[n] = on;
        if (!on)
            continue;
        d->bar_addr[n] = a;
        if (d->map)
            d->map->bar_map(d->map_ctx, d, n, a, true);
    }
}

void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
                  uint32_t class_code, uint16_t subsys_vendor,
                  uint16_t subsys_id, uint8_t revision)
{
    memset(d, 0, sizeof(*d));
    le16_put(d->cfg, PCI_VENDOR_ID, vendor);
    le16_put(d->cfg, PCI_DEVICE_ID, device);
    d->cfg[PCI_REVISION] = revision;
    d->cfg[PCI_CLASS_PROG] = (uint8_t)class_code;
    d->cfg[PCI_CLASS_PROG + 1] = (uint8_t)(class_code >> 8);
    d->cfg[PCI_CLASS_PROG + 2] = (uint8_t)(class_code >> 16);
    d->cfg[PCI_HEADER_TYPE] = 0;          /* type 0, single function */
    le16_put(d->cfg, PCI_SUBSYS_VENDOR, subsys_vendor);
    le16_put(d->cfg, PCI_SUBSYS_ID, subsys_id);
    le16_put(d->wmask, PCI_COMMAND, COMMAND_WMASK);
    /* Cache line size: read-write with no effect (PCIe 7.5.1.1.7). */
    d->wmask[PCI_CACHE_LINE] = 0xff;
    d->wmask[PCI_INTX_LINE] = 0xff;
    d->next_cap = PCI_CAP_START;
}

static bool bar_size_ok(enum pci_bar_kind kind, uint64_t size)
{
    if (size == 0 || (size & (size - 1)))
        return false;
    switch (kind) {
    case PCI_BAR_MMIO32:
        return size >= MMIO_BAR_MIN && size <= MMIO32_BAR_MAX;
    case PCI_BAR_MMIO64:
        return size >= MMIO_BAR_MIN;    /* a power of two, so <= 2^63 */
    case PCI_BAR_PIO:
        return size >= PIO_BAR_MIN && size <= PIO_BAR_MAX;
    default:
        return false;
    }
}

int pci_dev_add_bar(struct pci_dev *d, unsigned n, enum pci_bar_kind kind,
                    uint64_t size, const struct bus_ops *ops, void *ctx)
{
    bool wide = kind == PCI_BAR_MMIO64;

    if (n >= PCI_NUM_BARS || !ops || !bar_size_ok(kind, size) ||
        d->bar[n].kind != PCI_BAR_UNUSED || is_upper_half(d, n))
        return -EINVAL;
    if (wide && (n + 1 >= PCI_NUM_BARS || d->bar[n + 1].kind != PCI_BAR_UNUSED))
        return -EINVAL;
    d->bar[n] = (struct pci_bar){ kind, size, ops, ctx };
    le32_put(d->wmask, PCI_BAR0 + 4 * (size_t)n, 0xffffffffU);
    bar_reg_put(d, n, bar_type_bits(kind));
    if (wide) {
        le32_put(d->wmask, PCI_BAR0 + 4 * (size_t)(n + 1), 0xffffffffU);
        bar_reg_put(d, n + 1, 0);
    }
    return 0;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t id, const void *body,
                    const void *wmask, uint8_t body_len)
{
    unsigned off = d->next_cap, end = off + 2U + body_len;

    if (off < PCI_CAP_START || end > PCI_CFG_LEGACY_SIZE)
        return -ENOSPC;
    d->cfg[off] = id;
    d->cfg[off + 1] = 0;                   /* end of the list */
    if (body)
        memcpy(d->cfg + off + 2, body, body_len);
    else
        memset(d->cfg + off + 2, 0, body_len);
    if (wmask)
        memcpy(d->wmask + off + 2, wmask, body_len);
    else
        memset(d->wmask + off + 2, 0, body_len);
    if (d->last_cap)
        d->cfg[d->last_cap + 1] = (uint8_t)off;
    else
        d->cfg[PCI_CAP_PTR] = (uint8_t)off;
    le16_put(d->cfg, PCI_STATUS,
             le16_get(d->cfg, PCI_STATUS) | PCI_STATUS_CAP_LIST);
    d->last_cap = (uint8_t)off;
    d->next_cap = (uint16_t)align_up(end, 4);
    return (int)off;
}

void pci_dev_set_intx(struct pci_dev *d, uint8_t pin, uint8_t line)
{
    if (pin > 4)
        return;
    d->cfg[PCI_INTX_PIN] = pin;
    d->cfg[PCI_INTX_LINE] = line;
}

static bool access_ok(uint32_t off, unsigned len)
{
    /* Aligned, so never crossing a dword or the end of the space. */
    return (len == 1 || len == 2 || len == 4) && off % len == 0 &&
           off < PCI_CFG_SIZE;
}

static uint32_t all_ones(unsigned len)
{
    return len == 1 ? 0xffU : len == 2 ? 0xffffU : 0xffffffffU;
}

uint32_t pci_cfg_read(struct pci_dev *d, uint32_t off, unsigned len)
{
    /* GUEST: (off, len) from a config access of any offset and width. */
    uint32_t v = 0;

    if (!access_ok(off, len))
        return all_ones(len);
    for (unsigned i = 0; i < len; i++)
        v |= (uint32_t)d->cfg[off + i] << (8 * i);
    return v;
}

static bool overlaps(uint32_t off, unsigned len, uint32_t start, uint32_t end)
{
    return off < end && start < off + len;
}

void pci_cfg_write(struct pci_dev *d, uint32_t off, uint32_t val,
                   unsigned len)
{
    /* GUEST: (off, len, val) from a config access of any offset and
     * width; only bits set in wmask change. */
    if (!access_ok(off, len))
        return;
    for (unsigned i = 0; i < len; i++) {
        uint8_t m = d->wmask[off + i], b = (uint8_t)(val >> (8 * i));

        d->cfg[off + i] = (uint8_t)((d->cfg[off + i] & ~m) | (b & m));
    }
    if (overlaps(off, len, PCI_BAR0, PCI_BAR_END))
        bar_reg_fixup(d, (off - PCI_BAR0) / 4);
    if (overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
        overlaps(off, len, PCI_BAR0, PCI_BAR_END))
        bars_update(d);
    if (d->ops && d->ops->cfg_written)
        d->ops->cfg_written(d->ops_ctx, off, len);
}

void pci_dev_place_bar(struct pci_dev *d, unsigned n, uint64_t addr)
{
    const struct pci_bar *b;

    if (n >= PCI_NUM_BARS || d->bar[n].kind == PCI_BAR_UNUSED)
        return;
    b = &d->bar[n];
    bar_reg_put(d, n, ((uint32_t)addr & bar_lo_mask(b)) |
                          bar_type_bits(b->kind));
    if (b->kind == PCI_BAR_MMIO64)
        bar_reg_put(d, n + 1, (uint32_t)(addr >> 32) & bar_hi_mask(b));
    bars_update(d);
}
