/* The console escape key: Ctrl-A then a command key, as in many serial
 * terminals. Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends one
 * Ctrl-A to the guest; any other key after Ctrl-A goes to the guest with it. */
#ifndef VESSEL_VMM_ESCAPE_H
#define VESSEL_VMM_ESCAPE_H

#include "core/types.h"

#define ESCAPE_KEY 0x01   /* Ctrl-A */

enum escape_action { ESCAPE_NONE, ESCAPE_QUIT, ESCAPE_HELP, ESCAPE_DETACH };

struct escape {
    bool armed;          /* the last byte seen was a lone Ctrl-A */
    bool detach_key;     /* Ctrl-A d means ESCAPE_DETACH (vessel console) */
};

/* Filter (len) bytes of terminal input into (out), which has room for
 * 2 * len bytes; returns how many bytes to forward to the guest. Stops at
 * the first command and reports it in (*act); bytes after a command in
 * the same buffer are dropped (the user is leaving or reading help). */
size_t escape_filter(struct escape *e, const uint8_t *in, size_t len,
                     uint8_t *out, enum escape_action *act);

extern const char escape_help[];

#endif
