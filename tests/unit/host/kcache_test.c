/* Kernel cache and host decompression on real temporary folders: keys,
 * hit/miss, corrupt entries, LRU eviction, concurrent writers, and fake
 * bzImages whose payload is a small ELF compressed here with xz, gzip and
 * zstd. */
#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <cmocka.h>

#include "boot/bzimage.h"
#include "core/bytes.h"
#include "helpers/elf_build.h"
#include "host/kcache.h"
#include "host/kcache_load.h"
#include "host/kdecomp.h"
#include "host/kimage.h"
#include "helpers/tmpdir.h"

#define SEG 0x2000U
#define ELF_CAP (ELF_BUILD_DATA + 4 * SEG)
#define KERNEL_OFF (5 * 512U)         /* setup_sects 4 */
#define PAYLOAD_OFF 0x300U            /* into the protected-mode part */
#define BZ_CAP (KERNEL_OFF + PAYLOAD_OFF + 2 * ELF_CAP + 4096)

struct fx {
    char root[64];                    /* mkdtemp */
    char dir[96];                     /* root/kernels */
    struct kcache kc;
    uint8_t elf[ELF_CAP];
    size_t elf_len;
    uint8_t bz[BZ_CAP];
    size_t bz_len;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct elf_build o = { .nload = 2, .paddr = 16 * MiB, .seg_size = SEG,
                           .pvh = true };

    assert_non_null(f);
    tmpdir_make(f->root, sizeof(f->root), "kcache");
    snprintf(f->dir, sizeof(f->dir), "%s/kernels", f->root);
    assert_int_equal(kcache_init(&f->kc, f->dir, 64 * MiB), 0);
    f->elf_len = elf_build(f->elf, sizeof(f->elf), &o);
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

/* ---- helpers ---------------------------------------------------------- */

static void key_of(const char *s, char key[KCACHE_KEY_LEN + 1])
{
    kcache_key((const uint8_t *)s, strlen(s), key);
}

static void entry_path(const struct fx *f, const char *key, char *buf,
                       size_t cap)
{
    snprintf(buf, cap, "%s/%.64s.vmlinux", f->dir, key);
}

static bool exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* Files in the cache folder whose name starts with (prefix). */
static unsigned count_files(const struct fx *f, const char *prefix)
{
    char cmd[256];
    unsigned n = 0;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | grep -c '^%s' || true",
             f->dir, prefix);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%u", &n), 1);
    pclose(p);
    return n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = { { sec, 0 }, { sec, 0 } };

    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void expect_hit(struct fx *f, const char *key, const uint8_t *want,
                       size_t len)
{
    struct kimage ki;

    assert_int_equal(kcache_lookup(&f->kc, key, &ki), 0);
    assert_int_equal(ki.len, len);
    assert_memory_equal(ki.data, want, len);
    kimage_close(&ki);
}

/* A fake bzImage around (payload, plen), with the decompressed length
 * (out_len) as its 4-byte trailer. */
static void make_bz(struct fx *f, const uint8_t *payload, size_t plen,
                    uint32_t out_len)
{
    uint8_t *pm = f->bz + KERNEL_OFF;

    memset(f->bz, 0, sizeof(f->bz));
    f->bz[0x1F1] = 4;
    le16_put(f->bz, 0x1FE, 0xAA55);
    f->bz[0x200] = 0xEB;
    f->bz[0x201] = 0x6A;
    memcpy(f->bz + 0x202, "HdrS", 4);
    le16_put(f->bz, 0x206, 0x020F);
    f->bz[0x211] = 0x01;
    le32_put(f->bz, 0x22C, 0x7FFFFFFF);
    le32_put(f->bz, 0x230, 2 * MiB);
    f->bz[0x234] = 1;
    le16_put(f->bz, 0x236, 0x3);
    le32_put(f->bz, 0x238, 2047);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_OFFSET, PAYLOAD_OFF);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH, (uint32_t)plen + 4);
    le64_put(f->bz, 0x258, 16 * MiB);
    le32_put(f->bz, 0x260, 4 * MiB);
    assert_true(KERNEL_OFF + PAYLOAD_OFF + plen + 4 + 64 <= sizeof(f->bz));
    memcpy(pm + PAYLOAD_OFF, payload, plen);
    le32_put(pm, PAYLOAD_OFF + plen, out_len);
    f->bz_len = KERNEL_OFF + PAYLOAD_OFF + plen + 4 + 64;
}

