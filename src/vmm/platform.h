/* The PC platform devices of a VM and their wiring: COM1, CMOS RTC, i8042,
 * ACPI PM block, pvpanic and the debug-exit port, placed on the port bus
 * with their interrupt lines routed to the accelerator's irqchip. */
#ifndef VESSEL_VMM_PLATFORM_H
#define VESSEL_VMM_PLATFORM_H

#include "core/types.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/pvpanic.h"
#include "devices/rtc.h"
#include "devices/uart.h"

struct vm;

/* An irq_line's context: which GSI of which VM. */
struct platform_irq {
    struct vm *vm;
    unsigned gsi;
};

struct platform {
    struct uart com1;
    struct rtc rtc;
    struct i8042 kbd;
    struct acpi_pm pm;
    struct pvpanic pvpanic;
    struct debug_exit dbg;
    struct platform_irq com1_irq, sci_irq;
};

/* An irq_line that drives GSI (pi->gsi) of (pi->vm); GSI 0 means "not
 * routed yet" and is ignored. (pi) must outlive the line. */
struct irq_line platform_irq_line(struct platform_irq *pi);

/* Initialise and place every platform device on vm's port bus. Call once,
 * after the accelerator's VM exists, before any vCPU runs. */
int platform_init(struct platform *p, struct vm *vm, char *err,
                  size_t errlen) MUST_CHECK;

/* Offer console input to the guest's UART; returns the bytes it took.
 * Call with vm->dev_lock held. */
size_t platform_console_input(struct platform *p, const uint8_t *buf,
                              size_t len);

#endif
