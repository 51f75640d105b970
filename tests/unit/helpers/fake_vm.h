/* A fake VM behind the control API: api_vm_ops that record their calls
 * and fail on demand, and a server on a socket in a fresh temporary
 * directory. For tests/unit/api/. */
#ifndef VESSEL_TESTS_FAKE_VM_H
#define VESSEL_TESTS_FAKE_VM_H

#include "api/api.h"
#include "api/rundir.h"
#include "vmm/config.h"

struct fake_vm {
    enum api_vm_state state;
    struct vm_config cfg;           /* what describe() reports */
    int fail;                       /* non-zero: every op returns it */
    unsigned describes, set_states, powers, metrics_calls, console_calls;
    enum api_vm_state last_want;
    struct api_power_req last_power;
};

extern const struct api_vm_ops fake_vm_ops;

/* A running VM: 2 vCPUs, 512 MiB, one disk, one user-mode card. */
void fake_vm_init(struct fake_vm *f);

struct test_server {
    char dir[64];                   /* mkdtemp'd; removed by stop */
    char sock[RUNDIR_PATH_MAX];
    struct api_server *srv;
};

/* Start a server for (f) with (cfg)'s limits (NULL: defaults); the
 * socket path and ops are filled in here. Fails the test on error. */
void test_server_start(struct test_server *t, struct fake_vm *f,
                       const struct api_server_config *cfg);
void test_server_stop(struct test_server *t);

#endif
