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

static void test_a27_unclaimed_reads_all_ones(void **state)
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

/* A device of byte registers for bus_read_bytes()/bus_write_bytes(): reads
 * return (reg[off]), writes store into it; (seen) lists the offsets
 * accessed, in order. */
struct byte_regs {
    uint8_t reg[256];
    uint8_t seen[8];
    unsigned n;
};

static uint8_t regs_read(void *dev, uint8_t off)
{
    struct byte_regs *g = dev;

    assert_true(g->n < ARRAY_SIZE(g->seen));
    g->seen[g->n++] = off;
    return g->reg[off];
}

static void regs_write(void *dev, uint8_t off, uint8_t val)
{
    struct byte_regs *g = dev;

    assert_true(g->n < ARRAY_SIZE(g->seen));
    g->seen[g->n++] = off;
    g->reg[off] = val;
}

static void test_bytes_split_lowest_first(void **state)
{
    struct byte_regs g = { .reg = { 0x10, 0x11, 0x12, 0x13 } };
    const uint8_t w[4] = { 0xa1, 0xa2, 0xa3, 0xa4 };
    uint8_t d[8];
    (void)state;
    memset(d, 0, sizeof(d));
    bus_read_bytes(&g, 0, d, 4, 4, regs_read);
    assert_memory_equal(d, "\x10\x11\x12\x13\0\0\0\0", 8);
    assert_memory_equal(g.seen, "\0\1\2\3", 4);
    g.n = 0;
    bus_write_bytes(&g, 0, w, 4, 4, regs_write);
    assert_memory_equal(g.reg, w, 4);
    assert_memory_equal(g.seen, "\0\1\2\3", 4);
    g.n = 0;
    bus_read_bytes(&g, 3, d, 1, 4, regs_read);
    assert_int_equal(d[0], 0xa4);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.seen[0], 3);
}

static void test_bytes_past_window(void **state)
{
    struct byte_regs g = { .reg = { 0x10, 0x11, 0x12, 0x13, 0x14 } };
    const uint8_t w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint8_t d[8];
    (void)state;
    /* Straddling the end: bytes 0-1 are offsets 2-3, the rest are outside. */
    bus_read_bytes(&g, 2, d, 8, 4, regs_read);
    assert_memory_equal(d, "\x12\x13\xff\xff\xff\xff\xff\xff", 8);
    assert_int_equal(g.n, 2);
    g.n = 0;
    bus_write_bytes(&g, 2, w, 8, 4, regs_write);
    assert_int_equal(g.n, 2);
    assert_memory_equal(g.reg, "\x10\x11\x01\x02\x14", 5);
    /* Wholly outside, and an empty window. */
    g.n = 0;
    bus_read_bytes(&g, 4, d, 2, 4, regs_read);
    assert_memory_equal(d, "\xff\xff", 2);
    bus_write_bytes(&g, 4, w, 2, 4, regs_write);
    bus_read_bytes(&g, 0, d, 4, 0, regs_read);
    assert_memory_equal(d, "\xff\xff\xff\xff", 4);
    bus_write_bytes(&g, 0, w, 4, 0, regs_write);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.reg[4], 0x14);
}

static void test_a28_bytes_no_wrap_near_max(void **state)
{
    static const uint64_t offs[] = { UINT64_MAX, UINT64_MAX - 1,
                                     UINT64_MAX - 7, UINT64_MAX - 255 };
    struct byte_regs g = { .n = 0 };
    const uint8_t w[8] = { 0 };
    uint8_t d[8];
    (void)state;
    /* off + i wraps to 0..6 here: no register may be reached. */
    for (size_t o = 0; o < ARRAY_SIZE(offs); o++) {
        memset(d, 0, sizeof(d));
        bus_read_bytes(&g, offs[o], d, 8, 4, regs_read);
        assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
        bus_write_bytes(&g, offs[o], w, 8, 4, regs_write);
        bus_read_bytes(&g, offs[o], d, 8, 256, regs_read);
        bus_write_bytes(&g, offs[o], w, 8, 256, regs_write);
    }
    assert_int_equal(g.n, 0);
    /* The largest window: offset 255 is its last register. */
    g.reg[255] = 0x7e;
    bus_read_bytes(&g, 255, d, 2, 256, regs_read);
    assert_memory_equal(d, "\x7e\xff", 2);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.seen[0], 255);
}

static void test_remove_and_readd(void **state)
{
    struct bus b;
    struct rec r = { 0 }, other = { 0 };
    uint8_t d;
    (void)state;
    bus_init(&b, "mmio");
    assert_int_equal(bus_add(&b, 0x1000, 0x100, &rec_ops, &r, "bar0"), 0);
    assert_int_equal(bus_add(&b, 0x3000, 0x100, &rec_ops, &other, "x"), 0);
    assert_int_equal(bus_remove(&b, 0x1000, &other), -ENOENT);
    assert_int_equal(bus_remove(&b, 0x1004, &r), -ENOENT);
    assert_int_equal(bus_remove(&b, 0x1000, &r), 0);
    assert_false(bus_read(&b, 0x1000, &d, 1));
    assert_true(bus_read(&b, 0x3000, &d, 1));
    /* a BAR moved by the guest: the window is free again */
    assert_int_equal(bus_add(&b, 0x2000, 0x100, &rec_ops, &r, "bar0"), 0);
    assert_true(bus_read(&b, 0x20ff, &d, 1));
    assert_int_equal(r.off, 0xff);
    assert_int_equal(b.nr, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_overlap_and_bad),
        cmocka_unit_test(test_dispatch_gives_offsets),
        cmocka_unit_test(test_a27_unclaimed_reads_all_ones),
        cmocka_unit_test(test_many_devices_sorted),
        cmocka_unit_test(test_remove_and_readd),
        cmocka_unit_test(test_bytes_split_lowest_first),
        cmocka_unit_test(test_bytes_past_window),
        cmocka_unit_test(test_a28_bytes_no_wrap_near_max),
    };
    return cmocka_run_group_tests_name("core/bus", tests, NULL, NULL);
}
