/* ACPI table generation; the contract is in acpi.h. Table layouts are from
 * ACPI 6.x chapter 5 (5.2.5 RSDP, 5.2.6 header, 5.2.7 RSDT, 5.2.8 XSDT,
 * 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT); the MCFG is from the PCI Firmware
 * Specification 3.0, 4.1.2, and the PCI root's objects from ACPI 6.x 6.1,
 * 6.2.13 (_PRT), 6.2.11 (_OSC), 6.4 (resource descriptors). */
#include "boot/acpi.h"

#include <errno.h>
#include <string.h>

#include "boot/aml.h"
#include "boot/layout.h"
#include "core/bytes.h"

#define OEM_ID "VESSEL"           /* 6 bytes */
#define OEM_TABLE_ID "VESSELVM"   /* 8 bytes */
#define OEM_REVISION 1U
#define CREATOR_ID "VSSL"
#define CREATOR_REVISION 1U

#define HDR_LEN 36U               /* System Description Table Header */
#define RSDP_LEN 36U              /* revision 2 */
#define RSDP_V1_LEN 20U           /* what the first checksum covers */
#define FADT_LEN 276U             /* ACPI 6.0+ */
#define FACS_LEN 64U
#define MADT_BODY 8U              /* LAPIC address + flags */
#define MCFG_LEN (HDR_LEN + 8U + 16U) /* reserved + one allocation */
#define FOUR_GIB 0x100000000ULL
#define PIO_SPACE 0x10000ULL

/* Scratch for one table while it is built; the largest today is the MADT
 * at 255 CPUs (about 2 KiB). */
#define TABLE_MAX (16 * 1024U)

/* FADT fixed feature flags (5.2.9, table "Fixed ACPI Description Table
 * Fixed Feature Flags"). */
#define FADT_F_WBINVD (1U << 0)
#define FADT_F_PROC_C1 (1U << 2)
#define FADT_F_SLP_BUTTON (1U << 5) /* no fixed-feature sleep button */
/* IA-PC boot architecture flags. */
#define FADT_IAPC_8042 (1U << 1)
#define FADT_IAPC_VGA_NOT_PRESENT (1U << 2)

/* Generic Address Structure (5.2.3.2). */
#define GAS_SYSTEM_IO 1U
#define GAS_ACCESS_WORD 2U

#define MADT_PCAT_COMPAT 1U
#define MADT_LAPIC 0U
#define MADT_IOAPIC 1U
#define MADT_ISO 2U
#define MADT_LAPIC_NMI 4U
#define MADT_LAPIC_ENABLED 1U
/* MPS INTI flags: polarity bits 1:0 (01 active high), trigger bits 3:2
 * (11 level); 0 means "conforms to the bus" (ISA: edge, high). */
#define MPS_INTI_CONFORMS 0x0000U
#define MPS_INTI_LEVEL_HIGH 0x000DU

enum acpi_tid {
    ACPI_T_FACS,
    ACPI_T_DSDT,
    ACPI_T_FADT,
    ACPI_T_MADT,
    ACPI_T_MCFG,
    ACPI_T__COUNT
};

/* Addresses of the tables placed so far, for tables that point at others. */
struct acpi_ctx {
    gpa_t addr[ACPI_T__COUNT];
};

/* A builder writes the table body after the header at buf[HDR_LEN] (or the
 * whole table if raw) and returns its total length in (*len). */
typedef int (*acpi_build_fn)(const struct acpi_config *cfg,
                             const struct acpi_ctx *ctx, uint8_t *buf,
                             size_t cap, size_t *len);

struct acpi_table_def {
    enum acpi_tid id;
    char sig[5];
    uint8_t revision;
    bool raw;                     /* no standard header, no checksum */
    bool in_xsdt;                 /* listed in the RSDT and XSDT */
    uint64_t align;
    bool (*wanted)(const struct acpi_config *cfg); /* NULL: always */
    acpi_build_fn build;
};

static uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    size_t i;

    for (i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)(0x100U - sum);
}

/* Generic Address Structure for a block of (len) I/O ports at (port). */
static void put_gas_io(uint8_t *p, size_t off, uint16_t port, unsigned len)
{
    p[off] = GAS_SYSTEM_IO;
    p[off + 1] = (uint8_t)(len * 8);  /* register bit width */
    p[off + 2] = 0;                   /* bit offset */
    p[off + 3] = GAS_ACCESS_WORD;     /* PM1 registers are 16 bits wide */
    le64_put(p, off + 4, port);
}

