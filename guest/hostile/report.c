/* Report lines and the attack/unexpected counts of the summary. */
#include "attack.h"
#include "serial.h"

static unsigned nattacks, nunexpected;

void report(unsigned id, bool ok, const char *what, const char *fmt, ...)
{
    char did[192];
    va_list ap;

    va_start(ap, fmt);
    fmt_va(did, sizeof(did), fmt, ap);
    va_end(ap);
    nattacks++;
    if (!ok)
        nunexpected++;
    con_printf("HOSTILE a%u %s -> %s%s\n", id, what, did,
               ok ? "" : " UNEXPECTED");
}

void report_error(const char *fmt, ...)
{
    char msg[192];
    va_list ap;

    va_start(ap, fmt);
    fmt_va(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    nunexpected++;
    con_printf("HOSTILE-ERROR %s\n", msg);
}

unsigned report_attacks(void)
{
    return nattacks;
}

unsigned report_unexpected(void)
{
    return nunexpected;
}
