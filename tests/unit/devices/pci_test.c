/* PCI function config space: IDs, COMMAND, STATUS, BAR sizing and decode
 * reports, capabilities, INTx, hostile offsets and widths. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pci/pci.h"
#include "helpers/fakes.h"

/* ---- a map-ops recorder ---- */
#define MAP_LOG 32
struct map_call {
    unsigned bar;
    uint64_t addr;
    bool on;
};

struct fixture {
    struct pci_dev d;
    struct map_call log[MAP_LOG];
    unsigned nlog;
    uint32_t hook_off[8];
    unsigned hook_len[8], nhook;
};

static void rec_map(void *ctx, struct pci_dev *d, unsigned bar, uint64_t addr,
                    bool on)
{
    struct fixture *f = ctx;

    assert_ptr_equal(d, &f->d);
    assert_true(bar < PCI_NUM_BARS);
    assert_true(f->nlog < MAP_LOG);
    f->log[f->nlog++] = (struct map_call){ bar, addr, on };
}

static const struct pci_map_ops rec_map_ops = { .bar_map = rec_map };

static void rec_hook(void *ctx, uint32_t off, unsigned len)
{
    struct fixture *f = ctx;

    if (f->nhook < 8) {
        f->hook_off[f->nhook] = off;
        f->hook_len[f->nhook] = len;
    }
    f->nhook++;
}

static const struct pci_dev_ops hook_ops = { .cfg_written = rec_hook };


static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    pci_dev_init(&f->d, 0x1af4, 0x1042, 0x010000, 0x1af4, 0x0002, 0x01);
    f->d.map = &rec_map_ops;
    f->d.map_ctx = f;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static void expect_map(struct fixture *f, unsigned i, unsigned bar,
                       uint64_t addr, bool on)
{
    assert_true(i < f->nlog);
    assert_int_equal(f->log[i].bar, bar);
    assert_int_equal(f->log[i].addr, addr);
    assert_int_equal(f->log[i].on, on);
}

static void test_ids_read_only(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_cfg_read(d, PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(pci_cfg_read(d, PCI_DEVICE_ID, 2), 0x1042);
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10421af4);
    assert_int_equal(pci_cfg_read(d, PCI_REVISION, 4), 0x01000001);
    assert_int_equal(pci_cfg_read(d, PCI_HEADER_TYPE, 1), 0);
    assert_int_equal(pci_cfg_read(d, PCI_SUBSYS_VENDOR, 4), 0x00021af4);
    for (uint32_t off = 0; off < 4; off += 2)
        pci_cfg_write(d, off, 0xffff, 2);
    pci_cfg_write(d, PCI_REVISION, 0xffffffff, 4);
    pci_cfg_write(d, PCI_SUBSYS_VENDOR, 0, 4);
    pci_cfg_write(d, PCI_HEADER_TYPE, 0x80, 1);
    assert_int_equal(pci_cfg_read(d, 0, 4), 0x10421af4);
    assert_int_equal(pci_cfg_read(d, PCI_REVISION, 4), 0x01000001);
    assert_int_equal(pci_cfg_read(d, PCI_SUBSYS_VENDOR, 4), 0x00021af4);
    assert_int_equal(pci_cfg_read(d, PCI_HEADER_TYPE, 1), 0);
}

static void test_command_bits(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pci_cfg_read(&f->d, PCI_COMMAND, 2), 0);
    pci_cfg_write(&f->d, PCI_COMMAND, 0xffff, 2);
    assert_int_equal(pci_cfg_read(&f->d, PCI_COMMAND, 2),
                     PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                         PCI_COMMAND_INTX_DISABLE);
    /* a dword write at 4 reaches COMMAND, not STATUS */
    pci_cfg_write(&f->d, PCI_COMMAND, 0xffff0000, 4);
    assert_int_equal(pci_cfg_read(&f->d, PCI_COMMAND, 4), 0);
    pci_cfg_write(&f->d, PCI_COMMAND + 1, 0x04, 1);
    assert_int_equal(pci_cfg_read(&f->d, PCI_COMMAND, 2),
                     PCI_COMMAND_INTX_DISABLE);
    assert_int_equal(f->nlog, 0);        /* no BARs, nothing to map */
}