static void put_header(uint8_t *t, const struct acpi_table_def *d,
                       size_t len)
{
    memcpy(t, d->sig, 4);
    le32_put(t, 4, (uint32_t)len);
    t[8] = d->revision;
    t[9] = 0;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    le32_put(t, 24, OEM_REVISION);
    memcpy(t + 28, CREATOR_ID, 4);
    le32_put(t, 32, CREATOR_REVISION);
}

/* ---- tables ------------------------------------------------------------ */

static int build_facs(const struct acpi_config *cfg, const struct acpi_ctx *ctx,
                      uint8_t *buf, size_t cap, size_t *len)
{
    (void)cfg;
    (void)ctx;
    if (cap < FACS_LEN)
        return -ENOSPC;
    memset(buf, 0, FACS_LEN);
    memcpy(buf, "FACS", 4);
    le32_put(buf, 4, FACS_LEN);
    buf[32] = 2;                      /* version */
    *len = FACS_LEN;
    return 0;
}

static void dsdt_com1(struct aml *a)
{
    aml_device_open(a, "COM1");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0501");
    aml_name(a, "_UID");
    aml_integer(a, 1);
    aml_name(a, "_CRS");
    aml_buffer_open(a);
    aml_res_io(a, ACPI_COM1_PORT, ACPI_COM1_PORT, 1, 8);
    aml_res_irq(a, 1U << ACPI_COM1_IRQ);
    aml_res_end(a);
    aml_close(a);
    aml_close(a);
}

static void dsdt_pvpanic(struct aml *a)
{
    aml_device_open(a, "PEVT");
    aml_name(a, "_HID");
    aml_string(a, "QEMU0001");
    aml_name(a, "_CRS");
    aml_buffer_open(a);
    aml_res_io(a, ACPI_PVPANIC_PORT, ACPI_PVPANIC_PORT, 1, 1);
    aml_res_end(a);
    aml_close(a);
    aml_method_open(a, "_STA", 0, false);
    aml_return(a);
    aml_integer(a, 0x0F);             /* present, enabled, shown, works */
    aml_close(a);
    aml_close(a);
}

/* First and last byte of the ECAM space of the decoded buses. */
static uint64_t ecam_first(const struct acpi_pci *p)
{
    return p->ecam_base + (uint64_t)p->bus_start * ACPI_PCI_ECAM_BUS_SIZE;
}

static uint64_t ecam_last(const struct acpi_pci *p)
{
    return p->ecam_base +
           ((uint64_t)p->bus_end + 1) * ACPI_PCI_ECAM_BUS_SIZE - 1;
}

/* The root bridge's resources: the buses it decodes, the config ports it
 * consumes (Linux drops exactly 0xCF8-0xCFF from the windows), and the
 * windows it forwards to BARs. */
static void dsdt_pci_crs(struct aml *a, const struct acpi_pci *p)
{
    aml_name(a, "_CRS");
    aml_buffer_open(a);
    aml_res_word_bus(a, p->bus_start, p->bus_end);
    aml_res_io(a, ACPI_PCI_CFG_PORT, ACPI_PCI_CFG_PORT, 1, 8);
    aml_res_word_io(a, (uint16_t)p->pio_base,
                    (uint16_t)(p->pio_base + p->pio_size - 1));
    aml_res_dword_mem(a, (uint32_t)p->mmio32_base,
                      (uint32_t)(p->mmio32_base + p->mmio32_size - 1), false);
    if (p->mmio64_size)
        aml_res_qword_mem(a, p->mmio64_base,
                          p->mmio64_base + p->mmio64_size - 1, false);
    aml_res_end(a);
    aml_close(a);
}

static uint8_t prt_count(const struct acpi_pci *p)
{
    unsigned n = 0;

    for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++)
        for (unsigned i = 0; i < ACPI_PCI_PINS; i++)
            n += p->intx_gsi[s][i] != 0;
    return (uint8_t)n;               /* at most 128 */
}

/* _PRT: Package {address (slot << 16 | 0xFFFF: any function), pin (0 =
 * INTA), source 0 (a GSI, no link device), GSI} per routed pin. */
