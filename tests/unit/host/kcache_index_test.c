/* The kernel cache's index on real temporary folders: a file seen before
 * is not hashed again (proved with an index record that points at another
 * entry), a rewritten or replaced file is, a file changed just before its
 * read is not indexed, bad index files are ignored, concurrent writers
 * leave a valid index. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "helpers/elf_build.h"
#include "host/kcache.h"
#include "host/kcache_index.h"
#include "host/kimage.h"
#include "helpers/tmpdir.h"

#define SEG 0x2000U
#define ELF_CAP (ELF_BUILD_DATA + 4 * SEG)

/* Entries: A is the bzImage's own (keyed by its hash), B another one. The
 * fake bzImage is never parsed: every boot here is a hit. */
struct fx {
    char root[64];
    char dir[96], bz[96];
    struct kcache kc;
    uint8_t a[ELF_CAP], b[ELF_CAP];
    size_t elf_len;
    char key_a[KCACHE_KEY_LEN + 1], key_b[KCACHE_KEY_LEN + 1];
};

static const char bz_bytes[] = "not really a bzImage, only its bytes";

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct elf_build o = { .nload = 2, .paddr = 16 * MiB, .seg_size = SEG,
                           .pvh = true };

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), "kindex");
    snprintf(f->dir, sizeof(f->dir), "%s/kernels", f->root);
    snprintf(f->bz, sizeof(f->bz), "%s/bzImage", f->root);
    assert_int_equal(kcache_init(&f->kc, f->dir, 64 * MiB), 0);
    assert_int_equal(kcache_prepare(&f->kc), 0);
    f->elf_len = elf_build(f->a, sizeof(f->a), &o);
    memcpy(f->b, f->a, f->elf_len);
    f->b[ELF_BUILD_DATA + 5] ^= 0xFF;          /* segment data, still valid */
    kcache_key((const uint8_t *)bz_bytes, sizeof(bz_bytes), f->key_a);
    kcache_key((const uint8_t *)"other", 5, f->key_b);
    assert_int_equal(kcache_store(&f->kc, f->key_a, f->a, f->elf_len), 0);
    assert_int_equal(kcache_store(&f->kc, f->key_b, f->b, f->elf_len), 0);
    write_file(f->bz, bz_bytes, sizeof(bz_bytes));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tmpdir_remove(f->root);
    free(f);
    return 0;
}

/* Boot the bzImage file as the loader does, its read taken to start
 * (read_after) seconds from now: returns 'A' or 'B', the entry booted. */
static char boot(struct fx *f, long read_after)
{
    struct bzimage_info bi = { 0 };
    struct kcache_src src = { .fd = open(f->bz, O_RDONLY | O_CLOEXEC) };
    static uint8_t buf[256];
    struct kimage ki;
    bool hit = false;
    char which;

    assert_true(src.fd >= 0);
    src.img = buf;
    src.len = (size_t)read(src.fd, buf, sizeof(buf));
    clock_gettime(CLOCK_REALTIME, &src.read_at);
    src.read_at.tv_sec += read_after;
    assert_int_equal(kcache_vmlinux(&f->kc, &src, &bi, &ki, &hit), 0);
    assert_true(hit);
    assert_int_equal(ki.len, f->elf_len);
    which = memcmp(ki.data, f->a, ki.len) == 0 ? 'A'
          : memcmp(ki.data, f->b, ki.len) == 0 ? 'B' : '?';
    kimage_close(&ki);
    close(src.fd);
    return which;
}

static struct stat stat_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st;
}

/* The key the index holds for file (path), or "" if none. */
static void indexed(const struct fx *f, const char *path,
                    char key[KCACHE_KEY_LEN + 1])
{
    struct stat st = stat_of(path);
    struct kcache_ident id;
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);

    assert_true(dfd >= 0);
    kcache_ident_of(&st, &id);
    if (kcache_index_find(dfd, &id, key) < 0)
        key[0] = '\0';
    close(dfd);
}

/* Point the index's record of the bzImage file at entry B. */
static void point_at_b(struct fx *f)
{
    struct stat st = stat_of(f->bz);

    assert_int_equal(kcache_remember(&f->kc, &st, f->key_b), 0);
}

