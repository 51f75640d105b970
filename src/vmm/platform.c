/* Wiring the PC platform devices to the bus, the irqchip and the VM. */
#include "vmm/platform.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "host/clock.h"
#include "vmm/vm.h"

static void irq_set(void *ctx, bool level)
{
    struct platform_irq *pi = ctx;
    int rc;

    if (!pi->gsi)
        return;
    rc = pi->vm->ops->set_irq(pi->vm->avm, pi->gsi, level);
    if (rc < 0)
        log_error("irq %u: %s", pi->gsi, strerror(-rc));
}

struct irq_line platform_irq_line(struct platform_irq *pi)
{
    return (struct irq_line){ .set = irq_set, .ctx = pi };
}

static struct irq_line irq_line_of(struct platform_irq *pi, struct vm *vm,
                                   unsigned gsi)
{
    pi->vm = vm;
    pi->gsi = gsi;
    return platform_irq_line(pi);
}

/* Device callbacks that end the VM. They run under dev_lock on a vCPU
 * thread; vm_request_stop() only flags and kicks, so that is safe. */
static void on_poweroff(void *ctx)
{
    vm_request_stop(ctx, VM_POWEROFF, "guest powered off");
}

static void on_reset(void *ctx)
{
    vm_request_stop(ctx, VM_REBOOT, "guest rebooted");
}

static void on_panic(void *ctx)
{
    vm_request_stop(ctx, VM_PANIC, "guest kernel panic (pvpanic)");
}

static void on_debug_exit(void *ctx, uint8_t code)
{
    char why[48];

    snprintf(why, sizeof(why), "guest wrote %u to the debug-exit port", code);
    vm_request_stop(ctx, VM_DEBUG_EXIT_BASE + (code & 63), why);
}

static const struct i8042_ops kbd_ops = { .reset = on_reset };
static const struct acpi_pm_ops pm_ops = { .poweroff = on_poweroff };
static const struct pvpanic_ops pvpanic_ops = { .panic = on_panic };
static const struct debug_exit_ops dbg_ops = { .exit = on_debug_exit };

struct placement {
    uint64_t port, len;
    const struct bus_ops *ops;
    void *dev;
    const char *name;
};

int platform_init(struct platform *p, struct vm *vm, char *err, size_t errlen)
{
    const struct placement place[] = {
        { UART_COM1_PORT, UART_NR_REGS, &uart_bus_ops, &p->com1, "com1" },
        { RTC_PORT, RTC_NR_PORTS, &rtc_bus_ops, &p->rtc, "rtc" },
        { I8042_DATA_PORT, 1, &i8042_data_bus_ops, &p->kbd, "i8042-data" },
        { I8042_CMD_PORT, 1, &i8042_cmd_bus_ops, &p->kbd, "i8042-cmd" },
        { ACPI_PM_EVT_PORT, ACPI_PM_EVT_LEN, &acpi_pm_evt_bus_ops, &p->pm, "pm1a-evt" },
        { ACPI_PM_CNT_PORT, ACPI_PM_CNT_LEN, &acpi_pm_cnt_bus_ops, &p->pm, "pm1a-cnt" },
        { PVPANIC_PORT, PVPANIC_LEN, &pvpanic_bus_ops, &p->pvpanic, "pvpanic" },
        { DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, &debug_exit_bus_ops, &p->dbg, "debug-exit" },
    };

    vm->console_out.fd = 1;
    uart_init(&p->com1, irq_line_of(&p->com1_irq, vm, UART_COM1_IRQ),
              &chr_tee_ops, &vm->console_tee);
    rtc_init(&p->rtc, &host_clock_ops, NULL);
    rtc_set_mem_size(&p->rtc, vm->gm.r[0].size,
                     vm->gm.nr > 1 ? vm->gm.r[1].size : 0);
    i8042_init(&p->kbd, &kbd_ops, vm);
    acpi_pm_init(&p->pm, irq_line_of(&p->sci_irq, vm, ACPI_PM_SCI_IRQ),
                 &pm_ops, vm);
    pvpanic_init(&p->pvpanic, &pvpanic_ops, vm);
    debug_exit_init(&p->dbg, &dbg_ops, vm);
    for (size_t i = 0; i < ARRAY_SIZE(place); i++) {
        int rc = bus_add(&vm->pio, place[i].port, place[i].len, place[i].ops,
                         place[i].dev, place[i].name);
        if (rc < 0) {
            snprintf(err, errlen, "cannot place %s at port 0x%llx: %s",
                     place[i].name, (unsigned long long)place[i].port,
                     strerror(-rc));
            return rc;
        }
    }
    return 0;
}

size_t platform_console_input(struct platform *p, const uint8_t *buf,
                              size_t len)
{
    return uart_push_input(&p->com1, buf, len);
}
