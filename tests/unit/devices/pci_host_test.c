/* PCI host bridge: CF8/CFC at every width and offset, ECAM, empty slots,
 * BAR placement in the windows, INTx routing, hostile accesses. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/pci/pci_host.h"
#include "helpers/fakes.h"

#define MAP_LOG 64
struct map_call {
    struct pci_dev *d;
    unsigned bar;
    uint64_t addr;
    bool on;
};

struct fixture {
    struct pci_host h;
    struct pci_dev dev[PCI_HOST_SLOTS];
    struct map_call log[MAP_LOG];     /* the last MAP_LOG calls */
    unsigned nlog;                    /* calls so far */
    bool on[PCI_HOST_SLOTS][PCI_NUM_BARS];
    uint64_t at[PCI_HOST_SLOTS][PCI_NUM_BARS];
};

static const struct pci_windows test_win = {
    .mmio32_base = 0xc0000000, .mmio32_size = 0x20000000,
    .mmio64_base = 0x800000000ULL, .mmio64_size = 0x400000000ULL,
    .pio_base = 0xc000, .pio_size = 0x4000,
};

static void rec_map(void *ctx, struct pci_dev *d, unsigned bar, uint64_t addr,
                    bool on)
{
    struct fixture *f = ctx;
    size_t i = (size_t)(d - f->dev);

    /* What a VMM relies on: on only when off, off only for the window
     * that is on, aligned, inside the address space. */
    assert_true(i < PCI_HOST_SLOTS && bar < PCI_NUM_BARS);
    assert_int_equal(d->bar[bar].kind != PCI_BAR_UNUSED, true);
    assert_int_equal(f->on[i][bar], !on);
    if (!on)
        assert_int_equal(f->at[i][bar], addr);
    assert_int_equal(addr % d->bar[bar].size, 0);
    assert_true(addr != 0 && addr - 1 + d->bar[bar].size >= addr);
    f->on[i][bar] = on;
    f->at[i][bar] = addr;
    f->log[f->nlog++ % MAP_LOG] = (struct map_call){ d, bar, addr, on };
}

static const struct pci_map_ops rec_map_ops = { .bar_map = rec_map };


static struct fixture *fixture_new(const struct pci_windows *w)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    pci_host_init(&f->h, w, &rec_map_ops, f);
    return f;
}

