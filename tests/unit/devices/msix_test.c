/* MSI-X: capability layout, table and PBA accesses, masking, pending bits,
 * the enable and function-mask bits, and bounded work under a mask storm. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/pci/msix.h"
#include "helpers/fakes.h"

#define NVEC 4
#define BAR_SIZE 0x4000
#define TABLE_OFF 0x3800
#define PBA_OFF 0x3c00

struct fixture {
    struct pci_dev d;
    struct msix m;
    unsigned updates, fires;
    unsigned last_vec;
    bool last_masked;
    struct msix_entry last;
    unsigned fired[NVEC];
};

static void on_update(void *ctx, unsigned vec, const struct msix_entry *e,
                      bool masked)
{
    struct fixture *f = ctx;

    assert_true(vec < f->m.nvec);
    f->updates++;
    f->last_vec = vec;
    f->last_masked = masked;
    f->last = *e;
}

static void on_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    struct fixture *f = ctx;

    assert_true(vec < f->m.nvec);
    assert_ptr_equal(e, &f->m.table[vec]);
    /* only ever fired while deliverable */
    assert_true(msix_enabled(&f->m));
    assert_false(e->ctrl & MSIX_ENTRY_MASKED);
    assert_false(f->m.ctrl & MSIX_CTRL_FMASK);
    f->fires++;
    if (vec < NVEC)
        f->fired[vec]++;
}

static const struct msix_ops rec_ops = { .update = on_update,
                                         .fire = on_fire };

/* The owner's config hook forwards to MSI-X, as virtio-pci does. */
static void hook(void *ctx, uint32_t off, unsigned len)
{
    struct fixture *f = ctx;

    msix_cfg_written(&f->m, off, len);
}

static const struct pci_dev_ops hook_ops = { .cfg_written = hook };


