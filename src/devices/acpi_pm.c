/* ACPI PM1a event and control registers (ACPI spec, "PM1 Event Grouping",
 * "PM1 Control Grouping"). */
#include "devices/acpi_pm.h"

/* Enable bits this block has; the rest are reserved and read 0. */
#define EN_MASK                                                                \
    (ACPI_PM1_EN_TMR | ACPI_PM1_EN_GBL | ACPI_PM1_EN_PWRBTN |                  \
     ACPI_PM1_EN_SLPBTN | ACPI_PM1_EN_RTC | ACPI_PM1_EN_PCIEXP_WAKE_DIS)
/* Status bits whose enable bit (same position) routes them to the SCI. */
#define SCI_EVENTS                                                             \
    (ACPI_PM1_STS_TMR | ACPI_PM1_STS_GBL | ACPI_PM1_STS_PWRBTN |               \
     ACPI_PM1_STS_SLPBTN | ACPI_PM1_STS_RTC)
#define CNT_STORED (ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP_MASK)

static void update_sci(struct acpi_pm *pm)
{
    bool level = (pm->st.sts & pm->st.en & SCI_EVENTS) != 0;

    if (level != pm->sci_level) {
        pm->sci_level = level;
        irq_line_set(&pm->sci, level);
    }
}

static uint8_t byte_of(uint16_t v, unsigned lane)
{
    return (uint8_t)(v >> (8 * lane));
}

/* (v) with byte (lane) replaced by (val). */
static uint16_t with_byte(uint16_t v, unsigned lane, uint8_t val)
{
    unsigned sh = 8 * lane;

    return (uint16_t)((v & ~(0xffu << sh)) | ((unsigned)val << sh));
}

uint8_t acpi_pm_evt_read(const struct acpi_pm *pm, uint8_t off)
{
    if (off < ACPI_PM1_EN)
        return byte_of(pm->st.sts, off);
    if (off < ACPI_PM_EVT_LEN)
        return byte_of(pm->st.en, off - ACPI_PM1_EN);
    return 0xff;
}

void acpi_pm_evt_write(struct acpi_pm *pm, uint8_t off, uint8_t val)
{
    if (off < ACPI_PM1_EN) /* write 1 to clear */
        pm->st.sts &= (uint16_t)~((unsigned)val << (8 * off));
    else if (off < ACPI_PM_EVT_LEN)
        pm->st.en = with_byte(pm->st.en, off - ACPI_PM1_EN, val) & EN_MASK;
    update_sci(pm);
}

uint8_t acpi_pm_cnt_read(const struct acpi_pm *pm, uint8_t off)
{
    if (off >= ACPI_PM_CNT_LEN)
        return 0xff;
    return byte_of(pm->st.cnt | ACPI_PM1_CNT_SCI_EN, off);
}

/* SLP_EN starts the transition to the state SLP_TYP names; it is
 * write-only and never stored. Only S5 exists here. */
void acpi_pm_cnt_write(struct acpi_pm *pm, uint8_t off, uint8_t val)
{
    /* GUEST: (off, val) from a port write of any width, split in bytes. */
    uint16_t written;

    if (off >= ACPI_PM_CNT_LEN)
        return;
    written = (uint16_t)((unsigned)val << (8 * off));
    pm->st.cnt = with_byte(pm->st.cnt, off, val) & CNT_STORED;
    if ((written & ACPI_PM1_CNT_SLP_EN) &&
        (pm->st.cnt & ACPI_PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT ==
            ACPI_PM_SLP_TYP_S5 &&
        pm->ops && pm->ops->poweroff)
        pm->ops->poweroff(pm->ops_ctx);
}

void acpi_pm_press_power_button(struct acpi_pm *pm)
{
    pm->st.sts |= ACPI_PM1_STS_PWRBTN;
    update_sci(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->st = (struct acpi_pm_state){0};
    update_sci(pm);
}

void acpi_pm_init(struct acpi_pm *pm, struct irq_line sci,
                  const struct acpi_pm_ops *ops, void *ctx)
{
    pm->sci = sci;
    pm->ops = ops;
    pm->ops_ctx = ctx;
    pm->sci_level = false;
    acpi_pm_reset(pm);
}

/* Byte-wise dispatch at consecutive offsets (core/bus.h). */
static uint8_t evt_read(void *dev, uint8_t off)
{
    return acpi_pm_evt_read(dev, off);
}

static void evt_write(void *dev, uint8_t off, uint8_t val)
{
    acpi_pm_evt_write(dev, off, val);
}

static uint8_t cnt_read(void *dev, uint8_t off)
{
    return acpi_pm_cnt_read(dev, off);
}

static void cnt_write(void *dev, uint8_t off, uint8_t val)
{
    acpi_pm_cnt_write(dev, off, val);
}

static void evt_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, ACPI_PM_EVT_LEN, evt_read);
}

static void evt_bus_write(void *dev, uint64_t off, const void *data,
                          unsigned len)
{
    bus_write_bytes(dev, off, data, len, ACPI_PM_EVT_LEN, evt_write);
}

static void cnt_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, ACPI_PM_CNT_LEN, cnt_read);
}

static void cnt_bus_write(void *dev, uint64_t off, const void *data,
                          unsigned len)
{
    bus_write_bytes(dev, off, data, len, ACPI_PM_CNT_LEN, cnt_write);
}

const struct bus_ops acpi_pm_evt_bus_ops = {
    .read = evt_bus_read,
    .write = evt_bus_write,
};

const struct bus_ops acpi_pm_cnt_bus_ops = {
    .read = cnt_bus_read,
    .write = cnt_bus_write,
};
