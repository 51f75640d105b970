/* Raw image backend on real temporary files: I/O, locking, read-only, the
 * fault seam, completions and drain. test_b<N>_* are RELIABILITY.md (b)
 * fault cases, test_a20_* the host half of (a) 20. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "host/blkfault.h"
#include "host/blkfile.h"

#define IMG (256 * 1024)
#define MAXDONE 256

struct fx {
    char path[64];
    struct blkfile *bf;
    struct blkfault fault;
    unsigned ndone;
    uint64_t cookie[MAXDONE];
    int result[MAXDONE];
};

static void fill_pattern(uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 31 + seed + i / 4096);
}

/* A fresh image of (size) bytes holding the pattern with seed 0. */
static void make_image(struct fx *f, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    int fd;

    assert_non_null(buf);
    fill_pattern(buf, size, 0);
    strcpy(f->path, "/tmp/vessel-blkfile-XXXXXX");
    fd = mkstemp(f->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, size), (ssize_t)size);
    close(fd);
    free(buf);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    make_image(f, IMG);
    blkfault_init(&f->fault);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    blkfile_close(f->bf);
    unlink(f->path);
    free(f);
    return 0;
}

static int open_img(struct fx *f, bool ro, const struct blkio_ops *io)
{
    struct blkfile_config cfg = {
        .path = f->path,
        .read_only = ro,
        .io = io,
        .io_ctx = io ? (void *)&f->fault : NULL,
    };

    return blkfile_open(&f->bf, &cfg);
}

static void on_done(void *ctx, uint64_t cookie, int result)
{
    struct fx *f = ctx;

    assert_true(f->ndone < MAXDONE);
    f->cookie[f->ndone] = cookie;
    f->result[f->ndone++] = result;
}

/* Poll the completion fd and reap until (n) completions in total. */
static void wait_done(struct fx *f, unsigned n)
{
    while (f->ndone < n) {
        struct pollfd p = {.fd = blkfile_completion_fd(f->bf),
                           .events = POLLIN};

        assert_int_equal(poll(&p, 1, 10000), 1);
        blkfile_reap(f->bf, on_done, f);
    }
    assert_int_equal(f->ndone, n);
}

static void fill(struct blkdev_req *r, enum blkdev_op op, uint64_t off,
                 void *buf, size_t len, uint64_t cookie)
{
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->offset = off;
    r->len = len;
    r->cookie = cookie;
    if (buf && (op == BLKDEV_OP_READ || op == BLKDEV_OP_WRITE)) {
        r->niov = 1;
        r->iov[0] = (struct blkdev_iov){.base = buf, .len = len};
    }
}

static int submit(struct fx *f, struct blkdev_req *r, enum blkdev_op op,
                  uint64_t off, void *buf, size_t len, uint64_t cookie)
{
    fill(r, op, off, buf, len, cookie);
    return blkfile_blkdev_ops.submit(f->bf, r);
}

/* Submit one request, wait for it, return its result. */
static int io(struct fx *f, enum blkdev_op op, uint64_t off, void *buf,
              size_t len)
{
    struct blkdev_req r;
    unsigned n = f->ndone;

    assert_int_equal(submit(f, &r, op, off, buf, len, 1000 + n), 0);
    wait_done(f, n + 1);
    assert_int_equal(f->cookie[n], 1000 + n);
    return f->result[n];
}