static int setup(void **state)
{
    *state = fixture_new(&test_win);
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

/* ---- port and ECAM accessors, as a guest does them ---- */
static uint32_t io_rd(const struct bus_ops *o, struct pci_host *h,
                      uint64_t off, unsigned len)
{
    uint8_t b[8];

    memset(b, 0xa5, sizeof(b));
    o->read(h, off, b, len);
    for (unsigned i = len; i < sizeof(b); i++)
        assert_int_equal(b[i], 0xa5);
    return len > 4 ? le32_get(b, 0) : (uint32_t)(le64_get(b, 0) &
                                                 ((1ULL << (8 * len)) - 1));
}

static void io_wr(const struct bus_ops *o, struct pci_host *h, uint64_t off,
                  uint32_t v, unsigned len)
{
    uint8_t b[8] = { 0 };

    le32_put(b, 0, v);
    o->write(h, off, b, len);
}

static uint32_t cf8_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000U | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_rd(struct pci_host *h, unsigned dev, unsigned reg,
                       unsigned len)
{
    io_wr(&pci_host_cf8_ops, h, 0, cf8_addr(0, dev, 0, reg), 4);
    return io_rd(&pci_host_cfc_ops, h, reg & 3, len);
}

static void cfg_wr(struct pci_host *h, unsigned dev, unsigned reg, uint32_t v,
                   unsigned len)
{
    io_wr(&pci_host_cf8_ops, h, 0, cf8_addr(0, dev, 0, reg), 4);
    io_wr(&pci_host_cfc_ops, h, reg & 3, v, len);
}

static uint64_t ecam_off(unsigned dev, unsigned fn, unsigned reg)
{
    return (uint64_t)dev << 15 | fn << 12 | reg;
}

static uint32_t ecam_rd(struct pci_host *h, uint64_t off, unsigned len)
{
    return io_rd(&pci_host_ecam_ops, h, off, len);
}

/* A device with the given BARs (sizes 0: unused). */
static struct pci_dev *mkdev(struct fixture *f, unsigned i,
                             const enum pci_bar_kind kind[PCI_NUM_BARS],
                             const uint64_t size[PCI_NUM_BARS])
{
    struct pci_dev *d = &f->dev[i];

    pci_dev_init(d, 0x1af4, (uint16_t)(0x1040 + i), 0x078000, 0x1af4, 1, 0);
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        if (size[n])
            assert_int_equal(pci_dev_add_bar(d, n, kind[n], size[n], &fake_bus_nop_ops,
                                             d), 0);
    return d;
}

static struct pci_dev *mkdev1(struct fixture *f, unsigned i,
                              enum pci_bar_kind kind, uint64_t size)
{
    enum pci_bar_kind k[PCI_NUM_BARS] = { kind };
    uint64_t s[PCI_NUM_BARS] = { size };

    return mkdev(f, i, k, s);
}

static void test_bridge_ids(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(cfg_rd(&f->h, 0, 0, 4), 0x00081b36);
    assert_int_equal(cfg_rd(&f->h, 0, 8, 4) >> 8, 0x060000);
    assert_int_equal(cfg_rd(&f->h, 0, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(cfg_rd(&f->h, 0, PCI_COMMAND, 2),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    assert_int_equal(ecam_rd(&f->h, 0, 4), 0x00081b36);
    assert_ptr_equal(f->h.slot[0], &f->h.bridge);
}

static void test_cf8_register(void **state)
{
    struct fixture *f = *state;
    struct pci_host *h = &f->h;

    assert_int_equal(io_rd(&pci_host_cf8_ops, h, 0, 4), 0);
    io_wr(&pci_host_cf8_ops, h, 0, 0x80000000, 4);
    assert_int_equal(io_rd(&pci_host_cf8_ops, h, 0, 4), 0x80000000);
    /* reserved bits 30:24 and 1:0 read 0 */
    io_wr(&pci_host_cf8_ops, h, 0, 0xffffffff, 4);
    assert_int_equal(io_rd(&pci_host_cf8_ops, h, 0, 4), 0x80fffffc);
    /* only a dword at 0xCF8 is the register (Linux's type 1 probe writes
     * a byte to 0xCFB first; 0xCF9 is a reset register on a PC) */
    for (uint64_t off = 0; off < 4; off++) {
        for (unsigned len = 1; len <= 4; len *= 2) {
            if (off == 0 && len == 4)
                continue;
            io_wr(&pci_host_cf8_ops, h, off, 0x12345678, len);
            assert_int_equal(io_rd(&pci_host_cf8_ops, h, off, len),
                             len == 4 ? 0xffffffff : (1U << (8 * len)) - 1);
        }
    }
    assert_int_equal(io_rd(&pci_host_cf8_ops, h, 0, 4), 0x80fffffc);
    assert_int_equal(io_rd(&pci_host_cf8_ops, h, 0, 8), 0xffffffff);
}

/* Every width at every CFC offset over the first 64 bytes of the bridge:
 * byte lanes match the dword; crossing or misaligned reads all-ones. */
static void test_cfc_every_width_offset(void **state)
{
    struct fixture *f = *state;
    struct pci_host *h = &f->h;

    for (unsigned reg = 0; reg < 64; reg += 4) {
        uint32_t dw = cfg_rd(h, 0, reg, 4);

        assert_int_equal(dw, pci_cfg_read(&h->bridge, reg, 4));
        for (unsigned off = 0; off < 4; off++) {
            for (unsigned len = 1; len <= 4; len *= 2) {
                uint32_t want = (uint32_t)((dw >> (8 * off)) &
                                           ((1ULL << (8 * len)) - 1));
                uint32_t ones = (uint32_t)((1ULL << (8 * len)) - 1);

                if (off % len != 0)
                    want = ones;
                assert_int_equal(io_rd(&pci_host_cfc_ops, h, off, len), want);
            }
        }
    }
    /* 8-byte or out-of-window accesses to CFC */
    io_wr(&pci_host_cf8_ops, h, 0, cf8_addr(0, 0, 0, 0), 4);
    assert_int_equal(io_rd(&pci_host_cfc_ops, h, 0, 8), 0xffffffff);
    assert_int_equal(io_rd(&pci_host_cfc_ops, h, 4, 1), 0xff);
    assert_int_equal(io_rd(&pci_host_cfc_ops, h, UINT64_MAX, 1), 0xff);
}

static void test_cfc_writes_lanes(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = mkdev1(f, 1, PCI_BAR_MMIO32, 4096);

    pci_dev_set_intx(d, 1, 0);
    assert_int_equal(pci_host_add(&f->h, d), 1);
    /* INTx line through CFC+0 (1 byte at 0x3c) and a word at CFC+2
     * (0x3e, read-only) */
    cfg_wr(&f->h, 1, PCI_INTX_LINE, 0x33, 1);
    assert_int_equal(cfg_rd(&f->h, 1, PCI_INTX_LINE, 1), 0x33);
    cfg_wr(&f->h, 1, 0x3e, 0xffff, 2);
    assert_int_equal(cfg_rd(&f->h, 1, PCI_INTX_LINE, 4), 0x00000133);
    /* a misaligned word at CFC+1 does nothing */
    cfg_wr(&f->h, 1, 0x3d, 0xffff, 2);
    assert_int_equal(cfg_rd(&f->h, 1, PCI_INTX_LINE, 4), 0x00000133);
    /* a 4-byte write at CFC+2 crosses the dword: dropped */
    io_wr(&pci_host_cf8_ops, &f->h, 0, cf8_addr(0, 1, 0, PCI_COMMAND), 4);
    io_wr(&pci_host_cfc_ops, &f->h, 2, 0, 4);
    assert_int_equal(cfg_rd(&f->h, 1, PCI_COMMAND, 2),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    /* COMMAND through CFC: decode off reports the BAR */
    f->nlog = 0;
    cfg_wr(&f->h, 1, PCI_COMMAND, 0, 2);
    assert_int_equal(f->nlog, 1);
    assert_false(f->log[0].on);
}

static void test_cfc_unselected_all_ones(void **state)
{
    struct fixture *f = *state;
    struct pci_host *h = &f->h;
    struct pci_dev *d = mkdev1(f, 1, PCI_BAR_MMIO32, 4096);
    uint8_t before[PCI_CFG_SIZE];
    static const uint32_t addrs[] = {
        0x00000000,                     /* enable bit clear: slot 0 reg 0 */
        0x00000800,                     /* enable clear, slot 1 */
    };

    assert_int_equal(pci_host_add(h, d), 1);
    memcpy(before, d->cfg, sizeof(before));
    f->nlog = 0;
    for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
        io_wr(&pci_host_cf8_ops, h, 0, addrs[i], 4);
        assert_int_equal(io_rd(&pci_host_cfc_ops, h, 0, 4), 0xffffffff);
        io_wr(&pci_host_cfc_ops, h, 0, 0, 4);
    }
    for (unsigned fn = 1; fn < 8; fn++) {         /* functions 1-7 */
        assert_int_equal(cfg_rd(h, 0, 0, 4), 0x00081b36);
        io_wr(&pci_host_cf8_ops, h, 0, cf8_addr(0, 1, fn, PCI_COMMAND), 4);
        assert_int_equal(io_rd(&pci_host_cfc_ops, h, 0, 4), 0xffffffff);
        io_wr(&pci_host_cfc_ops, h, 0, 0, 2);
    }
    for (unsigned bus = 1; bus < 256; bus += 37) { /* other buses */
        io_wr(&pci_host_cf8_ops, h, 0, cf8_addr(bus, 1, 0, PCI_COMMAND), 4);
        assert_int_equal(io_rd(&pci_host_cfc_ops, h, 0, 2), 0xffff);
        io_wr(&pci_host_cfc_ops, h, 0, 0, 2);
    }
    for (unsigned dev = 2; dev < PCI_HOST_SLOTS; dev++) { /* empty slots */
        for (unsigned len = 1; len <= 4; len *= 2)
            assert_int_equal(cfg_rd(h, dev, 0, len),
                             (uint32_t)((1ULL << (8 * len)) - 1));
        cfg_wr(h, dev, PCI_COMMAND, 0, 2);
    }
    assert_memory_equal(before, d->cfg, sizeof(before));
    assert_int_equal(f->nlog, 0);
}

static void test_ecam(void **state)
{
    struct fixture *f = *state;
    struct pci_host *h = &f->h;
    struct pci_dev *d = mkdev1(f, 3, PCI_BAR_MMIO32, 0x2000);
    const struct bus_ops *o = &pci_host_ecam_ops;

    assert_int_equal(pci_host_add(h, d), 1);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 0), 4), 0x10431af4);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 2), 2), 0x1043);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 3), 1), 0x10);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 1), 2), 0xffff);   /* misaligned */
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 2), 4), 0xffffffff);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 0), 8), 0xffffffff);
    /* extended space: present, empty (no extended capabilities) */
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 0x100), 4), 0);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, 0xffc), 4), 0);
    /* functions 1-7, empty slots, past the bus */
    for (unsigned fn = 1; fn < 8; fn++)
        assert_int_equal(ecam_rd(h, ecam_off(1, fn, 0), 4), 0xffffffff);
    assert_int_equal(ecam_rd(h, ecam_off(2, 0, 0), 4), 0xffffffff);
    assert_int_equal(ecam_rd(h, ecam_off(31, 0, 0), 2), 0xffff);
    assert_int_equal(ecam_rd(h, PCI_ECAM_BUS_SIZE, 4), 0xffffffff);
    assert_int_equal(ecam_rd(h, UINT64_MAX, 1), 0xff);
    /* BAR sizing through ECAM */
    io_wr(o, h, ecam_off(1, 0, PCI_COMMAND), 0, 2);
    io_wr(o, h, ecam_off(1, 0, PCI_BAR0), 0xffffffff, 4);
    assert_int_equal(ecam_rd(h, ecam_off(1, 0, PCI_BAR0), 4), 0xffffe000);
    io_wr(o, h, ecam_off(1, 0, PCI_BAR0), 0xc0004000, 4);
    io_wr(o, h, ecam_off(1, 0, PCI_COMMAND), PCI_COMMAND_MEMORY, 2);
    assert_true(d->bar_on[0]);
    assert_int_equal(d->bar_addr[0], 0xc0004000);
    /* writes to absent functions go nowhere */
    f->nlog = 0;
    io_wr(o, h, ecam_off(1, 1, PCI_COMMAND), 0, 2);
    io_wr(o, h, ecam_off(1, 0, PCI_COMMAND), 0, 8);
    io_wr(o, h, ecam_off(1, 0, PCI_COMMAND + 1), 0, 2);
    assert_int_equal(f->nlog, 0);
    assert_true(d->bar_on[0]);
}

