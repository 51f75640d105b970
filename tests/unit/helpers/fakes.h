/* Fakes shared by unit tests: an interrupt line that records levels, a char
 * sink that captures bytes, a settable clock, guest RAM, and a sweep that
 * pokes every offset of a bus window at every width. */
#ifndef VESSEL_TESTS_FAKES_H
#define VESSEL_TESTS_FAKES_H

#include "core/bus.h"
#include "core/chr.h"
#include "core/clock.h"
#include "core/gmem.h"
#include "core/irq.h"
#include "core/types.h"

/* ---- irq_line recorder ---- */
struct irq_rec {
    bool level;        /* last level set */
    unsigned calls;    /* set() calls */
    unsigned raises;   /* set(true) calls */
    unsigned lowers;   /* set(false) calls */
};

/* A line whose set() updates (r). */
struct irq_line irq_rec_line(struct irq_rec *r);

/* ---- chr_ops capture buffer; ctx = struct chr_cap * ---- */
#define CHR_CAP_SIZE 4096
struct chr_cap {
    uint8_t buf[CHR_CAP_SIZE];
    size_t len;        /* bytes captured */
    size_t dropped;    /* bytes that did not fit */
};
extern const struct chr_ops chr_cap_ops;

/* ---- clock; ctx = struct fake_clock * ---- */
struct fake_clock {
    int64_t sec;       /* now_sec() */
    uint64_t ns;       /* mono_ns() */
};
extern const struct clock_ops fake_clock_ops;

/* A device window that reads zeroes and drops writes (a BAR's handler in
 * tests that only look at config space). */
extern const struct bus_ops fake_bus_nop_ops;

/* Move both clocks forward by (ns), carrying whole seconds into (sec) as a
 * real wall clock in step with the monotonic one would. */
void fake_clock_advance(struct fake_clock *c, uint64_t ns);

/* ---- guest RAM: a test_malloc'd buffer registered in a gmem at gpa 0;
 * cmocka checks it for leaks and overruns ---- */
struct fake_ram {
    struct gmem gm;
    uint8_t *mem;      /* guest byte (gpa) is mem[gpa] */
    size_t size;
};

/* (size) bytes of RAM, every byte (fill), registered at gpa 0 of a fresh
 * gmem. Fails the test if memory runs out. Free with fake_ram_free(). */
struct fake_ram *fake_ram_new(size_t size, uint8_t fill);
void fake_ram_free(struct fake_ram *r);

/* cmocka setup/teardown: (*state) is a fake_ram of FAKE_RAM_SIZE zero bytes.
 * A test that wants another size or fill calls fake_ram_new() in its own
 * setup and can still use fake_ram_teardown(). */
#define FAKE_RAM_SIZE (1024 * 1024)
int fake_ram_setup(void **state);
int fake_ram_teardown(void **state);

/* ---- bus sweep ---- */
/* Read and write every offset in [0, window) at widths 1, 2, 4 and 8 with
 * several patterns, directly through (ops, dev), as a hostile guest could
 * (the sweep also goes past the window end, which the real bus never
 * does). Checks that bytes outside the window read 0xff and that nothing is
 * written past (len). Returns the number of accesses made. */
unsigned bus_sweep(const struct bus_ops *ops, void *dev, uint64_t window);

#endif
