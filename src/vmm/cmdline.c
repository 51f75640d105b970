/* Kernel command line defaults. */
#include "vmm/cmdline.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct { const char *key, *param; } defaults[] = {
    { "console", "console=ttyS0" },
    { "panic", "panic=-1" },
    /* The machine has no PCI host bridge yet: say so, or the guest probes
     * 256 buses through ports 0xcf8/0xcfc (~33,000 exits) to find nothing
     * and then prints "PCI: Fatal". Goes away with the PCI host bridge. */
    { "pci", "pci=off" },
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

int cmdline_compose(const char *user, char *out, size_t outlen)
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
        w = snprintf(out + n, outlen - n, "%s%s", n ? " " : "",
                     defaults[i].param);
        if (w < 0 || (size_t)w >= outlen - n)
            return -E2BIG;
        n += (size_t)w;
    }
    return 0;
}