static void test_add_places_bars(void **state)
{
    struct fixture *f = *state;
    enum pci_bar_kind k[PCI_NUM_BARS] = { PCI_BAR_MMIO64, 0, PCI_BAR_PIO,
                                          PCI_BAR_MMIO32, PCI_BAR_MMIO32 };
    uint64_t s[PCI_NUM_BARS] = { 0x4000, 0, 0x20, 0x1000, 0x100000 };
    struct pci_dev *a = mkdev(f, 1, k, s), *b;

    pci_dev_set_intx(a, 1, 0);
    assert_int_equal(pci_host_add(&f->h, a), 1);
    assert_int_equal(a->bar_addr[0], 0x800000000ULL);
    assert_int_equal(a->bar_addr[2], 0xc000);
    assert_int_equal(a->bar_addr[3], 0xc0000000);
    assert_int_equal(a->bar_addr[4], 0xc0100000);     /* 1 MiB aligned */
    assert_int_equal(pci_cfg_read(a, PCI_COMMAND, 2),
                     PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
    assert_int_equal(pci_cfg_read(a, PCI_INTX_LINE, 1), 17);   /* slot 1 A */
    assert_int_equal(f->nlog, 4);
    for (unsigned i = 0; i < f->nlog; i++) {
        assert_ptr_equal(f->log[i].d, a);
        assert_true(f->log[i].on);
        assert_int_equal(f->log[i].addr, a->bar_addr[f->log[i].bar]);
        assert_int_equal(f->log[i].addr % a->bar[f->log[i].bar].size, 0);
    }
    b = mkdev1(f, 2, PCI_BAR_PIO, 0x100);
    pci_dev_set_intx(b, 2, 0);
    assert_int_equal(pci_host_add(&f->h, b), 2);
    assert_int_equal(b->bar_addr[0], 0xc100);         /* 256-aligned */
    assert_int_equal(pci_cfg_read(b, PCI_INTX_LINE, 1), 19);   /* slot 2 B */
    assert_int_equal(cfg_rd(&f->h, 2, 0, 4), 0x10421af4);
}

static void test_mmio64_falls_back_to_32(void **state)
{
    struct pci_windows w = test_win;
    struct fixture *f;
    struct pci_dev *d;

    (void)state;
    w.mmio64_size = 0;
    f = fixture_new(&w);
    d = mkdev1(f, 1, PCI_BAR_MMIO64, 0x4000);
    assert_int_equal(pci_host_add(&f->h, d), 1);
    assert_int_equal(d->bar_addr[0], 0xc0000000);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0 + 4, 4), 0);
    /* a 64-bit window too small for the BAR: also the 32-bit one */
    w.mmio64_size = 0x2000;
    pci_host_init(&f->h, &w, &rec_map_ops, f);
    d = mkdev1(f, 2, PCI_BAR_MMIO64, 0x4000);
    assert_int_equal(pci_host_add(&f->h, d), 1);
    assert_int_equal(d->bar_addr[0], 0xc0000000);
    test_free(f);
}

