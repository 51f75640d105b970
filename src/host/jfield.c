/* Strict JSON object checks with path-naming messages. */
#include "host/jfield.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const type_names[] = {
    [JF_STRING] = "a string",   [JF_INT] = "an integer",
    [JF_BOOL] = "true or false", [JF_ARRAY] = "an array",
    [JF_OBJECT] = "an object",
};

static bool type_ok(const json_t *v, enum jfield_type t)
{
    switch (t) {
    case JF_STRING: return json_is_string(v);
    case JF_INT: return json_is_integer(v);
    case JF_BOOL: return json_is_boolean(v);
    case JF_ARRAY: return json_is_array(v);
    case JF_OBJECT: return json_is_object(v);
    }
    return false;
}

void jfield_path(char *buf, size_t len, const char *where, const char *key)
{
    if (!key)
        snprintf(buf, len, "%s", *where ? where : "(top level)");
    else if (*where)
        snprintf(buf, len, "%s.%s", where, key);
    else
        snprintf(buf, len, "%s", key);
}

void jfield_one_line(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

/* Keys and values come from the user: keep a message on one line. */
static int one_line(char *err, size_t errlen)
{
    if (errlen)
        jfield_one_line(err);
    return -EINVAL;
}

int jfield_fail(char *err, size_t errlen, const char *where, const char *key,
                const char *fmt, ...)
{
    char path[JFIELD_PATH_MAX];
    int n;
    va_list ap;

    jfield_path(path, sizeof(path), where, key);
    n = snprintf(err, errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < errlen) {
        va_start(ap, fmt);
        vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return one_line(err, errlen);
}

int jfield_json_error(char *err, size_t errlen, const json_error_t *je)
{
    snprintf(err, errlen, "malformed JSON at line %d, column %d: %s",
             je->line, je->column, je->text);
    return one_line(err, errlen);
}

static const struct jfield *find(const struct jfield *fields, size_t n,
                                 const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

int jfield_check(const json_t *obj, const char *where,
                 const struct jfield *fields, size_t n, char *err,
                 size_t errlen)
{
    const char *key;
    json_t *v;

    if (!json_is_object(obj))
        return jfield_fail(err, errlen, where, NULL, "expected an object");
    /* The cast: jansson's iteration macro takes a non-const object but
     * only reads it. */
    json_object_foreach((json_t *)obj, key, v) {
        const struct jfield *f = find(fields, n, key);

        if (!f)
            return jfield_fail(err, errlen, where, key, "unknown field");
        if (!type_ok(v, f->type))
            return jfield_fail(err, errlen, where, key, "expected %s",
                               type_names[f->type]);
    }
    for (size_t i = 0; i < n; i++)
        if (fields[i].required && !json_object_get(obj, fields[i].key))
            return jfield_fail(err, errlen, where, fields[i].key, "missing");
    return 0;
}