static size_t compress_xz(const uint8_t *in, size_t len, uint8_t *out,
                          size_t cap)
{
    size_t pos = 0;

    /* CRC32 check, as the kernel's xz_wrap.sh makes them */
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in,
                                             len, out, &pos, cap), LZMA_OK);
    return pos;
}

static size_t compress_gzip(const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap)
{
    z_stream z = { 0 };

    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return z.total_out;
}

static size_t compress_zstd(const uint8_t *in, size_t len, uint8_t *out,
                            size_t cap)
{
    ZSTD_CCtx *c = ZSTD_createCCtx();
    size_t n;

    /* with a checksum, as the zstd tool the kernel build runs adds */
    assert_non_null(c);
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19)));
    assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)));
    n = ZSTD_compress2(c, out, cap, in, len);
    ZSTD_freeCCtx(c);
    assert_false(ZSTD_isError(n));
    return n;
}

typedef size_t (*compress_fn)(const uint8_t *, size_t, uint8_t *, size_t);

/* bz = the fake bzImage of f->elf compressed by (fn). */
static void make_bz_with(struct fx *f, compress_fn fn)
{
    static uint8_t tmp[2 * ELF_CAP];
    size_t n = fn(f->elf, f->elf_len, tmp, sizeof(tmp));

    make_bz(f, tmp, n, (uint32_t)f->elf_len);
}

static int vmlinux(struct fx *f, struct kimage *ki, bool *hit)
{
    struct kcache_src src = { .img = f->bz, .len = f->bz_len, .fd = -1 };
    struct bzimage_info bi;

    assert_int_equal(bzimage_parse(f->bz, f->bz_len, &bi), 0);
    return kcache_vmlinux(&f->kc, &src, &bi, ki, hit);
}

/* ---- keys and configuration ------------------------------------------ */

static void test_key_is_sha256(void **state)
{
    char key[KCACHE_KEY_LEN + 1];
    (void)state;

    key_of("abc", key);
    assert_string_equal(key, "ba7816bf8f01cfea414140de5dae2223"
                             "b00361a396177a9cb410ff61f20015ad");
    key_of("", key);
    assert_string_equal(key, "e3b0c44298fc1c149afbf4c8996fb924"
                             "27ae41e4649b934ca495991b7852b855");
}

static void test_from_env(void **state)
{
    struct kcache kc;
    (void)state;

    setenv("XDG_CACHE_HOME", "/x/cache", 1);
    setenv("HOME", "/home/u", 1);
    unsetenv(KCACHE_MAX_ENV);
    assert_int_equal(kcache_from_env(&kc), 0);
    assert_string_equal(kc.dir, "/x/cache/vessel/kernels");
    assert_int_equal(kc.max, KCACHE_DEFAULT_MAX);
    setenv("XDG_CACHE_HOME", "relative", 1);          /* ignored (XDG spec) */
    assert_int_equal(kcache_from_env(&kc), 0);
    assert_string_equal(kc.dir, "/home/u/.cache/vessel/kernels");
    unsetenv("XDG_CACHE_HOME");
    unsetenv("HOME");
    if (geteuid() == 0) {
        assert_int_equal(kcache_from_env(&kc), 0);
        assert_string_equal(kc.dir, "/var/cache/vessel/kernels");
    } else {
        assert_int_equal(kcache_from_env(&kc), -ENOENT);
    }
    setenv("HOME", "/home/u", 1);
    setenv(KCACHE_MAX_ENV, "1000", 1);
    assert_int_equal(kcache_from_env(&kc), 0);
    assert_int_equal(kc.max, 1000);
    setenv(KCACHE_MAX_ENV, "12M", 1);
    assert_int_equal(kcache_from_env(&kc), -EINVAL);
    setenv(KCACHE_MAX_ENV, "-5", 1);
    assert_int_equal(kcache_from_env(&kc), -EINVAL);
    setenv(KCACHE_MAX_ENV, "0", 1);                   /* off */
    assert_int_equal(kcache_from_env(&kc), -ENOENT);
    unsetenv(KCACHE_MAX_ENV);
}