static void test_window_full(void **state)
{
    struct pci_windows w = test_win;
    struct fixture *f;
    struct pci_dev *d;
    enum pci_bar_kind k[PCI_NUM_BARS] = { PCI_BAR_MMIO32, PCI_BAR_PIO };
    uint64_t s[PCI_NUM_BARS] = { 0x1000, 0x100 };

    (void)state;
    w.mmio32_size = 0x2000;
    w.pio_size = 0x100;
    f = fixture_new(&w);
    assert_int_equal(pci_host_add(&f->h, mkdev(f, 1, k, s)), 1);
    /* the MMIO fits, the ports do not: nothing taken, slot stays free */
    d = mkdev(f, 2, k, s);
    assert_int_equal(pci_host_add(&f->h, d), -ENOSPC);
    assert_null(f->h.slot[2]);
    assert_null(d->map);
    assert_int_equal(f->h.mmio32_next, 0xc0001000);
    assert_int_equal(pci_cfg_read(d, PCI_COMMAND, 2), 0);
    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 3, PCI_BAR_MMIO32, 0x1000)),
                     2);
    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 4, PCI_BAR_MMIO32, 0x1000)),
                     -ENOSPC);
    /* a window whose end wraps is never used */
    w.mmio32_base = UINT64_MAX - 0xfff;
    w.mmio32_size = 0x2000;
    pci_host_init(&f->h, &w, &rec_map_ops, f);
    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 5, PCI_BAR_MMIO32, 0x1000)),
                     -ENOSPC);
    test_free(f);
}

