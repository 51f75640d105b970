/* ACPI tables: checksums, pointers between tables, lengths, contents. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/acpi.h"
#include "boot/aml.h"
#include "boot/layout.h"
#include "core/bytes.h"
#include "core/gmem.h"
#include "helpers/fakes.h"

static int setup(void **state)
{
    /* Stale bytes, not zeros: none may leak into the tables. */
    *state = fake_ram_new(FAKE_RAM_SIZE, 0xCC);
    return 0;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
    uint8_t s = 0;

    while (len--)
        s = (uint8_t)(s + *p++);
    return s;
}

/* A table at (addr): inside the ACPI area, checksum 0; returns it. */
static const uint8_t *table_at(const struct fake_ram *r, uint64_t addr,
                               const char *sig)
{
    const uint8_t *t;
    uint32_t len;

    assert_true(addr >= LAYOUT_ACPI_BASE && addr < LAYOUT_ACPI_END);
    t = r->mem + addr;
    assert_memory_equal(t, sig, 4);
    len = le32_get(t, 4);
    assert_true(len >= 36);
    assert_true(addr + len <= LAYOUT_ACPI_END);
    assert_int_equal(sum(t, len), 0);
    assert_memory_equal(t + 10, "VESSEL", 6);
    assert_memory_equal(t + 16, "VESSELVM", 8);
    return t;
}

/* Find (sig) through the XSDT and check the RSDT lists the same tables. */
static const uint8_t *find_table(const struct fake_ram *r, const char *sig)
{
    const uint8_t *rsdp = r->mem + LAYOUT_ACPI_BASE;
    const uint8_t *x = table_at(r, le64_get(rsdp, 24), "XSDT");
    const uint8_t *rs = table_at(r, le32_get(rsdp, 16), "RSDT");
    unsigned n = (unsigned)(le32_get(x, 4) - 36) / 8;

    assert_int_equal(le32_get(rs, 4), 36 + 4 * n);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = le64_get(x, 36 + 8 * i);

        assert_int_equal(le32_get(rs, 36 + 4 * i), a);
        if (memcmp(r->mem + a, sig, 4) == 0)
            return table_at(r, a, sig);
    }
    fail_msg("table %s not in the XSDT", sig);
    return NULL;
}

static void build(struct fake_ram *r, unsigned ncpus, bool pvpanic)
{
    struct acpi_config cfg;
    gpa_t rsdp = 0;

    acpi_config_init(&cfg, ncpus);
    cfg.pvpanic = pvpanic;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), 0);
    assert_int_equal(rsdp, LAYOUT_ACPI_BASE);
}

static void test_rsdp(void **state)
{
    struct fake_ram *r = *state;
    const uint8_t *p = r->mem + LAYOUT_ACPI_BASE;

    build(r, 2, false);
    assert_int_equal(LAYOUT_ACPI_BASE % 16, 0);
    assert_memory_equal(p, "RSD PTR ", 8);
    assert_int_equal(sum(p, 20), 0);      /* ACPI 1.0 checksum */
    assert_int_equal(sum(p, 36), 0);      /* extended checksum */
    assert_memory_equal(p + 9, "VESSEL", 6);
    assert_int_equal(p[15], 2);
    assert_int_equal(le32_get(p, 20), 36);
    assert_true(le32_get(p, 16) != 0);
    assert_true(le64_get(p, 24) != 0);
}

static void test_xsdt_lists_fadt_and_madt(void **state)
{
    struct fake_ram *r = *state;
    const uint8_t *rsdp = r->mem + LAYOUT_ACPI_BASE;
    const uint8_t *x;

    build(r, 2, false);
    x = table_at(r, le64_get(rsdp, 24), "XSDT");
    assert_int_equal(le32_get(x, 4), 36 + 2 * 8);
    assert_int_equal(x[8], 1);
    assert_non_null(find_table(r, "FACP"));
    assert_non_null(find_table(r, "APIC"));
}