/* ---- lookup and store ------------------------------------------------- */

static void test_miss_store_hit(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1], path[512];
    struct kimage ki;
    struct stat st;

    key_of("k1", key);
    assert_int_equal(kcache_lookup(&f->kc, key, &ki), -ENOENT);
    assert_int_equal(kcache_prepare(&f->kc), 0);
    assert_int_equal(stat(f->dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(kcache_store(&f->kc, key, f->elf, f->elf_len), 0);
    expect_hit(f, key, f->elf, f->elf_len);
    entry_path(f, key, path, sizeof(path));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_files(f, ".tmp."), 0);
}

static void test_hit_touches_mtime(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1], path[512];
    struct kimage ki;
    struct stat st;

    key_of("k2", key);
    assert_int_equal(kcache_prepare(&f->kc), 0);
    assert_int_equal(kcache_store(&f->kc, key, f->elf, f->elf_len), 0);
    entry_path(f, key, path, sizeof(path));
    set_mtime(path, 1000);
    assert_int_equal(kcache_lookup(&f->kc, key, &ki), 0);
    kimage_close(&ki);
    assert_int_equal(stat(path, &st), 0);
    assert_true(st.st_mtime > time(NULL) - 60);
}

static void test_corrupt_entries_are_misses_and_removed(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1], path[512];
    struct kimage ki;

    key_of("k3", key);
    assert_int_equal(kcache_prepare(&f->kc), 0);
    entry_path(f, key, path, sizeof(path));
    /* garbage, empty, a truncated ELF, an ELF without the PVH note */
    write_file(path, "garbage garbage garbage garbage garbage garbage garbage "
                     "garbage garbage", 71);
    assert_int_equal(kcache_lookup(&f->kc, key, &ki), -ENOENT);
    assert_false(exists(path));
    write_file(path, "", 0);
    assert_int_equal(kcache_lookup(&f->kc, key, &ki), -ENOENT);
    assert_false(exists(path));
    write_file(path, f->elf, f->elf_len - 1);
    assert_int_equal(kcache_lookup(&f->kc, key, &ki), -ENOENT);
    assert_false(exists(path));
    {
        uint8_t plain[ELF_CAP];
        struct elf_build o = { .nload = 1, .paddr = 16 * MiB, .seg_size = SEG };
        size_t n = elf_build(plain, sizeof(plain), &o);

        write_file(path, plain, n);
        assert_int_equal(kcache_lookup(&f->kc, key, &ki), -ENOENT);
        assert_false(exists(path));
    }
    /* a symlink is not followed */
    assert_int_equal(symlink("/etc/passwd", path), 0);
    assert_int_not_equal(kcache_lookup(&f->kc, key, &ki), 0);
    unlink(path);
}