static void test_status_cap_list(void **state)
{
    struct fixture *f = *state;
    uint8_t body[2] = { 0x12, 0x34 };

    assert_int_equal(pci_cfg_read(&f->d, PCI_STATUS, 2), 0);
    assert_int_equal(pci_cfg_read(&f->d, PCI_CAP_PTR, 1), 0);
    assert_int_equal(pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, body, NULL, 2),
                     0x40);
    assert_int_equal(pci_cfg_read(&f->d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
    pci_cfg_write(&f->d, PCI_STATUS, 0xffff, 2);   /* nothing is RW1C */
    pci_cfg_write(&f->d, PCI_STATUS, 0, 2);
    assert_int_equal(pci_cfg_read(&f->d, PCI_STATUS, 2), PCI_STATUS_CAP_LIST);
}

/* Size BAR register (reg) as Linux does: save, write ~0, read, restore. */
static uint32_t size_probe(struct pci_dev *d, unsigned reg)
{
    uint32_t off = PCI_BAR0 + 4 * reg, old = pci_cfg_read(d, off, 4), v;

    pci_cfg_write(d, off, 0xffffffff, 4);
    v = pci_cfg_read(d, off, 4);
    pci_cfg_write(d, off, old, 4);
    assert_int_equal(pci_cfg_read(d, off, 4), old);
    return v;
}

static void test_bar_sizing_each_kind(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     0);
    assert_int_equal(pci_dev_add_bar(d, 1, PCI_BAR_MMIO64, 0x4000, &fake_bus_nop_ops, f),
                     0);
    assert_int_equal(pci_dev_add_bar(d, 3, PCI_BAR_PIO, 32, &fake_bus_nop_ops, f), 0);
    assert_int_equal(pci_dev_add_bar(d, 4, PCI_BAR_MMIO64, 8 * GiB, &fake_bus_nop_ops,
                                     f), 0);
    assert_int_equal(size_probe(d, 0), 0xfffff000);
    assert_int_equal(size_probe(d, 1), 0xffffc004);   /* 64-bit type */
    assert_int_equal(size_probe(d, 2), 0xffffffff);   /* upper half */
    assert_int_equal(size_probe(d, 3), 0xffffffe1);   /* I/O space */
    assert_int_equal(size_probe(d, 4), 0x00000004);   /* size >= 4 GiB */
    assert_int_equal(size_probe(d, 5), 0xfffffffe);
    /* initial values: type bits, address 0 */
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0 + 4, 4), 4);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0 + 12, 4), 1);
    /* bytes and words of a BAR, as a guest could */
    pci_cfg_write(d, PCI_BAR0, 0xff, 1);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0);
    pci_cfg_write(d, PCI_BAR0 + 2, 0xffff, 2);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0xffff0000);
    pci_cfg_write(d, PCI_BAR0 + 1, 0xff, 1);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0xfffff000);
    assert_int_equal(f->nlog, 0);        /* decode never on */
}

static void test_bar_large_sizes(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pci_dev_add_bar(&f->d, 0, PCI_BAR_MMIO32, 2 * GiB,
                                     &fake_bus_nop_ops, f), 0);
    assert_int_equal(pci_dev_add_bar(&f->d, 1, PCI_BAR_PIO, 256, &fake_bus_nop_ops, f),
                     0);
    assert_int_equal(pci_dev_add_bar(&f->d, 2, PCI_BAR_MMIO64, 1ULL << 63,
                                     &fake_bus_nop_ops, f), 0);
    assert_int_equal(size_probe(&f->d, 0), 0x80000000);
    assert_int_equal(size_probe(&f->d, 1), 0xffffff01);
    assert_int_equal(size_probe(&f->d, 2), 0x00000004);
    assert_int_equal(size_probe(&f->d, 3), 0x80000000);
}