static void file_bytes(const struct fx *f, uint64_t off, void *buf,
                       size_t len)
{
    int fd = open(f->path, O_RDONLY);

    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

/* ---- --disk parsing ---- */

static void test_parse_spec(void **state)
{
    struct blkfile_spec s;

    (void)state;
    assert_int_equal(blkfile_parse_spec("disk.img", &s), 0);
    assert_string_equal(s.path, "disk.img");
    assert_false(s.read_only);
    assert_string_equal(s.serial, "");
    assert_int_equal(blkfile_parse_spec("/a/b.img,ro,serial=VESSEL 1", &s), 0);
    assert_string_equal(s.path, "/a/b.img");
    assert_true(s.read_only);
    assert_string_equal(s.serial, "VESSEL 1");
    assert_int_equal(blkfile_parse_spec("a,,b.img,ro,rw", &s), 0);
    assert_string_equal(s.path, "a,b.img");
    assert_false(s.read_only);
    assert_int_equal(blkfile_parse_spec("x,serial=ABCDEFGHIJKLMNOPQRST", &s),
                     0);
    assert_string_equal(s.serial, "ABCDEFGHIJKLMNOPQRST");
}

static void test_parse_spec_errors(void **state)
{
    static const char *bad[] = {
        "", ",ro", "a,bogus", "a,ro,", "a,serial=",
        "a,serial=ABCDEFGHIJKLMNOPQRSTU", "a,serial=tab\there", "a,RO",
        "a,serial=\xc3\xa9",
    };
    struct blkfile_spec s;
    char *longp = malloc(BLKFILE_PATH_MAX + 10);

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(blkfile_parse_spec(bad[i], &s), -EINVAL);
    assert_non_null(longp);
    memset(longp, 'a', BLKFILE_PATH_MAX + 9);
    longp[BLKFILE_PATH_MAX + 9] = '\0';
    assert_int_equal(blkfile_parse_spec(longp, &s), -ENAMETOOLONG);
    free(longp);
}

/* ---- basic I/O ---- */

static void test_read_write_flush(void **state)
{
    struct fx *f = *state;
    uint8_t a[3000], b[5192], got[8192], want[8192];
    struct blkdev_req r;
    struct blkdev_info info;

    assert_int_equal(open_img(f, false, NULL), 0);
    blkfile_blkdev_ops.info(f->bf, &info);
    assert_int_equal(info.size, IMG);
    assert_false(info.read_only);
    fill_pattern(a, sizeof(a), 7);
    fill_pattern(b, sizeof(b), 9);
    memset(&r, 0, sizeof(r));
    r.op = BLKDEV_OP_WRITE;
    r.offset = 4096;
    r.len = sizeof(a) + sizeof(b);
    r.niov = 2;
    r.iov[0] = (struct blkdev_iov){.base = a, .len = sizeof(a)};
    r.iov[1] = (struct blkdev_iov){.base = b, .len = sizeof(b)};
    r.cookie = 77;
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), 0);
    wait_done(f, 1);
    assert_int_equal(f->cookie[0], 77);
    assert_int_equal(f->result[0], 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), 0);
    memcpy(want, a, sizeof(a));
    memcpy(want + sizeof(a), b, sizeof(b));
    file_bytes(f, 4096, got, sizeof(got));
    assert_memory_equal(got, want, sizeof(want));
    memset(got, 0, sizeof(got));
    assert_int_equal(io(f, BLKDEV_OP_READ, 4096, got, sizeof(got)), 0);
    assert_memory_equal(got, want, sizeof(want));
    assert_false(blkfile_suspect(f->bf));
}

/* The backend checks bounds again, whatever the device did. */
static void test_outside_image_refused(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];
    struct blkdev_req r;

    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(submit(f, &r, BLKDEV_OP_READ, IMG, buf, 512, 1), -EINVAL);
    assert_int_equal(submit(f, &r, BLKDEV_OP_WRITE, IMG - 256, buf, 512, 1),
                     -EINVAL);
    assert_int_equal(submit(f, &r, BLKDEV_OP_WRITE, UINT64_MAX - 100, buf,
                            512, 1),
                     -EINVAL);
    assert_int_equal(submit(f, &r, BLKDEV_OP_DISCARD, 0, NULL, IMG + 512, 1),
                     -EINVAL);
    fill(&r, BLKDEV_OP_READ, 0, buf, 512, 1);
    r.len = 1024; /* iov sum disagrees */
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), -EINVAL);
    r.op = (enum blkdev_op)99;
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), -EINVAL);
}

static bool all_zero(const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

static void test_discard_and_write_zeroes(void **state)
{
    struct fx *f = *state;
    uint8_t got[16384];
    struct blkdev_req r;

    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(io(f, BLKDEV_OP_DISCARD, 8192, NULL, 8192), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE_ZEROES, 16384, NULL, 16384), 0);
    file_bytes(f, 16384, got, sizeof(got));
    assert_true(all_zero(got, sizeof(got)));
    memset(&r, 0, sizeof(r));
    r.op = BLKDEV_OP_WRITE_ZEROES;
    r.flags = BLKDEV_F_UNMAP | BLKDEV_F_FUA;
    r.offset = 65536;
    r.len = 4096 + 512;
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), 0);
    wait_done(f, 3);
    assert_int_equal(f->result[2], 0);
    file_bytes(f, 65536, got, 4608);
    assert_true(all_zero(got, 4608));
    file_bytes(f, 65536 + 4608, got, 512); /* just past: untouched */
    assert_false(all_zero(got, 512));
}