static void test_fadt(void **state)
{
    struct fake_ram *r = *state;
    const uint8_t *f;
    uint64_t dsdt, facs;

    build(r, 1, false);
    f = find_table(r, "FACP");
    assert_int_equal(le32_get(f, 4), 276);
    assert_int_equal(f[8], 6);
    /* 32- and 64-bit DSDT pointers agree; the FACS is in exactly one of
     * FIRMWARE_CTRL and X_FIRMWARE_CTRL (ACPI 5.2.9) */
    facs = le32_get(f, 36);
    dsdt = le32_get(f, 40);
    assert_int_equal(le64_get(f, 132), 0);
    assert_int_equal(le64_get(f, 140), dsdt);
    table_at(r, dsdt, "DSDT");
    assert_int_equal(facs % 64, 0);
    assert_memory_equal(r->mem + facs, "FACS", 4);
    assert_int_equal(le32_get(r->mem, facs + 4), 64);

    assert_int_equal(le16_get(f, 46), 9);           /* SCI_INT */
    assert_int_equal(le32_get(f, 48), 0);           /* SMI_CMD */
    assert_int_equal(le32_get(f, 56), 0x600);       /* PM1a_EVT_BLK */
    assert_int_equal(le32_get(f, 60), 0);           /* PM1b_EVT_BLK */
    assert_int_equal(le32_get(f, 64), 0x604);       /* PM1a_CNT_BLK */
    assert_int_equal(le32_get(f, 76), 0);           /* PM_TMR_BLK */
    assert_int_equal(f[88], 4);                     /* PM1_EVT_LEN */
    assert_int_equal(f[89], 2);                     /* PM1_CNT_LEN */
    assert_int_equal(f[91], 0);                     /* PM_TMR_LEN */
    assert_int_equal(le16_get(f, 109), (1 << 2) | (1 << 1)); /* no VGA, 8042 */
    assert_int_equal(le32_get(f, 112), (1 << 0) | (1 << 2) | (1 << 5));
    /* X_PM1a_EVT_BLK: SystemIO, 32 bits at 0x600 */
    assert_int_equal(f[148], 1);
    assert_int_equal(f[149], 32);
    assert_int_equal(le64_get(f, 152), 0x600);
    /* X_PM1a_CNT_BLK: SystemIO, 16 bits at 0x604 */
    assert_int_equal(f[172], 1);
    assert_int_equal(f[173], 16);
    assert_int_equal(le64_get(f, 176), 0x604);
    /* X_PM_TMR_BLK empty */
    assert_int_equal(le64_get(f, 212), 0);
}

static bool contains(const uint8_t *p, size_t len, const void *needle,
                     size_t n)
{
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, needle, n) == 0)
            return true;
    return false;
}

static const uint8_t *dsdt_of(const struct fake_ram *r, size_t *len)
{
    const uint8_t *f = find_table(r, "FACP");
    const uint8_t *d = table_at(r, le64_get(f, 140), "DSDT");

    *len = le32_get(d, 4);
    assert_int_equal(d[8], 2);
    return d;
}

static void test_dsdt(void **state)
{
    static const uint8_t s5[] = { 0x08, 0x5C, '_', 'S', '5', '_', 0x12, 0x08,
                                  0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00 };
    static const uint8_t pnp0501[] = { 0x0C, 0x41, 0xD0, 0x05, 0x01 };
    static const uint8_t com1_io[] = { 0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03 };
    struct fake_ram *r = *state;
    const uint8_t *d;
    size_t len;

    build(r, 2, false);
    d = dsdt_of(r, &len);
    /* Name (\_S5, Package (4) {5, 5, 0, 0}) right after the header */
    assert_memory_equal(d + 36, s5, sizeof(s5));
    assert_int_equal(ACPI_SLP_TYP_S5, 5);
    assert_true(contains(d, len, "\\_SB_", 5));
    assert_true(contains(d, len, "COM1", 4));
    assert_true(contains(d, len, pnp0501, sizeof(pnp0501)));
    assert_true(contains(d, len, com1_io, sizeof(com1_io)));
    assert_false(contains(d, len, "QEMU0001", 8));

    build(r, 2, true);
    d = dsdt_of(r, &len);
    assert_true(contains(d, len, "QEMU0001", 8));
    assert_true(contains(d, len, "_STA", 4));
}