static void test_eviction_is_lru(void **state)
{
    struct fx *f = *state;
    char k[5][KCACHE_KEY_LEN + 1], path[512];
    struct kimage ki;
    const char *names[5] = { "A", "B", "C", "D", "E" };

    /* room for three entries */
    f->kc.max = 3 * f->elf_len + 100;
    assert_int_equal(kcache_prepare(&f->kc), 0);
    for (int i = 0; i < 3; i++) {
        key_of(names[i], k[i]);
        assert_int_equal(kcache_store(&f->kc, k[i], f->elf, f->elf_len), 0);
        entry_path(f, k[i], path, sizeof(path));
        set_mtime(path, 100 * (i + 1));               /* A oldest */
    }
    assert_int_equal(kcache_lookup(&f->kc, k[0], &ki), 0);   /* A used now */
    kimage_close(&ki);
    key_of(names[3], k[3]);
    assert_int_equal(kcache_store(&f->kc, k[3], f->elf, f->elf_len), 0);
    entry_path(f, k[1], path, sizeof(path));
    assert_false(exists(path));                       /* B was the LRU */
    for (int i = 0; i < 4; i++)
        if (i != 1) {
            entry_path(f, k[i], path, sizeof(path));
            assert_true(exists(path));
        }
    entry_path(f, k[2], path, sizeof(path));
    set_mtime(path, 50);
    key_of(names[4], k[4]);
    assert_int_equal(kcache_store(&f->kc, k[4], f->elf, f->elf_len), 0);
    assert_false(exists(path));                       /* then C */
    assert_int_equal(count_files(f, "[0-9a-f]"), 3);
    /* replacing an entry does not evict others for its own old copy */
    assert_int_equal(kcache_store(&f->kc, k[4], f->elf, f->elf_len), 0);
    assert_int_equal(count_files(f, "[0-9a-f]"), 3);
}

static void test_store_larger_than_limit(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1];

    key_of("big", key);
    f->kc.max = f->elf_len - 1;
    assert_int_equal(kcache_prepare(&f->kc), 0);
    assert_int_equal(kcache_store(&f->kc, key, f->elf, f->elf_len), -EFBIG);
    assert_int_equal(count_files(f, ""), 0);
}

static void test_stale_temp_files_removed(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1], old[256], fresh[256];

    assert_int_equal(kcache_prepare(&f->kc), 0);
    snprintf(old, sizeof(old), "%s/.tmp.dead.1.0", f->dir);
    snprintf(fresh, sizeof(fresh), "%s/.tmp.live.2.0", f->dir);
    write_file(old, "x", 1);
    write_file(fresh, "x", 1);
    set_mtime(old, 1000);
    key_of("k4", key);
    assert_int_equal(kcache_store(&f->kc, key, f->elf, f->elf_len), 0);
    assert_false(exists(old));
    assert_true(exists(fresh));     /* may belong to a writer still at work */
}

/* Several processes store the same key and others at once, with a limit
 * that forces evictions: every entry left verifies, none is half-written,
 * no temp file is left, and the folder stays under its limit. */
static void test_concurrent_writers(void **state)
{
    struct fx *f = *state;
    char same[KCACHE_KEY_LEN + 1];
    pid_t pids[4];
    int status;

    f->kc.max = 3 * f->elf_len;
    assert_int_equal(kcache_prepare(&f->kc), 0);
    key_of("same", same);
    for (int c = 0; c < 4; c++) {
        pids[c] = fork();
        assert_true(pids[c] >= 0);
        if (pids[c] == 0) {
            int bad = 0;

            for (int i = 0; i < 15; i++) {
                char own[KCACHE_KEY_LEN + 1], name[16];
                struct kimage ki;

                snprintf(name, sizeof(name), "c%di%d", c, i);
                key_of(name, own);
                bad |= kcache_store(&f->kc, same, f->elf, f->elf_len) != 0;
                bad |= kcache_store(&f->kc, own, f->elf, f->elf_len) != 0;
                if (kcache_lookup(&f->kc, same, &ki) == 0) {
                    bad |= ki.len != f->elf_len ||
                           memcmp(ki.data, f->elf, ki.len) != 0;
                    kimage_close(&ki);
                }
            }
            _exit(bad);
        }
    }
    for (int c = 0; c < 4; c++) {
        assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(count_files(f, ".tmp."), 0);
    assert_true(count_files(f, "[0-9a-f]") <= 3);
}

static void test_prepare_refuses_shared_or_bad_folder(void **state)
{
    struct fx *f = *state;
    char file[128];

    assert_int_equal(kcache_prepare(&f->kc), 0);
    assert_int_equal(chmod(f->dir, 0777), 0);
    assert_int_equal(kcache_prepare(&f->kc), -EPERM);
    assert_int_equal(chmod(f->dir, 0700), 0);
    snprintf(file, sizeof(file), "%s/plain", f->root);
    write_file(file, "x", 1);
    snprintf(file, sizeof(file), "%s/plain/kernels", f->root);
    assert_int_equal(kcache_init(&f->kc, file, MiB), 0);
    assert_int_equal(kcache_prepare(&f->kc), -ENOTDIR);
}

/* ---- bzImage payloads ------------------------------------------------- */

static void check_fill_then_hit(struct fx *f, compress_fn fn,
                                enum kdecomp_format fmt)
{
    struct bzimage_info bi;
    struct kdecomp_payload p;
    struct kimage ki;
    bool hit = true;

    make_bz_with(f, fn);
    assert_int_equal(bzimage_parse(f->bz, f->bz_len, &bi), 0);
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), 0);
    assert_int_equal(p.fmt, fmt);
    assert_int_equal(p.out_len, f->elf_len);
    assert_int_equal(vmlinux(f, &ki, &hit), 0);
    assert_false(hit);
    assert_int_equal(ki.len, f->elf_len);
    assert_memory_equal(ki.data, f->elf, f->elf_len);
    kimage_close(&ki);
    assert_int_equal(vmlinux(f, &ki, &hit), 0);
    assert_true(hit);
    assert_memory_equal(ki.data, f->elf, f->elf_len);
    kimage_close(&ki);
    assert_int_equal(count_files(f, ".tmp."), 0);
    assert_int_equal(count_files(f, "[0-9a-f]"), 1);
}