static void test_bus_full(void **state)
{
    struct fixture *f = *state;

    for (unsigned i = 1; i < PCI_HOST_SLOTS; i++)
        assert_int_equal(pci_host_add(&f->h, mkdev1(f, i, PCI_BAR_MMIO32,
                                                    0x1000)), (int)i);
    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 0, PCI_BAR_MMIO32, 0x1000)),
                     -ENOSPC);
    assert_int_equal(pci_host_add(&f->h, &f->dev[5]), -EEXIST);
    assert_int_equal(pci_host_add(&f->h, &f->h.bridge), -EEXIST);
    for (unsigned i = 1; i < PCI_HOST_SLOTS; i++)
        assert_int_equal(cfg_rd(&f->h, i, 2, 2), 0x1040 + i);
}

static void test_intx_gsi_swizzle(void **state)
{
    (void)state;
    for (unsigned s = 0; s < PCI_HOST_SLOTS; s++) {
        bool seen[4] = { false };

        for (unsigned pin = 1; pin <= 4; pin++) {
            unsigned g = pci_host_intx_gsi(s, pin);

            assert_true(g >= 16 && g <= 19);
            assert_int_equal(g, 16 + (s + pin - 1) % 4);
            seen[g - 16] = true;
        }
        assert_true(seen[0] && seen[1] && seen[2] && seen[3]);
    }
    assert_int_equal(pci_host_intx_gsi(1, 0), 0);
    assert_int_equal(pci_host_intx_gsi(1, 5), 0);
    assert_int_equal(pci_host_intx_gsi(PCI_HOST_SLOTS, 1), 0);
}

