/* Kernel command line defaults. */
#include "vmm/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct { const char *key, *param; } defaults[] = {
    { "console", NULL },          /* console=(console) */
    { "panic", "panic=-1" },
};

bool cmdline_has_key(const char *cmdline, const char *key)
{
    size_t klen = strlen(key);
    const char *p = cmdline;

    while (p && *p) {
        p += strspn(p, " \t");
        if (!strncmp(p, key, klen) && (p[klen] == '=' || p[klen] == ' ' ||
                                       p[klen] == '\t' || p[klen] == '\0'))
            return true;
        p += strcspn(p, " \t");
    }
    return false;
}

int cmdline_compose(const char *user, const char *console, char *out,
                    size_t outlen)
{
    size_t n;
    int w;

    w = snprintf(out, outlen, "%s", user ? user : "");
    if (w < 0 || (size_t)w >= outlen)
        return -E2BIG;
    n = (size_t)w;
    for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
        if (cmdline_has_key(user, defaults[i].key))
            continue;
        if (defaults[i].param)
            w = snprintf(out + n, outlen - n, "%s%s", n ? " " : "",
                         defaults[i].param);
        else
            w = snprintf(out + n, outlen - n, "%sconsole=%s", n ? " " : "",
                         console);
        if (w < 0 || (size_t)w >= outlen - n)
            return -E2BIG;
        n += (size_t)w;
    }
    return 0;
}