static void test_bzimage_xz(void **state)
{
    check_fill_then_hit(*state, compress_xz, KDECOMP_XZ);
}

static void test_bzimage_gzip(void **state)
{
    check_fill_then_hit(*state, compress_gzip, KDECOMP_GZIP);
}

static void test_bzimage_zstd(void **state)
{
    check_fill_then_hit(*state, compress_zstd, KDECOMP_ZSTD);
}

static void expect_no_entry(struct fx *f, int rc)
{
    struct kimage ki;
    bool hit;

    assert_int_equal(vmlinux(f, &ki, &hit), rc);
    assert_null(ki.data);
    assert_int_equal(count_files(f, ".tmp."), 0);
    assert_int_equal(count_files(f, "[0-9a-f]"), 0);
}

static void test_bzimage_unsupported_formats(void **state)
{
    static const struct { const char *magic; enum kdecomp_format fmt; } m[] = {
        { "BZh91AY&SY", KDECOMP_BZIP2 },
        { "\x5d\x00\x00\x80\x00\xff\xff", KDECOMP_LZMA },
        { "\x02\x21\x4c\x18\x00\x00", KDECOMP_LZ4 },
        { "\x89LZO\x00\x0d", KDECOMP_LZO },
        { "plain text, no magic", KDECOMP_UNKNOWN },
    };
    struct fx *f = *state;
    struct bzimage_info bi;
    struct kdecomp_payload p;

    for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
        uint8_t pl[32] = { 0 };

        memcpy(pl, m[i].magic, strlen(m[i].magic) ? strlen(m[i].magic) : 3);
        make_bz(f, pl, sizeof(pl), 4096);
        assert_int_equal(bzimage_parse(f->bz, f->bz_len, &bi), 0);
        assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), 0);
        assert_int_equal(p.fmt, m[i].fmt);
        assert_false(kdecomp_supported(p.fmt));
        expect_no_entry(f, -EOPNOTSUPP);
    }
    assert_string_equal(kdecomp_name(KDECOMP__COUNT), "unknown");
    assert_string_equal(kdecomp_name(KDECOMP_ZSTD), "zstd");
}

static void test_bzimage_payload_not_pvh(void **state)
{
    struct fx *f = *state;
    struct elf_build o = { .nload = 1, .paddr = 16 * MiB, .seg_size = SEG };

    f->elf_len = elf_build(f->elf, sizeof(f->elf), &o);     /* no note */
    make_bz_with(f, compress_gzip);
    expect_no_entry(f, -ENOEXEC);
    memset(f->elf, 0x5A, f->elf_len);                       /* not ELF */
    make_bz_with(f, compress_zstd);
    expect_no_entry(f, -ENOEXEC);
}

