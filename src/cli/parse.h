/* Parsing of command-line values: sizes and counts. Pure functions. */
#ifndef VESSEL_CLI_PARSE_H
#define VESSEL_CLI_PARSE_H

#include "core/types.h"

/* Parse a size such as "256M", "2G", "1536MiB", "4096K" (binary units,
 * case-insensitive, optional "B"/"iB"). A bare number is in (unit) bytes
 * (e.g. MiB for --mem, as in other hypervisors). Returns 0, -EINVAL when
 * garbled or negative, -ERANGE when it overflows 64 bits. */
int parse_size(const char *s, uint64_t unit, uint64_t *out) MUST_CHECK;

/* Parse a decimal unsigned integer in [min, max]. Returns 0, -EINVAL when
 * garbled, -ERANGE when out of range. */
int parse_uint(const char *s, unsigned min, unsigned max,
               unsigned *out) MUST_CHECK;

#include "api/rundir.h"

#define PARSE_NAME_MAX RUNDIR_NAME_MAX

/* Check a VM name (--name): 1 to PARSE_NAME_MAX characters of
 * [A-Za-z0-9._-], not starting with '.' or '-' (a name becomes a file name
 * in the runtime directory and an argument of other commands: it must not
 * look like a hidden file or an option). Returns 0, -ENAMETOOLONG when
 * too long, -EINVAL otherwise. */
int parse_name(const char *s) MUST_CHECK;

#endif