/* A filesystem without fallocate: DISCARD is a no-op that succeeds (the
 * spec lets the device ignore it), WRITE_ZEROES writes real zeroes. */
static int no_fallocate(void *ctx, int fd, int mode, off_t off, off_t len)
{
    (void)ctx;
    (void)fd;
    (void)mode;
    (void)off;
    (void)len;
    return -EOPNOTSUPP;
}

static void test_no_fallocate_fallbacks(void **state)
{
    struct fx *f = *state;
    struct blkio_ops ops = blkio_sys_ops;
    uint8_t got[4096], before[4096];

    ops.fallocate = no_fallocate;
    f->fault.next = &ops;
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    file_bytes(f, 0, before, sizeof(before));
    assert_int_equal(io(f, BLKDEV_OP_DISCARD, 0, NULL, 4096), 0);
    file_bytes(f, 0, got, sizeof(got));
    assert_memory_equal(got, before, sizeof(got));
    assert_int_equal(io(f, BLKDEV_OP_WRITE_ZEROES, 0, NULL, 192 * 1024), 0);
    file_bytes(f, 0, got, sizeof(got));
    assert_true(all_zero(got, sizeof(got)));
}

/* ---- locking, read-only, raw only ---- */

static void test_lock_conflict(void **state)
{
    struct fx *f = *state;
    struct blkfile_config cfg = {.path = f->path};
    struct blkfile *second = NULL;

    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(blkfile_open(&second, &cfg), -EBUSY);
    cfg.read_only = true;
    assert_int_equal(blkfile_open(&second, &cfg), -EBUSY);
    blkfile_close(f->bf);
    f->bf = NULL;
    /* Read-only opens share; a read-write one is refused meanwhile. */
    assert_int_equal(open_img(f, true, NULL), 0);
    assert_int_equal(blkfile_open(&second, &cfg), 0);
    cfg.read_only = false;
    {
        struct blkfile *third = NULL;

        assert_int_equal(blkfile_open(&third, &cfg), -EBUSY);
    }
    blkfile_close(second);
    blkfile_close(f->bf);
    f->bf = NULL;
    assert_int_equal(blkfile_open(&second, &cfg), 0); /* locks released */
    blkfile_close(second);
}

static void test_read_only_refuses_writes(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512] = {1}, before[512], after[512];
    struct blkdev_req r;
    struct blkdev_info info;

    assert_int_equal(open_img(f, true, NULL), 0);
    blkfile_blkdev_ops.info(f->bf, &info);
    assert_true(info.read_only);
    assert_true(blkfile_read_only(f->bf));
    file_bytes(f, 0, before, 512);
    assert_int_equal(submit(f, &r, BLKDEV_OP_WRITE, 0, buf, 512, 1), -EROFS);
    assert_int_equal(submit(f, &r, BLKDEV_OP_DISCARD, 0, NULL, 512, 1),
                     -EROFS);
    assert_int_equal(submit(f, &r, BLKDEV_OP_WRITE_ZEROES, 0, NULL, 512, 1),
                     -EROFS);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, 512), 0);
    assert_memory_equal(buf, before, 512);
    file_bytes(f, 0, after, 512);
    assert_memory_equal(after, before, 512);
}

/* (a) 20: the guest writes a qcow2 header into sector 0; the next open
 * still treats the file as raw: same size, same bytes, nothing probed. */