static void test_unused_bars_read_zero(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(pci_dev_add_bar(&f->d, 2, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops,
                                     f), 0);
    for (unsigned r = 0; r < PCI_NUM_BARS; r++) {
        if (r == 2)
            continue;
        assert_int_equal(size_probe(&f->d, r), 0);
    }
    /* no expansion ROM */
    pci_cfg_write(&f->d, 0x30, 0xfffff800, 4);
    assert_int_equal(pci_cfg_read(&f->d, 0x30, 4), 0);
}

static void test_add_bar_errors(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 6, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 4096, NULL, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_UNUSED, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, (enum pci_bar_kind)99, 4096,
                                     &fake_bus_nop_ops, f), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 0, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 6000, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 2048, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 4 * GiB, &fake_bus_nop_ops,
                                     f), -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_PIO, 2, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_PIO, 512, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 5, PCI_BAR_MMIO64, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 1, PCI_BAR_MMIO64, 4096, &fake_bus_nop_ops, f),
                     0);
    /* BAR 2 is the upper half now; BAR 1 is in use */
    assert_int_equal(pci_dev_add_bar(d, 2, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 1, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO64, 4096, &fake_bus_nop_ops, f),
                     -EINVAL);
    assert_int_equal(pci_dev_add_bar(d, 3, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     0);
    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_PIO, 4, &fake_bus_nop_ops, f), 0);
}

static void test_decode_toggle_maps(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO64, 0x4000, &fake_bus_nop_ops,
                                     f), 0);
    assert_int_equal(pci_dev_add_bar(d, 2, PCI_BAR_PIO, 64, &fake_bus_nop_ops, f), 0);
    assert_int_equal(pci_dev_add_bar(d, 3, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops, f),
                     0);
    pci_dev_place_bar(d, 0, 0x800000000ULL);
    pci_dev_place_bar(d, 2, 0xc040);
    pci_dev_place_bar(d, 3, 0xc0001000);
    assert_int_equal(f->nlog, 0);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0x4);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0 + 4, 4), 0x8);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0 + 8, 4), 0xc041);

    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_int_equal(f->nlog, 2);
    expect_map(f, 0, 0, 0x800000000ULL, true);
    expect_map(f, 1, 3, 0xc0001000, true);
    assert_true(d->bar_on[0] && d->bar_on[3] && !d->bar_on[2]);
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    assert_int_equal(f->nlog, 3);
    expect_map(f, 2, 2, 0xc040, true);
    /* the same value again: nothing */
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    assert_int_equal(f->nlog, 3);
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_IO, 2);
    assert_int_equal(f->nlog, 5);
    expect_map(f, 3, 0, 0x800000000ULL, false);
    expect_map(f, 4, 3, 0xc0001000, false);
    pci_cfg_write(d, PCI_COMMAND, 0, 2);
    assert_int_equal(f->nlog, 6);
    expect_map(f, 5, 2, 0xc040, false);
}

static void test_bar_move_while_decoding(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_MMIO32, 0x2000, &fake_bus_nop_ops,
                                     f), 0);
    pci_dev_place_bar(d, 0, 0xc0000000);
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_int_equal(f->nlog, 1);
    /* an unaligned address is truncated to the BAR's alignment */
    pci_cfg_write(d, PCI_BAR0, 0xc0003fff, 4);
    assert_int_equal(pci_cfg_read(d, PCI_BAR0, 4), 0xc0002000);
    assert_int_equal(f->nlog, 3);
    expect_map(f, 1, 0, 0xc0000000, false);
    expect_map(f, 2, 0, 0xc0002000, true);
    assert_int_equal(d->bar_addr[0], 0xc0002000);
    /* sizing with decode on: the all-ones pattern does not decode */
    pci_cfg_write(d, PCI_BAR0, 0xffffffff, 4);
    assert_int_equal(f->nlog, 4);
    expect_map(f, 3, 0, 0xc0002000, false);
    assert_false(d->bar_on[0]);
    pci_cfg_write(d, PCI_BAR0, 0xc0002000, 4);
    assert_int_equal(f->nlog, 5);
    expect_map(f, 4, 0, 0xc0002000, true);
    /* address 0 does not decode either */
    pci_cfg_write(d, PCI_BAR0, 0, 4);
    assert_int_equal(f->nlog, 6);
    expect_map(f, 5, 0, 0xc0002000, false);
    pci_cfg_write(d, PCI_BAR0, 0, 4);
    assert_int_equal(f->nlog, 6);
}