static void check_madt(const struct fake_ram *r, unsigned ncpus)
{
    const uint8_t *m = find_table(r, "APIC");
    uint32_t len = le32_get(m, 4);
    unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;
    uint32_t off = 44;

    assert_int_equal(le32_get(m, 36), 0xFEE00000U);
    assert_int_equal(le32_get(m, 40), 1); /* PCAT_COMPAT */
    while (off < len) {
        const uint8_t *e = m + off;

        assert_true(e[1] >= 2 && off + e[1] <= len);
        switch (e[0]) {
        case 0:
            assert_int_equal(e[1], 8);
            assert_int_equal(e[2], lapics);          /* UID */
            assert_int_equal(e[3], lapics);          /* APIC ID */
            assert_int_equal(le32_get(e, 4), 1);     /* enabled */
            lapics++;
            break;
        case 1:
            assert_int_equal(e[1], 12);
            assert_int_equal(le32_get(e, 4), 0xFEC00000U);
            assert_int_equal(le32_get(e, 8), 0);
            ioapics++;
            break;
        case 2:
            assert_int_equal(e[1], 10);
            if (e[3] == 0) {
                assert_int_equal(le32_get(e, 4), 2);
                assert_int_equal(le16_get(e, 8), 0);
            } else {
                assert_int_equal(e[3], 9);
                assert_int_equal(le32_get(e, 4), 9);
                assert_int_equal(le16_get(e, 8), 0x000D);
            }
            isos++;
            break;
        case 4:
            assert_int_equal(e[1], 6);
            assert_int_equal(e[2], 0xFF);
            assert_int_equal(le16_get(e, 3), 0);
            assert_int_equal(e[5], 1);
            nmis++;
            break;
        default:
            fail_msg("unexpected MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    assert_int_equal(off, len);
    assert_int_equal(lapics, ncpus);
    assert_int_equal(ioapics, 1);
    assert_int_equal(isos, 2);
    assert_int_equal(nmis, 1);
}

static void test_madt_per_cpu(void **state)
{
    static const unsigned counts[] = { 1, 2, 4, 64, ACPI_MAX_CPUS };
    struct fake_ram *r = *state;

    for (unsigned i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        build(r, counts[i], true);
        check_madt(r, counts[i]);
    }
}

static void test_bad_config(void **state)
{
    struct fake_ram *r = *state;
    struct acpi_config cfg;
    gpa_t rsdp = 0;

    acpi_config_init(&cfg, 0);
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    acpi_config_init(&cfg, ACPI_MAX_CPUS + 1);
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    acpi_config_init(&cfg, 1);
    cfg.sci_irq = 2;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    cfg.sci_irq = 16;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    acpi_config_init(&cfg, 1);
    cfg.pm_evt_port = 0;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    acpi_config_init(&cfg, 1);
    cfg.pm_cnt_port = 0xFFFF;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);
    assert_int_equal(rsdp, 0);
}

static void test_custom_ports_and_sci(void **state)
{
    struct fake_ram *r = *state;
    struct acpi_config cfg;
    const uint8_t *f;
    gpa_t rsdp;

    acpi_config_init(&cfg, 1);
    cfg.pm_evt_port = 0xB000;
    cfg.pm_cnt_port = 0xB004;
    cfg.sci_irq = 10;
    cfg.i8042 = false;
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), 0);
    f = find_table(r, "FACP");
    assert_int_equal(le16_get(f, 46), 10);
    assert_int_equal(le32_get(f, 56), 0xB000);
    assert_int_equal(le64_get(f, 152), 0xB000);
    assert_int_equal(le32_get(f, 64), 0xB004);
    assert_int_equal(le64_get(f, 176), 0xB004);
    assert_int_equal(le16_get(f, 109), 1 << 2);
}

static void test_no_ram_for_tables(void **state)
{
    struct fake_ram *r = fake_ram_new(LAYOUT_ACPI_BASE, 0);
    struct acpi_config cfg;
    gpa_t rsdp = 0;
    (void)state;
    acpi_config_init(&cfg, 1);
    assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EFAULT);
    assert_int_equal(rsdp, 0);
    fake_ram_free(r);
}

/* ---- PCI: MCFG and the root bridge in the DSDT ---- */

static void pci_config(struct acpi_config *cfg)
{
    acpi_config_init(cfg, 2);
    cfg->pci.present = true;
    cfg->pci.ecam_base = 0xE0000000;
    cfg->pci.mmio32_base = 0xC0000000;
    cfg->pci.mmio32_size = 0x20000000;
    cfg->pci.mmio64_base = 0x800000000ULL;
    cfg->pci.mmio64_size = 0x400000000ULL;
    cfg->pci.pio_base = 0xC000;
    cfg->pci.pio_size = 0x4000;
    for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
        for (unsigned p = 0; p < ACPI_PCI_PINS; p++)
            cfg->pci.intx_gsi[s][p] = 16 + (s + p) % 4;
}