static void dsdt_pci_prt(struct aml *a, const struct acpi_pci *p)
{
    aml_name(a, "_PRT");
    aml_package_open(a, prt_count(p));
    for (unsigned s = 0; s < ACPI_PCI_SLOTS; s++) {
        for (unsigned i = 0; i < ACPI_PCI_PINS; i++) {
            if (!p->intx_gsi[s][i])
                continue;
            aml_package_open(a, 4);
            aml_integer(a, (uint64_t)s << 16 | 0xFFFF);
            aml_integer(a, i);
            aml_integer(a, 0);
            aml_integer(a, p->intx_gsi[s][i]);
            aml_close(a);
        }
    }
    aml_close(a);
}

static void dsdt_pci(struct aml *a, const struct acpi_pci *p)
{
    aml_device_open(a, "PCI0");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0A08");            /* PCI Express root bridge */
    aml_name(a, "_CID");
    aml_eisaid(a, "PNP0A03");            /* PCI root bridge */
    aml_name(a, "_SEG");
    aml_integer(a, 0);
    aml_name(a, "_BBN");
    aml_integer(a, p->bus_start);
    aml_name(a, "_UID");
    aml_integer(a, 0);
    dsdt_pci_crs(a, p);
    dsdt_pci_prt(a, p);
    /* _OSC (Arg0 UUID, Arg1 revision, Arg2 count, Arg3 capabilities):
     * returning the buffer unchanged grants every control asked for, with
     * no error bits in the first dword (the OS passes them clear). */
    aml_method_open(a, "_OSC", 4, false);
    aml_return(a);
    aml_arg(a, 3);
    aml_close(a);
    aml_close(a);

    /* The ECAM window as a motherboard resource: Linux uses MCFG only
     * when this (or e820) reserves it. */
    aml_device_open(a, "ECAM");
    aml_name(a, "_HID");
    aml_eisaid(a, "PNP0C02");
    aml_name(a, "_UID");
    aml_integer(a, 1);
    aml_name(a, "_CRS");
    aml_buffer_open(a);
    aml_res_mem32_fixed(a, (uint32_t)ecam_first(p),
                        (uint32_t)(ecam_last(p) - ecam_first(p) + 1), true);
    aml_res_end(a);
    aml_close(a);
    aml_close(a);
}

static int build_dsdt(const struct acpi_config *cfg, const struct acpi_ctx *ctx,
                      uint8_t *buf, size_t cap, size_t *len)
{
    struct aml a;
    size_t n;
    int rc;

    (void)ctx;
    aml_init(&a, buf + HDR_LEN, cap - HDR_LEN);
    /* \_S5: {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved} (7.4.2) */
    aml_name(&a, "\\_S5_");
    aml_package_open(&a, 4);
    aml_integer(&a, ACPI_SLP_TYP_S5);
    aml_integer(&a, ACPI_SLP_TYP_S5);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_close(&a);

    aml_scope_open(&a, "\\_SB_");
    dsdt_com1(&a);
    if (cfg->pvpanic)
        dsdt_pvpanic(&a);
    if (cfg->pci.present)
        dsdt_pci(&a, &cfg->pci);
    aml_close(&a);

    rc = aml_finish(&a, &n);
    if (rc < 0)
        return rc;
    *len = HDR_LEN + n;
    return 0;
}

