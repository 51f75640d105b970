/* The user's terminal: raw mode for an interactive guest console. */
#ifndef VESSEL_HOST_TERM_H
#define VESSEL_HOST_TERM_H

#include "core/types.h"

/* If (fd) is a terminal, switch it to raw mode (no echo, no line editing,
 * no signals from Ctrl-C: those bytes go to the guest) and arrange for the
 * original mode to come back on every exit path: normal exit, fatal
 * signals, and term_restore(). Returns true if raw mode was entered. */
bool term_raw_enter(int fd);
void term_restore(void);

#endif
