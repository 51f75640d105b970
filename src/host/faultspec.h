/* The syntax the fault injectors share (VESSEL_BLK_FAULT in
 * host/blkfault.h, VESSEL_NET_FAULT in host/netfault.h): a comma-separated
 * list of KEY:VALUE rules, most of them counts. */
#ifndef VESSEL_HOST_FAULTSPEC_H
#define VESSEL_HOST_FAULTSPEC_H

#include "core/types.h"

#define FAULTSPEC_MAX 255          /* characters in one spec */

/* Call (rule)(ctx, key, value) for each rule of (spec), in order. A rule
 * without ':', or one (rule) refuses (negative return), ends the walk:
 * -EINVAL and one log line "(env): bad rule 'KEY:VALUE' (want (want))".
 * Returns 0 when every rule was taken. */
int faultspec_parse(const char *env, const char *spec, const char *want,
                    int (*rule)(void *ctx, const char *key, const char *val),
                    void *ctx) MUST_CHECK;

/* (val) in full as a decimal count >= (min) into (*out). With (plus) not
 * NULL a trailing '+' is allowed and sets (*plus). Returns 0 or -EINVAL. */
int faultspec_count(const char *val, uint64_t min, uint64_t *out,
                    bool *plus) MUST_CHECK;

#endif