static int build_fadt(const struct acpi_config *cfg, const struct acpi_ctx *ctx,
                      uint8_t *buf, size_t cap, size_t *len)
{
    uint8_t *f = buf;
    gpa_t facs = ctx->addr[ACPI_T_FACS], dsdt = ctx->addr[ACPI_T_DSDT];

    if (cap < FADT_LEN)
        return -ENOSPC;
    memset(f + HDR_LEN, 0, FADT_LEN - HDR_LEN);
    /* All tables are below 1 MiB. The FACS pointer goes in FIRMWARE_CTRL
     * only: 5.2.9 allows at most one of it and X_FIRMWARE_CTRL to be set.
     * The DSDT is in both DSDT and X_DSDT, with the same value. */
    le32_put(f, 36, (uint32_t)facs);         /* FIRMWARE_CTRL */
    le32_put(f, 40, (uint32_t)dsdt);         /* DSDT */
    le16_put(f, 46, cfg->sci_irq);           /* SCI_INT */
    /* SMI_CMD (48), ACPI_ENABLE/DISABLE stay 0: no SMM, ACPI always on. */
    le32_put(f, 56, cfg->pm_evt_port);       /* PM1a_EVT_BLK */
    le32_put(f, 64, cfg->pm_cnt_port);       /* PM1a_CNT_BLK */
    f[88] = ACPI_FADT_PM1_EVT_LEN;                 /* PM1_EVT_LEN */
    f[89] = ACPI_FADT_PM1_CNT_LEN;                 /* PM1_CNT_LEN */
    /* PM_TMR_LEN (91), GPE0/1 lengths stay 0: no PM timer, no GPEs. */
    le16_put(f, 96, 101);                    /* P_LVL2_LAT > 100: no C2 */
    le16_put(f, 98, 1001);                   /* P_LVL3_LAT > 1000: no C3 */
    le16_put(f, 109, (uint16_t)(FADT_IAPC_VGA_NOT_PRESENT |
                                (cfg->i8042 ? FADT_IAPC_8042 : 0U)));
    le32_put(f, 112, FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON);
    /* RESET_REG (116) and RESET_VALUE (128) stay 0: RESET_REG_SUP clear. */
    f[131] = 3;                              /* FADT minor version: 6.3 */
    le64_put(f, 140, dsdt);                  /* X_DSDT */
    /* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK */
    put_gas_io(f, 148, cfg->pm_evt_port, ACPI_FADT_PM1_EVT_LEN);
    put_gas_io(f, 172, cfg->pm_cnt_port, ACPI_FADT_PM1_CNT_LEN);
    memcpy(f + 268, OEM_TABLE_ID, 8);        /* hypervisor vendor identity */
    *len = FADT_LEN;
    return 0;
}

static size_t madt_entry(uint8_t *m, size_t off, uint8_t type, uint8_t len)
{
    memset(m + off, 0, len);
    m[off] = type;
    m[off + 1] = len;
    return off + len;
}

static size_t madt_iso(uint8_t *m, size_t off, uint8_t irq, uint32_t gsi,
                       uint16_t flags)
{
    size_t end = madt_entry(m, off, MADT_ISO, 10);

    m[off + 2] = 0;                          /* bus: ISA */
    m[off + 3] = irq;
    le32_put(m, off + 4, gsi);
    le16_put(m, off + 8, flags);
    return end;
}

static int build_madt(const struct acpi_config *cfg, const struct acpi_ctx *ctx,
                      uint8_t *buf, size_t cap, size_t *len)
{
    /* header, LAPICs, one IOAPIC, two overrides, one LAPIC NMI */
    size_t need = HDR_LEN + MADT_BODY + 8 * (size_t)cfg->ncpus + 12 + 2 * 10 +
                  6;
    size_t off = HDR_LEN, e;
    unsigned i;

    (void)ctx;
    if (cap < need)
        return -ENOSPC;
    le32_put(buf, off, ACPI_LAPIC_BASE);
    le32_put(buf, off + 4, MADT_PCAT_COMPAT);
    off += MADT_BODY;
    for (i = 0; i < cfg->ncpus; i++) {
        e = off;
        off = madt_entry(buf, off, MADT_LAPIC, 8);
        buf[e + 2] = (uint8_t)i;             /* ACPI processor UID */
        buf[e + 3] = (uint8_t)i;             /* APIC ID */
        le32_put(buf, e + 4, MADT_LAPIC_ENABLED);
    }
    e = off;
    off = madt_entry(buf, off, MADT_IOAPIC, 12);
    buf[e + 2] = cfg->ioapic_id;
    le32_put(buf, e + 4, ACPI_IOAPIC_BASE);
    le32_put(buf, e + 8, 0);                 /* GSI base */
    /* The PIT's IRQ 0 is wired to IOAPIC pin 2; the SCI is level, high. */
    off = madt_iso(buf, off, 0, 2, MPS_INTI_CONFORMS);
    off = madt_iso(buf, off, cfg->sci_irq, cfg->sci_irq, MPS_INTI_LEVEL_HIGH);
    e = off;
    off = madt_entry(buf, off, MADT_LAPIC_NMI, 6);
    buf[e + 2] = 0xFF;                       /* all processors */
    le16_put(buf, e + 3, MPS_INTI_CONFORMS);
    buf[e + 5] = 1;                          /* LINT1 */
    *len = off;
    return 0;
}

/* MCFG: 8 reserved bytes, then one allocation: ECAM base (bus 0), PCI
 * segment, start and end bus, 4 reserved bytes. */
