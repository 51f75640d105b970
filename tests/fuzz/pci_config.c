/* libFuzzer target: PCI configuration space through 0xCF8/0xCFC, ECAM and
 * direct calls, against a host bridge with three devices (every BAR kind,
 * capabilities, MSI-X in a 64-bit BAR). Input bytes pick a sequence of
 * accesses (kind, offset, width, value). The map ops check what a VMM
 * relies on: a window is reported on only while off and off only at the
 * address it was reported on, aligned to its size, never wrapping and
 * inside the port space for I/O BARs; and read-only registers never
 * change. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/pci/msix.h"
#include "devices/pci/pci_host.h"
#include "fuzz_input.h"

#define NDEV 3
#define MAX_OPS 4096

struct fz {
    struct pci_host h;
    struct pci_dev dev[NDEV];
    struct msix msix;
    bool on[NDEV][PCI_NUM_BARS];
    uint64_t at[NDEV][PCI_NUM_BARS];
    uint8_t ro[NDEV][64];             /* header bytes that never change */
    unsigned calls;                   /* callbacks in the current op */
};

static struct fz g;

static void die(void)
{
    abort();
}

static void check(bool ok)
{
    if (!ok)
        die();
}

static void on_map(void *ctx, struct pci_dev *d, unsigned bar, uint64_t addr,
                   bool on)
{
    struct fz *f = ctx;
    size_t i = (size_t)(d - f->dev);
    uint64_t size, end;

    check(i < NDEV && bar < PCI_NUM_BARS);
    size = d->bar[bar].size;
    check(d->bar[bar].kind != PCI_BAR_UNUSED);
    check(f->on[i][bar] == !on);
    if (!on)
        check(f->at[i][bar] == addr);
    check(addr != 0 && addr % size == 0);
    check(!__builtin_add_overflow(addr, size, &end));
    if (d->bar[bar].kind == PCI_BAR_PIO)
        check(end <= 0x10000);
    if (d->bar[bar].kind == PCI_BAR_MMIO32)
        check(end <= 0x100000000ULL);
    f->on[i][bar] = on;
    f->at[i][bar] = addr;
    f->calls++;
}

static const struct pci_map_ops map_ops = { .bar_map = on_map };

static void msix_update(void *ctx, unsigned vec, const struct msix_entry *e,
                        bool masked)
{
    struct fz *f = ctx;

    (void)e;
    (void)masked;
    check(vec < f->msix.nvec);
    f->calls++;
}

static void msix_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    struct fz *f = ctx;

    check(vec < f->msix.nvec && e == &f->msix.table[vec]);
    check(msix_enabled(&f->msix) && !(f->msix.ctrl & MSIX_CTRL_FMASK) &&
          !(e->ctrl & MSIX_ENTRY_MASKED));
    f->calls++;
}

static const struct msix_ops msix_ops = { .update = msix_update,
                                          .fire = msix_fire };

static void bar_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct fz *f = dev;

    if (!msix_bar_read(&f->msix, off, data, len))
        memset(data, 0, len > 8 ? 8 : len);
}

static void bar_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct fz *f = dev;

    (void)msix_bar_write(&f->msix, off, data, len);
}

static const struct bus_ops bar_ops = { .read = bar_read, .write = bar_write };

static void cfg_hook(void *ctx, uint32_t off, unsigned len)
{
    struct fz *f = ctx;

    msix_cfg_written(&f->msix, off, len);
}

static const struct pci_dev_ops hook_ops = { .cfg_written = cfg_hook };

static void setup(struct fz *f)
{
    static const struct pci_windows win = {
        .mmio32_base = 0xc0000000, .mmio32_size = 0x20000000,
        .mmio64_base = 0x800000000ULL, .mmio64_size = 0x400000000ULL,
        .pio_base = 0xc000, .pio_size = 0x4000,
    };
    struct pci_dev *a = &f->dev[0], *b = &f->dev[1], *c = &f->dev[2];
    uint8_t vend[6] = { 8, 1, 2, 3, 4, 5 }, vmask[6] = { 0, 0, 0xff, 0xff };

    memset(f, 0, sizeof(*f));
    pci_host_init(&f->h, &win, &map_ops, f);
    pci_dev_init(a, 0x1234, 0x0001, 0x020000, 0x1234, 1, 1);
    if (pci_dev_add_bar(a, 0, PCI_BAR_MMIO32, 0x1000, &bar_ops, f) ||
        pci_dev_add_bar(a, 1, PCI_BAR_PIO, 0x20, &bar_ops, f) ||
        pci_dev_add_bar(a, 2, PCI_BAR_MMIO64, 0x100000, &bar_ops, f) ||
        pci_dev_add_bar(a, 5, PCI_BAR_PIO, 0x100, &bar_ops, f) ||
        pci_dev_add_cap(a, PCI_CAP_ID_VENDOR, vend, vmask, 6) < 0)
        die();
    pci_dev_set_intx(a, 1, 0);

    pci_dev_init(b, 0x1af4, 0x1041, 0x020000, 0x1af4, 1, 1);
    b->ops = &hook_ops;
    b->ops_ctx = f;
    if (pci_dev_add_bar(b, 0, PCI_BAR_MMIO64, 0x4000, &bar_ops, f) ||
        pci_dev_add_cap(b, PCI_CAP_ID_VENDOR, vend, vmask, 6) < 0 ||
        msix_init(&f->msix, b, 5, 0, 0x3800, 0x3c00, &msix_ops, f) ||
        pci_dev_add_cap(b, PCI_CAP_ID_VENDOR, vend, NULL, 6) < 0)
        die();
    pci_dev_set_intx(b, 2, 0);

    pci_dev_init(c, 0x8086, 0x7777, 0x010000, 0, 0, 0);
    if (pci_dev_add_bar(c, 0, PCI_BAR_MMIO64, 8ULL << 30, &bar_ops, f) ||
        pci_dev_add_bar(c, 4, PCI_BAR_MMIO32, 1ULL << 20, &bar_ops, f))
        die();

    for (unsigned i = 0; i < NDEV; i++) {
        if (pci_host_add(&f->h, &f->dev[i]) != (int)i + 1)
            die();
        memcpy(f->ro[i], f->dev[i].cfg, sizeof(f->ro[i]));
    }
}

