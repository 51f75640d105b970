/* Attacks on the rings and the transport's queue and status registers
 * (RELIABILITY (a) 8-10, 12-15). */
#include "attack.h"

#include "serial.h"

#define NR_REQS 16                 /* requests in flight for "reset mid-I/O" */

/* A well-formed blk IN of one sector at head 0, published, not kicked. */
static void blk_in_request(struct vdev *d, uint32_t len)
{
    struct seg s[] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), len, VD_WRITE},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };

    blk_prepare(d, BLK_T_IN, 0);
    chain(d, s, ARRAY_SIZE(s));
}

/* After one served request: used.idx 1, and the buffers of the refused
 * one untouched. */
static const char *served_twice(struct vdev *d)
{
    return vio_used_idx(d) != 1 ? "served again" : blk_touched(d);
}

/* A fresh device that has served one request, and then avail.idx set to
 * (idx): the device must refuse it all and serve nothing twice. */
static void a8_after_one(const char *what, uint16_t idx)
{
    struct vdev *d = mach.blk;
    struct vq_used_elem e;

    if (!fresh(d))
        return;
    blk_in_request(d, 512);
    vio_kick_sync(d);
    if (!vio_wait_used(d, 2000, &e)) {
        report_error("a8: a well-formed request was not served");
        return;
    }
    blk_prepare(d, BLK_T_IN, 0);
    vio_avail_idx(d, idx);
    expect_reset(8, d, what, served_twice);
}

static void a8_avail_idx(void)
{
    struct vdev *d = mach.blk;

    if (fresh(d)) {
        blk_in_request(d, 512);
        vio_avail_idx(d, (uint16_t)(d->qsize + 1));
        expect_reset(8, d, "blk avail.idx ahead by queue size + 1",
                     blk_touched);
    }
    /* so far ahead that the served entry would come round again */
    a8_after_one("blk avail.idx jumping after one served request (nothing "
                 "twice)", (uint16_t)(1 + d->qsize + 1));
    a8_after_one("blk avail.idx moved back by one", 0);
}

static void a9_avail_entry(void)
{
    struct vdev *d = mach.blk;
    const uint16_t heads[] = {d->qsize, 0xffff};
    char what[64];

    for (unsigned i = 0; i < ARRAY_SIZE(heads); i++) {
        if (!fresh(d))
            continue;
        blk_in_request(d, 512);
        vio_avail_put(d, 0, heads[i]);
        fmt_buf(what, sizeof(what), "blk avail entry %u (queue size %u)",
                heads[i], d->qsize);
        expect_reset(9, d, what, blk_touched);
    }
}

static void a10_head_twice(void)
{
    struct vdev *d = mach.blk;
    struct obs o;
    char t[96];
    uint16_t used;

    if (!fresh(d))
        return;
    blk_in_request(d, 4096);
    vio_avail_put(d, 1, 0);
    vio_avail_idx(d, 2);
    d->avail_idx = 2;
    obs_kick(d, &o, 300);
    /* The first one was submitted and may still complete: give it time,
     * the second must never be served. */
    time_delay(300);
    used = vio_used_idx(d);
    report(10, (o.status & VS_NEEDS_RESET) && o.cfg_irq && used <= 1,
           "blk head 0 made available twice while in flight",
           "%s, used.idx %u after 300 ms", obs_text(&o, NULL, t, sizeof(t)),
           used);
}

/* Enable refused: queue_enable reads 0, NEEDS_RESET, no config interrupt
 * (before DRIVER_OK). (feat_ok): FEATURES_OK is set first. */
