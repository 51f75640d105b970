/* Attacks on the descriptor walk (RELIABILITY (a) 1-7), mostly against the
 * read-write virtio-blk with INDIRECT_DESC negotiated. Each starts from a
 * freshly initialised device; the ones the device must refuse with
 * NEEDS_RESET also check that no byte of the request's writable buffers
 * (status, data: SENT) was written. */
#include "attack.h"

#define BOGUS 0xdead000000000ULL  /* far outside guest RAM */
#define LAPIC 0xfee00000ULL
#define IOAPIC 0xfec00000ULL

/* A blk IN chain [hdr][(bad) buffer, writable][status] on a fresh device. */
static void bad_buffer(unsigned id, const char *what, uint64_t addr,
                       uint32_t len)
{
    struct vdev *d = mach.blk;
    struct seg s[] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), 512, VD_WRITE},
        {addr, len, VD_WRITE},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };

    if (!fresh(d))
        return;
    blk_prepare(d, BLK_T_IN, 0);
    chain(d, s, ARRAY_SIZE(s));
    expect_reset(id, d, what, blk_touched);
}

static void a1_loops(void)
{
    struct vdev *d = mach.blk;
    uint64_t hdr = buf_at(d, BLK_HDR);

    if (fresh(d)) {
        blk_prepare(d, BLK_T_IN, 0);
        vio_desc(d, 0, hdr, 16, VD_NEXT, 1);
        vio_desc(d, 1, hdr, 16, VD_NEXT, 0);
        vio_publish(d, 0);
        expect_reset(1, d, "blk chain loop d0->d1->d0", NULL);
    }
    if (fresh(d)) {
        vio_desc(d, 0, hdr, 16, VD_NEXT, 0);
        vio_publish(d, 0);
        expect_reset(1, d, "blk descriptor pointing at itself", NULL);
    }
    if (fresh(d)) {
        /* d->qsize hops before the loop closes: the walk may not stop
         * early, and must stop then. */
        for (uint16_t i = 0; i < d->qsize; i++)
            vio_desc(d, i, hdr, 16, VD_NEXT,
                     (uint16_t)(i + 1 < d->qsize ? i + 1 : d->qsize / 2));
        vio_publish(d, 0);
        expect_reset(1, d, "blk queue-size chain looping back to its middle",
                     NULL);
    }
    if (fresh(d)) {
        for (uint16_t i = 0; i < 8; i++)
            vio_ind(d, i, hdr, 16, VD_NEXT, (uint16_t)((i + 1) % 8));
        vio_desc(d, 0, (uint64_t)d->m->ind, 8 * 16, VD_INDIRECT, 0);
        vio_publish(d, 0);
        expect_reset(1, d, "blk loop inside an indirect table", NULL);
    }
}

/* A well-formed request in the indirect table, then the table or the
 * descriptor pointing at it broken in one way. */
static void a2_indirect(void)
{
    struct vdev *d = mach.blk;
    struct seg s[] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), 512, VD_WRITE},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };
    uint64_t ind = (uint64_t)d->m->ind;
    static const struct {
        const char *what;
        uint32_t len;
        uint16_t flags;
    } bad[] = {
        {"blk indirect table of 24 bytes (len%16)", 24, VD_INDIRECT},
        {"blk indirect table of 0 bytes", 0, VD_INDIRECT},
        {"blk INDIRECT|NEXT descriptor", 48, VD_INDIRECT | VD_NEXT},
        {"blk INDIRECT|WRITE|NEXT descriptor", 48,
         VD_INDIRECT | VD_WRITE | VD_NEXT},
    };

    if (fresh(d)) {
        blk_prepare(d, BLK_T_IN, 0);
        chain_indirect(d, s, 3);
        expect_answer(2, d, "blk well-formed indirect IN (control)", BLK_S_OK,
                      513);
    }
    for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
        if (!fresh(d))
            continue;
        blk_prepare(d, BLK_T_IN, 0);
        chain_indirect(d, s, 3);
        vio_desc(d, 0, ind, bad[i].len, bad[i].flags, 1);
        vio_desc(d, 1, buf_at(d, BLK_ST), 1, VD_WRITE, 0);
        expect_reset(2, d, bad[i].what, blk_touched);
    }
    if (fresh(d)) {
        blk_prepare(d, BLK_T_IN, 0);
        chain_indirect(d, s, 3);
        vio_ind(d, 1, ind, 32, VD_INDIRECT | VD_NEXT, 2);
        expect_reset(2, d, "blk nested indirect table", blk_touched);
    }
    if (fresh(d)) {
        /* 65536 entries (1 MiB of RAM): beyond any table the spec allows */
        blk_prepare(d, BLK_T_IN, 0);
        vio_desc(d, 0, SCRATCH, 65536 * 16, VD_INDIRECT, 0);
        vio_publish(d, 0);
        expect_reset(2, d, "blk indirect table of 65536 entries",
                     blk_touched);
    }
    if (fresh(mach.rng)) {
        struct vdev *r = mach.rng;

        vio_ind(r, 0, buf_at(r, 0), 64, VD_WRITE, 0);
        vio_desc(r, 0, (uint64_t)r->m->ind, 16, VD_INDIRECT, 0);
        vio_publish(r, 0);
        expect_reset(2, r, "rng indirect descriptor, feature not negotiated",
                     NULL);
    }
}