static void dev_init(struct fixture *f)
{
    pci_dev_init(&f->d, 0x1af4, 0x1041, 0x020000, 0x1af4, 1, 1);
    f->d.ops = &hook_ops;
    f->d.ops_ctx = f;
    assert_int_equal(pci_dev_add_bar(&f->d, 0, PCI_BAR_MMIO64, BAR_SIZE,
                                     &fake_bus_nop_ops, f), 0);
}

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    dev_init(f);
    assert_int_equal(msix_init(&f->m, &f->d, NVEC, 0, TABLE_OFF, PBA_OFF,
                               &rec_ops, f), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

static uint32_t rd32(struct fixture *f, uint64_t off)
{
    uint8_t b[4];

    assert_true(msix_bar_read(&f->m, off, b, 4));
    return le32_get(b, 0);
}

static void wr32(struct fixture *f, uint64_t off, uint32_t v)
{
    uint8_t b[4];

    le32_put(b, 0, v);
    assert_true(msix_bar_write(&f->m, off, b, 4));
}

static uint64_t entry(unsigned v, unsigned dw)
{
    return TABLE_OFF + (uint64_t)v * MSIX_ENTRY_SIZE + 4 * dw;
}

static void ctrl_write(struct fixture *f, uint16_t ctrl)
{
    pci_cfg_write(&f->d, (uint32_t)f->m.cap + MSIX_CTRL_OFF, ctrl, 2);
}

static void program(struct fixture *f, unsigned v, uint32_t data, bool masked)
{
    wr32(f, entry(v, 0), 0xfee00000);
    wr32(f, entry(v, 1), 0);
    wr32(f, entry(v, 2), data);
    wr32(f, entry(v, 3), masked ? 1 : 0);
}

static void test_capability(void **state)
{
    struct fixture *f = *state;
    uint32_t c = (uint32_t)f->m.cap;

    assert_int_equal(c, 0x40);
    assert_int_equal(pci_cfg_read(&f->d, PCI_CAP_PTR, 1), 0x40);
    assert_int_equal(pci_cfg_read(&f->d, c, 1), PCI_CAP_ID_MSIX);
    assert_int_equal(pci_cfg_read(&f->d, c + 2, 2), NVEC - 1);
    assert_int_equal(pci_cfg_read(&f->d, c + 4, 4), TABLE_OFF | 0);
    assert_int_equal(pci_cfg_read(&f->d, c + 8, 4), PBA_OFF | 0);
    /* only enable and function mask are writable */
    pci_cfg_write(&f->d, c, 0xffffffff, 4);
    pci_cfg_write(&f->d, c + 4, 0, 4);
    assert_int_equal(pci_cfg_read(&f->d, c, 4),
                     0xc0000000 | (NVEC - 1) << 16 | PCI_CAP_ID_MSIX);
    assert_int_equal(pci_cfg_read(&f->d, c + 4, 4), TABLE_OFF);
    assert_true(msix_enabled(&f->m));
    assert_int_equal(f->m.ctrl, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
}

static void test_bir_in_offsets(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    struct msix m;

    (void)state;
    pci_dev_init(&f->d, 1, 2, 0, 0, 0, 0);
    assert_int_equal(pci_dev_add_bar(&f->d, 2, PCI_BAR_MMIO32, 0x1000,
                                     &fake_bus_nop_ops, f), 0);
    assert_int_equal(msix_init(&m, &f->d, MSIX_MAX_VECTORS, 2, 0, 0x800,
                               NULL, NULL), 0);
    assert_int_equal(pci_cfg_read(&f->d, (uint32_t)m.cap + 2, 2), 63);
    assert_int_equal(pci_cfg_read(&f->d, (uint32_t)m.cap + 4, 4), 2);
    assert_int_equal(pci_cfg_read(&f->d, (uint32_t)m.cap + 8, 4), 0x802);
    /* no ops: nothing to call, nothing breaks */
    pci_cfg_write(&f->d, (uint32_t)m.cap + 2, MSIX_CTRL_ENABLE, 2);
    msix_cfg_written(&m, (uint32_t)m.cap + 2, 2);
    msix_notify(&m, 3);
    test_free(f);
}

static void test_init_errors(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));
    struct msix m;

    (void)state;
    dev_init(f);
    assert_int_equal(pci_dev_add_bar(&f->d, 2, PCI_BAR_PIO, 0x100, &fake_bus_nop_ops, f),
                     0);
    assert_int_equal(msix_init(&m, &f->d, 0, 0, 0, 0x800, NULL, NULL), -EINVAL);
    assert_int_equal(msix_init(&m, &f->d, MSIX_MAX_VECTORS + 1, 0, 0, 0x800,
                               NULL, NULL), -EINVAL);
    assert_int_equal(msix_init(&m, &f->d, 1, 6, 0, 0x800, NULL, NULL), -EINVAL);
    assert_int_equal(msix_init(&m, &f->d, 1, 1, 0, 0x800, NULL, NULL),
                     -EINVAL);                  /* upper half of BAR 0 */
    assert_int_equal(msix_init(&m, &f->d, 1, 2, 0, 0x80, NULL, NULL),
                     -EINVAL);                  /* I/O BAR */
    assert_int_equal(msix_init(&m, &f->d, 1, 3, 0, 0x800, NULL, NULL),
                     -EINVAL);                  /* unused BAR */
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 4, 0x800, NULL, NULL),
                     -EINVAL);                  /* misaligned table */
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 0, 0x804, NULL, NULL),
                     -EINVAL);                  /* misaligned PBA */
    assert_int_equal(msix_init(&m, &f->d, 2, 0, 0, 0x18, NULL, NULL),
                     -EINVAL);                  /* PBA inside the table */
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 0x3ff8, 0, NULL, NULL),
                     -EINVAL);                  /* table past the BAR */
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 0, BAR_SIZE, NULL, NULL),
                     -EINVAL);                  /* PBA past the BAR */
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 0xfffffff8, 0, NULL, NULL),
                     -EINVAL);
    assert_int_equal(pci_cfg_read(&f->d, PCI_CAP_PTR, 1), 0); /* no cap */
    /* config space full of capabilities */
    while (pci_dev_add_cap(&f->d, PCI_CAP_ID_VENDOR, NULL, NULL, 46) > 0)
        ;
    assert_int_equal(msix_init(&m, &f->d, 1, 0, 0, 0x800, NULL, NULL),
                     -ENOSPC);
    test_free(f);
}

