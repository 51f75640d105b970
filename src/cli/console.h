/* The user's side of a VM's serial console socket (host/consock.h):
 * vessel console (keys both ways) and vessel logs -f (output only). */
#ifndef VESSEL_CLI_CONSOLE_H
#define VESSEL_CLI_CONSOLE_H

#include "core/types.h"

#define CONSOLE_DETACH_KEY 0x1d     /* Ctrl-] */

/* After the user's input ends (not a terminal), how long the output must
 * stay quiet before we detach: 1000 ms. Tests shorten it. */
extern unsigned console_drain_ms;

enum console_end {
    CONSOLE_ENDED = 1,      /* the socket closed: the VM ended */
    CONSOLE_DETACHED,       /* a detach key, or input ended and went quiet */
    CONSOLE_REFUSED,        /* the console is attached elsewhere */
};

struct console_io {
    int sock;               /* connected to console.sock; made non-blocking */
    int in;                 /* the user's keys; -1: watch only */
    int out;                /* the guest's output goes here */
    const char *name;       /* the VM's: recognizes the refusal line */
};

/* Copy the guest's output from (sock) to (out) and (in) to (sock),
 * filtering the detach keys (Ctrl-], Ctrl-A d; Ctrl-A h writes the keys'
 * help to (out)) until one of enum console_end happens. With (in) -1 the
 * socket is shut for writing at once and only output is copied. Returns
 * an enum console_end, or -errno when (out) or a read fails. */
int console_copy(const struct console_io *io) MUST_CHECK;

/* Connect to the console socket of the running VM (name), found in the
 * runtime directory. Prints why not in one line ("vessel: no VM called
 * NAME is running", ...). Returns the socket or -errno. */
int console_connect(const char *name) MUST_CHECK;

#endif