static void build_cfg(struct fake_ram *r, const struct acpi_config *cfg)
{
    gpa_t rsdp = 0;

    assert_int_equal(acpi_build(&r->gm, cfg, &rsdp), 0);
    assert_int_equal(rsdp, LAYOUT_ACPI_BASE);
}

static unsigned count(const uint8_t *p, size_t len, const void *needle,
                      size_t n)
{
    unsigned c = 0;

    for (size_t i = 0; i + n <= len; i++)
        c += memcmp(p + i, needle, n) == 0;
    return c;
}

static void test_no_pci_by_default(void **state)
{
    struct fake_ram *r = *state;
    const uint8_t *d;
    size_t len;

    build(r, 2, true);
    d = dsdt_of(r, &len);
    assert_false(contains(d, len, "PCI0", 4));
    assert_false(contains(d, len, "_PRT", 4));
    assert_false(contains(r->mem + LAYOUT_ACPI_BASE,
                          LAYOUT_ACPI_END - LAYOUT_ACPI_BASE, "MCFG", 4));
}

static void test_mcfg(void **state)
{
    struct fake_ram *r = *state;
    const uint8_t *rsdp = r->mem + LAYOUT_ACPI_BASE;
    struct acpi_config cfg;
    const uint8_t *m;

    pci_config(&cfg);
    build_cfg(r, &cfg);
    assert_int_equal(le32_get(table_at(r, le64_get(rsdp, 24), "XSDT"), 4),
                     36 + 3 * 8);
    m = find_table(r, "MCFG");
    assert_int_equal(le32_get(m, 4), 60);
    assert_int_equal(m[8], 1);
    assert_int_equal(le64_get(m, 36), 0);           /* reserved */
    assert_int_equal(le64_get(m, 44), 0xE0000000);
    assert_int_equal(le16_get(m, 52), 0);           /* segment */
    assert_int_equal(m[54], 0);
    assert_int_equal(m[55], 0);
    assert_int_equal(le32_get(m, 56), 0);
    /* the other tables are all still there */
    assert_non_null(find_table(r, "FACP"));
    check_madt(r, 2);
}