static void test_bzimage_corrupt_stream(void **state)
{
    struct fx *f = *state;
    compress_fn fns[3] = { compress_xz, compress_gzip, compress_zstd };

    for (int i = 0; i < 3; i++) {
        uint8_t *pl = f->bz + KERNEL_OFF + PAYLOAD_OFF;
        uint32_t plen;

        make_bz_with(f, fns[i]);
        plen = le32_get(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH) - 4;
        for (uint32_t b = plen / 3; b < plen / 3 + 16; b++)
            pl[b] ^= 0xA5;
        expect_no_entry(f, -EINVAL);
        /* cut short: the stream ends inside the payload */
        make_bz_with(f, fns[i]);
        plen = le32_get(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH) - 4;
        le32_put(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH, plen / 2 + 4);
        le32_put(pl, plen / 2, (uint32_t)f->elf_len);
        expect_no_entry(f, -EINVAL);
    }
}

static void test_bzimage_length_trailer_must_match(void **state)
{
    struct fx *f = *state;
    uint8_t *pl = f->bz + KERNEL_OFF + PAYLOAD_OFF;
    uint32_t plen;

    make_bz_with(f, compress_xz);
    plen = le32_get(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH) - 4;
    le32_put(pl, plen, (uint32_t)f->elf_len + 1);
    expect_no_entry(f, -EINVAL);
    le32_put(pl, plen, (uint32_t)f->elf_len - 1);
    expect_no_entry(f, -EINVAL);
    le32_put(pl, plen, 0);
    expect_no_entry(f, -EFBIG);
    /* larger than the cache may hold: not even decompressed */
    le32_put(pl, plen, (uint32_t)f->elf_len);
    f->kc.max = f->elf_len - 1;
    expect_no_entry(f, -EFBIG);
}

static void test_bzimage_payload_bounds(void **state)
{
    struct fx *f = *state;
    struct bzimage_info bi;
    struct kdecomp_payload p;
    size_t pm_len;

    make_bz_with(f, compress_xz);
    assert_int_equal(bzimage_parse(f->bz, f->bz_len, &bi), 0);
    pm_len = f->bz_len - KERNEL_OFF;
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_OFFSET, (uint32_t)pm_len);
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), -EINVAL);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_OFFSET, 0xFFFFFFFF);
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), -EINVAL);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_OFFSET, 16);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH, (uint32_t)pm_len - 15);
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), -EINVAL);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH, (uint32_t)pm_len - 16);
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), 0);
    le32_put(f->bz, KDECOMP_OFF_PAYLOAD_LENGTH, 11);        /* < magic + 4 */
    assert_int_equal(kdecomp_find(f->bz, f->bz_len, &bi, &p), -EINVAL);
    expect_no_entry(f, -EINVAL);
}

static void test_unusable_folder_means_normal_boot(void **state)
{
    struct fx *f = *state;
    char file[128];

    snprintf(file, sizeof(file), "%s/plain", f->root);
    write_file(file, "x", 1);
    snprintf(file, sizeof(file), "%s/plain/kernels", f->root);
    assert_int_equal(kcache_init(&f->kc, file, 64 * MiB), 0);
    make_bz_with(f, compress_xz);
    expect_no_entry(f, -ENOTDIR);
}

static void test_corrupt_entry_recovered(void **state)
{
    struct fx *f = *state;
    char key[KCACHE_KEY_LEN + 1], path[512];
    struct kimage ki;
    bool hit = true;

    make_bz_with(f, compress_xz);
    kcache_key(f->bz, f->bz_len, key);
    assert_int_equal(kcache_prepare(&f->kc), 0);
    entry_path(f, key, path, sizeof(path));
    write_file(path, f->elf, f->elf_len / 2);               /* torn entry */
    assert_int_equal(vmlinux(f, &ki, &hit), 0);
    assert_false(hit);
    assert_memory_equal(ki.data, f->elf, f->elf_len);
    kimage_close(&ki);
    expect_hit(f, key, f->elf, f->elf_len);
}

