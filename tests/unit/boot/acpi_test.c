/* ACPI tables: checksums, pointers between tables, lengths, contents. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/acpi.h"
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
    };
#undef T
    return cmocka_run_group_tests_name("boot/acpi", tests, NULL, NULL);
}
