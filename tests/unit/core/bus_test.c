/* The port/MMIO bus: placement, lookup, unclaimed accesses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/bus.h"

struct rec {
    uint64_t off;
    unsigned len, reads, writes;
    uint8_t last[8];
};

static void rec_read(void *dev, uint64_t off, void *data, unsigned len)
{
    struct rec *r = dev;
    r->off = off;
    r->len = len;
    r->reads++;
    memset(data, 0x5a, len);
}

static void rec_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    struct rec *r = dev;
    r->off = off;
    r->len = len;
    r->writes++;
    memcpy(r->last, data, len);
}

static const struct bus_ops rec_ops = { rec_read, rec_write };

static void test_add_overlap_and_bad(void **state)
{
    struct bus b;
    struct rec r = { 0 };
    (void)state;
    bus_init(&b, "pio");
    assert_int_equal(bus_add(&b, 0x3f8, 8, &rec_ops, &r, "com1"), 0);
    assert_int_equal(bus_add(&b, 0x3ff, 1, &rec_ops, &r, "x"), -EEXIST);
    assert_int_equal(bus_add(&b, 0x3f0, 9, &rec_ops, &r, "x"), -EEXIST);
    assert_int_equal(bus_add(&b, 0x3f0, 8, &rec_ops, &r, "fdc-neighbour"), 0);
    assert_int_equal(bus_add(&b, 0x100, 0, &rec_ops, &r, "x"), -EINVAL);
    assert_int_equal(bus_add(&b, UINT64_MAX, 2, &rec_ops, &r, "x"), -EINVAL);
    assert_int_equal(bus_add(&b, 0x100, 1, NULL, &r, "x"), -EINVAL);
}

static void test_dispatch_gives_offsets(void **state)
{
    struct bus b;
    struct rec a = { 0 }, c = { 0 };
    uint8_t v = 0x41, d[4];
    (void)state;
    bus_init(&b, "pio");
    assert_int_equal(bus_add(&b, 0x70, 2, &rec_ops, &c, "rtc"), 0);
    assert_int_equal(bus_add(&b, 0x3f8, 8, &rec_ops, &a, "com1"), 0);
    assert_true(bus_write(&b, 0x3f8, &v, 1));
    assert_int_equal(a.off, 0);
    assert_int_equal(a.last[0], 0x41);
    assert_true(bus_read(&b, 0x3fd, d, 1));
    assert_int_equal(a.off, 5);
    assert_true(bus_read(&b, 0x71, d, 1));
    assert_int_equal(c.off, 1);
    assert_int_equal(c.reads, 1);
}

static void test_unclaimed_reads_all_ones(void **state)
{
    struct bus b;
    struct rec a = { 0 };
    uint8_t d[8];
    (void)state;
    bus_init(&b, "pio");
    assert_int_equal(bus_add(&b, 0x3f8, 8, &rec_ops, &a, "com1"), 0);
    /* floppy controller ports (VENOM) have no device */
    for (uint64_t port = 0x3f0; port < 0x3f8; port++) {
        memset(d, 0, sizeof(d));
        assert_false(bus_read(&b, port, d, 1));
        assert_int_equal(d[0], 0xff);
        assert_false(bus_write(&b, port, d, 1));
    }
    /* straddling the end of a window is not claimed */
    memset(d, 0, sizeof(d));
    assert_false(bus_read(&b, 0x3fe, d, 4));
    assert_memory_equal(d, "\xff\xff\xff\xff", 4);
    /* odd widths are not claimed */
    assert_false(bus_read(&b, 0x3f8, d, 3));
    assert_false(bus_read(&b, UINT64_MAX, d, 8));
    assert_int_equal(a.reads + a.writes, 0);
    assert_true(b.unclaimed >= 19);
}

static void test_many_devices_sorted(void **state)
{
    struct bus b;
    struct rec r[BUS_MAX_DEVICES];
    uint8_t d;
    (void)state;
    memset(r, 0, sizeof(r));
    bus_init(&b, "mmio");
    /* add in reverse order; lookups must still find each */
    for (unsigned i = BUS_MAX_DEVICES; i-- > 0;)
        assert_int_equal(bus_add(&b, 0x1000 * (uint64_t)(i + 1), 0x10,
                                 &rec_ops, &r[i], "d"), 0);
    assert_int_equal(bus_add(&b, 0x900000, 1, &rec_ops, &r[0], "d"), -ENOSPC);
    for (unsigned i = 0; i < BUS_MAX_DEVICES; i++) {
        assert_true(bus_read(&b, 0x1000 * (uint64_t)(i + 1) + 0xf, &d, 1));
        assert_int_equal(r[i].reads, 1);
        assert_int_equal(r[i].off, 0xf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_overlap_and_bad),
        cmocka_unit_test(test_dispatch_gives_offsets),
        cmocka_unit_test(test_unclaimed_reads_all_ones),
        cmocka_unit_test(test_many_devices_sorted),
    };
    return cmocka_run_group_tests_name("core/bus", tests, NULL, NULL);
}