static void test_bar64_halves(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 2, PCI_BAR_MMIO64, 0x4000, &fake_bus_nop_ops,
                                     f), 0);
    pci_dev_place_bar(d, 2, 0x1000004000ULL);
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    expect_map(f, 0, 2, 0x1000004000ULL, true);
    /* upper half moves the window */
    pci_cfg_write(d, PCI_BAR0 + 12, 0x20, 4);
    assert_int_equal(f->nlog, 3);
    expect_map(f, 1, 2, 0x1000004000ULL, false);
    expect_map(f, 2, 2, 0x2000004000ULL, true);
    /* sizing the upper half: all-ones is not an address */
    pci_cfg_write(d, PCI_BAR0 + 12, 0xffffffff, 4);
    assert_int_equal(f->nlog, 4);
    expect_map(f, 3, 2, 0x2000004000ULL, false);
    pci_cfg_write(d, PCI_BAR0 + 12, 0, 4);
    assert_int_equal(f->nlog, 5);
    expect_map(f, 4, 2, 0x4000, true);
    /* a lower half of all-ones under a real upper half: sizing too */
    pci_cfg_write(d, PCI_BAR0 + 8, 0xffffffff, 4);
    assert_int_equal(f->nlog, 6);
    assert_false(d->bar_on[2]);
}

static void test_bar_wrap_and_pio_limit(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;

    assert_int_equal(pci_dev_add_bar(d, 0, PCI_BAR_PIO, 256, &fake_bus_nop_ops, f), 0);
    assert_int_equal(pci_dev_add_bar(d, 1, PCI_BAR_MMIO64, 8 * GiB, &fake_bus_nop_ops,
                                     f), 0);
    pci_cfg_write(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    pci_cfg_write(d, PCI_BAR0, 0xff00, 4);              /* last 256 ports */
    assert_int_equal(f->nlog, 1);
    expect_map(f, 0, 0, 0xff00, true);
    pci_cfg_write(d, PCI_BAR0, 0x10000, 4);             /* past 64 Ki ports */
    assert_int_equal(f->nlog, 2);
    assert_false(d->bar_on[0]);
    /* the top 8 GiB is the sizing pattern of an 8 GiB BAR */
    pci_cfg_write(d, PCI_BAR0 + 8, 0xfffffffe, 4);
    assert_false(d->bar_on[1]);
    pci_cfg_write(d, PCI_BAR0 + 8, 0xfffffffc, 4);
    assert_true(d->bar_on[1]);
    assert_int_equal(d->bar_addr[1], 0xfffffffc00000000ULL);
}

static void test_no_map_ops(void **state)
{
    struct fixture *f = *state;

    f->d.map = NULL;
    assert_int_equal(pci_dev_add_bar(&f->d, 0, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops,
                                     f), 0);
    pci_dev_place_bar(&f->d, 0, 0xc0000000);
    pci_cfg_write(&f->d, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    assert_true(f->d.bar_on[0]);
    assert_int_equal(f->nlog, 0);
    pci_dev_place_bar(&f->d, 4, 0x1000);                /* unused: ignored */
    pci_dev_place_bar(&f->d, 9, 0x1000);
    assert_int_equal(pci_cfg_read(&f->d, PCI_BAR0 + 16, 4), 0);
}

static void test_cap_chain(void **state)
{
    struct fixture *f = *state;
    struct pci_dev *d = &f->d;
    uint8_t body[14] = { 14 + 2, 1, 2, 3 }, wm[14] = { 0 };
    unsigned ids[3] = { 0 }, n = 0;
    int a, b, c;

    wm[3] = 0x0f;
    a = pci_dev_add_cap(d, PCI_CAP_ID_VENDOR, body, wm, 14);
    b = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, NULL, NULL, 10);
    c = pci_dev_add_cap(d, 0x05, body, NULL, 1);
    assert_int_equal(a, 0x40);
    assert_int_equal(b, 0x50);
    assert_int_equal(c, 0x5c);
    for (unsigned p = pci_cfg_read(d, PCI_CAP_PTR, 1); p; n++) {
        assert_true(n < 3);
        assert_int_equal(p % 4, 0);
        ids[n] = pci_cfg_read(d, p, 1);
        p = pci_cfg_read(d, p + 1, 1);
    }
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], PCI_CAP_ID_VENDOR);
    assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
    assert_int_equal(ids[2], 0x05);
    assert_int_equal(pci_cfg_read(d, 0x42, 1), 16);
    assert_int_equal(pci_cfg_read(d, 0x52, 2), 0);      /* NULL body: zeros */
    assert_int_equal(pci_cfg_read(d, 0x54, 4), 0);
    /* id and next are read-only; the body only where wmask says */
    pci_cfg_write(d, 0x40, 0xffffffff, 4);
    assert_int_equal(pci_cfg_read(d, 0x40, 4), 0x01105009);
    pci_cfg_write(d, 0x44, 0xffffffff, 4);
    assert_int_equal(pci_cfg_read(d, 0x44, 4), 0x00000f02);
    pci_cfg_write(d, 0x44, 0, 4);
    assert_int_equal(pci_cfg_read(d, 0x44, 4), 0x00000002);
}

