/* How a VM ended, and the exit status `vessel run` reports for it
 * (documented in README.md; keep the two in step). */
#ifndef VESSEL_VMM_RESULT_H
#define VESSEL_VMM_RESULT_H

enum vm_result {
    VM_RESULT_NONE = -1,      /* still running */
    VM_POWEROFF = 0,          /* guest powered off (ACPI S5) */
    VM_STARTUP_ERROR = 1,     /* bad input or the host refused: nothing ran */
    VM_REBOOT = 2,            /* guest asked for a reset */
    VM_CRASH = 3,             /* triple fault, internal error, failed entry */
    VM_PANIC = 4,             /* guest kernel panic reported via pvpanic */
    VM_HOST_ERROR = 5,        /* the VMM failed while running */
    VM_STOPPED = 6,           /* stopped through the control API: stop, or
                                 an acpi-shutdown the guest did not finish
                                 within its timeout */
    VM_DEBUG_EXIT_BASE = 32,  /* test guests: debug-exit port value V gives
                                 32 + (V & 63) */
};

#endif
