/* ACPI fixed-hardware PM1a registers: the event block (PM1_STS, PM1_EN) and
 * the control block (PM1_CNT), ACPI spec section "PM1 Event Grouping" and
 * "PM1 Control Grouping". Enough for a guest `poweroff` (SLP_EN with
 * SLP_TYP = S5) and a host-pressed power button.
 *
 * SCI_EN always reads 1: the FADT declares no SMI_CMD, so the platform is
 * in ACPI mode from the start. The SCI is a level: high while any enabled
 * status bit is set. No PM timer, GPE blocks or sleep states other than S5
 * (a write of SLP_EN with another SLP_TYP is ignored: the guest just keeps
 * running). Registers are byte-addressable: an access of any width is
 * applied byte by byte at consecutive offsets.
 *
 * Not thread-safe: the caller serialises calls on one struct acpi_pm. */
#ifndef VESSEL_DEVICES_ACPI_PM_H
#define VESSEL_DEVICES_ACPI_PM_H

#include "core/bus.h"
#include "core/irq.h"
#include "core/types.h"

/* Layout, for the FADT builder (PM1a_EVT_BLK, PM1a_CNT_BLK, PM1_EVT_LEN,
 * PM1_CNT_LEN, SCI_INT) and the DSDT (\_S5 = {ACPI_PM_SLP_TYP_S5, ...}). */
#define ACPI_PM_EVT_PORT 0x600
#define ACPI_PM_EVT_LEN 4
#define ACPI_PM_CNT_PORT 0x604
#define ACPI_PM_CNT_LEN 2
#define ACPI_PM_SCI_IRQ 9
#define ACPI_PM_SLP_TYP_S5 5

/* Offsets inside the event block. */
#define ACPI_PM1_STS 0
#define ACPI_PM1_EN 2

/* PM1_STS bits (write 1 to clear) and the PM1_EN bits that gate them. */
#define ACPI_PM1_STS_TMR 0x0001
#define ACPI_PM1_STS_BM 0x0010
#define ACPI_PM1_STS_GBL 0x0020
#define ACPI_PM1_STS_PWRBTN 0x0100
#define ACPI_PM1_STS_SLPBTN 0x0200
#define ACPI_PM1_STS_RTC 0x0400
#define ACPI_PM1_STS_PCIEXP_WAKE 0x4000
#define ACPI_PM1_STS_WAK 0x8000

#define ACPI_PM1_EN_TMR 0x0001
#define ACPI_PM1_EN_GBL 0x0020
#define ACPI_PM1_EN_PWRBTN 0x0100
#define ACPI_PM1_EN_SLPBTN 0x0200
#define ACPI_PM1_EN_RTC 0x0400
#define ACPI_PM1_EN_PCIEXP_WAKE_DIS 0x4000

/* PM1_CNT bits. */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_BM_RLD 0x0002
#define ACPI_PM1_CNT_GBL_RLS 0x0004 /* write-only */
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK 0x1c00
#define ACPI_PM1_CNT_SLP_EN 0x2000  /* write-only */

struct acpi_pm_ops {
    /* The guest entered S5. Called from inside the guest's port write,
     * with the caller's lock held: request the power-off, don't do it. */
    void (*poweroff)(void *ctx);
};

/* Guest-visible state. */
struct acpi_pm_state {
    uint16_t sts;
    uint16_t en;
    uint16_t cnt;     /* BM_RLD and SLP_TYP as last written */
};

struct acpi_pm {
    struct acpi_pm_state st;
    struct irq_line sci;
    const struct acpi_pm_ops *ops;
    void *ops_ctx;
    bool sci_level;   /* last level driven on (sci) */
};

/* Set up (pm) with all status and enable bits clear, SCI line (sci) and
 * callbacks (ops, ctx); (ops) may be NULL. Owned by the caller. */
void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci,
                  const struct acpi_pm_ops *ops, void *ctx);

/* Clear status, enables and control (a platform reset); lowers the SCI. */
void acpi_pm_reset(struct acpi_pm *pm);

/* The host pressed the power button: set PWRBTN_STS, and raise the SCI if
 * the guest enabled PWRBTN_EN (an ACPI guest then shuts down). */
void acpi_pm_press_power_button(struct acpi_pm *pm);

/* One guest byte access at (off) inside the event block (< 4) or the
 * control block (< 2). Out-of-range offsets read 0xff, writes are dropped. */
uint8_t acpi_pm_evt_read(const struct acpi_pm *pm, uint8_t off);
void acpi_pm_evt_write(struct acpi_pm *pm, uint8_t off, uint8_t val);
uint8_t acpi_pm_cnt_read(const struct acpi_pm *pm, uint8_t off);
void acpi_pm_cnt_write(struct acpi_pm *pm, uint8_t off, uint8_t val);

/* Two windows, dev = struct acpi_pm *:
 *   bus_add(&pio, ACPI_PM_EVT_PORT, ACPI_PM_EVT_LEN, &acpi_pm_evt_bus_ops,
 *           &pm, "pm1a-evt")
 *   bus_add(&pio, ACPI_PM_CNT_PORT, ACPI_PM_CNT_LEN, &acpi_pm_cnt_bus_ops,
 *           &pm, "pm1a-cnt") */
extern const struct bus_ops acpi_pm_evt_bus_ops;
extern const struct bus_ops acpi_pm_cnt_bus_ops;

#endif