/* Let the clock move past the file system's timestamp granularity. */
static void tick(void)
{
    struct timespec ts = { 0, 20 * 1000 * 1000 };

    nanosleep(&ts, NULL);
}

static void test_hit_without_hash(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1];

    assert_int_equal(boot(f, 10), 'A');        /* hashed, then indexed */
    indexed(f, f->bz, key);
    assert_string_equal(key, f->key_a);
    point_at_b(f);
    /* A hash would find A: B proves the index answered alone. */
    assert_int_equal(boot(f, 10), 'B');
}

static void test_rewritten_same_size_rehashes(void **state)
{
    struct fx *f = *state;
    struct stat before = stat_of(f->bz), after;
    struct timespec keep[2] = { before.st_atim, before.st_mtim };
    char key[KCACHE_KEY_LEN + 1];

    point_at_b(f);
    tick();
    write_file(f->bz, bz_bytes, sizeof(bz_bytes));   /* same size, in place */
    /* cp -p style: the old mtime put back, only ctime tells */
    assert_int_equal(utimensat(AT_FDCWD, f->bz, keep, 0), 0);
    after = stat_of(f->bz);
    assert_int_equal(after.st_ino, before.st_ino);
    assert_int_equal(after.st_size, before.st_size);
    assert_int_equal(boot(f, 10), 'A');
    indexed(f, f->bz, key);
    assert_string_equal(key, f->key_a);
}

static void test_replaced_file_rehashes(void **state)
{
    struct fx *f = *state;
    struct stat before = stat_of(f->bz);
    struct timespec keep[2] = { before.st_atim, before.st_mtim };
    char tmp[128];

    point_at_b(f);
    snprintf(tmp, sizeof(tmp), "%s.new", f->bz);
    write_file(tmp, bz_bytes, sizeof(bz_bytes));
    assert_int_equal(utimensat(AT_FDCWD, tmp, keep, 0), 0);   /* cp -p */
    assert_int_equal(rename(tmp, f->bz), 0);
    assert_true(stat_of(f->bz).st_ino != before.st_ino);
    assert_int_equal(boot(f, 10), 'A');
}

static void test_changed_just_before_read_not_indexed(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1];

    assert_int_equal(boot(f, 0), 'A');         /* written just now */
    indexed(f, f->bz, key);
    assert_string_equal(key, "");
    assert_int_equal(boot(f, 3), 'A');
    indexed(f, f->bz, key);
    assert_string_equal(key, f->key_a);
}

/* Write (text) as the index, boot: the index is ignored (A by hash), and
 * a good one replaces it. */
static void expect_ignored(struct fx *f, const char *text, size_t len)
{
    char path[160], key[KCACHE_KEY_LEN + 1];

    snprintf(path, sizeof(path), "%s/" KCACHE_INDEX_NAME, f->dir);
    unlink(path);
    write_file(path, text, len);
    indexed(f, f->bz, key);
    assert_string_equal(key, "");
    assert_int_equal(boot(f, 10), 'A');
    indexed(f, f->bz, key);
    assert_string_equal(key, f->key_a);
}

static void test_bad_index_ignored(void **state)
{
    struct fx *f = *state;
    struct stat st = stat_of(f->bz);
    char good[512], bad[1200], big[9000];
    int n;

    /* A valid index whose record would send us to B, then damaged. */
    n = snprintf(good, sizeof(good),
                 "vessel-kcache-index 1\n"
                 "%s %llu %llu %llu %llu %llu %llu %llu\n",
                 f->key_b, (unsigned long long)st.st_dev,
                 (unsigned long long)st.st_ino, (unsigned long long)st.st_size,
                 (unsigned long long)st.st_mtim.tv_sec,
                 (unsigned long long)st.st_mtim.tv_nsec,
                 (unsigned long long)st.st_ctim.tv_sec,
                 (unsigned long long)st.st_ctim.tv_nsec);
    expect_ignored(f, good, (size_t)n - 1);             /* no last newline */
    expect_ignored(f, good, (size_t)n / 2);             /* cut in the middle */
    expect_ignored(f, good + 1, (size_t)n - 1);         /* bad header */
    memcpy(bad, good, (size_t)n + 1);
    bad[30] = 'G';                                      /* not hex */
    expect_ignored(f, bad, (size_t)n);
    snprintf(bad, sizeof(bad), "%s%s 1 2 3 4 5 6 99999999999999999999999\n",
             good, f->key_a);                            /* overflow */
    expect_ignored(f, bad, strlen(bad));
    memset(big, '\n', sizeof(big));
    memcpy(big, good, (size_t)n);
    expect_ignored(f, big, sizeof(big));                /* too large */
    expect_ignored(f, "\0\0\0\0\0\0", 6);
    expect_ignored(f, "", 0);
    /* The same text intact does send us to B: the damage was what mattered. */
    snprintf(bad, sizeof(bad), "%s/" KCACHE_INDEX_NAME, f->dir);
    write_file(bad, good, (size_t)n);
    assert_int_equal(boot(f, 10), 'B');
}

