/* Test fakes: see fakes.h. */
#include "helpers/fakes.h"

#include <stdarg.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

static void irq_rec_set(void *ctx, bool level)
{
    struct irq_rec *r = ctx;

    r->level = level;
    r->calls++;
    if (level)
        r->raises++;
    else
        r->lowers++;
}

struct irq_line irq_rec_line(struct irq_rec *r)
{
    return (struct irq_line){.set = irq_rec_set, .ctx = r};
}

static size_t chr_cap_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct chr_cap *c = ctx;
    size_t room = CHR_CAP_SIZE - c->len, n = len < room ? len : room;

    memcpy(c->buf + c->len, buf, n);
    c->len += n;
    c->dropped += len - n;
    return n;
}

const struct chr_ops chr_cap_ops = {.write = chr_cap_write};

static int64_t fake_now_sec(void *ctx)
{
    return ((struct fake_clock *)ctx)->sec;
}

static uint64_t fake_mono_ns(void *ctx)
{
    return ((struct fake_clock *)ctx)->ns;
}

const struct clock_ops fake_clock_ops = {
    .now_sec = fake_now_sec,
    .mono_ns = fake_mono_ns,
};

void fake_clock_advance(struct fake_clock *c, uint64_t ns)
{
    uint64_t before = c->ns / 1000000000ULL;

    c->ns += ns;
    c->sec += (int64_t)(c->ns / 1000000000ULL - before);
}

struct fake_ram *fake_ram_new(size_t size, uint8_t fill)
{
    struct fake_ram *r = test_calloc(1, sizeof(*r));

    assert_non_null(r);
    r->mem = test_malloc(size);
    assert_non_null(r->mem);
    memset(r->mem, fill, size);
    r->size = size;
    gmem_init(&r->gm);
    assert_int_equal(gmem_add(&r->gm, 0, size, r->mem), 0);
    return r;
}

void fake_ram_free(struct fake_ram *r)
{
    test_free(r->mem);
    test_free(r);
}

int fake_ram_setup(void **state)
{
    *state = fake_ram_new(FAKE_RAM_SIZE, 0);
    return 0;
}

int fake_ram_teardown(void **state)
{
    fake_ram_free(*state);
    return 0;
}

unsigned bus_sweep(const struct bus_ops *ops, void *dev, uint64_t window)
{
    static const unsigned widths[] = {1, 2, 4, 8};
    static const uint8_t patterns[] = {0x00, 0xff, 0x5a, 0x80, 0x01};
    unsigned n = 0;

    for (uint64_t off = 0; off < window; off++) {
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            unsigned len = widths[w];

            for (size_t p = 0; p < ARRAY_SIZE(patterns); p++) {
                uint8_t buf[16];

                memset(buf, 0xa5, sizeof(buf));
                ops->read(dev, off, buf, len);
                for (unsigned i = 0; i < len; i++)
                    if (off + i >= window)
                        assert_int_equal(buf[i], 0xff);
                for (unsigned i = len; i < sizeof(buf); i++)
                    assert_int_equal(buf[i], 0xa5);
                memset(buf, patterns[p], len);
                ops->write(dev, off, buf, len);
                n += 2;
            }
        }
    }
    /* Offsets far outside, including ones where off + i wraps. */
    for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
        uint64_t far[] = {window, window + 100, UINT64_MAX - 2, UINT64_MAX};

        for (size_t f = 0; f < ARRAY_SIZE(far); f++) {
            uint8_t buf[8] = {0};

            ops->read(dev, far[f], buf, widths[w]);
            for (unsigned i = 0; i < widths[w]; i++)
                assert_int_equal(buf[i], 0xff);
            ops->write(dev, far[f], buf, widths[w]);
            n += 2;
        }
    }
    return n;
}

static void nop_read(void *dev, uint64_t off, void *data, unsigned len)
{
    (void)dev;
    (void)off;
    memset(data, 0, len);
}

static void nop_write(void *dev, uint64_t off, const void *data, unsigned len)
{
    (void)dev;
    (void)off;
    (void)data;
    (void)len;
}

const struct bus_ops fake_bus_nop_ops = { .read = nop_read, .write = nop_write };
