/* libFuzzer target: MSI-X table, PBA and capability accesses against a
 * shadow model written from PCI 3.0 6.8.2. Input bytes pick control-word
 * writes (any offset near the capability, any width), table and PBA reads
 * and writes at any offset and width, and notifies. After every step the
 * device must agree with the model: table contents, pending bits, exactly
 * which vectors fired and which got update() calls. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/pci/msix.h"
#include "fuzz_input.h"

#define BAR_SIZE 0x4000
#define TABLE_OFF 0x2000
#define PBA_OFF 0x3000
#define MAX_OPS 4096

struct model {
    struct msix_entry e[MSIX_MAX_VECTORS];
    uint64_t pend;
    bool en, fm;
};

struct fz {
    struct pci_dev d;
    struct msix m;
    struct model s;
    unsigned nvec;
    uint64_t fired, updated;    /* vectors called back in this step */
    unsigned nfire, nupdate;
};

static struct fz g;

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void on_update(void *ctx, unsigned vec, const struct msix_entry *e,
                      bool masked)
{
    struct fz *f = ctx;

    check(vec < f->nvec && e == &f->m.table[vec]);
    check(masked == (!(f->m.ctrl & MSIX_CTRL_ENABLE) ||
                     (f->m.ctrl & MSIX_CTRL_FMASK) ||
                     (e->ctrl & MSIX_ENTRY_MASKED)));
    f->updated |= 1ULL << vec;
    f->nupdate++;
}

static void on_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    struct fz *f = ctx;

    check(vec < f->nvec && e == &f->m.table[vec]);
    check(!(f->fired & (1ULL << vec)));       /* once per step */
    f->fired |= 1ULL << vec;
    f->nfire++;
}

static const struct msix_ops rec_ops = { .update = on_update, .fire = on_fire };

static void hook(void *ctx, uint32_t off, unsigned len)
{
    struct fz *f = ctx;

    msix_cfg_written(&f->m, off, len);
}

static const struct pci_dev_ops hook_ops = { .cfg_written = hook };

static void nop_r(void *dev, uint64_t off, void *data, unsigned len)
{
    (void)dev;
    (void)off;
    memset(data, 0, len > 8 ? 8 : len);
}

static void nop_w(void *dev, uint64_t off, const void *data, unsigned len)
{
    (void)dev;
    (void)off;
    (void)data;
    (void)len;
}

static const struct bus_ops bar_ops = { .read = nop_r, .write = nop_w };

static bool blocked(const struct model *s, unsigned v)
{
    return !s->en || s->fm || (s->e[v].ctrl & MSIX_ENTRY_MASKED);
}

static uint32_t dword(const struct msix_entry *e, unsigned i)
{
    const uint32_t w[4] = { e->addr_lo, e->addr_hi, e->data, e->ctrl };

    return w[i];
}

/* Expected callbacks of one step, built by the model. */
struct expect {
    uint64_t fire, update;
};

/* Vector (v) went from (was) to its current blocked state. */
static void transition(struct model *s, struct expect *x, unsigned v, bool was,
                       bool changed_fields)
{
    bool now = blocked(s, v);

    if (was != now || changed_fields)
        x->update |= 1ULL << v;
    if (was && !now && (s->pend & (1ULL << v))) {
        s->pend &= ~(1ULL << v);
        x->fire |= 1ULL << v;
    }
}

static unsigned get_len(struct in *in)
{
    static const unsigned lens[8] = { 4, 8, 4, 8, 1, 2, 3, 16 };

    return lens[get8(in) & 7];
}

/* [off, off + len) lies in [start, end) / touches it, without wrapping. */
static bool inside(uint64_t off, unsigned len, uint64_t start, uint64_t end)
{
    return off >= start && off <= end && end - off >= len;
}

static bool touches(uint64_t off, unsigned len, uint64_t start, uint64_t end)
{
    return off < end && (off >= start || start - off < len);
}

static void do_ctrl(struct in *in, struct expect *x)
{
    uint32_t cap = (uint32_t)g.m.cap;
    uint32_t off = cap + (get8(in) & 7) - 2;
    unsigned len = get_len(in);
    uint32_t v = get32(in);
    bool was[MSIX_MAX_VECTORS];
    uint16_t ctrl;

    for (unsigned i = 0; i < g.nvec; i++)
        was[i] = blocked(&g.s, i);
    pci_cfg_write(&g.d, off, v, len);
    ctrl = (uint16_t)pci_cfg_read(&g.d, cap + MSIX_CTRL_OFF, 2);
    check((ctrl & MSIX_CTRL_TABLE_SIZE) == g.nvec - 1);
    g.s.en = ctrl & MSIX_CTRL_ENABLE;
    g.s.fm = ctrl & MSIX_CTRL_FMASK;
    for (unsigned i = 0; i < g.nvec; i++)
        transition(&g.s, x, i, was[i], false);
}

static uint64_t bar_off(struct in *in)
{
    uint8_t sel = get8(in);

    if (sel == 0xff)
        return get32(in) | (uint64_t)get32(in) << 32;
    if (sel & 1)
        return PBA_OFF - 8 + (get8(in) & 0x1f);
    return TABLE_OFF - 8 + (get32(in) & 0x7ff);
}

