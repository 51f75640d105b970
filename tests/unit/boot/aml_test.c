/* AML encoder: PkgLength forms, names, integers, objects, sticky errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "boot/aml.h"

#define EXPECT_AML(a, ...)                                                     \
    do {                                                                       \
        static const uint8_t want_[] = { __VA_ARGS__ };                        \
        size_t len_;                                                           \
        assert_int_equal(aml_finish((a), &len_), 0);                           \
        assert_int_equal(len_, sizeof(want_));                                 \
        assert_memory_equal((a)->buf, want_, sizeof(want_));                   \
    } while (0)

static uint8_t buf[70000];

static void test_pkglen_forms(void **state)
{
    uint8_t o[4];
    (void)state;
    /* 1 byte: the length counts itself, up to 63 */
    assert_int_equal(aml_pkglen_encode(0, o), 1);
    assert_int_equal(o[0], 1);
    assert_int_equal(aml_pkglen_encode(62, o), 1);
    assert_int_equal(o[0], 63);
    /* 2 bytes: 63 + 2 = 65 = 0x41: lead 0x40 | 0x1, then 0x04 */
    assert_int_equal(aml_pkglen_encode(63, o), 2);
    assert_int_equal(o[0], 0x41);
    assert_int_equal(o[1], 0x04);
    assert_int_equal(aml_pkglen_encode(4093, o), 2); /* total 0xFFF */
    assert_int_equal(o[0], 0x4F);
    assert_int_equal(o[1], 0xFF);
    /* 3 bytes: 4094 + 3 = 0x1001 */
    assert_int_equal(aml_pkglen_encode(4094, o), 3);
    assert_int_equal(o[0], 0x81);
    assert_int_equal(o[1], 0x00);
    assert_int_equal(o[2], 0x01);
    assert_int_equal(aml_pkglen_encode(0xFFFFF - 3, o), 3);
    /* 4 bytes: 0x100000 + 4 = 0x100004 */
    assert_int_equal(aml_pkglen_encode(0x100000, o), 4);
    assert_int_equal(o[0], 0xC4);
    assert_int_equal(o[1], 0x00);
    assert_int_equal(o[2], 0x00);
    assert_int_equal(o[3], 0x01);
    assert_int_equal(aml_pkglen_encode(AML_PKGLEN_MAX - 4, o), 4);
    assert_int_equal(aml_pkglen_encode(AML_PKGLEN_MAX - 3, o), 0);
}

static void test_names(void **state)
{
    struct aml a;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_namestring(&a, "\\_SB_");
    aml_namestring(&a, "\\_SB.COM1");
    aml_namestring(&a, "^S5");
    aml_namestring(&a, "A.B.C");
    aml_namestring(&a, "");
    EXPECT_AML(&a, 0x5C, '_', 'S', 'B', '_',
               0x5C, 0x2E, '_', 'S', 'B', '_', 'C', 'O', 'M', '1',
               0x5E, 'S', '5', '_', '_',
               0x2F, 3, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '_', '_',
               '_',
               0x00);
}

static void test_bad_names(void **state)
{
    static const char *const bad[] = { "1ABC", "ABCDE", "abc", "A..B", "A.",
                                       ".A", "\\\\A", "A-B" };
    struct aml a;
    size_t len;
    (void)state;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        aml_init(&a, buf, sizeof(buf));
        aml_namestring(&a, bad[i]);
        assert_int_equal(aml_finish(&a, &len), -EINVAL);
        assert_int_equal(len, 0);
    }
}

static void test_integers(void **state)
{
    struct aml a;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_integer(&a, 0);
    aml_integer(&a, 1);
    aml_integer(&a, 0x0A);
    aml_integer(&a, 0x1234);
    aml_integer(&a, 0x12345678);
    aml_integer(&a, 0x0102030405ULL);
    EXPECT_AML(&a, 0x00, 0x01, 0x0A, 0x0A, 0x0B, 0x34, 0x12,
               0x0C, 0x78, 0x56, 0x34, 0x12,
               0x0E, 0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0);
}

static void test_string_and_eisaid(void **state)
{
    struct aml a;
    size_t len;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_string(&a, "QEMU0001");
    aml_eisaid(&a, "PNP0501");
    aml_eisaid(&a, "PNP0C0F");
    EXPECT_AML(&a, 0x0D, 'Q', 'E', 'M', 'U', '0', '0', '0', '1', 0x00,
               0x0C, 0x41, 0xD0, 0x05, 0x01,
               0x0C, 0x41, 0xD0, 0x0C, 0x0F);
    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "pnp0501");
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP050G");
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_eisaid(&a, "PNP05011");
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_init(&a, buf, sizeof(buf));
    aml_string(&a, "\xC3\xA9");
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
}

