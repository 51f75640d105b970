/* Strict reading of JSON objects (jansson) that a user or a client sent:
 * every key known, every value of its declared type, one-line errors that
 * name the JSON path ("disks[1].serial: expected a string"). Shared by
 * the control API's request bodies (api/) and config files (vmm/). */
#ifndef VESSEL_HOST_JFIELD_H
#define VESSEL_HOST_JFIELD_H

#include <jansson.h>

#include "core/types.h"

#define JFIELD_PATH_MAX 64      /* a path longer than this is cut */

enum jfield_type {
    JF_STRING,
    JF_INT,                     /* a JSON integer (no fraction, no exponent) */
    JF_BOOL,
    JF_ARRAY,
    JF_OBJECT,
};

struct jfield {
    const char *key;
    enum jfield_type type;
    bool required;
};

/* Check that (obj) is an object whose keys are all among (fields)[0..n),
 * each of its declared type, and that every required one is present.
 * (where) is the object's path for messages: "" for the top level, or
 * e.g. "disks[1]". Returns 0, or -EINVAL with one line in (err):
 * "PATH: unknown field", "PATH: expected a string", "PATH: missing",
 * "WHERE: expected an object". Control characters in keys become "?". */
int jfield_check(const json_t *obj, const char *where,
                 const struct jfield *fields, size_t n, char *err,
                 size_t errlen) MUST_CHECK;

/* The path of member (key) of the object at (where) into (buf):
 * "key" at the top level, "where.key" below it. */
void jfield_path(char *buf, size_t len, const char *where, const char *key);

/* Write "PATH: message" into (err), PATH being (where) joined with (key)
 * as jfield_path() does (key may be NULL). Returns -EINVAL, so callers
 * can `return jfield_fail(...)`. */
int jfield_fail(char *err, size_t errlen, const char *where, const char *key,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Replace control characters in (s) with '?': a message that quotes
 * user input stays on one line. */
void jfield_one_line(char *s);

/* "malformed JSON at line L, column C: WHAT" from a jansson decoding
 * error into (err), on one line. Returns -EINVAL. */
int jfield_json_error(char *err, size_t errlen, const json_error_t *je);

#endif