static void test_a20_qcow2_magic_stays_raw(void **state)
{
    struct fx *f = *state;
    uint8_t hdr[512] = {'Q', 'F', 'I', 0xfb, 0, 0, 0, 3}, got[512];

    hdr[24] = 0x10; /* a "size" field far bigger than the file */
    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, hdr, 512), 0);
    blkfile_close(f->bf);
    f->bf = NULL;
    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(blkfile_size(f->bf), IMG);
    f->ndone = 0;
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, got, 512), 0);
    assert_memory_equal(got, hdr, 512);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    struct blkfile_config cfg = {.path = "/nonexistent/vessel.img"};
    struct blkfile *bf = NULL;

    assert_int_equal(blkfile_open(&bf, &cfg), -ENOENT);
    cfg.path = "/tmp";
    cfg.read_only = true;
    assert_int_equal(blkfile_open(&bf, &cfg), -EINVAL);
    cfg.read_only = false;
    assert_int_equal(blkfile_open(&bf, &cfg), -EISDIR);
    chmod(f->path, 0400);
    cfg.path = f->path;
    if (geteuid() != 0) /* root ignores the mode */
        assert_int_equal(blkfile_open(&bf, &cfg), -EACCES);
    cfg.read_only = true;
    assert_int_equal(blkfile_open(&bf, &cfg), 0);
    blkfile_close(bf);
}

/* ---- fault seam: RELIABILITY (b) ---- */

static void test_b1_read_eio_then_usable(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4096], want[4096];

    assert_int_equal(blkfault_parse(&f->fault, "eio-read:1"), 0);
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, sizeof(buf)), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, sizeof(buf)), 0);
    file_bytes(f, 0, want, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
    assert_int_equal(atomic_load(&f->fault.injected), 1);
}

static void test_b2_write_eio(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4096] = {9};

    assert_int_equal(blkfault_parse(&f->fault, "eio-write:2"), 0);
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), 0);
}

static void test_b3_enospc_sticky(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4096] = {9};

    assert_int_equal(blkfault_parse(&f->fault, "enospc:2+"), 0);
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), -ENOSPC);
    assert_int_equal(io(f, BLKDEV_OP_WRITE_ZEROES, 0, NULL, 4096), -ENOSPC);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 4096, buf, sizeof(buf)), -ENOSPC);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, sizeof(buf)), 0);
}

/* NDL2: a failed fdatasync fails the FLUSH, and every later FLUSH (and FUA
 * write) fails too without asking the kernel again. */
static void test_b4_flush_failure_marks_suspect(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512] = {1};
    struct blkdev_req r;

    assert_int_equal(blkfault_parse(&f->fault, "eio-flush:2"), 0);
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, 512), 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), -EIO);
    assert_true(blkfile_suspect(f->bf));
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), -EIO);
    fill(&r, BLKDEV_OP_WRITE, 0, buf, 512, 5);
    r.flags = BLKDEV_F_FUA;
    f->ndone = 0;
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), 0);
    wait_done(f, 1);
    assert_int_equal(f->result[0], -EIO);
    assert_int_equal(atomic_load(&f->fault.flushes), 2); /* no retries */
}

static void test_b4_flush_enospc(void **state)
{
    struct fx *f = *state;

    assert_int_equal(blkfault_parse(&f->fault, "enospc-flush:1"), 0);
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), -ENOSPC);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), -EIO);
}

/* Short transfers and EINTR on every call: the loops finish the job, and
 * each request completes exactly once. */
static void test_b5_b6_short_and_eintr(void **state)
{
    struct fx *f = *state;
    static uint8_t a[100000], b[65536], got[165536];
    struct blkdev_req r;

    f->fault.short_io = true;
    f->fault.eintr = true;
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    fill_pattern(a, sizeof(a), 3);
    fill_pattern(b, sizeof(b), 4);
    memset(&r, 0, sizeof(r));
    r.op = BLKDEV_OP_WRITE;
    r.offset = 512;
    r.len = sizeof(a) + sizeof(b);
    r.niov = 2;
    r.iov[0] = (struct blkdev_iov){.base = a, .len = sizeof(a)};
    r.iov[1] = (struct blkdev_iov){.base = b, .len = sizeof(b)};
    assert_int_equal(blkfile_blkdev_ops.submit(f->bf, &r), 0);
    wait_done(f, 1);
    assert_int_equal(f->result[0], 0);
    assert_true(atomic_load(&f->fault.writes) > 10);
    assert_int_equal(io(f, BLKDEV_OP_READ, 512, got, sizeof(got)), 0);
    assert_memory_equal(got, a, sizeof(a));
    assert_memory_equal(got + sizeof(a), b, sizeof(b));
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), 0);
    assert_int_equal(io(f, BLKDEV_OP_WRITE_ZEROES, 0, NULL, 512), 0);
    /* Exactly one completion each, no more. */
    usleep(10000);
    assert_int_equal(blkfile_reap(f->bf, on_done, f), 0);
    assert_int_equal(f->ndone, 4);
}

