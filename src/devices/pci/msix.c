/* MSI-X; the contract is in msix.h. Layouts are PCI Local Bus 3.0 6.8.2
 * (capability, table, PBA) and 6.8.2.8-9 (masking and pending bits). */
#include "devices/pci/msix.h"

#include <errno.h>
#include <string.h>

#include "core/bytes.h"

#define MSIX_CAP_BODY 10           /* control (2), table (4), PBA (4) */
#define MSIX_BIR_MASK 0x7U
#define MSIX_PBA_LEN 8U            /* one qword covers 64 vectors */
#define ADDR_LO_MASK 0xfffffffcU   /* message address is dword aligned */

/* Entry dwords, in table order. */
enum { E_ADDR_LO, E_ADDR_HI, E_DATA, E_CTRL };

static bool fn_blocked(uint16_t ctrl)
{
    return !(ctrl & MSIX_CTRL_ENABLE) || (ctrl & MSIX_CTRL_FMASK);
}

static bool vec_masked(const struct msix *m, unsigned v)
{
    return fn_blocked(m->ctrl) || (m->table[v].ctrl & MSIX_ENTRY_MASKED);
}

static void do_update(struct msix *m, unsigned v)
{
    if (m->ops && m->ops->update)
        m->ops->update(m->ctx, v, &m->table[v], vec_masked(m, v));
}

static void do_fire(struct msix *m, unsigned v)
{
    if (m->ops && m->ops->fire)
        m->ops->fire(m->ctx, v, &m->table[v]);
}

/* (v) just became unmasked: a message held back is sent now (6.8.2.9). */
static void release_pending(struct msix *m, unsigned v)
{
    uint64_t bit = 1ULL << v;

    if (m->pba & bit) {
        m->pba &= ~bit;
        do_fire(m, v);
    }
}

int msix_init(struct msix *m, struct pci_dev *d, unsigned nvec, unsigned bar,
              uint32_t table_off, uint32_t pba_off, const struct msix_ops *ops,
              void *ctx)
{
    uint8_t body[MSIX_CAP_BODY] = { 0 }, wm[MSIX_CAP_BODY] = { 0 };
    uint64_t tend = (uint64_t)table_off + (uint64_t)nvec * MSIX_ENTRY_SIZE;
    uint64_t pend = (uint64_t)pba_off + MSIX_PBA_LEN;
    int cap;

    if (nvec == 0 || nvec > MSIX_MAX_VECTORS || bar >= PCI_NUM_BARS ||
        (d->bar[bar].kind != PCI_BAR_MMIO32 &&
         d->bar[bar].kind != PCI_BAR_MMIO64) ||
        (table_off & MSIX_BIR_MASK) || (pba_off & MSIX_BIR_MASK) ||
        tend > d->bar[bar].size || pend > d->bar[bar].size ||
        (table_off < pend && pba_off < tend))
        return -EINVAL;
    le16_put(body, 0, (uint16_t)(nvec - 1));
    le32_put(body, 2, table_off | bar);
    le32_put(body, 6, pba_off | bar);
    wm[1] = (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK) >> 8;
    cap = pci_dev_add_cap(d, PCI_CAP_ID_MSIX, body, wm, MSIX_CAP_BODY);
    if (cap < 0)
        return cap;
    memset(m, 0, sizeof(*m));
    for (unsigned v = 0; v < nvec; v++)
        m->table[v].ctrl = MSIX_ENTRY_MASKED;   /* reset state */
    m->nvec = nvec;
    m->cap = cap;
    m->table_off = table_off;
    m->pba_off = pba_off;
    m->pdev = d;
    m->ops = ops;
    m->ctx = ctx;
    return 0;
}

void msix_cfg_written(struct msix *m, uint32_t off, unsigned len)
{
    uint32_t ctrl_at = (uint32_t)m->cap + MSIX_CTRL_OFF;
    uint16_t now;
    bool was_blocked;

    if (m->cap <= 0 || off >= ctrl_at + 2 || ctrl_at >= off + len)
        return;
    now = le16_get(m->pdev->cfg, ctrl_at) & (MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK);
    was_blocked = fn_blocked(m->ctrl);
    m->ctrl = now;
    if (was_blocked == fn_blocked(now))
        return;
    /* Only vectors whose own mask is clear change their effective mask:
     * at most nvec updates and fires per write. */
    for (unsigned v = 0; v < m->nvec; v++) {
        if (m->table[v].ctrl & MSIX_ENTRY_MASKED)
            continue;
        do_update(m, v);
        if (was_blocked)
            release_pending(m, v);
    }
}

