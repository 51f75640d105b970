/* Loading a Linux guest: read the kernel and initrd files, build the boot
 * tables (e820, ACPI) and place everything in guest RAM. */
#ifndef VESSEL_VMM_LOADER_H
#define VESSEL_VMM_LOADER_H

#include "accel/accel.h"
#include "core/types.h"

struct vm;

/* Load vm->cfg's kernel, initrd and command line into the VM's RAM, with
 * ACPI tables for vm->ncpus CPUs, and fill (*entry) with the boot CPU's
 * state at the kernel's entry. The kernel is a bzImage (64-bit entry) or
 * an ELF vmlinux with a PVH note (32-bit PVH entry). Unless
 * vm->cfg.no_kernel_cache, a bzImage boots through PVH from the kernel
 * cache (host/kcache.h) when it can, and the usual way when it cannot.
 * Needs RAM, not the accelerator, so bad input is reported even where
 * /dev/kvm is missing. On failure writes one line naming the problem into
 * (err) and returns a negative errno. */
int loader_load_linux(struct vm *vm, struct accel_entry_state *entry,
                      char *err, size_t errlen) MUST_CHECK;

#endif
