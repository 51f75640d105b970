/* Size and count parsing for the command line. */
#include "cli/parse.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

static int unit_shift(const char *suffix, uint64_t unit, uint64_t *mult)
{
    static const struct { const char *name; uint64_t mult; } units[] = {
        { "", 0 },            { "b", 1 },
        { "k", KiB },         { "kb", KiB },        { "kib", KiB },
        { "m", MiB },         { "mb", MiB },        { "mib", MiB },
        { "g", GiB },         { "gb", GiB },        { "gib", GiB },
        { "t", 1024 * GiB },  { "tb", 1024 * GiB }, { "tib", 1024 * GiB },
    };

    for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
        if (strcasecmp(suffix, units[i].name) == 0) {
            *mult = units[i].mult ? units[i].mult : unit;
            return 0;
        }
    }
    return -EINVAL;
}

/* Leading decimal digits of (s) into (*v); returns the rest, or NULL. */
static const char *parse_digits(const char *s, uint64_t *v, bool *overflow)
{
    *v = 0;
    *overflow = false;
    if (!isdigit((unsigned char)*s))
        return NULL;
    for (; isdigit((unsigned char)*s); s++) {
        if (__builtin_mul_overflow(*v, 10, v) ||
            __builtin_add_overflow(*v, (uint64_t)(*s - '0'), v))
            *overflow = true;
    }
    return s;
}

int parse_size(const char *s, uint64_t unit, uint64_t *out)
{
    uint64_t v, mult;
    bool overflow;
    const char *rest;

    if (!s)
        return -EINVAL;
    rest = parse_digits(s, &v, &overflow);
    if (!rest || unit_shift(rest, unit, &mult) < 0)
        return -EINVAL;
    if (overflow || __builtin_mul_overflow(v, mult, out))
        return -ERANGE;
    return 0;
}

int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    uint64_t v;
    bool overflow;
    const char *rest;

    if (!s)
        return -EINVAL;
    rest = parse_digits(s, &v, &overflow);
    if (!rest || *rest)
        return -EINVAL;
    if (overflow || v < min || v > max)
        return -ERANGE;
    *out = (unsigned)v;
    return 0;
}

int parse_name(const char *s)
{
    /* One rule for names: the runtime directory's, where they end up. */
    return rundir_check_name(s);
}