/* Guest RAM of (len) bytes at 16 MiB, every byte (fill). */
/* Guest RAM at 16 MiB: untouched (fill < 0), or every byte (fill). */
static uint8_t *test_ram(struct gmem *gm, size_t len, int fill)
{
    uint8_t *ram = mmap(NULL, len, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    assert_true(ram != MAP_FAILED);
    if (fill >= 0)
        memset(ram, fill, len);
    gmem_init(gm);
    assert_int_equal(gmem_add(gm, 16 * MiB, len, ram), 0);
    return ram;
}

/* A zero page inside a segment becomes a hole of the entry, is not read
 * back, and loads as zeros even over RAM that was not zero; over fresh
 * RAM the hole's page is not even touched (reading it would map the zero
 * page, and the guest's writes would then come 4 KiB at a time). */
static void test_entry_sparse_and_loaded(void **state)
{
    struct fx *f = *state;
    const size_t ram_len = 4 * SEG;
    struct elf_info ei;
    struct kimage ki;
    struct gmem gm;
    bool hit = true;

    memset(f->elf + ELF_BUILD_DATA + 0x1000, 0, 0x1000);   /* segment 0 */
    make_bz_with(f, compress_xz);
    assert_int_equal(vmlinux(f, &ki, &hit), 0);
    assert_false(hit);
    assert_int_equal(ki.len, f->elf_len);
    assert_memory_equal(ki.data, f->elf, f->elf_len);
    /* tmpfs and most disk file systems report the hole */
    assert_int_equal(lseek(ki.fd, ELF_BUILD_DATA, SEEK_HOLE),
                     ELF_BUILD_DATA + 0x1000);
    assert_int_equal(lseek(ki.fd, ELF_BUILD_DATA + 0x1000, SEEK_DATA),
                     ELF_BUILD_DATA + 0x2000);
    assert_int_equal(elf_parse(ki.data, ki.len, &ei), 0);
    static const int fills[] = { -1, 0, 0xAA };   /* fresh, zero, not */

    for (size_t k = 0; k < ARRAY_SIZE(fills); k++) {
        int fill = fills[k];
        uint8_t *ram = test_ram(&gm, ram_len, fill);
        uint8_t *hole = ram + (ei.load[0].paddr - 16 * MiB) +
                        (ELF_BUILD_DATA + 0x1000 - ei.load[0].offset);
        unsigned char resident = 0xFF;

        assert_int_equal(kcache_load_elf(&ki, &ei, &gm), 0);
        assert_int_equal(mincore(hole, 4096, &resident), 0);
        assert_int_equal(resident & 1, fill >= 0);
        for (unsigned i = 0; i < ei.nload; i++)
            assert_memory_equal(ram + (ei.load[i].paddr - 16 * MiB),
                                f->elf + ei.load[i].offset,
                                ei.load[i].filesz);
        munmap(ram, ram_len);
    }
    kimage_close(&ki);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_is_sha256),
        cmocka_unit_test(test_from_env),
        T(test_miss_store_hit),
        T(test_hit_touches_mtime),
        T(test_corrupt_entries_are_misses_and_removed),
        T(test_eviction_is_lru),
        T(test_store_larger_than_limit),
        T(test_stale_temp_files_removed),
        T(test_concurrent_writers),
        T(test_prepare_refuses_shared_or_bad_folder),
        T(test_bzimage_xz),
        T(test_bzimage_gzip),
        T(test_bzimage_zstd),
        T(test_bzimage_unsupported_formats),
        T(test_bzimage_payload_not_pvh),
        T(test_bzimage_corrupt_stream),
        T(test_bzimage_length_trailer_must_match),
        T(test_bzimage_payload_bounds),
        T(test_unusable_folder_means_normal_boot),
        T(test_corrupt_entry_recovered),
        T(test_entry_sparse_and_loaded),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
