/* Fault-injection rule lists; see faultspec.h. */
#include "host/faultspec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

int faultspec_parse(const char *env, const char *spec, const char *want,
                    int (*rule)(void *ctx, const char *key, const char *val),
                    void *ctx)
{
    char buf[FAULTSPEC_MAX + 1], *save = NULL, *tok;

    if (strlen(spec) >= sizeof(buf)) {
        log_error("%s: too long", env);
        return -EINVAL;
    }
    strcpy(buf, spec);
    for (tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');

        if (colon)
            *colon = '\0';
        if (!colon || rule(ctx, tok, colon + 1) < 0) {
            log_error("%s: bad rule '%s%s%s' (want %s)", env, tok,
                      colon ? ":" : "", colon ? colon + 1 : "", want);
            return -EINVAL;
        }
    }
    return 0;
}

int faultspec_count(const char *val, uint64_t min, uint64_t *out, bool *plus)
{
    char *end;
    unsigned long long n;

    if (*val < '0' || *val > '9')
        return -EINVAL;
    errno = 0;
    n = strtoull(val, &end, 10);
    if (errno || n < min)
        return -EINVAL;
    if (plus) {
        *plus = *end == '+';
        end += *plus;
    }
    if (*end)
        return -EINVAL;
    *out = n;
    return 0;
}
