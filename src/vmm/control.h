/* A VM's control socket, console socket and runtime directory
 * (docs/api.md): the struct api_vm_ops of a real VM, and the events it
 * reports. The order, every path included (cli/run.c):
 *
 *   vm_control_claim()      before vm_create(): the name is taken
 *   vm_control_start()      after vm_create(), before vm_run()
 *   vm_run()                calls vm_control_started() on vCPU 0's first
 *                           entry and vm_control_ended() after the join
 *   vm_control_stop()       after vm_run(), before vm_destroy()
 *   vm_control_release()    last; also when vm_create() failed
 *
 * Exit statuses for what the API asks (vmm/result.h): stop and an
 * acpi-shutdown the guest ignored past its timeout give VM_STOPPED; reset
 * ends the VM as a guest reboot does (VM_REBOOT); the guest's own
 * power-off after an acpi-shutdown gives VM_POWEROFF. */
#ifndef VESSEL_VMM_CONTROL_H
#define VESSEL_VMM_CONTROL_H

#include "api/api.h"
#include "api/rundir.h"

#define VM_PAUSE_TIMEOUT_MS 5000      /* all vCPUs parked within this */
#define VM_POWER_TIMEOUT_MS 30000     /* acpi-shutdown's default */

struct vm;
struct consock;

struct vm_control {
    bool claimed;                   /* rd holds a name */
    struct rundir rd;
    struct api_server *api;
    struct consock *con;
    int power_timer;                /* timerfd: acpi-shutdown's deadline */
    uint32_t power_timeout_ms;      /* what it was armed with */
};

/* Take the VM's name in the runtime directory: (name), or "vm-PID" when
 * NULL. Without a usable runtime directory an unnamed VM runs without
 * sockets (one warning; c->claimed stays false) unless (required) (--name
 * or --detach), which makes it an error. Returns 0 or -errno with one line
 * in (err) ("a VM called web is already running (pid 42)"). */
int vm_control_claim(struct vm_control *c, const char *name, bool required,
                     char *err, size_t errlen) MUST_CHECK;

/* The claimed name, or NULL. */
const char *vm_control_name(const struct vm_control *c);

/* BASE/NAME/FILE of the claimed name into (out). Returns 0 or -errno. */
int vm_control_path(const struct vm_control *c, const char *file, char *out,
                    size_t len) MUST_CHECK;

/* Open the console socket and the control socket of (vm) (nothing when
 * (c) claimed no name) and wire the console into them. Call after
 * vm_create(), before vm_run(). Returns 0, or -errno with one line in
 * (err); on error nothing is left open. */
int vm_control_start(struct vm *vm, struct vm_control *c, char *err,
                     size_t errlen) MUST_CHECK;

/* vCPU 0, right before its first entry: the VM is running. */
void vm_control_started(struct vm *vm);

/* vm_run(), after every vCPU and the I/O loop stopped: the state becomes
 * off and the last event (powered-off, reset or crashed, with vm->reason)
 * goes out. */
void vm_control_ended(struct vm *vm);

/* Close the control socket (subscribers get the last events first) and
 * the console socket. After vm_run(). */
void vm_control_stop(struct vm *vm);

/* Remove the runtime directory and give the name up. */
void vm_control_release(struct vm_control *c);

/* The ops behind the control socket; ctx = struct vm *. */
extern const struct api_vm_ops vm_api_ops;

#endif
