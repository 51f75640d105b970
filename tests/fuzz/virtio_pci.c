/* libFuzzer target: the virtio-pci transport (devices/virtio/virtio_pci.c)
 * in front of virtio-console or virtio-rng, driven by a guest that does
 * anything: BAR 0 reads and writes at any offset and width, config-space
 * accesses (MSI-X enable, COMMAND, the PCI_CFG window), descriptors and
 * ring entries in fake RAM, kicks, host input, a failing entropy source or
 * console sink, and a clock that moves.
 *
 * Guest RAM is two regions with a hole between: A = [0, 64 KiB) and
 * B = [0x20000, 0x21000). The first input byte picks the device and
 * whether the target first probes it as Linux would (rings of 16 entries
 * at fixed places in A), enables MSI-X and which ring features it
 * accepts; the rest is a program of ops. After each op the target checks:
 *   - ISR holds only its two bits; INTx is up exactly when ISR is set,
 *     MSI-X is off and COMMAND.INTX_DISABLE is clear;
 *   - queue registers of an enabled queue never change;
 *   - BAR reads past the BAR are all-ones and touch nothing past (len);
 *   - console: one TX run moves at most its budget; nothing is dropped
 *     that was not taken; input taken never exceeds input offered;
 *   - rng: every byte given to the guest came from the source (used.len
 *     never counts bytes the source did not produce), at most the cap
 *     per request, and never more than the bucket allowed.
 * Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio_pci.h"
#include "fuzz_input.h"

#define RAM_A 0x0ULL
#define RAM_A_SIZE 0x10000ULL
#define RAM_B 0x20000ULL
#define RAM_B_SIZE 0x1000ULL
#define QSIZE 16
#define NS 1000000000ULL
#define RNG_RATE (64 * 1024)
#define RNG_BURST 8192

static uint8_t ram_a[RAM_A_SIZE] __attribute__((aligned(4096)));
static uint8_t ram_b[RAM_B_SIZE] __attribute__((aligned(4096)));

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

/* ---- host-side fakes ---- */

struct host {
    uint64_t ns;             /* the clock */
    size_t src_limit;        /* entropy bytes per call; 0 = EIO */
    uint64_t src_given;      /* bytes the source produced, as used */
    size_t sink_limit;       /* bytes the console sink accepts per call */
    uint64_t sink_taken;
    uint8_t sink_xor;        /* the sink reads every byte it is given */
    bool intx;
    unsigned msi_fires;
};

static struct host host;

static uint64_t clk_ns(void *ctx)
{
    (void)ctx;
    return host.ns;
}

static int64_t clk_sec(void *ctx)
{
    (void)ctx;
    return (int64_t)(host.ns / NS);
}

static const struct clock_ops clk_ops = {.now_sec = clk_sec,
                                         .mono_ns = clk_ns};

static size_t src_fill(void *ctx, void *buf, size_t len)
{
    size_t n = len < host.src_limit ? len : host.src_limit;

    (void)ctx;
    /* limit 0x55: a source that fills (len) but claims more; the device
     * must not believe past (len) */
    if (host.src_limit == 0x55)
        n = len;
    memset(buf, 0xa5, n);
    host.src_given += n;
    return host.src_limit == 0x55 ? len + 7 : n;
}

static const struct entropy_ops src_ops = {.fill = src_fill};

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    size_t n = len < host.sink_limit ? len : host.sink_limit;

    (void)ctx;
    for (size_t i = 0; i < len; i++)
        host.sink_xor ^= buf[i];
    host.sink_taken += n;
    return n;
}

static const struct chr_ops sink_ops = {.write = sink_write};

static void intx_set(void *ctx, bool level)
{
    (void)ctx;
    host.intx = level;
}

static void msi_update(void *ctx, unsigned vec, const struct msix_entry *e,
                       bool masked)
{
    (void)ctx, (void)e, (void)masked;
    CHECK(vec < MSIX_MAX_VECTORS);
}

static void msi_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    (void)ctx, (void)e;
    CHECK(vec < MSIX_MAX_VECTORS);
    host.msi_fires++;
}

static const struct msix_ops msi_ops = {.update = msi_update,
                                        .fire = msi_fire};

/* ---- the machine ---- */