static void refused(struct vdev *d, const char *what, uint16_t size,
                    uint64_t desc, uint64_t avail, uint64_t used,
                    bool feat_ok)
{
    uint16_t en;
    uint8_t st;

    vio_reset(d);
    if (feat_ok) {
        (void)vio_negotiate(d, d->feat);
    } else {
        vio_set_status(d, VS_ACK);
        vio_set_status(d, VS_ACK | VS_DRIVER);
    }
    vio_queue_regs(d, size, desc, avail, used);
    en = vio_queue_enable(d);
    st = vio_status(d);
    report(12, en == 0 && (st & VS_NEEDS_RESET), what,
           "queue_enable reads %u, status 0x%02x%s", en, st,
           st & VS_NEEDS_RESET ? " (NEEDS_RESET)" : "");
}

static void a12_enable(void)
{
    struct vdev *d = mach.blk;
    uint64_t desc = (uint64_t)d->m->desc, avail = (uint64_t)d->m->avail;
    uint64_t used = (uint64_t)d->m->used, top = mach.ram_top;
    uint16_t q = d->qsize;
    char what[64];

    refused(d, "blk queue_size 0", 0, desc, avail, used, true);
    refused(d, "blk queue_size 3 (not a power of 2)", 3, desc, avail, used,
            true);
    fmt_buf(what, sizeof(what), "blk queue_size %u (twice the maximum)",
            2 * d->qmax);
    refused(d, what, (uint16_t)(2 * d->qmax), desc, avail, used, true);
    refused(d, "blk queue_size 32768", 0x8000, desc, avail, used, true);
    refused(d, "blk descriptor ring misaligned (+8)", q, desc + 8, avail,
            used, true);
    refused(d, "blk avail ring at an odd address", q, desc, avail + 1, used,
            true);
    refused(d, "blk used ring misaligned (+2)", q, desc, avail, used + 2,
            true);
    refused(d, "blk descriptor ring ending past RAM", q, top - 16ULL * q + 16,
            avail, used, true);
    refused(d, "blk used ring in the MMIO hole", q, desc, avail, 0xd0000000,
            true);
    refused(d, "blk avail ring in the LAPIC page", q, desc, 0xfee00000, used,
            true);
    refused(d, "blk descriptor ring on its own BAR", q, d->bar, avail, used,
            true);
    refused(d, "blk used ring wrapping past 2^64", q, desc, avail,
            0xfffffffffffff000ULL, true);
    refused(d, "blk queue enabled before FEATURES_OK", q, desc, avail, used,
            false);
    fresh(d);
}

static void a13_frozen(void)
{
    struct vdev *d = mach.blk;
    uint64_t other = buf_at(d, 0x8000);
    uint64_t before[5], after[5];
    static const unsigned off[] = {VC_QSIZE, VC_QDESC, VC_QAVAIL, VC_QUSED,
                                   VC_QENABLE};
    static const unsigned width[] = {2, 8, 8, 8, 2};
    int st;

    if (!fresh(d))
        return;
    for (unsigned i = 0; i < ARRAY_SIZE(off); i++)
        before[i] = vio_cc_read(d, off[i], width[i]);
    memset(buf_ptr(d, 0x8000), SENT, 0x4000);
    vio_cc_write(d, VC_QSIZE, 2, 2);
    vio_cc_write(d, VC_QDESC, 8, other);
    vio_cc_write(d, VC_QAVAIL, 4, other + 0x1000);
    vio_cc_write(d, VC_QAVAIL + 4, 4, 1);
    vio_cc_write(d, VC_QUSED, 8, other + 0x2000);
    vio_cc_write(d, VC_QMSIX, 2, 0);
    vio_cc_write(d, VC_QENABLE, 2, 0);
    vio_cc_write(d, VC_QENABLE, 2, 1);
    for (unsigned i = 0; i < ARRAY_SIZE(off); i++)
        after[i] = vio_cc_read(d, off[i], width[i]);
    st = blk_request(d, BLK_T_IN, 0, 512, 2000);
    report(13,
           memcmp(before, after, sizeof(before)) == 0 && st == BLK_S_OK &&
               mem_all(buf_ptr(d, 0x8000), SENT, 0x4000),
           "blk queue size, rings, vector and enable rewritten after enable",
           "registers %s, I/O on the frozen rings: status %d, new rings %s",
           memcmp(before, after, sizeof(before)) ? "CHANGED" : "unchanged",
           st, mem_all(buf_ptr(d, 0x8000), SENT, 0x4000) ? "untouched"
                                                          : "WRITTEN");
}

