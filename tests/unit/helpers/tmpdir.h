/* Scratch directories for unit tests: made under /tmp, removed with
 * whatever a test left in them. */
#ifndef VESSEL_TEST_TMPDIR_H
#define VESSEL_TEST_TMPDIR_H

#include <stddef.h>

/* Make /tmp/vessel-TAG-XXXXXX into (dir) (cap bytes); fails the test if
 * it cannot. */
void tmpdir_make(char *dir, size_t cap, const char *tag);

/* rm -rf (dir); fails the test if that fails. */
void tmpdir_remove(const char *dir);

#endif