static void do_table_write(struct in *in, struct expect *x)
{
    uint64_t off = bar_off(in), tend = TABLE_OFF + 16ULL * g.nvec;
    unsigned len = get_len(in);
    uint8_t buf[16];
    bool claimed;

    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = get8(in);
    claimed = msix_bar_write(&g.m, off, buf, len);
    check(claimed == (touches(off, len, TABLE_OFF, tend) ||
                      touches(off, len, PBA_OFF, PBA_OFF + 8)));
    if ((len == 4 || len == 8) && off % len == 0 &&
        inside(off, len, TABLE_OFF, tend)) {
        unsigned v = (unsigned)((off - TABLE_OFF) / 16);
        struct msix_entry *e = &g.s.e[v], old = *e;
        bool was = blocked(&g.s, v);

        for (unsigned i = 0; i < len / 4; i++) {
            unsigned dw = (unsigned)((off - TABLE_OFF) % 16) / 4 + i;
            uint32_t w = le32_get(buf, 4 * i);

            if (dw == 0)
                e->addr_lo = w & ~3U;
            else if (dw == 1)
                e->addr_hi = w;
            else if (dw == 2)
                e->data = w;
            else
                e->ctrl = w & MSIX_ENTRY_MASKED;
        }
        transition(&g.s, x, v, was,
                   old.addr_lo != e->addr_lo || old.addr_hi != e->addr_hi ||
                       old.data != e->data);
    }
}

static void do_read(struct in *in)
{
    uint64_t off = bar_off(in), tend = TABLE_OFF + 16ULL * g.nvec;
    unsigned len = get_len(in);
    uint8_t buf[16];
    bool aligned = (len == 4 || len == 8) && off % len == 0;

    memset(buf, 0xa5, sizeof(buf));
    (void)msix_bar_read(&g.m, off, buf, len);
    for (unsigned i = len < 8 ? len : 8; i < sizeof(buf); i++)
        check(buf[i] == 0xa5);
    if (aligned && inside(off, len, TABLE_OFF, tend)) {
        const struct msix_entry *e = &g.s.e[(off - TABLE_OFF) / 16];

        for (unsigned i = 0; i < len / 4; i++)
            check(le32_get(buf, 4 * i) ==
                  dword(e, (unsigned)((off - TABLE_OFF) % 16) / 4 + i));
    } else if (aligned && inside(off, len, PBA_OFF, PBA_OFF + 8)) {
        for (unsigned i = 0; i < len; i++)
            check(buf[i] ==
                  (uint8_t)(g.s.pend >> (8 * (off - PBA_OFF + i))));
    } else if (touches(off, len, TABLE_OFF, tend) ||
               touches(off, len, PBA_OFF, PBA_OFF + 8)) {
        for (unsigned i = 0; i < (len < 8 ? len : 8); i++)
            check(buf[i] == 0xff);
    }
}

static void do_notify(struct in *in, struct expect *x)
{
    unsigned v = get8(in);

    if (v == 0xff)
        v = MSIX_VECTOR_NONE;
    else
        v %= g.nvec + 2;
    msix_notify(&g.m, v);
    if (v >= g.nvec || !g.s.en)
        return;
    if (blocked(&g.s, v))
        g.s.pend |= 1ULL << v;
    else
        x->fire |= 1ULL << v;
}

static void compare(const struct expect *x)
{
    check(g.fired == x->fire);
    check(g.updated == x->update);
    /* at most one update and one message per vector per step */
    check(g.nupdate <= g.nvec && g.nfire <= g.nvec);
    check(g.m.pba == g.s.pend);
    for (unsigned v = 0; v < g.nvec; v++)
        check(memcmp(&g.m.table[v], &g.s.e[v], sizeof(g.s.e[v])) == 0);
    check(msix_enabled(&g.m) == g.s.en);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    unsigned ops = 0;

    memset(&g, 0, sizeof(g));
    g.nvec = 1 + get8(&in) % MSIX_MAX_VECTORS;
    pci_dev_init(&g.d, 0x1af4, 0x1041, 0x020000, 0x1af4, 1, 1);
    g.d.ops = &hook_ops;
    g.d.ops_ctx = &g;
    if (pci_dev_add_bar(&g.d, 2, PCI_BAR_MMIO32, BAR_SIZE, &bar_ops, &g) ||
        msix_init(&g.m, &g.d, g.nvec, 2, TABLE_OFF, PBA_OFF, &rec_ops, &g))
        abort();
    for (unsigned v = 0; v < g.nvec; v++)
        g.s.e[v].ctrl = MSIX_ENTRY_MASKED;
    while (in.n && ops++ < MAX_OPS) {
        struct expect x = { 0, 0 };

        g.fired = g.updated = 0;
        g.nfire = g.nupdate = 0;
        switch (get8(&in) % 5) {
        case 0:
            do_ctrl(&in, &x);
            break;
        case 1:
            do_table_write(&in, &x);
            break;
        case 2:
            do_read(&in);
            break;
        default:
            do_notify(&in, &x);
            break;
        }
        compare(&x);
    }
    return 0;
}
