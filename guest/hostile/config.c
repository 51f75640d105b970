/* RELIABILITY (a) 16: configuration spaces at every offset and width.
 *   PCI config of every function, through ECAM and through 0xCF8/0xCFC:
 *   aligned reads agree with the dword view, misaligned and 8-byte ones
 *   read all-ones (devices/pci/pci.h), such writes change nothing, and
 *   writing back what was read changes nothing either. Offsets 0-255 are
 *   all taken; the extended space (256-4095) whole on one function and
 *   sampled on the others (in_sweep), to keep the run short under nested
 *   emulation.
 *   virtio common and device config: an access that is no register (or
 *   not naturally aligned inside the device config) reads 0 and writes
 *   nothing (devices/virtio/virtio_pci.h). */
#include "attack.h"

#include "serial.h"

#define DWORDS (PCI_CFG_SIZE / 4)

static uint32_t snap[DWORDS], again[DWORDS];

static void snapshot(unsigned slot, uint32_t *s)
{
    for (unsigned i = 0; i < DWORDS; i++)
        s[i] = (uint32_t)pci_read(slot, 0, 4 * i, 4);
}

/* What (width) bytes at (off) of the function in (s) must read as. */
static uint64_t want(const uint32_t *s, unsigned off, unsigned width)
{
    if (width > 4 || off % width)
        return ones(width);
    return s[off / 4] >> (8 * (off % 4)) & ones(width);
}

/* The same through ECAM, where an access crossing the end of the 4 KiB
 * page is split by the CPU (KVM) in two, each handled on its own: the
 * part in this function as above, the part in function 1 (absent) as
 * all-ones. */
static uint64_t want_ecam(const uint32_t *s, unsigned off, unsigned width)
{
    unsigned lo = PCI_CFG_SIZE - off;
    uint64_t v;

    if (off + width <= PCI_CFG_SIZE)
        return want(s, off, width);
    v = lo == 1 || lo == 2 || lo == 4 ? want(s, off, lo) : ones(lo);
    return (v | ones(width) << (8 * lo)) & ones(width);
}

static unsigned changed(unsigned slot)
{
    unsigned n = 0;

    snapshot(slot, again);
    for (unsigned i = 0; i < DWORDS; i++)
        n += again[i] != snap[i];
    return n;
}

/* Every offset of the header and capabilities (0-255); in the extended
 * space, which Vessel treats the same everywhere, every offset when
 * (full), else a sample (a prime stride meets every alignment) and the
 * last bytes. Writes are sampled like that on every function. */
static bool in_sweep(unsigned off, bool full)
{
    return off < 256 || full || off % 61 == 0 || off >= PCI_CFG_SIZE - 16;
}

static void ecam_function(unsigned slot, bool full)
{
    static const unsigned widths[] = {1, 2, 4, 8};
    unsigned bad = 0, nrd = 0, nwr = 0, moved, moved_back;
    uint64_t t0 = time_ms();
    char what[80];

    snapshot(slot, snap);
    for (unsigned off = 0; off < PCI_CFG_SIZE; off++)
        for (unsigned w = 0; w < ARRAY_SIZE(widths) && in_sweep(off, full);
             w++, nrd++)
            bad += pci_read(slot, 0, off, widths[w]) !=
                   want_ecam(snap, off, widths[w]);
    for (unsigned off = 0; off < PCI_CFG_SIZE; off++)
        for (unsigned w = 1; w < ARRAY_SIZE(widths) && in_sweep(off, false);
             w++)
            if (widths[w] == 8 || off % widths[w]) {
                pci_write(slot, 0, off, widths[w], ~0ULL);
                nwr++;
            }
    moved = changed(slot);
    for (unsigned off = 0; off < PCI_CFG_SIZE; off++)
        for (unsigned w = 0; w < 3 && in_sweep(off, false); w++)
            if (off % widths[w] == 0)
                pci_write(slot, 0, off, widths[w], want(snap, off, widths[w]));
    moved_back = changed(slot);
    fmt_buf(what, sizeof(what), "ECAM 00:%02u.0, %s offsets x 1/2/4/8 bytes",
            slot, full ? "all 4096" : "256 + sampled");
    report(16, bad == 0 && moved == 0 && moved_back == 0, what,
           "%u of %u reads off, %u misaligned/8-byte writes changed %u "
           "dwords, aligned write-back changed %u (%llu ms)", bad, nrd, nwr,
           moved, moved_back, (unsigned long long)(time_ms() - t0));
}