/* Each bogus notify must leave the published rng request alone. A 16-bit
 * write at queue 0's doorbell goes to Vessel's ioeventfd (served by the
 * I/O thread, so look after a while); the others trap and are handled
 * before the write returns. */
static void a14_notify(void)
{
    struct vdev *r = mach.rng;
    struct seg s = {buf_at(r, 0), 64, VD_WRITE};
    struct vq_used_elem e;
    static const struct {
        const char *what;
        unsigned off, width;
        uint32_t val;
    } bad[] = {
        {"rng notify 0xffff at queue 0's doorbell (16-bit)", 0, 2, 0xffff},
        {"rng notify 0xffff at queue 0's doorbell (32-bit)", 0, 4, 0xffff},
        {"rng notify 0xffff at the last notify slot", 0x7fc, 2, 0xffff},
        {"rng notify of queue 1 (there is none) at its slot", 4, 2, 1},
        {"rng notify of queue 0 at slot 5", 20, 2, 0},
    };

    if (!fresh(r))
        return;
    chain(r, &s, 1);
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        uint16_t before = vio_used_idx(r), after;
        uint8_t st;

        mb();
        mmio_write(r->notify + bad[i].off, bad[i].width, bad[i].val);
        time_delay(50);
        after = vio_used_idx(r);
        st = vio_status(r);
        if (after == before) {
            report(14, !(st & VS_NEEDS_RESET), bad[i].what,
                   "ignored: used.idx %u, status 0x%02x", after, st);
            continue;
        }
        report(14, false, bad[i].what,
               "SERVED queue 0: used.idx %u -> %u, status 0x%02x", before,
               after, st);
        r->last_used = after;
        chain(r, &s, 1);
    }
    vio_kick_sync(r);
    if (!vio_wait_used(r, 2000, &e) || e.len != 64)
        report_error("a14: the rng did not serve after the bogus notifies");
}

static void a15_status(void)
{
    struct vdev *r = mach.rng, *d = mach.blk;
    uint8_t st;
    bool fok;

    /* DRIVER_OK without FEATURES_OK, rings set but not enabled */
    vio_reset(r);
    vio_set_status(r, VS_ACK);
    vio_set_status(r, VS_ACK | VS_DRIVER);
    vio_cc_write(r, VC_GFSELECT, 4, 1);
    vio_cc_write(r, VC_GF, 4, 1);
    vio_queue_regs(r, r->qsize, (uint64_t)r->m->desc, (uint64_t)r->m->avail,
                   (uint64_t)r->m->used);
    vio_desc(r, 0, buf_at(r, 0), 64, VD_WRITE, 0);
    vio_publish(r, 0);
    vio_set_status(r, VS_ACK | VS_DRIVER | VS_DRIVER_OK);
    vio_kick_sync(r);
    st = vio_status(r);
    report(15, (st & VS_NEEDS_RESET) && !(st & VS_FEATURES_OK) &&
                   vio_used_idx(r) == 0,
           "rng DRIVER_OK without FEATURES_OK, then a kick",
           "status 0x%02x%s, used.idx %u", st,
           st & VS_NEEDS_RESET ? " (NEEDS_RESET)" : "", vio_used_idx(r));

    vio_reset(r);
    fok = vio_negotiate(r, VF_VERSION_1 | VF_RING_PACKED);
    report(15, !fok && vio_queue_enable(r) == 0,
           "rng accepts unoffered RING_PACKED",
           "FEATURES_OK %s, queue enable refused",
           fok ? "TAKEN" : "refused");
    vio_reset(r);
    fok = vio_negotiate(r, 0);
    report(15, !fok, "rng accepts no features (no VERSION_1)",
           "FEATURES_OK %s", fok ? "TAKEN" : "refused");
    vio_reset(d);
    fok = vio_negotiate(d, VF_VERSION_1 | VF_BLK_RO);
    report(15, !fok, "blk accepts unoffered RO on a writable disk",
           "FEATURES_OK %s", fok ? "TAKEN" : "refused");
    vio_reset(d);
    (void)vio_negotiate(d, d->feat);
    vio_cc_write(d, VC_GFSELECT, 4, 0);
    vio_cc_write(d, VC_GF, 4, 0xffffffff);
    report(15, vio_cc_read(d, VC_GF, 4) == (uint32_t)d->feat,
           "blk driver features rewritten after FEATURES_OK",
           "reads 0x%08x (accepted 0x%08x)",
           (unsigned)vio_cc_read(d, VC_GF, 4), (unsigned)d->feat);
}