struct state {
    struct gmem gm;
    bool console;
    struct virtio_console con;
    struct virtio_rng rng;
    struct virtio_pci vp;
    struct virtio_dev *v;
    uint16_t avail_idx[2];
    bool reprobed;           /* the op reset and set the queues up anew */
};

static struct state st;

/* Ring placement used by the built-in probe: queue q at 0x1000 + 0x3000q. */
static gpa_t ring_desc(unsigned q) { return 0x1000 + 0x3000ULL * q; }
static gpa_t ring_avail(unsigned q) { return ring_desc(q) + 0x1000; }
static gpa_t ring_used(unsigned q) { return ring_desc(q) + 0x2000; }

static uint64_t bar_rd(uint64_t off, unsigned len)
{
    uint8_t b[16];

    memset(b, 0x3c, sizeof(b));
    virtio_pci_bar_ops.read(&st.vp, off, b, len);
    for (unsigned i = len; i < sizeof(b); i++)
        CHECK(b[i] == 0x3c);
    for (unsigned i = 0; i < len; i++)
        if (off + i >= VIRTIO_PCI_BAR_SIZE || off + i < off)
            CHECK(b[i] == 0xff);
    return le64_get(b, 0);
}

static void bar_wr(uint64_t off, unsigned len, uint64_t val)
{
    uint8_t b[8];

    le64_put(b, 0, val);
    virtio_pci_bar_ops.write(&st.vp, off, b, len);
}