static void test_dsdt_pci_root(void **state)
{
    static const uint8_t pnp0a08[] = { 0x0C, 0x41, 0xD0, 0x0A, 0x08 };
    static const uint8_t pnp0a03[] = { 0x0C, 0x41, 0xD0, 0x0A, 0x03 };
    static const uint8_t pnp0c02[] = { 0x0C, 0x41, 0xD0, 0x0C, 0x02 };
    static const uint8_t bus[] = { 0x88, 0x0D, 0x00, 0x02, 0x0C, 0x00,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00 };
    static const uint8_t cfgio[] = { 0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C,
                                     0x01, 0x08 };
    static const uint8_t wio[] = { 0x88, 0x0D, 0x00, 0x01, 0x0C, 0x03,
                                   0, 0, 0x00, 0xC0, 0xFF, 0xFF, 0, 0,
                                   0x00, 0x40 };
    static const uint8_t dmem[] = { 0x87, 0x17, 0x00, 0x00, 0x0C, 0x01,
                                    0, 0, 0, 0, 0x00, 0x00, 0x00, 0xC0,
                                    0xFF, 0xFF, 0xFF, 0xDF, 0, 0, 0, 0,
                                    0x00, 0x00, 0x00, 0x20 };
    static const uint8_t qmem[] = {
        0x8A, 0x2B, 0x00, 0x00, 0x0C, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x00, 0x00, 0x00, 0x08, 0, 0, 0,      /* min 0x8_0000_0000 */
        0xFF, 0xFF, 0xFF, 0xFF, 0x0B, 0, 0, 0,      /* max 0xB_FFFF_FFFF */
        0, 0, 0, 0, 0, 0, 0, 0,
        0x00, 0x00, 0x00, 0x00, 0x04, 0, 0, 0,      /* len 16 GiB */
    };
    /* Method (_OSC, 4) { Return (Arg3) } */
    static const uint8_t osc[] = { 0x14, 0x08, '_', 'O', 'S', 'C',
                                   0x04, 0xA4, 0x6B };
    /* Package {0x1FFFF, 0, 0, 17}: slot 1 INTA */
    static const uint8_t prt1a[] = { 0x12, 0x0B, 0x04, 0x0C, 0xFF, 0xFF,
                                     0x01, 0x00, 0x00, 0x00, 0x0A, 0x11 };
    /* Memory32Fixed (ReadWrite, 0xE0000000, 0x100000) */
    static const uint8_t ecam[] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00,
                                    0x00, 0xE0, 0x00, 0x00, 0x10, 0x00 };
    struct fake_ram *r = *state;
    struct acpi_config cfg;
    const uint8_t *d;
    size_t len;

    pci_config(&cfg);
    build_cfg(r, &cfg);
    d = dsdt_of(r, &len);
    assert_true(contains(d, len, "PCI0", 4));
    assert_true(contains(d, len, pnp0a08, sizeof(pnp0a08)));
    assert_true(contains(d, len, pnp0a03, sizeof(pnp0a03)));
    assert_true(contains(d, len, "_SEG", 4));
    assert_true(contains(d, len, "_BBN", 4));
    assert_true(contains(d, len, bus, sizeof(bus)));
    assert_true(contains(d, len, cfgio, sizeof(cfgio)));
    assert_true(contains(d, len, wio, sizeof(wio)));
    assert_true(contains(d, len, dmem, sizeof(dmem)));
    assert_true(contains(d, len, qmem, sizeof(qmem)));
    assert_true(contains(d, len, osc, sizeof(osc)));
    assert_true(contains(d, len, "_PRT", 4));
    assert_true(contains(d, len, prt1a, sizeof(prt1a)));
    assert_true(contains(d, len, pnp0c02, sizeof(pnp0c02)));
    assert_true(contains(d, len, ecam, sizeof(ecam)));
    /* the COM1 device is still there */
    assert_true(contains(d, len, "COM1", 4));

    /* no 64-bit window, fewer routes */
    cfg.pci.mmio64_size = 0;
    memset(cfg.pci.intx_gsi, 0, sizeof(cfg.pci.intx_gsi));
    cfg.pci.intx_gsi[3][1] = 18;
    build_cfg(r, &cfg);
    d = dsdt_of(r, &len);
    assert_false(contains(d, len, qmem, 3));
    assert_true(contains(d, len, dmem, sizeof(dmem)));
    {
        /* Package (1) { Package {0x3FFFF, 1, 0, 18} } */
        static const uint8_t one[] = { 0x12, 0x0E, 0x01, 0x12, 0x0B, 0x04,
                                       0x0C, 0xFF, 0xFF, 0x03, 0x00, 0x01,
                                       0x00, 0x0A, 0x12 };

        assert_true(contains(d, len, one, sizeof(one)));
    }
}

/* Every routed pin is one 4-element package in _PRT. */
static void test_prt_all_slots(void **state)
{
    static const uint8_t pkg4_dword[] = { 0x04, 0x0C, 0xFF, 0xFF };
    struct fake_ram *r = *state;
    struct acpi_config cfg;
    const uint8_t *d;
    size_t len;

    pci_config(&cfg);
    build_cfg(r, &cfg);
    d = dsdt_of(r, &len);
    /* slots 1..31 use a DWord address; slot 0 a Word (0xFFFF) */
    assert_int_equal(count(d, len, pkg4_dword, sizeof(pkg4_dword)), 31 * 4);
    for (unsigned s = 1; s < ACPI_PCI_SLOTS; s++) {
        for (unsigned p = 0; p < ACPI_PCI_PINS; p++) {
            uint8_t e[] = { 0x0C, 0xFF, 0xFF, (uint8_t)s, 0x00,
                            p == 0 ? 0x00 : p == 1 ? 0x01 : 0x0A,
                            (uint8_t)p };
            size_t n = p < 2 ? 6 : 7;

            assert_true(contains(d, len, e, n));
        }
    }
    /* the biggest config still fits: 255 CPUs, pvpanic, PCI */
    acpi_config_init(&cfg, ACPI_MAX_CPUS);
    {
        struct acpi_config p;

        pci_config(&p);
        cfg.pci = p.pci;
    }
    cfg.pvpanic = true;
    build_cfg(r, &cfg);
    check_madt(r, ACPI_MAX_CPUS);
}