static void a3_ranges(void)
{
    uint64_t low = mach.ram_low_end, top = mach.ram_top;
    struct vdev *d = mach.blk;

    bad_buffer(3, "blk buffer whose addr+len wraps", 0xfffffffffffff000ULL,
               0x2000);
    bad_buffer(3, "blk buffer ending 1 byte past the top of RAM", top - 512,
               513);
    if (mach.high_ram) {
        bad_buffer(3, "blk buffer ending 1 byte past RAM below 3 GiB",
                   low - 512, 513);
        bad_buffer(3, "blk buffer spanning the 3-4 GiB hole", low - 0x1000,
                   (uint32_t)(GiB4 - low + 0x2000));
    } else {
        bad_buffer(3, "blk buffer ending 1 byte past RAM", low - 512, 513);
        bad_buffer(3, "blk buffer crossing 3 GiB", 0xbffff000ULL, 0x2000);
    }
    if (fresh(d)) {
        /* The control: the last 512 bytes of RAM are a fine buffer. */
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {top - 512, 512, VD_WRITE},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_answer(3, d, "blk buffer ending exactly at the top of RAM "
                      "(control)", BLK_S_OK, 1025);
    }
    if (fresh(mach.rng)) {
        struct seg s = {top - 64, 65, VD_WRITE};

        chain(mach.rng, &s, 1);
        expect_reset(3, mach.rng, "rng buffer ending 1 byte past RAM", NULL);
    }
}

static void a4_mmio(void)
{
    struct vdev *d = mach.blk;
    uint64_t bar = d->bar;

    bad_buffer(4, "blk buffer on its own notify register", bar + 0x3000, 512);
    bad_buffer(4, "blk buffer on its own common config", bar, 512);
    bad_buffer(4, "blk buffer in the rng's BAR", mach.rng->bar, 512);
    bad_buffer(4, "blk buffer in ECAM", PCI_ECAM_BASE, 512);
    bad_buffer(4, "blk buffer in the LAPIC page", LAPIC, 512);
    bad_buffer(4, "blk buffer in the IOAPIC page", IOAPIC, 512);
    if (fresh(d)) {
        /* A readable header the device would have to read from MMIO. */
        struct seg s[] = {
            {bar + VC_STATUS, 16, 0},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_reset(4, d, "blk header read from its own status register",
                     blk_touched);
    }
    if (fresh(d)) {
        blk_prepare(d, BLK_T_IN, 0);
        vio_desc(d, 0, LAPIC, 48, VD_INDIRECT, 0);
        vio_publish(d, 0);
        expect_reset(4, d, "blk indirect table in the LAPIC page",
                     blk_touched);
    }
}

/* (n) writable 64 MiB descriptors over the same scratch RAM. */
static void a5_sizes(void)
{
    struct vdev *d = mach.blk, *r = mach.rng;

    if (mach.ram_low_end < SCRATCH_END) {
        report_error("a5 needs RAM up to %llu MiB",
                     (unsigned long long)(SCRATCH_END >> 20));
        return;
    }
    if (fresh(d)) {
        blk_prepare(d, BLK_T_IN, 0);
        vio_ind(d, 0, buf_at(d, BLK_HDR), 16, VD_NEXT, 1);
        for (uint16_t i = 1; i <= 65; i++)
            vio_ind(d, i, SCRATCH, SCRATCH_SEG, VD_WRITE | VD_NEXT,
                    (uint16_t)(i + 1));
        vio_ind(d, 66, buf_at(d, BLK_ST), 1, VD_WRITE, 0);
        vio_desc(d, 0, (uint64_t)d->m->ind, 67 * 16, VD_INDIRECT, 0);
        vio_publish(d, 0);
        expect_reset(5, d, "blk chain of 65 x 64 MiB (4 GiB + 64 MiB, "
                     "wraps a u32)", blk_touched);
    }
    if (fresh(r)) {
        for (uint16_t i = 0; i < 64; i++)
            vio_desc(r, i, SCRATCH, SCRATCH_SEG,
                     (uint16_t)(VD_WRITE | (i < 63 ? VD_NEXT : 0)),
                     (uint16_t)(i + 1));
        vio_publish(r, 0);
        expect_reset(5, r, "rng chain of 64 x 64 MiB (exactly 4 GiB)", NULL);
    }
    if (fresh(d)) {
        /* seg_max (128) + 1 data buffers: answered, not served */
        blk_prepare(d, BLK_T_IN, 0);
        vio_ind(d, 0, buf_at(d, BLK_HDR), 16, VD_NEXT, 1);
        for (uint16_t i = 1; i <= 129; i++)
            vio_ind(d, i, SCRATCH + 512ULL * i, 512, VD_WRITE | VD_NEXT,
                    (uint16_t)(i + 1));
        vio_ind(d, 130, buf_at(d, BLK_ST), 1, VD_WRITE, 0);
        vio_desc(d, 0, (uint64_t)d->m->ind, 131 * 16, VD_INDIRECT, 0);
        vio_publish(d, 0);
        expect_answer(5, d, "blk IN with seg_max+1 (129) data buffers",
                      BLK_S_IOERR, 1);
    }
}

static void a6_zero_length(void)
{
    struct vdev *d = mach.blk;
    uint8_t *data = buf_ptr(d, BLK_DATA);

    if (fresh(d)) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {BOGUS, 0, VD_WRITE},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_answer(6, d, "blk zero-length descriptor at a bogus address "
                      "mid-chain", BLK_S_OK, 513);
    }
    if (fresh(d)) {
        /* The status descriptor is empty: the last writable byte (data
         * byte 511) is the status; 511 data bytes are no whole sector. */
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {buf_at(d, BLK_ST), 0, VD_WRITE},
        };
        struct obs o;
        char t[96];

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        obs_kick(d, &o, 2000);
        report(6,
               o.used && o.e.len == 1 && data[511] == BLK_S_IOERR &&
                   mem_all(data, SENT, 511) &&
                   mem_all(buf_ptr(d, BLK_ST), SENT, 1),
               "blk zero-length status descriptor",
               "%s, IOERR in the last writable byte: %s, status buffer %s",
               obs_text(&o, NULL, t, sizeof(t)),
               data[511] == BLK_S_IOERR ? "yes" : "no",
               mem_all(buf_ptr(d, BLK_ST), SENT, 1) ? "untouched"
                                                    : "WRITTEN");
    }
    if (fresh(d)) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {buf_at(d, BLK_ST), 0, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_reset(6, d, "blk request whose only writable descriptor is "
                     "empty", blk_touched);
    }
    if (fresh(d)) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 0, 0},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_answer(6, d, "blk zero-length header", BLK_S_IOERR, 1);
    }
    if (fresh(mach.rng)) {
        struct seg s = {BOGUS, 0, VD_WRITE};
        struct obs o;
        char t[96];

        chain(mach.rng, &s, 1);
        obs_kick(mach.rng, &o, 2000);
        report(6, o.used && o.e.len == 0 && !(o.status & VS_NEEDS_RESET),
               "rng zero-length buffer at a bogus address", "%s",
               obs_text(&o, NULL, t, sizeof(t)));
    }
}