static void test_no_pin_keeps_line(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = mkdev1(f, 1, PCI_BAR_MMIO32, 0x1000);

    assert_int_equal(pci_host_add(&f->h, d), 1);
    assert_int_equal(pci_cfg_read(d, PCI_INTX_LINE, 2), 0);
}

/* The sweep every device gets: every offset, width and pattern. */
static void test_sweeps(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 1, PCI_BAR_MMIO32, 0x1000)),
                     1);
    for (unsigned dev = 0; dev < 3; dev++) {
        io_wr(&pci_host_cf8_ops, &f->h, 0, cf8_addr(0, dev, 0, 0x10), 4);
        assert_true(bus_sweep(&pci_host_cfc_ops, &f->h, 4) > 0);
    }
    assert_true(bus_sweep(&pci_host_cf8_ops, &f->h, 4) > 0);
    assert_int_equal(pci_cfg_read(&f->h.bridge, 0, 4), 0x00081b36);
}

static void test_ecam_sweep(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pci_host_add(&f->h, mkdev1(f, 1, PCI_BAR_MMIO32, 0x1000)),
                     1);
    assert_true(bus_sweep(&pci_host_ecam_ops, &f->h, PCI_ECAM_BUS_SIZE) > 0);
    assert_int_equal(pci_cfg_read(&f->h.bridge, 0, 4), 0x00081b36);
    assert_int_equal(ecam_rd(&f->h, ecam_off(1, 0, 0), 4), 0x10411af4);
    /* the recorder's view matches what the device decodes now */
    assert_int_equal(f->on[1][0], f->dev[1].bar_on[0]);
    assert_true(f->nlog > 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_bridge_ids),
        T(test_cf8_register),
        T(test_cfc_every_width_offset),
        T(test_cfc_writes_lanes),
        T(test_cfc_unselected_all_ones),
        T(test_ecam),
        T(test_add_places_bars),
        cmocka_unit_test(test_mmio64_falls_back_to_32),
        cmocka_unit_test(test_window_full),
        T(test_bus_full),
        cmocka_unit_test(test_intx_gsi_swizzle),
        T(test_no_pin_keeps_line),
        T(test_sweeps),
        T(test_ecam_sweep),
    };
#undef T
    return cmocka_run_group_tests_name("devices/pci_host", tests, NULL, NULL);
}