static void cf8_function(unsigned slot)
{
    unsigned bad = 0, nwr = 0, moved;
    char what[80];

    for (unsigned off = 0; off < 256; off++)
        for (unsigned w = 1; w <= 4; w *= 2) {
            uint64_t v = (off & 3) + w > 4 ? ones(w) : want(snap, off, w);

            bad += pci_cf8_read(0, slot, 0, off, w) != v;
            if ((off & 3) + w > 4 || off % w) {
                pci_cf8_write(0, slot, 0, off, w, 0xffffffff);
                nwr++;
            }
        }
    moved = changed(slot);
    fmt_buf(what, sizeof(what), "CF8/CFC 00:%02u.0, 256 offsets x 1/2/4 bytes",
            slot);
    report(16, bad == 0 && moved == 0, what,
           "%u reads off, %u misaligned writes changed %u dwords", bad, nwr,
           moved);
}

/* Functions 1-7 of every slot and every absent slot: all-ones. */
static void absent_functions(void)
{
    unsigned present = 0, bad = 0;

    for (unsigned s = 0; s < PCI_SLOTS; s++)
        for (unsigned f = 0; f < PCI_FUNCS; f++) {
            uint32_t id = (uint32_t)pci_read(s, f, 0, 4);

            if (f == 0 && id != 0xffffffff)
                present++;
            else
                bad += id != 0xffffffff;
        }
    for (unsigned off = 0; off < 256; off += 4)
        bad += pci_read(PCI_SLOTS - 1, 0, off, 4) != 0xffffffff ||
               pci_read(1, 1, off, 4) != 0xffffffff ||
               pci_cf8_read(1, 0, 0, off, 4) != 0xffffffff;
    report(16, present == mach.nfn && bad == 0,
           "ECAM 32 slots x 8 functions, bus 1 by CF8",
           "%u present (function 0 only), %u absent reads not all-ones",
           present, bad);
}

static void cf8_register(void)
{
    uint32_t a, b;

    outl(PCI_CF8, 0x80000800);
    outb(PCI_CF8, 0x12);
    outw(PCI_CF8 + 2, 0x3456);
    a = inl(PCI_CF8);
    outl(PCI_CF8, 0xffffffff);
    b = inl(PCI_CF8);
    outl(PCI_CF8, 0);
    report(16, a == 0x80000800 && b == 0x80fffffc,
           "CONFIG_ADDRESS byte/word writes, reserved bits set",
           "byte/word writes left 0x%08x, all-ones reads 0x%08x", a, b);
}

/* Every (offset, width) of the common config that is a register. */
static const struct {
    uint8_t off, width;
} cc_regs[] = {
    {VC_DFSELECT, 4}, {VC_DF, 4}, {VC_GFSELECT, 4}, {VC_GF, 4},
    {VC_MSIX, 2}, {VC_NUMQ, 2}, {VC_STATUS, 1}, {VC_CFGGEN, 1},
    {VC_QSELECT, 2}, {VC_QSIZE, 2}, {VC_QMSIX, 2}, {VC_QENABLE, 2},
    {VC_QNOFF, 2}, {VC_QDESC, 8}, {VC_QDESC, 4}, {VC_QDESC + 4, 4},
    {VC_QAVAIL, 8}, {VC_QAVAIL, 4}, {VC_QAVAIL + 4, 4}, {VC_QUSED, 8},
    {VC_QUSED, 4}, {VC_QUSED + 4, 4},
};

static bool cc_is_reg(unsigned off, unsigned width)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cc_regs); i++)
        if (cc_regs[i].off == off && cc_regs[i].width == width)
            return true;
    return false;
}

static void cc_regs_read(struct vdev *d, uint64_t *v)
{
    for (unsigned i = 0; i < ARRAY_SIZE(cc_regs); i++)
        v[i] = vio_cc_read(d, cc_regs[i].off, cc_regs[i].width);
}