static void test_bad_pci_config(void **state)
{
    struct fake_ram *r = *state;
    struct acpi_config cfg;
    gpa_t rsdp = 0;

#define BAD(stmt)                                                              \
    do {                                                                       \
        pci_config(&cfg);                                                      \
        stmt;                                                                  \
        assert_int_equal(acpi_build(&r->gm, &cfg, &rsdp), -EINVAL);            \
    } while (0)
    BAD(cfg.pci.ecam_base = 0xE0080000);                /* not 1 MiB aligned */
    BAD(cfg.pci.ecam_base = 0x100000000ULL);            /* above 4 GiB */
    BAD(cfg.pci.ecam_base = 0xFFF00000; cfg.pci.bus_end = 1);
    BAD(cfg.pci.ecam_base = UINT64_MAX - 0xFFFFF);
    BAD(cfg.pci.bus_start = 2; cfg.pci.bus_end = 1);
    BAD(cfg.pci.mmio32_size = 0);
    BAD(cfg.pci.mmio32_base = 0xF0000000; cfg.pci.mmio32_size = 0x20000000);
    BAD(cfg.pci.pio_size = 0);
    BAD(cfg.pci.pio_base = 0xF000; cfg.pci.pio_size = 0x2000);
    BAD(cfg.pci.pio_base = 0xFFFFFFFF);
    BAD(cfg.pci.mmio64_base = UINT64_MAX - 0xFFF);
    BAD(cfg.pci.ecam_base = 0xD0000000);                /* inside MMIO32 */
    BAD(cfg.pci.mmio64_base = 0xE0000000; cfg.pci.mmio64_size = 0x1000);
#undef BAD
    assert_int_equal(rsdp, 0);
    /* bus range 0-0 at the very top of 4 GiB is fine */
    pci_config(&cfg);
    cfg.pci.ecam_base = 0xFFF00000;
    build_cfg(r, &cfg);
}

static void test_aml_pci_resources(void **state)
{
    uint8_t buf[128];
    struct aml a;
    size_t len;

    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_res_word_io(&a, 0x1000, 0x0FFF);                /* max < min */
    aml_res_end(&a);
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_res_dword_mem(&a, 0, 0xFFFFFFFF, true);         /* 4 GiB: too long */
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_res_qword_mem(&a, 0, UINT64_MAX, false);        /* 2^64 bytes */
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_arg(&a, 7);
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_arg(&a, 0);
    aml_arg(&a, 6);
    aml_res_dword_mem(&a, 0x1000, 0x1FFF, true);        /* cacheable */
    aml_res_qword_mem(&a, 0, 0xFFFFFFFFFFFFFFFEULL, true);
    aml_res_mem32_fixed(&a, 0x1234, 0x10, false);
    assert_int_equal(aml_finish(&a, &len), 0);
    assert_int_equal(len, 2 + 26 + 46 + 12);
    assert_int_equal(buf[0], 0x68);
    assert_int_equal(buf[1], 0x6E);
    assert_int_equal(buf[2 + 5], 0x03);                 /* RW, cacheable */
    assert_int_equal(le32_get(buf, 2 + 22), 0x1000);    /* length */
    assert_int_equal(le64_get(buf, 28 + 38), 0xFFFFFFFFFFFFFFFFULL);
    assert_int_equal(buf[74 + 3], 0);                   /* read-only */
    /* too small a buffer */
    aml_init(&a, buf, 10);
    aml_res_word_bus(&a, 0, 255);
    assert_int_equal(aml_finish(&a, &len), -ENOSPC);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_ram_teardown)
    const struct CMUnitTest tests[] = {
        T(test_rsdp),
        T(test_xsdt_lists_fadt_and_madt),
        T(test_fadt),
        T(test_dsdt),
        T(test_madt_per_cpu),
        T(test_bad_config),
        T(test_custom_ports_and_sci),
        cmocka_unit_test(test_no_ram_for_tables),
        T(test_no_pci_by_default),
        T(test_mcfg),
        T(test_dsdt_pci_root),
        T(test_prt_all_slots),
        T(test_bad_pci_config),
        cmocka_unit_test(test_aml_pci_resources),
    };
#undef T
    return cmocka_run_group_tests_name("boot/acpi", tests, NULL, NULL);
}
