/* An address space of device windows: one for port I/O, one for MMIO.
 *
 * A device sees offsets into its own window, never absolute addresses.
 * Reads from unclaimed addresses return all-ones; writes are dropped. */
#ifndef VESSEL_CORE_BUS_H
#define VESSEL_CORE_BUS_H

#include "core/types.h"

#define BUS_MAX_DEVICES 64

struct bus_ops {
    /* (len) is 1, 2, 4 or 8; (data) is little-endian, (len) bytes. */
    void (*read)(void *dev, uint64_t off, void *data, unsigned len);
    void (*write)(void *dev, uint64_t off, const void *data, unsigned len);
};

struct bus_dev {
    uint64_t base, len;
    const struct bus_ops *ops;
    void *dev;
    const char *name;
};

struct bus {
    const char *name;             /* "pio" or "mmio", for logs */
    struct bus_dev d[BUS_MAX_DEVICES]; /* sorted by base, no overlaps */
    unsigned nr;
    uint64_t unclaimed;           /* accesses nobody claimed */
};

void bus_init(struct bus *b, const char *name);

/* Claim [base, base+len) for (ops, dev). Returns 0, -EINVAL if len is 0 or
 * base+len overflows, -EEXIST on overlap, -ENOSPC when full. Lookups take
 * no lock: once vCPUs run, the caller serialises changes with lookups. */
int bus_add(struct bus *b, uint64_t base, uint64_t len,
            const struct bus_ops *ops, void *dev, const char *name) MUST_CHECK;

/* Remove the window that starts at (base) and belongs to (dev). Returns 0
 * or -ENOENT. The caller serialises this with every lookup (the VMM holds
 * its device lock around both). */
int bus_remove(struct bus *b, uint64_t base, void *dev) MUST_CHECK;

/* Dispatch an access of (len) bytes at (addr). An access that is not wholly
 * inside one device window is unclaimed. Returns true if a device claimed it. */
bool bus_read(struct bus *b, uint64_t addr, void *data, unsigned len);
bool bus_write(struct bus *b, uint64_t addr, const void *data, unsigned len);

/* For a device whose window is (nregs) byte-wide registers, to call from its
 * bus_ops: split an access of (len) bytes at window offset (off) into byte
 * accesses at off, off+1, ..., lowest first, as the ISA/LPC bus does for an
 * 8-bit device. Byte i of (data) goes through (rd) or (wr) with (dev) and
 * register offset off+i; bytes at offsets >= (nregs) read 0xff and are
 * dropped on write, with no overflow for (off) near UINT64_MAX. (nregs) is
 * at most 256, since register offsets are 8 bits. Callbacks run in the
 * caller's context, under whatever lock it holds. */
void bus_read_bytes(void *dev, uint64_t off, void *data, unsigned len,
                    uint64_t nregs, uint8_t (*rd)(void *dev, uint8_t reg));
void bus_write_bytes(void *dev, uint64_t off, const void *data, unsigned len,
                     uint64_t nregs,
                     void (*wr)(void *dev, uint8_t reg, uint8_t val));

#endif