static void common_config(struct vdev *d)
{
    uint64_t before[ARRAY_SIZE(cc_regs)], after[ARRAY_SIZE(cc_regs)];
    unsigned bad = 0, nwr = 0;
    char what[80];

    if (!fresh(d))
        return;
    cc_regs_read(d, before);
    for (unsigned off = 0; off < 0x40; off++)
        for (unsigned w = 1; w <= 8; w *= 2) {
            if (cc_is_reg(off, w))
                continue;
            bad += vio_cc_read(d, off, w) != 0;
            vio_cc_write(d, off, w, ~0ULL);
            nwr++;
        }
    for (unsigned off = 0x40; off < 0x1000; off += 8)
        bad += vio_cc_read(d, off, 8) != 0;
    cc_regs_read(d, after);
    fmt_buf(what, sizeof(what), "%s common config, every offset x 1/2/4/8 "
            "bytes", d->name);
    report(16, bad == 0 && !memcmp(before, after, sizeof(before)), what,
           "%u non-register reads not 0, %u non-register writes %s", bad,
           nwr, memcmp(before, after, sizeof(before)) ? "CHANGED registers"
                                                      : "ignored");
}

/* The device config: aligned fields read as the dword view says,
 * anything else 0, every write ignored (virtio-blk has nothing
 * writable without CONFIG_WCE). A device without one reads 0. */
static void device_config(struct vdev *d)
{
    uint32_t len = d->dcfg ? d->dcfg_len : 0;
    uint64_t base = d->dcfg ? d->dcfg : d->bar + 0x2000;
    uint32_t dw[16] = {0}, dw2[16] = {0};
    unsigned bad = 0;
    char what[80];

    for (unsigned i = 0; i < len / 4 && i < 16; i++)
        dw[i] = mmio_read32(base + 4 * i);
    for (unsigned off = 0; off < len + 8; off++)
        for (unsigned w = 1; w <= 8; w *= 2) {
            uint64_t v = 0;

            if (off % w == 0 && off + w <= len)
                memcpy(&v, (const uint8_t *)dw + off, w);
            bad += mmio_read(base + off, w) != v;
            mmio_write(base + off, w, ~0ULL);
        }
    for (unsigned i = 0; i < len / 4 && i < 16; i++)
        dw2[i] = mmio_read32(base + 4 * i);
    fmt_buf(what, sizeof(what), "%s device config (%u bytes), every offset "
            "x 1/2/4/8 bytes", d->name, len);
    report(16, bad == 0 && !memcmp(dw, dw2, sizeof(dw)), what,
           "%u reads off, writes %s", bad,
           memcmp(dw, dw2, sizeof(dw)) ? "CHANGED it" : "ignored");
}

/* ISR beyond its one byte and the notify region read 0. */
static void other_regions(struct vdev *d)
{
    unsigned bad = 0;
    char what[64];

    for (unsigned off = 1; off < 64; off++)
        for (unsigned w = 1; w <= 8; w *= 2) {
            bad += mmio_read(d->isr + off, w) != 0;
            mmio_write(d->isr + off, w, ~0ULL);
            bad += mmio_read(d->notify + off, w) != 0;
        }
    fmt_buf(what, sizeof(what), "%s ISR and notify regions, 63 offsets x "
            "1/2/4/8 bytes", d->name);
    report(16, bad == 0 && !(vio_status(d) & VS_NEEDS_RESET), what,
           "%u reads not 0, status 0x%02x", bad, vio_status(d));
}

void attack_config(void)
{
    struct vdev *dev[] = {mach.blk, mach.ro, mach.rng};

    /* Idle devices: no interrupt state moves while the spaces are read. */
    for (unsigned i = 0; i < ARRAY_SIZE(dev); i++)
        vio_reset(dev[i]);
    absent_functions();
    cf8_register();
    for (unsigned i = 0; i < mach.nfn; i++) {
        /* The whole extended space once, on the writable disk's function. */
        ecam_function(mach.fn_slot[i], mach.fn_slot[i] == mach.blk->slot);
        cf8_function(mach.fn_slot[i]);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(dev); i++) {
        common_config(dev[i]);
        device_config(dev[i]);
        other_regions(dev[i]);
    }
}