/* Requests in flight when the driver resets: nothing may land in guest
 * memory once the reset write has returned (I/O drained before free). */
static void a15_reset_mid_io(void)
{
    struct vdev *d = mach.blk;
    uint8_t *st = buf_ptr(d, BLK_ST);
    uint8_t *data = (uint8_t *)SCRATCH;
    uint8_t status;
    bool quiet;

    if (!fresh(d))
        return;
    for (uint16_t i = 0; i < NR_REQS; i++) {
        uint8_t *h = buf_ptr(d, BLK_HDR + 16U * i);
        uint64_t sector = 8ULL * i;
        uint16_t k = (uint16_t)(3 * i);

        memset(h, 0, 16);
        memcpy(h + 8, &sector, 8);
        vio_desc(d, k, buf_at(d, BLK_HDR + 16U * i), 16, VD_NEXT,
                 (uint16_t)(k + 1));
        vio_desc(d, (uint16_t)(k + 1), SCRATCH + 4096ULL * i, 4096,
                 VD_WRITE | VD_NEXT, (uint16_t)(k + 2));
        vio_desc(d, (uint16_t)(k + 2), buf_at(d, BLK_ST + i), 1, VD_WRITE, 0);
        vio_avail_put(d, i, k);
    }
    vio_avail_idx(d, NR_REQS);
    vio_kick_sync(d);
    vio_set_status(d, 0);
    status = vio_status(d);
    memset(d->m->used, SENT, sizeof(d->m->used));
    memset(st, SENT, NR_REQS);
    memset(data, SENT, 4096 * NR_REQS);
    time_delay(200);
    quiet = mem_all(d->m->used, SENT, sizeof(d->m->used)) &&
            mem_all(st, SENT, NR_REQS) && mem_all(data, SENT, 4096 * NR_REQS);
    report(15, status == 0 && quiet, "blk reset with 16 reads in flight",
           "status reads %u, %s after the reset", status,
           quiet ? "no write to rings or buffers" : "LATE WRITES");
}

static void a15_reset_loop(void)
{
    struct vdev *r = mach.rng;
    uint64_t t0 = time_ms(), dl = time_deadline(2000);
    unsigned n;
    int len;

    for (n = 0; storm_go(n, 10000, dl); n++) {
        vio_set_status(r, 0);
        vio_set_status(r, VS_ACK);
    }
    len = fresh(r) ? rng_request(r, 64, false) : -1;
    report(15, len == 64, "rng up to 10^4 resets (2 s)",
           "%u resets in %llu ms, then serves 64 bytes: used.len %d", n,
           (unsigned long long)(time_ms() - t0), len);
}

void attack_rings(void)
{
    a8_avail_idx();
    a9_avail_entry();
    a10_head_twice();
    a12_enable();
    a13_frozen();
    a14_notify();
    a15_status();
    a15_reset_mid_io();
    a15_reset_loop();
}
