/* Which system calls each of a VM's threads may make once it runs (the
 * policy; host/sandbox.h enforces it), and the start-up glue for
 * `vessel run`. */
#ifndef VESSEL_VMM_SANDBOX_POLICY_H
#define VESSEL_VMM_SANDBOX_POLICY_H

#include "host/sandbox.h"
#include "vmm/config.h"

/* What in the config widens the lists. */
struct vm_sandbox_env {
    bool net_user;   /* libslirp runs on the vcpu, io and slirp threads */
    bool net_tap;    /* TUNSETOFFLOAD when the guest changes offloads */
    bool stats;      /* --stats: the main thread writes a file at the end */
};

void vm_sandbox_env(const struct vm_config *cfg, struct vm_sandbox_env *env);

/* A sandbox_policy_fn; (ctx) is a const struct vm_sandbox_env *. */
int vm_sandbox_policy(struct sandbox_filter *f, enum sandbox_role role,
                      const void *ctx) MUST_CHECK;

/* For `vessel run` unless --no-sandbox, before vm_create(): close stray
 * fds, resolve --user, and sandbox_setup() with this policy. Returns 0, or
 * a negative errno with one line in (err). The filters go on as each
 * thread starts; sandbox_drop_user() comes after vm_create(). */
int vm_sandbox_begin(const struct vm_config *cfg, char *err,
                     size_t errlen) MUST_CHECK;

#endif