static void test_table_reset_and_rw(void **state)
{
    struct fixture *f = *state;
    uint8_t q[8];

    for (unsigned v = 0; v < NVEC; v++) {
        assert_int_equal(rd32(f, entry(v, 0)), 0);
        assert_int_equal(rd32(f, entry(v, 3)), MSIX_ENTRY_MASKED);
    }
    wr32(f, entry(1, 0), 0xfee00003);           /* low bits read 0 */
    wr32(f, entry(1, 1), 0x12345678);
    wr32(f, entry(1, 2), 0x4041);
    wr32(f, entry(1, 3), 0xfffffffe);           /* reserved bits read 0 */
    assert_int_equal(rd32(f, entry(1, 0)), 0xfee00000);
    assert_int_equal(rd32(f, entry(1, 1)), 0x12345678);
    assert_int_equal(rd32(f, entry(1, 2)), 0x4041);
    assert_int_equal(rd32(f, entry(1, 3)), 0);
    /* 8-byte accesses split into two dwords */
    assert_true(msix_bar_read(&f->m, entry(1, 0), q, 8));
    assert_int_equal(le64_get(q, 0), 0x12345678fee00000ULL);
    le64_put(q, 0, 0x0000000100004242ULL);      /* data, masked */
    assert_true(msix_bar_write(&f->m, entry(1, 2), q, 8));
    assert_int_equal(rd32(f, entry(1, 2)), 0x4242);
    assert_int_equal(rd32(f, entry(1, 3)), 1);
    assert_int_equal(f->m.table[1].data, 0x4242);
}

static void test_update_only_on_change(void **state)
{
    struct fixture *f = *state;

    wr32(f, entry(0, 2), 0x30);
    assert_int_equal(f->updates, 1);
    assert_int_equal(f->last_vec, 0);
    assert_true(f->last_masked);
    assert_int_equal(f->last.data, 0x30);
    wr32(f, entry(0, 2), 0x30);                 /* same value */
    wr32(f, entry(0, 3), 1);                    /* already masked */
    assert_int_equal(f->updates, 1);
    /* unmasking while disabled: the effective mask does not change */
    wr32(f, entry(0, 3), 0);
    assert_int_equal(f->updates, 1);
    ctrl_write(f, MSIX_CTRL_ENABLE);
    assert_int_equal(f->updates, 2);
    assert_false(f->last_masked);
    wr32(f, entry(0, 3), 1);
    assert_int_equal(f->updates, 3);
    assert_true(f->last_masked);
    /* one 8-byte write of data and mask: one update */
    {
        uint8_t q[8];

        le64_put(q, 0, 0x31);                   /* data 0x31, unmasked */
        assert_true(msix_bar_write(&f->m, entry(0, 2), q, 8));
    }
    assert_int_equal(f->updates, 4);
    assert_false(f->last_masked);
    assert_int_equal(f->last.data, 0x31);
    assert_int_equal(f->fires, 0);
}

static uint64_t pba(struct fixture *f)
{
    uint8_t q[8];

    assert_true(msix_bar_read(&f->m, PBA_OFF, q, 8));
    return le64_get(q, 0);
}

static void test_notify_disabled_is_dropped(void **state)
{
    struct fixture *f = *state;

    program(f, 2, 0x41, false);
    msix_notify(&f->m, 2);                     /* MSI-X off: INTx's job */
    assert_int_equal(f->fires, 0);
    assert_int_equal(pba(f), 0);
    ctrl_write(f, MSIX_CTRL_ENABLE);
    assert_int_equal(f->fires, 0);
}