static int build_mcfg(const struct acpi_config *cfg, const struct acpi_ctx *ctx,
                      uint8_t *buf, size_t cap, size_t *len)
{
    (void)ctx;
    if (cap < MCFG_LEN)
        return -ENOSPC;
    memset(buf + HDR_LEN, 0, MCFG_LEN - HDR_LEN);
    le64_put(buf, HDR_LEN + 8, cfg->pci.ecam_base);
    le16_put(buf, HDR_LEN + 16, 0);
    buf[HDR_LEN + 18] = cfg->pci.bus_start;
    buf[HDR_LEN + 19] = cfg->pci.bus_end;
    *len = MCFG_LEN;
    return 0;
}

static bool want_mcfg(const struct acpi_config *cfg)
{
    return cfg->pci.present;
}

/* Built in this order, placed in this order after the RSDP; a table that
 * points at others comes after them. The RSDT and XSDT go last. To add a
 * table (MCFG, SSDT...): an acpi_tid, a builder, a line here, and a
 * (wanted) test if the config can leave it out. */
static const struct acpi_table_def acpi_tables[] = {
    /* FACS: 64-byte aligned (5.2.10); no header, no checksum */
    { .id = ACPI_T_FACS, .sig = "FACS", .raw = true, .align = 64,
      .build = build_facs },
    /* DSDT revision 2: 64-bit AML integers */
    { .id = ACPI_T_DSDT, .sig = "DSDT", .revision = 2, .align = 16,
      .build = build_dsdt },
    { .id = ACPI_T_FADT, .sig = "FACP", .revision = 6, .in_xsdt = true,
      .align = 16, .build = build_fadt },
    { .id = ACPI_T_MADT, .sig = "APIC", .revision = 5, .in_xsdt = true,
      .align = 16, .build = build_madt },
    { .id = ACPI_T_MCFG, .sig = "MCFG", .revision = 1, .in_xsdt = true,
      .align = 16, .wanted = want_mcfg, .build = build_mcfg },
};

/* ---- assembly ---------------------------------------------------------- */

/* [base, base + size) is non-empty, does not wrap, and ends by (limit). */
static bool range_ok(uint64_t base, uint64_t size, uint64_t limit)
{
    uint64_t end;

    return size != 0 && !__builtin_add_overflow(base, size, &end) &&
           end <= limit;
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static int pci_check(const struct acpi_pci *p)
{
    uint64_t ecam_len;

    if (!p->present)
        return 0;
    if (p->ecam_base % ACPI_PCI_ECAM_BUS_SIZE || p->bus_start > p->bus_end ||
        p->ecam_base > FOUR_GIB || ecam_last(p) >= FOUR_GIB)
        return -EINVAL;
    if (!range_ok(p->mmio32_base, p->mmio32_size, FOUR_GIB) ||
        !range_ok(p->pio_base, p->pio_size, PIO_SPACE) ||
        (p->mmio64_size &&
         !range_ok(p->mmio64_base, p->mmio64_size, UINT64_MAX)))
        return -EINVAL;
    ecam_len = ecam_last(p) - ecam_first(p) + 1;
    if (overlap(ecam_first(p), ecam_len, p->mmio32_base, p->mmio32_size) ||
        overlap(ecam_first(p), ecam_len, p->mmio64_base, p->mmio64_size))
        return -EINVAL;
    return 0;
}

static int config_check(const struct acpi_config *cfg)
{
    if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
        return -EINVAL;
    if (cfg->sci_irq == 0 || cfg->sci_irq == 2 || cfg->sci_irq > 15)
        return -EINVAL;
    if (cfg->pm_evt_port == 0 || cfg->pm_cnt_port == 0 ||
        cfg->pm_evt_port > UINT16_MAX - ACPI_FADT_PM1_EVT_LEN ||
        cfg->pm_cnt_port > UINT16_MAX - ACPI_FADT_PM1_CNT_LEN)
        return -EINVAL;
    return pci_check(&cfg->pci);
}

/* Reserve (len) bytes at (*next) aligned to (align); the address goes to
 * (*at). -ENOSPC past the end of the ACPI area. */
static int acpi_alloc(gpa_t *next, uint64_t len, uint64_t align, gpa_t *at)
{
    gpa_t a = align_up(*next, align);

    if (len > LAYOUT_ACPI_END || a > LAYOUT_ACPI_END - len)
        return -ENOSPC;
    *at = a;
    *next = a + len;
    return 0;
}

/* RSDT (4-byte entries) or XSDT (8-byte entries) listing (n) tables. */
static int write_sdt(struct gmem *gm, gpa_t *next, const char *sig,
                     unsigned width, const gpa_t *tbl, unsigned n,
                     uint8_t *buf, gpa_t *at)
{
    const struct acpi_table_def d = { .sig = { sig[0], sig[1], sig[2], sig[3] },
                                      .revision = 1 };
    size_t len = HDR_LEN + (size_t)width * n;
    unsigned i;
    int rc;

    rc = acpi_alloc(next, len, 16, at);
    if (rc < 0)
        return rc;
    put_header(buf, &d, len);
    for (i = 0; i < n; i++) {
        if (width == 8)
            le64_put(buf, HDR_LEN + 8 * (size_t)i, tbl[i]);
        else
            le32_put(buf, HDR_LEN + 4 * (size_t)i, (uint32_t)tbl[i]);
    }
    buf[9] = checksum(buf, len);
    return gmem_write(gm, *at, buf, len);
}

static int write_rsdp(struct gmem *gm, gpa_t rsdt, gpa_t xsdt)
{
    uint8_t r[RSDP_LEN] = { 0 };

    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, OEM_ID, 6);
    r[15] = 2;                               /* revision: ACPI 2.0+ */
    le32_put(r, 16, (uint32_t)rsdt);
    le32_put(r, 20, RSDP_LEN);
    le64_put(r, 24, xsdt);
    r[8] = checksum(r, RSDP_V1_LEN);
    r[32] = checksum(r, RSDP_LEN);
    return gmem_write(gm, LAYOUT_ACPI_BASE, r, sizeof(r));
}