static void test_s5_package(void **state)
{
    struct aml a;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_name(&a, "\\_S5_");
    aml_package_open(&a, 4);
    aml_integer(&a, 5);
    aml_integer(&a, 5);
    aml_integer(&a, 0);
    aml_integer(&a, 0);
    aml_close(&a);
    EXPECT_AML(&a, 0x08, 0x5C, '_', 'S', '5', '_',
               0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00);
}

static void test_resource_buffer(void **state)
{
    struct aml a;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_buffer_open(&a);
    aml_res_io(&a, 0x3F8, 0x3F8, 1, 8);
    aml_res_irq(&a, 1U << 4);
    aml_res_end(&a);
    aml_close(&a);
    /* 13 bytes of descriptors; BufferSize 0A 0D; PkgLength 1+2+13 = 16 */
    EXPECT_AML(&a, 0x11, 0x10, 0x0A, 0x0D,
               0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08,
               0x22, 0x10, 0x00,
               0x79, 0x00);
}

static void test_device_and_method(void **state)
{
    struct aml a;
    (void)state;
    aml_init(&a, buf, sizeof(buf));
    aml_device_open(&a, "PEVT");
    aml_method_open(&a, "_STA", 0, false);
    aml_return(&a);
    aml_integer(&a, 0x0F);
    aml_close(&a);
    aml_close(&a);
    EXPECT_AML(&a, 0x5B, 0x82, 0x0F, 'P', 'E', 'V', 'T',
               0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xA4, 0x0A, 0x0F);
    aml_init(&a, buf, sizeof(buf));
    aml_method_open(&a, "M", 3, true);
    aml_close(&a);
    EXPECT_AML(&a, 0x14, 0x06, 'M', '_', '_', '_', 0x0B);
}

/* A scope whose content needs the 2- and 3-byte PkgLength forms: the
 * content is moved up intact when the length is inserted. */
static void test_long_scope_moves_content(void **state)
{
    struct aml a;
    size_t len, i;
    uint8_t fill[5000];
    (void)state;
    for (i = 0; i < sizeof(fill); i++)
        fill[i] = (uint8_t)(i * 7);
    aml_init(&a, buf, sizeof(buf));
    aml_scope_open(&a, "\\_SB_");
    aml_bytes(&a, fill, 100);
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), 0);
    /* 5 name + 100 content + 2 length = 107 = 0x6B */
    assert_int_equal(len, 1 + 2 + 5 + 100);
    assert_int_equal(buf[1], 0x40 | 0x0B);
    assert_int_equal(buf[2], 0x06);
    assert_memory_equal(buf + 3, "\\_SB_", 5);
    assert_memory_equal(buf + 8, fill, 100);

    aml_init(&a, buf, sizeof(buf));
    aml_scope_open(&a, "\\_SB_");
    aml_bytes(&a, fill, sizeof(fill));
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), 0);
    assert_int_equal(len, 1 + 3 + 5 + sizeof(fill));
    assert_int_equal(buf[1] >> 6, 2);
    assert_memory_equal(buf + 9, fill, sizeof(fill));
}

static void test_sticky_errors(void **state)
{
    uint8_t small[8];
    struct aml a;
    size_t len = 99;
    (void)state;
    /* buffer full: later calls do nothing, finish reports it */
    aml_init(&a, small, sizeof(small));
    aml_name(&a, "\\_S5_");
    aml_package_open(&a, 4);
    aml_integer(&a, 5);
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), -ENOSPC);
    assert_int_equal(len, 0);
    /* full only when the PkgLength is inserted */
    aml_init(&a, small, sizeof(small));
    aml_package_open(&a, 1);
    aml_bytes(&a, "abcdef", 6);
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), -ENOSPC);
    /* unclosed, and one close too many */
    aml_init(&a, buf, sizeof(buf));
    aml_package_open(&a, 0);
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), 0);
    aml_close(&a);
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
    /* nested too deep */
    aml_init(&a, buf, sizeof(buf));
    for (unsigned i = 0; i <= AML_MAX_DEPTH; i++)
        aml_package_open(&a, 1);
    assert_int_equal(aml_finish(&a, &len), -EOVERFLOW);
    /* too many method arguments */
    aml_init(&a, buf, sizeof(buf));
    aml_method_open(&a, "_FOO", 8, false);
    assert_int_equal(aml_finish(&a, &len), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkglen_forms),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_integers),
        cmocka_unit_test(test_string_and_eisaid),
        cmocka_unit_test(test_s5_package),
        cmocka_unit_test(test_resource_buffer),
        cmocka_unit_test(test_device_and_method),
        cmocka_unit_test(test_long_scope_moves_content),
        cmocka_unit_test(test_sticky_errors),
    };
    return cmocka_run_group_tests_name("boot/aml", tests, NULL, NULL);
}