static void probe_queue(unsigned q, unsigned vec)
{
    bar_wr(VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
    bar_wr(VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    bar_wr(VIRTIO_PCI_COMMON_Q_DESCLO, 8, ring_desc(q));
    bar_wr(VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)ring_avail(q));
    bar_wr(VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
    bar_wr(VIRTIO_PCI_COMMON_Q_USEDLO, 8, ring_used(q));
    bar_wr(VIRTIO_PCI_COMMON_Q_MSIX, 2, vec);
    bar_wr(VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* What Linux does: reset, ACK, DRIVER, features, FEATURES_OK, queues,
 * DRIVER_OK. */
static void probe(uint8_t features)
{
    uint32_t lo = 0;

    if (features & 1)
        lo |= 1u << VIRTIO_F_EVENT_IDX;
    if (features & 2)
        lo |= 1u << VIRTIO_F_INDIRECT_DESC;
    st.reprobed = true;
    bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, 0);
    bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, 3);
    bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    bar_wr(VIRTIO_PCI_COMMON_GF, 4, lo);
    bar_wr(VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    bar_wr(VIRTIO_PCI_COMMON_GF, 4, 1);
    bar_wr(VIRTIO_PCI_COMMON_STATUS, 1, 3 | VIRTIO_STATUS_FEATURES_OK);
    bar_wr(VIRTIO_PCI_COMMON_MSIX, 2, 0);
    for (unsigned q = 0; q < st.v->nqueues; q++)
        probe_queue(q, q + 1);
    memset(st.avail_idx, 0, sizeof(st.avail_idx));
    bar_wr(VIRTIO_PCI_COMMON_STATUS, 1,
           3 | VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
}

static void msix_enable(bool on)
{
    uint32_t cap = (uint32_t)st.vp.msix.cap + MSIX_CTRL_OFF;

    pci_cfg_write(&st.vp.pci, cap, on ? MSIX_CTRL_ENABLE : 0, 2);
    for (unsigned v = 0; on && v < st.vp.msix.nvec; v++) {
        uint64_t e = VIRTIO_PCI_MSIX_TABLE_OFF + 16ULL * v;

        bar_wr(e, 4, 0xfee00000);
        bar_wr(e + 8, 4, v);
        bar_wr(e + 12, 4, 0);
    }
}

static bool setup(uint8_t cfg)
{
    struct irq_line intx = {.set = intx_set, .ctx = NULL};

    memset(&st, 0, sizeof(st));
    memset(&host, 0, sizeof(host));
    memset(ram_a, 0, sizeof(ram_a));
    memset(ram_b, 0, sizeof(ram_b));
    host.ns = NS;
    host.src_limit = SIZE_MAX;
    host.sink_limit = SIZE_MAX;
    gmem_init(&st.gm);
    if (gmem_add(&st.gm, RAM_A, RAM_A_SIZE, ram_a) < 0 ||
        gmem_add(&st.gm, RAM_B, RAM_B_SIZE, ram_b) < 0)
        return false;
    st.console = cfg & 1;
    if (st.console) {
        virtio_console_init(&st.con, &st.gm, &sink_ops, NULL);
        st.v = &st.con.vdev;
    } else {
        virtio_rng_init(&st.rng, &st.gm, &src_ops, NULL, &clk_ops, NULL,
                        (cfg & 0x20) ? 0 : RNG_RATE, RNG_BURST);
        st.v = &st.rng.vdev;
    }
    if (virtio_pci_init(&st.vp, st.v, intx, &msi_ops, NULL) < 0)
        return false;
    pci_dev_place_bar(&st.vp.pci, VIRTIO_PCI_BAR, 0xe0000000ULL);
    if (cfg & 4)
        msix_enable(true);
    if (cfg & 2)
        probe((uint8_t)(cfg >> 3));
    return true;
}

/* ---- invariants ---- */

struct frozen {
    bool enabled;
    uint16_t size;
    gpa_t desc, avail, used;
};

static void snapshot(struct frozen *f)
{
    st.reprobed = false;
    for (unsigned q = 0; q < st.v->nqueues; q++) {
        const struct virtq *vq = &st.v->vq[q];

        f[q] = (struct frozen){vq->enabled, vq->size, vq->desc, vq->avail,
                               vq->used};
    }
}

static void check(const struct frozen *before)
{
    uint16_t cmd = le16_get(st.vp.pci.cfg, PCI_COMMAND);
    bool want = st.vp.isr && !msix_enabled(&st.vp.msix) &&
                !(cmd & PCI_COMMAND_INTX_DISABLE);

    CHECK(!(st.vp.isr & ~(VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)));
    CHECK(host.intx == want);
    for (unsigned q = 0; q < st.v->nqueues; q++) {
        const struct virtq *vq = &st.v->vq[q];

        CHECK(virtq_inflight(vq) <= VIRTQ_MAX_SIZE);
        /* RELIABILITY (a) 13: an enabled queue's registers are frozen,
         * unless a reset disabled it (and the probe op set it up anew) */
        if (before[q].enabled && vq->enabled && !st.reprobed)
            CHECK(vq->size == before[q].size && vq->desc == before[q].desc &&
                  vq->avail == before[q].avail && vq->used == before[q].used);
    }
    if (st.console) {
        CHECK(st.con.stats.tx_dropped <= st.con.stats.tx_bytes);
    } else {
        /* (b) 14: every byte counted in used.len came from the source */
        CHECK(st.rng.stats.bytes <= host.src_given);
        CHECK(st.rng.stats.bytes <=
              st.rng.stats.requests * (uint64_t)VIRTIO_RNG_REQ_CAP);
        /* the bucket: at most the burst plus the rate over elapsed time */
        if (st.rng.rate)
            CHECK(st.rng.stats.bytes <=
                  RNG_BURST + (host.ns / NS) * RNG_RATE + RNG_RATE);
    }
}

/* ---- ops ---- */

static unsigned width(uint64_t code)
{
    static const unsigned w[8] = {1, 2, 4, 8, 1, 2, 4, 3};

    return w[code & 7];
}

static void op_desc(struct in *in)
{
    unsigned q = (unsigned)take(in, 1) & 1;
    uint16_t i = (uint16_t)take(in, 1);
    uint8_t d[16];
    gpa_t table = i & 0x80 ? 0x8000 + (take(in, 1) << 4) : ring_desc(q);

    le64_put(d, 0, take(in, 4));
    le32_put(d, 8, (uint32_t)take(in, 3));
    le16_put(d, 12, (uint16_t)(take(in, 1) & 7));
    le16_put(d, 14, (uint16_t)(take(in, 1) & 0x1f));
    (void)gmem_write(&st.gm, table + 16ULL * (i & 0x1f), d, sizeof(d));
}

static void op_publish(struct in *in)
{
    unsigned q = (unsigned)take(in, 1) & 1;
    uint16_t head = (uint16_t)take(in, 1);
    uint8_t b[2];

    le16_put(b, 0, head);
    (void)gmem_write(&st.gm,
                     ring_avail(q) + 4 + 2ULL * (st.avail_idx[q] % QSIZE), b,
                     2);
    st.avail_idx[q]++;
    le16_put(b, 0, st.avail_idx[q]);
    (void)gmem_write(&st.gm, ring_avail(q) + 2, b, 2);
}

static void op_host(struct in *in)
{
    if (st.console) {
        uint8_t buf[256];
        size_t len = (size_t)take(in, 1), got;

        memset(buf, 'i', len);
        got = virtio_console_push_input(&st.con, buf, len);
        CHECK(got <= len);
    } else {
        host.ns += take(in, 3) * 1000;
        virtio_rng_process(&st.rng);
        if (virtio_rng_next_refill_ns(&st.rng))
            CHECK(virtio_rng_next_refill_ns(&st.rng) >= host.ns ||
                  st.rng.rate == 0);
    }
}

static void op_run(void)
{
    if (st.console) {
        uint64_t before = st.con.stats.tx_bytes;

        virtio_console_tx(&st.con);
        CHECK(st.con.stats.tx_bytes - before <= VIRTIO_CONSOLE_TX_BUDGET);
    } else {
        virtio_rng_process(&st.rng);
    }
}

static void op_limits(struct in *in)
{
    uint8_t b = (uint8_t)take(in, 1);

    host.src_limit = b == 0xff ? SIZE_MAX : b;
    host.sink_limit = b == 0xff ? SIZE_MAX : (size_t)b * 3;
}

/* A kick: through the ioeventfd path with any index, or a notify write
 * of any 16-bit value at one of the first slots, 2 or 4 bytes wide. */
static void op_kick(struct in *in)
{
    unsigned sel = (unsigned)take(in, 1);
    uint16_t val = (uint16_t)take(in, 2);
    uint64_t before = st.console ? st.con.stats.tx_bytes : 0;

    if (sel & 0x80)
        virtio_pci_kick(&st.vp, val);
    else
        bar_wr(VIRTIO_PCI_NOTIFY_OFF + 4ULL * (sel & 3), sel & 0x40 ? 4 : 2,
               val);
    if (st.console)
        CHECK(st.con.stats.tx_bytes - before <= VIRTIO_CONSOLE_TX_BUDGET);
}

static void run_op(struct in *in, uint8_t op)
{
    switch (op % 12) {
    case 0:
        (void)bar_rd(take(in, 2), width(take(in, 1)));
        break;
    case 1: {
        uint64_t off = take(in, 2);
        unsigned w = width(take(in, 1));

        bar_wr(off & 0x3fff, w > 8 ? 8 : w, take(in, 8));
        break;
    }
    case 2: {
        gpa_t at = take(in, 2);
        size_t len = (size_t)take(in, 1);
        uint8_t buf[256] = {0};

        for (size_t i = 0; i < len; i++)
            buf[i] = (uint8_t)take(in, 1);
        (void)gmem_write(&st.gm, at, buf, len);
        break;
    }
    case 3: {
        uint32_t off = (uint32_t)take(in, 2) & 0xfff;
        unsigned w = width(take(in, 1) & 3);

        (void)pci_cfg_read(&st.vp.pci, off, w > 4 ? 4 : w);
        break;
    }
    case 4: {
        uint32_t off = (uint32_t)take(in, 1);   /* header and caps */
        unsigned w = width(take(in, 1) & 3);

        pci_cfg_write(&st.vp.pci, off, (uint32_t)take(in, 4), w > 4 ? 4 : w);
        break;
    }
    case 5:
        op_kick(in);
        break;
    case 6:
        op_host(in);
        break;
    case 7:
        op_run();
        break;
    case 8:
        op_limits(in);
        break;
    case 9:
        op_desc(in);
        break;
    case 10:
        op_publish(in);
        break;
    default:
        if (take(in, 1) & 1)
            msix_enable(!msix_enabled(&st.vp.msix));
        else
            probe((uint8_t)take(in, 1));
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {data, size};
    struct frozen before[VIRTIO_MAX_QUEUES];
    unsigned ops = 0;

    if (!setup((uint8_t)take(&in, 1)))
        abort();
    while (in.n && ops++ < 2000) {
        snapshot(before);
        run_op(&in, (uint8_t)take(&in, 1));
        check(before);
    }
    return 0;
}
