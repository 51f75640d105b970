/* libFuzzer target: the kernel cache's index file (<cache>/.index),
 * through kcache_index_find() and kcache_index_put(). The input is the
 * file's content; the first 56 bytes also give the identity looked up.
 *
 * Checked on every input (a failed check traps):
 *  - find() on any content returns 0 or -ENOENT, and a key it returns is
 *    64 lowercase hex digits;
 *  - put() of (identity, key) over any content succeeds, and find() then
 *    returns exactly that key (whatever garbage the file held before);
 *  - a second identity put after it is found too, and the first still is
 *    (the newest-first list keeps both). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_input.h"
#include "host/kcache.h"
#include "host/kcache_index.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

static int dir_fd = -1;
static char dir_path[] = "/tmp/vessel-fuzz-kindex-XXXXXX";

/* The index is the only file left behind (put() renames its temp file). */
static void remove_folder(void)
{
    unlinkat(dir_fd, KCACHE_INDEX_NAME, 0);
    close(dir_fd);
    rmdir(dir_path);
}

static int folder(void)
{
    if (dir_fd < 0) {
        CHECK(mkdtemp(dir_path) != NULL);
        dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dir_fd >= 0);
        atexit(remove_folder);
    }
    return dir_fd;
}

static void write_index(int dfd, const uint8_t *data, size_t size)
{
    int fd = openat(dfd, KCACHE_INDEX_NAME, O_WRONLY | O_CREAT | O_TRUNC |
                    O_CLOEXEC, 0600);

    CHECK(fd >= 0);
    CHECK(write(fd, data, size) == (ssize_t)size);
    close(fd);
}

static bool is_key(const char *k)
{
    size_t n = strlen(k);

    if (n != KCACHE_KEY_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((k[i] >= '0' && k[i] <= '9') || (k[i] >= 'a' && k[i] <= 'f')))
            return false;
    return true;
}

static void make_key(char key[KCACHE_KEY_LEN + 1], unsigned seed)
{
    for (unsigned i = 0; i < KCACHE_KEY_LEN; i++)
        key[i] = "0123456789abcdef"[(seed + i * 7) & 0xF];
    key[KCACHE_KEY_LEN] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    struct kcache_ident id, other;
    char got[KCACHE_KEY_LEN + 1], key[KCACHE_KEY_LEN + 1],
        key2[KCACHE_KEY_LEN + 1];
    int dfd = folder(), rc;

    for (unsigned i = 0; i < KCACHE_IDENT_FIELDS; i++)
        id.v[i] = get64(&in);
    other = id;
    other.v[1] ^= 1;                              /* another inode */
    write_index(dfd, data, size);

    rc = kcache_index_find(dfd, &id, got);
    CHECK(rc == 0 || rc == -ENOENT);
    if (rc == 0)
        CHECK(is_key(got));

    make_key(key, (unsigned)size);
    CHECK(kcache_index_put(dfd, &id, key) == 0);
    CHECK(kcache_index_find(dfd, &id, got) == 0 && strcmp(got, key) == 0);

    make_key(key2, (unsigned)size + 1);
    CHECK(kcache_index_put(dfd, &other, key2) == 0);
    CHECK(kcache_index_find(dfd, &other, got) == 0 && strcmp(got, key2) == 0);
    CHECK(kcache_index_find(dfd, &id, got) == 0 && strcmp(got, key) == 0);
    return 0;
}