static void test_index_not_a_file_ignored(void **state)
{
    struct fx *f = *state;
    char path[160];

    snprintf(path, sizeof(path), "%s/" KCACHE_INDEX_NAME, f->dir);
    assert_int_equal(mkfifo(path, 0600), 0);   /* must not block */
    assert_int_equal(boot(f, 10), 'A');
    unlink(path);
    assert_int_equal(mkdir(path, 0700), 0);    /* cannot be replaced */
    assert_int_equal(boot(f, 10), 'A');
    assert_int_equal(boot(f, 10), 'A');
    rmdir(path);
    assert_int_equal(symlink(f->bz, path), 0);
    assert_int_equal(boot(f, 10), 'A');
}

static void test_oldest_records_dropped(void **state)
{
    struct fx *f = *state;
    struct kcache_ident id = { { 0 } };
    char key[KCACHE_KEY_LEN + 1];
    int dfd = open(f->dir, O_RDONLY | O_DIRECTORY);

    assert_true(dfd >= 0);
    for (unsigned i = 0; i <= KCACHE_INDEX_MAX; i++) {
        id.v[1] = i;
        assert_int_equal(kcache_index_put(dfd, &id, i % 2 ? f->key_a
                                                          : f->key_b), 0);
    }
    id.v[1] = 0;
    assert_int_equal(kcache_index_find(dfd, &id, key), -ENOENT);
    for (unsigned i = 1; i <= KCACHE_INDEX_MAX; i++) {
        id.v[1] = i;
        assert_int_equal(kcache_index_find(dfd, &id, key), 0);
        assert_string_equal(key, i % 2 ? f->key_a : f->key_b);
    }
    close(dfd);
}

/* Four writers fill the index exactly. */
#define PER_WRITER ((int)KCACHE_INDEX_MAX / 4)

static void test_concurrent_writers(void **state)
{
    struct fx *f = *state;
    struct stat st = stat_of(f->bz);
    char key[KCACHE_KEY_LEN + 1], cmd[256];
    struct kcache_ident id;
    pid_t pids[4];
    int status, dfd;

    for (int c = 0; c < 4; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            int bad = 0;

            for (int i = 0; i < PER_WRITER; i++) {
                st.st_ino = (ino_t)(1000 * c + i);
                bad |= kcache_remember(&f->kc, &st, c % 2 ? f->key_a
                                                          : f->key_b) != 0;
            }
            _exit(bad);
        }
    }
    for (int c = 0; c < 4; c++) {
        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    /* Under the lock no update is lost: all 32 records are there. */
    dfd = open(f->dir, O_RDONLY | O_DIRECTORY);
    assert_true(dfd >= 0);
    for (int c = 0; c < 4; c++) {
        for (int i = 0; i < PER_WRITER; i++) {
            st.st_ino = (ino_t)(1000 * c + i);
            kcache_ident_of(&st, &id);
            assert_int_equal(kcache_index_find(dfd, &id, key), 0);
            assert_string_equal(key, c % 2 ? f->key_a : f->key_b);
        }
    }
    close(dfd);
    snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -q '^\\.tmp'", f->dir);
    assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_hit_without_hash),
        T(test_rewritten_same_size_rehashes),
        T(test_replaced_file_rehashes),
        T(test_changed_just_before_read_not_indexed),
        T(test_bad_index_ignored),
        T(test_index_not_a_file_ignored),
        T(test_oldest_records_dropped),
        T(test_concurrent_writers),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
