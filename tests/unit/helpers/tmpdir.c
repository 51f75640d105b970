/* Scratch directories for unit tests: see tmpdir.h. */
#include "helpers/tmpdir.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

void tmpdir_make(char *dir, size_t cap, const char *tag)
{
    int n = snprintf(dir, cap, "/tmp/vessel-%s-XXXXXX", tag);

    assert_true(n > 0 && (size_t)n < cap);
    assert_non_null(mkdtemp(dir));
}

void tmpdir_remove(const char *dir)
{
    char cmd[4200];

    assert_true((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) <
                sizeof(cmd));
    assert_int_equal(system(cmd), 0);
}
