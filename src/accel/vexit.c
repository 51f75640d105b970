/* Names of neutral exit kinds, for counters and reports. */
#include "accel/accel.h"

static const char *const names[VEXIT__COUNT] = {
    [VEXIT_PIO] = "pio",
    [VEXIT_MMIO] = "mmio",
    [VEXIT_HLT] = "hlt",
    [VEXIT_INTR] = "intr",
    [VEXIT_SHUTDOWN] = "shutdown",
    [VEXIT_INTERNAL_ERROR] = "internal-error",
    [VEXIT_FAIL_ENTRY] = "fail-entry",
    [VEXIT_SYSTEM_EVENT] = "system-event",
    [VEXIT_UNKNOWN] = "unknown",
};

const char *vexit_kind_name(enum vexit_kind k)
{
    return (unsigned)k < VEXIT__COUNT && names[k] ? names[k] : "?";
}