static void a7_flags(void)
{
    /* A read-only status: after writable data, or with everything
     * read-only (no writable byte at all). */
    static const struct {
        const char *what;
        uint16_t data;
    } ro[] = {
        {"blk status read-only after writable data", VD_WRITE},
        {"blk IN with every buffer read-only", 0},
    };
    struct vdev *d = mach.blk;
    uint8_t hdr[16];

    if (fresh(d)) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, VD_WRITE},
            {buf_at(d, BLK_DATA), 512, VD_WRITE},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        memcpy(hdr, buf_ptr(d, BLK_HDR), 16);
        chain(d, s, ARRAY_SIZE(s));
        expect_answer(7, d, "blk header marked device-writable", BLK_S_IOERR,
                      1);
        if (memcmp(hdr, buf_ptr(d, BLK_HDR), 16) != 0 ||
            !mem_all(buf_ptr(d, BLK_DATA), SENT, BLK_SENT_LEN))
            report_error("a7: the writable header or data was written");
    }
    for (unsigned i = 0; i < ARRAY_SIZE(ro); i++) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {buf_at(d, BLK_DATA), 512, ro[i].data},
            {buf_at(d, BLK_ST), 1, 0},
        };

        if (!fresh(d))
            continue;
        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_reset(7, d, ro[i].what, blk_touched);
    }
    if (fresh(d)) {
        struct seg s[] = {
            {buf_at(d, BLK_HDR), 16, 0},
            {buf_at(d, BLK_DATA), 512, 0},
            {buf_at(d, BLK_ST), 1, VD_WRITE},
        };

        blk_prepare(d, BLK_T_IN, 0);
        chain(d, s, ARRAY_SIZE(s));
        expect_answer(7, d, "blk IN into a read-only data buffer (reads 0 "
                      "bytes)", BLK_S_OK, 1);
        if (!mem_all(buf_ptr(d, BLK_DATA), SENT, BLK_SENT_LEN))
            report_error("a7: the read-only data buffer was written");
    }
}

void attack_chains(void)
{
    a1_loops();
    a2_indirect();
    a3_ranges();
    a4_mmio();
    a5_sizes();
    a6_zero_length();
    a7_flags();
}