/* Input cursor: bytes run out as zeros. */
static unsigned get_len(struct in *in)
{
    static const unsigned lens[8] = { 1, 2, 4, 8, 1, 2, 4, 3 };

    return lens[get8(in) & 7];
}

static void port_io(const struct bus_ops *o, uint64_t off, unsigned len,
                    bool write, uint32_t v)
{
    uint8_t buf[16];

    memset(buf, 0xa5, sizeof(buf));
    if (write) {
        le32_put(buf, 0, v);
        o->write(&g.h, off, buf, len);
        return;
    }
    o->read(&g.h, off, buf, len);
    for (unsigned i = len; i < sizeof(buf); i++)
        check(buf[i] == 0xa5);
}

/* A CONFIG_ADDRESS value aimed mostly at populated functions. */
static uint32_t cf8_value(struct in *in)
{
    uint8_t sel = get8(in), dev = get8(in), reg = get8(in);

    if (sel & 0x80)
        return get32(in);                     /* raw */
    return 0x80000000U | (uint32_t)(dev % 5) << 11 |
           (uint32_t)(sel & 0x40 ? (sel & 7) << 8 : 0) | (reg & 0xfcU);
}

static void one_op(struct in *in)
{
    uint8_t op = get8(in);
    uint32_t v;
    uint64_t off;
    unsigned len;

    switch (op % 9) {
    case 0:
        port_io(&pci_host_cf8_ops, 0, 4, true, cf8_value(in));
        break;
    case 1:
    case 2:
        off = get8(in) & 7;                   /* a little past the window */
        len = get_len(in);
        v = get32(in);
        port_io(&pci_host_cfc_ops, off, len, op % 9 == 2, v);
        break;
    case 3:
    case 4:
        off = (uint64_t)(get8(in) % 5) << 15 | (uint64_t)(get8(in) & 7) << 12 |
              (get32(in) & 0xfff);
        if (get8(in) == 0xff)
            off = get32(in) | (uint64_t)get32(in) << 32;  /* anywhere */
        len = get_len(in);
        v = get32(in);
        port_io(&pci_host_ecam_ops, off, len, op % 9 == 4, v);
        break;
    case 5:
        off = get8(in) & 7;
        len = get_len(in);
        port_io(&pci_host_cf8_ops, off, len, get8(in) & 1, get32(in));
        break;
    case 6: {
        struct pci_dev *d = &g.dev[get8(in) % NDEV];
        uint32_t reg = get32(in);

        len = get_len(in);
        v = get32(in);
        pci_cfg_write(d, reg & 0x1fff, v, len);
        (void)pci_cfg_read(d, reg & 0x1fff, len);
        break;
    }
    case 7:
        msix_notify(&g.msix, get8(in) % 8);
        break;
    default: {
        uint8_t buf[8];

        off = 0x3800 + (get32(in) & 0x7ff) - 0x40;
        len = get_len(in);
        le32_put(buf, 0, get32(in));
        le32_put(buf, 4, get32(in));
        if (get8(in) & 1)
            bar_write(&g, off, buf, len);
        else
            bar_read(&g, off, buf, len);
        break;
    }
    }
}

static void check_invariants(void)
{
    for (unsigned i = 0; i < NDEV; i++) {
        const struct pci_dev *d = &g.dev[i];
        uint16_t cmd = le16_get(d->cfg, PCI_COMMAND);

        /* IDs, class, header type, pin, cap pointer: read-only */
        check(memcmp(d->cfg, g.ro[i], 4) == 0);
        check(memcmp(d->cfg + 8, g.ro[i] + 8, 4) == 0);
        check(d->cfg[PCI_HEADER_TYPE] == 0);
        check(memcmp(d->cfg + 0x2c, g.ro[i] + 0x2c, 12) == 0);
        check(d->cfg[PCI_INTX_PIN] == g.ro[i][PCI_INTX_PIN]);
        check((cmd & ~0x0407U) == 0);
        for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
            check(g.on[i][n] == d->bar_on[n]);
            if (d->bar_on[n])
                check(g.at[i][n] == d->bar_addr[n]);
            if (d->bar_on[n] && d->bar[n].kind == PCI_BAR_PIO)
                check(cmd & PCI_COMMAND_IO);
            else if (d->bar_on[n])
                check(cmd & PCI_COMMAND_MEMORY);
        }
    }
    check((g.msix.pba >> g.msix.nvec) == 0);
    check(g.h.cf8 == (g.h.cf8 & 0x80fffffcU));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    unsigned ops = 0;

    setup(&g);
    check_invariants();
    while (in.n && ops++ < MAX_OPS) {
        g.calls = 0;
        one_op(&in);
        /* bounded work per access: two map calls per BAR, or an update
         * and a message per vector */
        check(g.calls <= 2 * PCI_NUM_BARS + 2 * MSIX_MAX_VECTORS);
        check_invariants();
    }
    return 0;
}