/* (b) 5: the file shrinks under the VM: a read past the new end is EIO,
 * never stale or foreign bytes. */
static void test_b5_truncated_file_read_eio(void **state)
{
    struct fx *f = *state;
    uint8_t buf[8192];

    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(truncate(f->path, 32768 + 1000), 0);
    assert_int_equal(io(f, BLKDEV_OP_READ, 65536, buf, 4096), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_READ, 32768, buf, 8192), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, 8192), 0);
}

/* (b) 7: the image is unlinked or made read-only while open: I/O goes on
 * through the open descriptor; nothing crashes. */
static void test_b7_unlinked_or_chmod(void **state)
{
    struct fx *f = *state;
    uint8_t buf[4096];

    assert_int_equal(open_img(f, false, NULL), 0);
    chmod(f->path, 0400);
    unlink(f->path);
    assert_int_equal(io(f, BLKDEV_OP_WRITE, 0, buf, sizeof(buf)), 0);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, sizeof(buf)), 0);
    assert_int_equal(io(f, BLKDEV_OP_FLUSH, 0, NULL, 0), 0);
}

/* ---- completions, drain, queue depth ---- */

static atomic_uint slow_started, slow_finished;

static ssize_t slow_preadv(void *ctx, int fd, const struct iovec *iov, int cnt,
                           off_t off)
{
    ssize_t n;

    (void)ctx;
    atomic_fetch_add(&slow_started, 1);
    usleep(20000);
    n = blkio_sys_ops.preadv(NULL, fd, iov, cnt, off);
    atomic_fetch_add(&slow_finished, 1);
    return n;
}

/* drain() returns only after every accepted request has finished, and the
 * completions it did not hand out are gone. */
static void test_drain_waits_then_drops(void **state)
{
    struct fx *f = *state;
    static uint8_t bufs[12][4096];
    struct blkdev_req r[12];
    struct blkio_ops ops = blkio_sys_ops;

    ops.preadv = slow_preadv;
    atomic_store(&slow_started, 0);
    atomic_store(&slow_finished, 0);
    f->fault.next = &ops;
    assert_int_equal(open_img(f, false, &blkfault_ops), 0);
    for (unsigned i = 0; i < 12; i++)
        assert_int_equal(submit(f, &r[i], BLKDEV_OP_READ, 4096 * i, bufs[i],
                                4096, i),
                         0);
    blkfile_blkdev_ops.drain(f->bf);
    assert_int_equal(atomic_load(&slow_finished), 12);
    assert_int_equal(blkfile_reap(f->bf, on_done, f), 0);
    assert_int_equal(f->ndone, 0);
    /* The queue is whole again. */
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, bufs[0], 4096), 0);
}

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open;

static ssize_t gated_preadv(void *ctx, int fd, const struct iovec *iov,
                            int cnt, off_t off)
{
    (void)ctx;
    pthread_mutex_lock(&gate_lock);
    while (!gate_open)
        pthread_cond_wait(&gate_cond, &gate_lock);
    pthread_mutex_unlock(&gate_lock);
    return blkio_sys_ops.preadv(NULL, fd, iov, cnt, off);
}

struct resubmit {
    struct fx *f;
    struct blkdev_req *r;
    uint8_t (*bufs)[512];
    unsigned again;
};

/* A completion callback that submits the next request at once, as the
 * device does when the guest has more queued: the slot is free already. */
static void on_done_resubmit(void *ctx, uint64_t cookie, int result)
{
    struct resubmit *rs = ctx;
    unsigned i = (unsigned)cookie;

    assert_int_equal(result, 0);
    rs->f->ndone++;
    if (cookie < 100) {
        assert_int_equal(submit(rs->f, &rs->r[i], BLKDEV_OP_READ, 0,
                                rs->bufs[i], 512, 100 + i),
                         0);
        rs->again++;
    }
}

/* Queue depth is a hard bound (-EAGAIN past it), and a reap callback may
 * refill the queue to the brim. */