static void test_notify_fire_and_pending(void **state)
{
    struct fixture *f = *state;

    ctrl_write(f, MSIX_CTRL_ENABLE);
    program(f, 2, 0x41, false);
    msix_notify(&f->m, 2);
    assert_int_equal(f->fired[2], 1);
    /* masked: pending bit, no message */
    wr32(f, entry(2, 3), 1);
    msix_notify(&f->m, 2);
    msix_notify(&f->m, 2);
    assert_int_equal(f->fired[2], 1);
    assert_int_equal(pba(f), 1 << 2);
    assert_int_equal(rd32(f, PBA_OFF), 1 << 2);
    assert_int_equal(rd32(f, PBA_OFF + 4), 0);
    /* unmask: one message for all that was held back, bit cleared, and
     * the VMM saw the unmask before the message */
    f->updates = 0;
    wr32(f, entry(2, 3), 0);
    assert_int_equal(f->updates, 1);
    assert_false(f->last_masked);
    assert_int_equal(f->fired[2], 2);
    assert_int_equal(pba(f), 0);
    /* unmasking again with nothing pending fires nothing */
    wr32(f, entry(2, 3), 1);
    wr32(f, entry(2, 3), 0);
    assert_int_equal(f->fired[2], 2);
}

static void test_function_mask(void **state)
{
    struct fixture *f = *state;

    for (unsigned v = 0; v < NVEC; v++)
        program(f, v, 0x40 + v, v == 3);      /* vector 3 masked itself */
    ctrl_write(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    assert_true(msix_enabled(&f->m));
    f->updates = 0;
    for (unsigned v = 0; v < NVEC; v++)
        msix_notify(&f->m, v);
    assert_int_equal(f->fires, 0);
    assert_int_equal(pba(f), 0xf);
    /* clearing the function mask: updates for the three vectors whose
     * effective mask changed, messages for them; vector 3 stays pending */
    ctrl_write(f, MSIX_CTRL_ENABLE);
    assert_int_equal(f->updates, 3);
    assert_int_equal(f->fires, 3);
    assert_int_equal(pba(f), 0x8);
    wr32(f, entry(3, 3), 0);
    assert_int_equal(f->fired[3], 1);
    assert_int_equal(pba(f), 0);
    /* setting it again: 4 updates (all masked now), no messages */
    f->updates = 0;
    ctrl_write(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    assert_int_equal(f->updates, 4);
    assert_true(f->last_masked);
    /* a write that leaves the bits as they are does nothing */
    ctrl_write(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    pci_cfg_write(&f->d, (uint32_t)f->m.cap, 0x11, 1);
    pci_cfg_write(&f->d, PCI_COMMAND, 0, 2);
    assert_int_equal(f->updates, 4);
}

static void test_enable_toggle_keeps_pending(void **state)
{
    struct fixture *f = *state;

    program(f, 1, 0x51, false);
    ctrl_write(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    msix_notify(&f->m, 1);
    assert_int_equal(pba(f), 2);
    /* disable and clear the mask in one write: still blocked */
    ctrl_write(f, 0);
    assert_int_equal(f->fires, 0);
    assert_false(msix_enabled(&f->m));
    msix_notify(&f->m, 1);                    /* dropped while disabled */
    /* enabling delivers what was pending */
    ctrl_write(f, MSIX_CTRL_ENABLE);
    assert_int_equal(f->fired[1], 1);
    assert_int_equal(pba(f), 0);
}

static void test_pba_read_only(void **state)
{
    struct fixture *f = *state;
    uint8_t q[8];

    ctrl_write(f, MSIX_CTRL_ENABLE);
    msix_notify(&f->m, 0);                    /* entry still masked */
    le64_put(q, 0, 0);
    assert_true(msix_bar_write(&f->m, PBA_OFF, q, 8));
    wr32(f, PBA_OFF, 0xffffffff);
    wr32(f, PBA_OFF + 4, 0xffffffff);
    assert_int_equal(pba(f), 1);
    assert_int_equal(f->m.pba, 1);
}

static void test_bad_accesses(void **state)
{
    struct fixture *f = *state;
    struct msix_entry before[NVEC];
    uint8_t b[8];
    uint64_t tend = entry(NVEC, 0);

    program(f, 0, 0x40, true);
    memcpy(before, f->m.table, sizeof(before));
    f->updates = 0;
    /* bytes, words, misaligned dwords and qwords in the table and PBA:
     * claimed, read all-ones, write nothing */
    for (uint64_t off = TABLE_OFF - 8; off < tend + 8; off++) {
        for (unsigned len = 1; len <= 8; len *= 2) {
            bool inside = off + len > TABLE_OFF && off < tend;

            if (inside && (len >= 4 && off % len == 0))
                continue;
            memset(b, 0, sizeof(b));
            assert_int_equal(msix_bar_read(&f->m, off, b, len), inside);
            if (inside)
                for (unsigned i = 0; i < len; i++)
                    assert_int_equal(b[i], 0xff);
            assert_int_equal(msix_bar_write(&f->m, off, b, len), inside);
        }
    }
    assert_memory_equal(before, f->m.table, sizeof(before));
    assert_int_equal(f->updates, 0);
    assert_true(msix_bar_read(&f->m, PBA_OFF + 2, b, 2));
    assert_int_equal(le16_get(b, 0), 0xffff);
    assert_true(msix_bar_read(&f->m, PBA_OFF + 7, b, 2));   /* straddles */
    assert_false(msix_bar_read(&f->m, PBA_OFF + 8, b, 4));  /* past it */
    assert_false(msix_bar_read(&f->m, 0, b, 4));
    assert_false(msix_bar_read(&f->m, UINT64_MAX, b, 1));
    assert_false(msix_bar_read(&f->m, UINT64_MAX - 3, b, 4));
    assert_false(msix_bar_write(&f->m, UINT64_MAX - 7, b, 8));
    /* vectors out of range */
    ctrl_write(f, MSIX_CTRL_ENABLE);
    msix_notify(&f->m, NVEC);
    msix_notify(&f->m, MSIX_VECTOR_NONE);
    msix_notify(&f->m, UINT32_MAX);
    assert_int_equal(pba(f), 0);
    assert_int_equal(f->fires, 0);
}

/* RELIABILITY (a) 17: a guest toggling masks as fast as it can costs the
 * VMM at most one update (and one message) per entry write, and at most
 * nvec per control write. */
static void test_mask_storm_bounded(void **state)
{
    struct fixture *f = *state;
    const unsigned rounds = 100000;

    for (unsigned v = 0; v < NVEC; v++)
        program(f, v, 0x40 + v, false);
    ctrl_write(f, MSIX_CTRL_ENABLE);
    f->updates = f->fires = 0;
    for (unsigned i = 0; i < rounds; i++) {
        wr32(f, entry(1, 3), 1);
        msix_notify(&f->m, 1);
        wr32(f, entry(1, 3), 0);
    }
    assert_int_equal(f->updates, 2 * rounds);
    assert_int_equal(f->fires, rounds);
    f->updates = f->fires = 0;
    for (unsigned i = 0; i < rounds; i++) {
        ctrl_write(f, MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
        ctrl_write(f, MSIX_CTRL_ENABLE);
        ctrl_write(f, MSIX_CTRL_ENABLE);      /* no change: no work */
    }
    assert_int_equal(f->updates, 2 * NVEC * rounds);
    assert_int_equal(f->fires, 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_capability),
        cmocka_unit_test(test_bir_in_offsets),
        cmocka_unit_test(test_init_errors),
        T(test_table_reset_and_rw),
        T(test_update_only_on_change),
        T(test_notify_disabled_is_dropped),
        T(test_notify_fire_and_pending),
        T(test_function_mask),
        T(test_enable_toggle_keeps_pending),
        T(test_pba_read_only),
        T(test_bad_accesses),
        T(test_mask_storm_bounded),
    };
#undef T
    return cmocka_run_group_tests_name("devices/msix", tests, NULL, NULL);
}