static int place_table(struct gmem *gm, const struct acpi_config *cfg,
                       const struct acpi_table_def *d, struct acpi_ctx *ctx,
                       gpa_t *next, uint8_t *buf)
{
    size_t len = 0;
    gpa_t at;
    int rc;

    rc = d->build(cfg, ctx, buf, TABLE_MAX, &len);
    if (rc < 0)
        return rc;
    rc = acpi_alloc(next, len, d->align, &at);
    if (rc < 0)
        return rc;
    if (!d->raw) {
        put_header(buf, d, len);
        buf[9] = checksum(buf, len);
    }
    ctx->addr[d->id] = at;
    return gmem_write(gm, at, buf, len);
}

void acpi_config_init(struct acpi_config *cfg, unsigned ncpus)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ncpus = ncpus;
    cfg->pm_evt_port = ACPI_PM_EVT_PORT_DEFAULT;
    cfg->pm_cnt_port = ACPI_PM_CNT_PORT_DEFAULT;
    cfg->sci_irq = ACPI_SCI_IRQ_DEFAULT;
    cfg->ioapic_id = 0;
    cfg->i8042 = true;
    cfg->pvpanic = false;
}

int acpi_build(struct gmem *gm, const struct acpi_config *cfg, gpa_t *rsdp_out)
{
    uint8_t buf[TABLE_MAX];
    gpa_t listed[ARRAY_SIZE(acpi_tables)];
    struct acpi_ctx ctx = { { 0 } };
    gpa_t next = LAYOUT_ACPI_BASE + RSDP_LEN, rsdt, xsdt;
    unsigned i, n = 0;
    int rc;

    rc = config_check(cfg);
    if (rc < 0)
        return rc;
    rc = gmem_fill(gm, LAYOUT_ACPI_BASE, 0, LAYOUT_ACPI_END - LAYOUT_ACPI_BASE);
    if (rc < 0)
        return rc;
    for (i = 0; i < ARRAY_SIZE(acpi_tables); i++) {
        const struct acpi_table_def *d = &acpi_tables[i];

        if (d->wanted && !d->wanted(cfg))
            continue;
        rc = place_table(gm, cfg, d, &ctx, &next, buf);
        if (rc < 0)
            return rc;
        if (d->in_xsdt)
            listed[n++] = ctx.addr[d->id];
    }
    rc = write_sdt(gm, &next, "RSDT", 4, listed, n, buf, &rsdt);
    if (rc == 0)
        rc = write_sdt(gm, &next, "XSDT", 8, listed, n, buf, &xsdt);
    if (rc == 0)
        rc = write_rsdp(gm, rsdt, xsdt);
    if (rc < 0)
        return rc;
    *rsdp_out = LAYOUT_ACPI_BASE;
    return 0;
}
