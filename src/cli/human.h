/* Numbers for people: sizes and durations in a table cell. Pure. */
#ifndef VESSEL_CLI_HUMAN_H
#define VESSEL_CLI_HUMAN_H

#include "core/types.h"

#define HUMAN_MAX 24                /* room for any result, NUL included */

/* (bytes) in the largest binary unit that holds it whole, as --mem
 * reads it back: 512M, 2G, 33000K, 1T, 100B ("0B" for 0). Exact rather
 * than rounded, so a listed size can be given to --mem as it is. */
void human_bytes(uint64_t bytes, char out[HUMAN_MAX]);

/* (ms) as the two largest units, cut down to whole seconds: 5s, 3m12s,
 * 2h05m, 3d4h. */
void human_uptime(uint64_t ms, char out[HUMAN_MAX]);

#endif
