/* Console escape-key filter. */
#include "vmm/escape.h"

const char escape_help[] =
    "\r\n[vessel] Ctrl-A x: quit (stops the VM)   Ctrl-A Ctrl-A: send Ctrl-A   "
    "Ctrl-A h: this help\r\n";

size_t escape_filter(struct escape *e, const uint8_t *in, size_t len,
                     uint8_t *out, enum escape_action *act)
{
    size_t n = 0;

    *act = ESCAPE_NONE;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = in[i];

        if (!e->armed) {
            if (c == ESCAPE_KEY)
                e->armed = true;
            else
                out[n++] = c;
            continue;
        }
        e->armed = false;
        if (c == 'x' || c == 'X') {
            *act = ESCAPE_QUIT;
            return n;
        }
        if (e->detach_key && (c == 'd' || c == 'D')) {
            *act = ESCAPE_DETACH;
            return n;
        }
        if (c == 'h' || c == 'H' || c == '?') {
            *act = ESCAPE_HELP;
            return n;
        }
        out[n++] = ESCAPE_KEY;
        if (c != ESCAPE_KEY)
            out[n++] = c;
    }
    return n;
}