static void test_cap_space_runs_out(void **state)
{
    struct fixture *f = *state;
    int rc, last = 0;
    unsigned n = 0;

    /* 48 bytes each: 0x40, 0x70, 0xa0, 0xd0; 0x100 would be past 256 */
    while ((rc = pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 46)) > 0) {
        last = rc;
        n++;
    }
    assert_int_equal(rc, -ENOSPC);
    assert_int_equal(n, 4);
    assert_int_equal(last, 0xd0);
    assert_int_equal(f->d.next_cap, 0x100);
    assert_int_equal(pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 0),
                     -ENOSPC);
    assert_int_equal(pci_cfg_read(&f->d, 0xd1, 1), 0);  /* chain ends */
}

static void test_cap_exact_fit(void **state)
{
    struct fixture *f = *state;

    /* 0x40 + 2 + 190 = 0x100 exactly */
    assert_int_equal(pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 190),
                     0x40);
    assert_int_equal(pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 0),
                     -ENOSPC);
}

static void test_intx(void **state)
{
    struct fixture *f = *state;

    pci_dev_set_intx(&f->d, 1, 11);
    assert_int_equal(pci_cfg_read(&f->d, PCI_INTX_LINE, 2), 0x010b);
    pci_cfg_write(&f->d, PCI_INTX_LINE, 0xffff, 2);     /* pin is RO */
    assert_int_equal(pci_cfg_read(&f->d, PCI_INTX_LINE, 2), 0x01ff);
    pci_dev_set_intx(&f->d, 5, 3);                      /* no INTE */
    assert_int_equal(pci_cfg_read(&f->d, PCI_INTX_LINE, 2), 0x01ff);
    pci_dev_set_intx(&f->d, 0, 0);
    assert_int_equal(pci_cfg_read(&f->d, PCI_INTX_PIN, 1), 0);
}

static void test_cfg_written_hook(void **state)
{
    struct fixture *f = *state;

    f->d.ops = &hook_ops;
    f->d.ops_ctx = f;
    pci_cfg_write(&f->d, 0x44, 1, 4);
    pci_cfg_write(&f->d, 0x3c, 1, 1);
    pci_cfg_write(&f->d, 0x3d, 1, 2);                   /* misaligned */
    pci_cfg_write(&f->d, 4096, 1, 1);                   /* outside */
    assert_int_equal(f->nhook, 2);
    assert_int_equal(f->hook_off[0], 0x44);
    assert_int_equal(f->hook_len[0], 4);
    assert_int_equal(f->hook_off[1], 0x3c);
    assert_int_equal(f->hook_len[1], 1);
}

