/* For tests/unit/cli/: fake VMs (helpers/fake_vm.h) serving the control
 * API in a private runtime directory the commands find through
 * VESSEL_RUNTIME_DIR, and a capture of what a command prints. */
#ifndef VESSEL_TESTS_CLI_VM_H
#define VESSEL_TESTS_CLI_VM_H

#include <pthread.h>

#include "helpers/fake_vm.h"

/* A fresh runtime directory (0700) into (base), exported as
 * VESSEL_RUNTIME_DIR. cli_base_remove() deletes it with what is left. */
void cli_base_make(char base[64]);
void cli_base_remove(const char *base);

/* A VM called (name): the name claimed in (base) by this process, a
 * server with fake_vm_ops on BASE/NAME/api.sock. */
struct cli_vm {
    struct fake_vm f;
    struct rundir rd;
    struct api_server *srv;
    pthread_t ender;
    bool ending;
    unsigned end_delay_ms;
};

void cli_vm_start(struct cli_vm *v, const char *base, const char *name);
/* The VM ends: server stopped, name released. Idempotent. */
void cli_vm_end(struct cli_vm *v);
/* End the VM from another thread (delay_ms) after its first power
 * request; cli_vm_join() waits for that thread. */
void cli_vm_end_on_power(struct cli_vm *v, unsigned delay_ms);
void cli_vm_join(struct cli_vm *v);

/* A process that claims (name) in (base) and dies holding it. */
void cli_die_holding(const char *base, const char *name);

/* What a command printed: stdout and stderr, NUL-terminated. */
struct cli_out {
    char out[16384], err[4096];
    int status;
};

/* Run (fn) with the NULL-terminated arguments (argv[0] included),
 * capturing fds 1 and 2. */
void cli_run(struct cli_out *o, int (*fn)(int, char **), ...);

#endif