static void test_queue_depth(void **state)
{
    struct fx *f = *state;
    static uint8_t bufs[4][512];
    struct blkdev_req r[5];
    struct blkio_ops ops = blkio_sys_ops;
    struct blkfile_config cfg = {.path = f->path, .qdepth = 4, .nthreads = 2,
                                 .io = &blkfault_ops, .io_ctx = &f->fault};
    struct resubmit rs = {.f = f, .r = r, .bufs = bufs};

    ops.preadv = gated_preadv;
    f->fault.next = &ops;
    gate_open = false;
    assert_int_equal(blkfile_open(&f->bf, &cfg), 0);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(submit(f, &r[i], BLKDEV_OP_READ, 0, bufs[i], 512, i),
                         0);
    assert_int_equal(submit(f, &r[4], BLKDEV_OP_READ, 0, bufs[0], 512, 4),
                     -EAGAIN);
    pthread_mutex_lock(&gate_lock);
    gate_open = true;
    pthread_cond_broadcast(&gate_cond);
    pthread_mutex_unlock(&gate_lock);
    while (f->ndone < 8) {
        struct pollfd p = {.fd = blkfile_completion_fd(f->bf),
                           .events = POLLIN};

        assert_int_equal(poll(&p, 1, 10000), 1);
        blkfile_reap(f->bf, on_done_resubmit, &rs);
    }
    assert_int_equal(rs.again, 4);
}

/* ---- the fault seam itself ---- */

static void test_fault_parse(void **state)
{
    struct blkfault f;
    static const char *bad[] = {"eio-read", "eio-read:", "eio-read:0",
                                "eio-read:x", "eio-read:1x", "eio-read:+",
                                "short:2", "bogus:1", ":1", "eintr:yes"};

    (void)state;
    blkfault_init(&f);
    assert_false(blkfault_active(&f));
    assert_int_equal(blkfault_parse(&f, "eio-read:3,eio-write:4+,enospc:5,"
                                        "eio-flush:6,enospc-flush:7+,short:1,"
                                        "eintr:1"),
                     0);
    assert_true(blkfault_active(&f));
    assert_int_equal(f.rule[BLKFAULT_EIO_READ].nth, 3);
    assert_false(f.rule[BLKFAULT_EIO_READ].sticky);
    assert_true(f.rule[BLKFAULT_EIO_WRITE].sticky);
    assert_int_equal(f.rule[BLKFAULT_ENOSPC].nth, 5);
    assert_int_equal(f.rule[BLKFAULT_EIO_FLUSH].nth, 6);
    assert_true(f.rule[BLKFAULT_ENOSPC_FLUSH].sticky);
    assert_true(f.short_io && f.eintr);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        blkfault_init(&f);
        assert_int_equal(blkfault_parse(&f, bad[i]), -EINVAL);
    }
}

/* VESSEL_BLK_FAULT reaches a disk opened without an explicit I/O layer;
 * a malformed value refuses the open. */
static void test_fault_env(void **state)
{
    struct fx *f = *state;
    uint8_t buf[512];

    setenv(BLKFAULT_ENV, "eio-read:1", 1);
    assert_int_equal(open_img(f, false, NULL), 0);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, 512), -EIO);
    assert_int_equal(io(f, BLKDEV_OP_READ, 0, buf, 512), 0);
    blkfile_close(f->bf);
    f->bf = NULL;
    setenv(BLKFAULT_ENV, "eio-reed:1", 1);
    assert_int_equal(open_img(f, false, NULL), -EINVAL);
    unsetenv(BLKFAULT_ENV);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_spec),
        cmocka_unit_test(test_parse_spec_errors),
        T(test_read_write_flush),
        T(test_outside_image_refused),
        T(test_discard_and_write_zeroes),
        T(test_no_fallocate_fallbacks),
        T(test_lock_conflict),
        T(test_read_only_refuses_writes),
        T(test_a20_qcow2_magic_stays_raw),
        T(test_open_errors),
        T(test_b1_read_eio_then_usable),
        T(test_b2_write_eio),
        T(test_b3_enospc_sticky),
        T(test_b4_flush_failure_marks_suspect),
        T(test_b4_flush_enospc),
        T(test_b5_b6_short_and_eintr),
        T(test_b5_truncated_file_read_eio),
        T(test_b7_unlinked_or_chmod),
        T(test_drain_waits_then_drops),
        T(test_queue_depth),
        cmocka_unit_test(test_fault_parse),
        T(test_fault_env),
    };

    return cmocka_run_group_tests_name("blkfile", tests, NULL, NULL);
}