static void test_bad_accesses(void **state)
{
    struct fixture *f = *state;
    static const unsigned lens[] = { 0, 3, 5, 8, 16 };
    uint8_t before[PCI_CFG_SIZE];

    assert_int_equal(pci_dev_add_bar(&f->d, 0, PCI_BAR_MMIO32, 4096, &fake_bus_nop_ops,
                                     f), 0);
    pci_dev_set_intx(&f->d, 1, 5);
    memcpy(before, f->d.cfg, sizeof(before));
    for (uint32_t off = 0; off < PCI_CFG_SIZE + 8; off++) {
        for (unsigned w = 2; w <= 4; w += 2) {
            if (off % w == 0 && off < PCI_CFG_SIZE)
                continue;
            assert_int_equal(pci_cfg_read(&f->d, off, w),
                             w == 2 ? 0xffff : 0xffffffff);
            pci_cfg_write(&f->d, off, 0, w);
            pci_cfg_write(&f->d, off, 0xffffffff, w);
        }
    }
    for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
        assert_int_equal(pci_cfg_read(&f->d, 0, lens[i]), 0xffffffff);
        pci_cfg_write(&f->d, PCI_COMMAND, 0xffffffff, lens[i]);
    }
    assert_int_equal(pci_cfg_read(&f->d, PCI_CFG_SIZE, 1), 0xff);
    assert_int_equal(pci_cfg_read(&f->d, UINT32_MAX, 1), 0xff);
    assert_int_equal(pci_cfg_read(&f->d, UINT32_MAX - 3, 4), 0xffffffff);
    pci_cfg_write(&f->d, UINT32_MAX - 3, 0, 4);
    assert_memory_equal(before, f->d.cfg, sizeof(before));
    assert_int_equal(f->nlog, 0);
    /* extended space exists (ECAM reaches it) and reads 0: no ext caps */
    assert_int_equal(pci_cfg_read(&f->d, 0x100, 4), 0);
    assert_int_equal(pci_cfg_read(&f->d, 0xffc, 4), 0);
}

/* Every valid offset and width with hostile values: read-only bytes never
 * change, and the BAR always reads as a valid BAR. */
static void test_sweep_read_only_stays(void **state)
{
    struct fixture *f = *state;
    static const uint32_t vals[] = { 0, 0xffffffff, 0x5a5a5a5a, 0x80000001 };
    uint8_t before[PCI_CFG_SIZE];

    assert_int_equal(pci_dev_add_bar(&f->d, 0, PCI_BAR_MMIO64, 0x4000, &fake_bus_nop_ops,
                                     f), 0);
    assert_int_equal(pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 6),
                     0x40);
    pci_dev_set_intx(&f->d, 1, 5);
    memcpy(before, f->d.cfg, sizeof(before));
    for (uint32_t off = 0; off < PCI_CFG_SIZE; off++) {
        for (unsigned w = 1; w <= 4; w *= 2) {
            for (size_t v = 0; v < ARRAY_SIZE(vals); v++) {
                if (off == PCI_COMMAND && vals[v] != 0)
                    continue;     /* decode stays off: map log bounded */
                pci_cfg_write(&f->d, off, vals[v], w);
                assert_int_equal(pci_cfg_read(&f->d, PCI_BAR0, 4) & 0xfff,
                                 0x4);
            }
        }
    }
    for (size_t i = 0; i < PCI_CFG_SIZE; i++)
        if (f->d.wmask[i] == 0)
            assert_int_equal(f->d.cfg[i], before[i]);
    assert_int_equal(f->nlog, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_ids_read_only),
        T(test_command_bits),
        T(test_status_cap_list),
        T(test_bar_sizing_each_kind),
        T(test_bar_large_sizes),
        T(test_unused_bars_read_zero),
        T(test_add_bar_errors),
        T(test_decode_toggle_maps),
        T(test_bar_move_while_decoding),
        T(test_bar64_halves),
        T(test_bar_wrap_and_pio_limit),
        T(test_no_map_ops),
        T(test_cap_chain),
        T(test_cap_space_runs_out),
        T(test_cap_exact_fit),
        T(test_intx),
        T(test_cfg_written_hook),
        T(test_bad_accesses),
        T(test_sweep_read_only_stays),
    };
#undef T
    return cmocka_run_group_tests_name("devices/pci", tests, NULL, NULL);
}
