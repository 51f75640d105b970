/* Kernel image files: open checks, reads, and ELF segments into guest RAM. */
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
#include <unistd.h>
#include <cmocka.h>

#include "boot/elf.h"
#include "helpers/elf_build.h"
#include "helpers/fakes.h"
#include "host/kimage.h"
#include "helpers/tmpdir.h"

#define SEG 0x1800U
#define RAM (24 * MiB)

struct fx {
    char dir[64], path[96];
    uint8_t elf[ELF_BUILD_DATA + 3 * SEG];
    size_t len;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct elf_build o = { .nload = 2, .paddr = 16 * MiB, .seg_size = SEG,
                           .bss = 0x100, .pvh = true };
    int fd;

    assert_non_null(f);
    tmpdir_make(f->dir, sizeof(f->dir), "kimage");
    snprintf(f->path, sizeof(f->path), "%s/vmlinux", f->dir);
    f->len = elf_build(f->elf, sizeof(f->elf), &o);
    fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, f->elf, f->len), (ssize_t)f->len);
    close(fd);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void test_open_read(void **state)
{
    struct fx *f = *state;
    struct kimage ki;
    uint8_t buf[100];

    assert_int_equal(kimage_open(&ki, f->path, MiB), 0);
    assert_int_equal(ki.len, f->len);
    assert_memory_equal(ki.data, f->elf, f->len);
    assert_int_equal(kimage_read(&ki, ELF_BUILD_DATA, buf, sizeof(buf)), 0);
    assert_memory_equal(buf, f->elf + ELF_BUILD_DATA, sizeof(buf));
    assert_int_equal(kimage_read(&ki, f->len - 10, buf, 11), -EIO);
    kimage_close(&ki);
    assert_int_equal(ki.fd, -1);
    assert_null(ki.data);
    kimage_close(&ki);
}

static void test_open_refuses(void **state)
{
    struct fx *f = *state;
    struct kimage ki;
    char p[128];

    assert_int_equal(kimage_open(&ki, f->path, f->len - 1), -EFBIG);
    assert_int_equal(kimage_open(&ki, f->dir, MiB), -EISDIR);
    assert_int_equal(kimage_open(&ki, "/dev/null", MiB), -EINVAL);
    snprintf(p, sizeof(p), "%s/missing", f->dir);
    assert_int_equal(kimage_open(&ki, p, MiB), -ENOENT);
    snprintf(p, sizeof(p), "%s/empty", f->dir);
    close(open(p, O_WRONLY | O_CREAT, 0600));
    assert_int_equal(kimage_open(&ki, p, MiB), -ENOEXEC);
    assert_int_equal(ki.fd, -1);
}

static void test_load_elf_segments(void **state)
{
    struct fx *f = *state;
    struct fake_ram *r = fake_ram_new(RAM, 0xEE);
    struct kimage ki;
    struct elf_info ei;

    assert_int_equal(kimage_open(&ki, f->path, MiB), 0);
    assert_int_equal(elf_parse(ki.data, ki.len, &ei), 0);
    assert_int_equal(kimage_load_elf(&ki, &ei, &r->gm), 0);
    for (unsigned i = 0; i < 2; i++)
        assert_memory_equal(r->mem + 16 * MiB + 2 * i * SEG,
                            f->elf + ELF_BUILD_DATA + i * SEG, SEG);
    assert_int_equal(r->mem[16 * MiB + SEG], 0xEE);   /* tail: pvh's job */
    /* a segment outside RAM */
    ei.load[1].paddr = RAM - 1;
    assert_int_equal(kimage_load_elf(&ki, &ei, &r->gm), -EFAULT);
    /* the file shrank after it was parsed */
    ei.load[1].paddr = 16 * MiB + 2 * SEG;
    assert_int_equal(truncate(f->path, ELF_BUILD_DATA + SEG + 5), 0);
    assert_int_equal(kimage_load_elf(&ki, &ei, &r->gm), -EIO);
    kimage_close(&ki);
    fake_ram_free(r);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_open_read),
        T(test_open_refuses),
        T(test_load_elf_segments),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
