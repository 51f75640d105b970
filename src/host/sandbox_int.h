/* Between sandbox.c and sandbox_proc.c only. */
#ifndef VESSEL_HOST_SANDBOX_INT_H
#define VESSEL_HOST_SANDBOX_INT_H

#include "host/sandbox.h"

#define SANDBOX_NAMES 512   /* system call names kept for the message */

/* Written by sandbox_setup()/sandbox_drop_user() on the main thread before
 * the threads that read it start (pthread_create orders the accesses). */
struct sandbox_state {
    bool on;
    bool dropped;                      /* sandbox_drop_user() done */
    int selftest;                      /* a role, or -1 */
    struct sandbox_config cfg;
    const char *names[SANDBOX_NAMES];  /* never freed */
};

extern struct sandbox_state sandbox_st;

/* A role by its name, or -EINVAL. */
int sandbox_role_parse(const char *name);
int sandbox_install_handler(void);
void sandbox_load_names(void);

#endif