/* [off, off + len) touches [start, start + size)? Without wrapping. */
static bool touches(uint64_t off, unsigned len, uint64_t start, uint64_t size)
{
    return off < start + size && (off >= start || start - off < len);
}

/* Inside and naturally aligned, 4 or 8 bytes (6.8.2: "aligned full DWORD
 * or aligned full QWORD"); the region starts are 8-byte aligned. */
static bool access_in(uint64_t off, unsigned len, uint64_t start,
                      uint64_t size)
{
    return (len == 4 || len == 8) && off % len == 0 && off >= start &&
           off - start <= size - len;
}

static uint32_t entry_dword(const struct msix_entry *e, unsigned dw)
{
    switch (dw) {
    case E_ADDR_LO:
        return e->addr_lo;
    case E_ADDR_HI:
        return e->addr_hi;
    case E_DATA:
        return e->data;
    default:
        return e->ctrl;
    }
}

static void entry_set(struct msix_entry *e, unsigned dw, uint32_t v)
{
    switch (dw) {
    case E_ADDR_LO:
        e->addr_lo = v & ADDR_LO_MASK;
        break;
    case E_ADDR_HI:
        e->addr_hi = v;
        break;
    case E_DATA:
        e->data = v;
        break;
    default:
        e->ctrl = v & MSIX_ENTRY_MASKED;  /* other bits reserved, read 0 */
        break;
    }
}

bool msix_bar_read(struct msix *m, uint64_t off, void *data, unsigned len)
{
    uint64_t tlen = (uint64_t)m->nvec * MSIX_ENTRY_SIZE;
    uint8_t *p = data;

    if (access_in(off, len, m->table_off, tlen)) {
        uint64_t rel = off - m->table_off;
        const struct msix_entry *e = &m->table[rel / MSIX_ENTRY_SIZE];

        for (unsigned i = 0; i < len / 4; i++)
            le32_put(p, 4 * i,
                     entry_dword(e, (unsigned)(rel % MSIX_ENTRY_SIZE) / 4 + i));
        return true;
    }
    if (access_in(off, len, m->pba_off, MSIX_PBA_LEN)) {
        uint64_t v = m->pba >> (8 * (off - m->pba_off));

        for (unsigned i = 0; i < len; i++)
            p[i] = (uint8_t)(v >> (8 * i));
        return true;
    }
    if (!touches(off, len, m->table_off, tlen) &&
        !touches(off, len, m->pba_off, MSIX_PBA_LEN))
        return false;
    memset(data, 0xff, len > 8 ? 8 : len);
    return true;
}

bool msix_bar_write(struct msix *m, uint64_t off, const void *data,
                    unsigned len)
{
    /* GUEST: any offset, width and value; an aligned access stays inside
     * one entry. */
    uint64_t tlen = (uint64_t)m->nvec * MSIX_ENTRY_SIZE, rel;
    const uint8_t *p = data;
    struct msix_entry old, *e;
    unsigned v;
    bool was;

    if (!access_in(off, len, m->table_off, tlen))
        return touches(off, len, m->table_off, tlen) ||
               touches(off, len, m->pba_off, MSIX_PBA_LEN);
    rel = off - m->table_off;
    v = (unsigned)(rel / MSIX_ENTRY_SIZE);
    e = &m->table[v];
    old = *e;
    was = vec_masked(m, v);
    for (unsigned i = 0; i < len / 4; i++)
        entry_set(e, (unsigned)(rel % MSIX_ENTRY_SIZE) / 4 + i,
                  le32_get(p, 4 * i));
    if (old.addr_lo == e->addr_lo && old.addr_hi == e->addr_hi &&
        old.data == e->data && was == vec_masked(m, v))
        return true;                 /* nothing the VMM can see changed */
    do_update(m, v);
    if (was && !vec_masked(m, v))
        release_pending(m, v);
    return true;
}

void msix_notify(struct msix *m, unsigned vec)
{
    if (vec >= m->nvec || !(m->ctrl & MSIX_CTRL_ENABLE))
        return;
    if (vec_masked(m, vec)) {
        m->pba |= 1ULL << vec;
        return;
    }
    do_fire(m, vec);
}

bool msix_enabled(const struct msix *m)
{
    return (m->ctrl & MSIX_CTRL_ENABLE) != 0;
}
