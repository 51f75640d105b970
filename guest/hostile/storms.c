/* RELIABILITY (a) 17: kick storms on an empty ring, and an MSI-X mask
 * storm; the device must keep serving, at a bounded cost per kick. */
#include "attack.h"

#include "serial.h"

/* Each storm stops at its count or its time, whichever comes first. */
#define KICKS 100000
#define KICK_MS 3000
#define SYNC_KICKS 10000
#define SYNC_KICK_MS 2000
#define MASK_ROUNDS 5000
#define MASK_MS 2000

/* MSI-X capability and table (PCI 3.0 6.8.2) */
#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_ENABLE 0x8000
#define MSIX_FMASK 0x4000
#define MSIX_ENTRY 16
#define MSIX_E_CTRL 12
#define MSI_ADDR 0xfee00000U       /* APIC ID 0, fixed delivery */
#define MSI_VECTOR 0x41            /* interrupts are off: never taken */

static void kick_storm(void)
{
    struct vdev *d = mach.blk, *r = mach.rng;
    uint64_t t0;
    unsigned us_async = 0, us_sync = 0, n = 0, m = 0;
    uint64_t dl;
    int st = -1, len = -1;

    if (fresh(d)) {
        dl = time_deadline(KICK_MS);
        t0 = time_ms();
        for (n = 0; storm_go(n, KICKS, dl); n++)
            vio_kick(d);
        us_async = (unsigned)((time_ms() - t0) * 1000 / n);
        st = blk_request(d, BLK_T_IN, 0, 512, 5000);
    }
    report(17, st == BLK_S_OK && !(vio_status(d) & VS_NEEDS_RESET),
           "blk up to 10^5 doorbell kicks (3 s) on an empty ring",
           "%u kicks, %u us a kick, then a read: status %d", n, us_async, st);
    if (fresh(r)) {
        dl = time_deadline(SYNC_KICK_MS);
        t0 = time_ms();
        for (m = 0; storm_go(m, SYNC_KICKS, dl); m++)
            vio_kick_sync(r);
        us_sync = (unsigned)((time_ms() - t0) * 1000 / m);
        len = rng_request(r, 64, true);
    }
    report(17, len == 64 && !(vio_status(r) & VS_NEEDS_RESET),
           "rng up to 10^4 trapped (MMIO) kicks (2 s) on an empty ring",
           "%u kicks, %u us a kick, then 64 bytes: used.len %d", m, us_sync,
           len);
}

static uint64_t msix_table(struct vdev *d, unsigned *pba)
{
    uint32_t t = (uint32_t)pci_read(d->slot, 0, d->msix_cap + MSIX_TABLE, 4);
    uint32_t p = (uint32_t)pci_read(d->slot, 0, d->msix_cap + MSIX_PBA, 4);

    *pba = p & ~7U;
    return d->bar + (t & ~7U);
}

static void msix_ctrl(struct vdev *d, uint16_t v)
{
    pci_write(d->slot, 0, d->msix_cap + MSIX_CTRL, 2, v);
}

/* The rng with queue 0 on vector 0 and config on vector 1, MSI-X on, the
 * queue's vector masked. */
static bool msix_setup(struct vdev *r, uint64_t table)
{
    vio_reset(r);
    if (!vio_negotiate(r, r->feat))
        return false;
    vio_cc_write(r, VC_MSIX, 2, 1);
    vio_queue_regs(r, r->qsize, (uint64_t)r->m->desc, (uint64_t)r->m->avail,
                   (uint64_t)r->m->used);
    vio_cc_write(r, VC_QMSIX, 2, 0);
    if (vio_queue_enable(r) != 1 || vio_cc_read(r, VC_QMSIX, 2) != 0)
        return false;
    for (unsigned v = 0; v < 2; v++) {
        mmio_write32(table + v * MSIX_ENTRY, MSI_ADDR);
        mmio_write32(table + v * MSIX_ENTRY + 4, 0);
        mmio_write32(table + v * MSIX_ENTRY + 8, MSI_VECTOR);
        mmio_write32(table + v * MSIX_ENTRY + MSIX_E_CTRL, 1);
    }
    msix_ctrl(r, MSIX_ENABLE);
    vio_set_status(r, VS_ACK | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);
    return vio_status(r) & VS_DRIVER_OK;
}

/* A used buffer while the vector is masked sets its pending bit (PCI 3.0
 * 6.8.2.9); unmasking sends it and clears the bit. Then the storm. */
static void mask_storm(void)
{
    struct vdev *r = mach.rng;
    unsigned pba_off;
    uint64_t table, t0, dl, pba_masked = 0, pba_unmasked = ~0ULL;
    int len = -1, len2 = -1;
    unsigned n;

    if (!r->msix_cap) {
        report_error("a17: the rng has no MSI-X capability");
        return;
    }
    table = msix_table(r, &pba_off);
    if (!msix_setup(r, table)) {
        report_error("a17: the rng does not start with MSI-X");
        fresh(r);
        return;
    }
    len = rng_request(r, 64, true);
    pba_masked = mmio_read64(r->bar + pba_off);
    mmio_write32(table + MSIX_E_CTRL, 0);
    pba_unmasked = mmio_read64(r->bar + pba_off);
    t0 = time_ms();
    dl = time_deadline(MASK_MS);
    for (n = 0; storm_go(n, MASK_ROUNDS, dl); n++) {
        mmio_write32(table + MSIX_E_CTRL, 1);
        mmio_write32(table + MSIX_E_CTRL, 0);
        msix_ctrl(r, MSIX_ENABLE | MSIX_FMASK);
        msix_ctrl(r, MSIX_ENABLE);
    }
    len2 = rng_request(r, 64, true);
    report(17,
           len == 64 && (pba_masked & 1) && !(pba_unmasked & 1) && len2 == 64,
           "rng MSI-X: masked vector, then up to 2x10^4 mask/unmask writes "
           "(2 s)",
           "pending bit %s while masked, %s on unmask; %u writes in %llu ms; "
           "serves after: used.len %d",
           pba_masked & 1 ? "set" : "NOT set",
           pba_unmasked & 1 ? "NOT cleared" : "cleared", 4 * n,
           (unsigned long long)(time_ms() - t0), len2);
    msix_ctrl(r, 0);
    fresh(r);
}

void attack_storms(void)
{
    kick_storm();
    mask_storm();
}
