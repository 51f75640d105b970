/* The kernel command line Vessel passes: the user's, plus defaults a guest
 * needs on this machine unless the user chose otherwise. */
#ifndef VESSEL_VMM_CMDLINE_H
#define VESSEL_VMM_CMDLINE_H

#include "core/types.h"

/* Write into (out) the user's (user, may be NULL) command line followed by
 * each default whose key the user did not set: console=(console) (ttyS0 or
 * hvc0) and panic=-1 (a panicking guest without a pvpanic driver
 * resets, so the VM ends instead of hanging). Returns 0 or -E2BIG. */
int cmdline_compose(const char *user, const char *console, char *out,
                    size_t outlen) MUST_CHECK;

/* True if (cmdline) has a parameter whose key is (key), e.g. "panic". */
bool cmdline_has_key(const char *cmdline, const char *key);

#endif
