/* libFuzzer target: the COM1 16550A (devices/uart.c) against a guest that
 * reads and writes every offset (DLAB on and off, FCR, LSR/MSR/SCR, MCR
 * loopback), byte-wide or split by the bus, interleaved with host input,
 * resets, and an output sink that fails on demand.
 *
 * A shadow model written from the datasheet tracks what a guest can
 * predict: the RX FIFO's bytes and capacity (16 with FIFOs on, 1 off),
 * overruns, the divisor latch, IER/LCR/MCR/SCR and LSR's DR/OE/THRE/TEMT.
 * After every op the target checks:
 *   - every byte read back is what the model says (RBR pops in order);
 *   - FIFO count <= capacity, head index in range, overruns as counted;
 *   - the sink got exactly the THR bytes written with DLAB and LOOP clear,
 *     one call each, whatever the sink returned;
 *   - the IRQ line equals "a source is pending and enabled, OUT2 set, LOOP
 *     clear", and set() is called only when the level changes;
 *   - an IIR read reports the highest-priority pending source.
 * Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/uart.h"
#include "fuzz_input.h"

#define MAX_OPS 4096
#define LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define MSR_DELTAS 0x0f

struct model {
    uint8_t q[UART_FIFO_LEN];
    unsigned head, count;
    bool fifo;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    bool oe;
    uint64_t overruns;
};

struct fz {
    struct uart u;
    struct model m;
    bool level;           /* last level set() was called with */
    unsigned sink_mode;   /* 0 accept, 1 refuse, 2 alternate */
    uint64_t sink_calls, expected_out;
    uint8_t last_thr;
};

static struct fz g;

static void check(bool ok)
{
    if (!ok)
        abort();
}

static void irq_set(void *ctx, bool level)
{
    struct fz *f = ctx;

    check(level != f->level);   /* set only on change */
    f->level = level;
}

static size_t sink_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fz *f = ctx;

    check(len == 1 && buf[0] == f->last_thr);
    f->sink_calls++;
    check(f->sink_calls <= f->expected_out);
    if (f->sink_mode == 1 || (f->sink_mode == 2 && (f->sink_calls & 1)))
        return 0;   /* backend full or gone: the UART must not care */
    return len;
}

static const struct chr_ops sink_ops = { .write = sink_write };

/* ---- the model ---- */

static unsigned cap(const struct model *m)
{
    return m->fifo ? UART_FIFO_LEN : 1;
}

static void m_reset(struct model *m)
{
    *m = (struct model){ .dll = 12 };
}

static void m_clear(struct model *m)
{
    m->head = m->count = 0;
}

static bool m_put(struct model *m, uint8_t b)
{
    if (m->count >= cap(m))
        return false;
    m->q[(m->head + m->count) % UART_FIFO_LEN] = b;
    m->count++;
    return true;
}

static uint8_t m_get(struct model *m)
{
    uint8_t b;

    if (!m->count)
        return 0;
    b = m->q[m->head];
    m->head = (m->head + 1) % UART_FIFO_LEN;
    m->count--;
    return b;
}

static bool dlab(const struct model *m)
{
    return (m->lcr & UART_LCR_DLAB) != 0;
}

/* Expected IIR source from the device's own state before a read: the
 * datasheet's priority order (line status, RX data or timeout, THR empty,
 * modem status). */
static uint8_t iir_expected(const struct uart_state *s)
{
    static const uint8_t trig[4] = { 1, 4, 8, 14 };

    if ((s->ier & UART_IER_RLSI) && (s->lsr & LSR_ERRORS))
        return UART_IIR_RLSI;
    if ((s->ier & UART_IER_RDI) && s->rx_count)
        return (s->fcr & UART_FCR_ENABLE) && s->rx_count < trig[s->fcr >> 6]
                   ? UART_IIR_TIMEOUT : UART_IIR_RDI;
    if ((s->ier & UART_IER_THRI) && s->thre_pending)
        return UART_IIR_THRI;
    if ((s->ier & UART_IER_MSI) && (s->msr & MSR_DELTAS))
        return UART_IIR_MSI;
    return UART_IIR_NO_INT;
}

/* The guest's byte read at (off), already done by the device, returned
 * (got); (pre) is the device state just before it. */
static void m_read(uint8_t off, uint8_t got, const struct uart_state *pre)
{
    struct model *m = &g.m;
    uint8_t want;

    switch (off) {
    case UART_RBR:
        check(got == (dlab(m) ? m->dll : m_get(m)));
        return;
    case UART_IER:
        check(got == (dlab(m) ? m->dlm : m->ier));
        return;
    case UART_IIR:
        want = iir_expected(pre);
        check(got == (want | (m->fifo ? UART_IIR_FIFO : 0)));
        check(want != UART_IIR_THRI || !g.u.st.thre_pending);
        return;
    case UART_LCR:
        check(got == m->lcr);
        return;
    case UART_MCR:
        check(got == m->mcr);
        return;
    case UART_LSR:
        check(got == ((m->oe ? UART_LSR_OE : 0) | UART_LSR_THRE |
                      UART_LSR_TEMT | (m->count ? UART_LSR_DR : 0)));
        m->oe = false;
        return;
    case UART_MSR:
        check(!(g.u.st.msr & MSR_DELTAS));  /* deltas cleared by the read */
        return;
    case UART_SCR:
        check(got == m->scr);
        return;
    default:
        check(got == 0xff);
        return;
    }
}

static void m_write_fcr(struct model *m, uint8_t v)
{
    /* Changing bit 0 empties the FIFOs (datasheet, FCR bit 0). */
    if (!(v & UART_FCR_ENABLE)) {
        if (m->fifo)
            m_clear(m);
        m->fifo = false;
        return;
    }
    if (!m->fifo || (v & UART_FCR_CLEAR_RX))
        m_clear(m);
    m->fifo = true;
}

static void m_write(uint8_t off, uint8_t v)
{
    struct model *m = &g.m;

    switch (off) {
    case UART_THR:
        if (dlab(m)) {
            m->dll = v;
        } else if (m->mcr & UART_MCR_LOOP) {
            if (!m_put(m, v)) {
                m->oe = true;
                m->overruns++;
            }
        } else if (g.u.out) {
            g.expected_out++;
        }
        return;
    case UART_IER:
        if (dlab(m))
            m->dlm = v;
        else
            m->ier = v & 0x0f;
        return;
    case UART_FCR:
        m_write_fcr(m, v);
        return;
    case UART_LCR:
        m->lcr = v;
        return;
    case UART_MCR:
        m->mcr = v & 0x1f;
        return;
    case UART_SCR:
        m->scr = v;
        return;
    default:
        return;   /* LSR, MSR, past the window: ignored */
    }
}

/* ---- guest and host actions ---- */

static void do_read(uint8_t off)
{
    struct uart_state pre = g.u.st;

    m_read(off, uart_read(&g.u, off), &pre);
}

static void do_write(uint8_t off, uint8_t v)
{
    g.last_thr = v;
    m_write(off, v);  /* first: the sink checks against expected_out */
    uart_write(&g.u, off, v);
}

/* A wide access through the bus adapter: byte accesses at consecutive
 * offsets, lowest first; bytes past the window read 0xff. */
static void do_bus(struct in *in, bool wr)
{
    uint8_t off = get8(in) % (UART_NR_REGS + 2);
    unsigned len = 1u << (get8(in) & 3);
    uint8_t buf[8];

    for (unsigned i = 0; i < len; i++)
        buf[i] = get8(in);
    if (wr) {
        /* Only byte 0 of an access at offset 0 can be THR. */
        g.last_thr = buf[0];
        for (unsigned i = 0; i < len; i++)
            if (off + i < UART_NR_REGS)
                m_write((uint8_t)(off + i), buf[i]);
        uart_bus_ops.write(&g.u, off, buf, len);
        return;
    }
    for (unsigned i = 0; i < len; i++) {
        struct uart_state pre = g.u.st;
        uint8_t b = 0xa5;

        uart_bus_ops.read(&g.u, off + i, &b, 1);
        m_read(off + i < UART_NR_REGS ? (uint8_t)(off + i) : 0xff, b, &pre);
    }
}

static void do_push(struct in *in)
{
    uint8_t buf[24];
    unsigned len = get8(in) % (sizeof(buf) + 1);
    size_t want = 0, got;

    for (unsigned i = 0; i < len; i++)
        buf[i] = get8(in);
    if (!(g.m.mcr & UART_MCR_LOOP))
        want = cap(&g.m) - g.m.count < len ? cap(&g.m) - g.m.count : len;
    check(uart_rx_room(&g.u) == (g.m.mcr & UART_MCR_LOOP ? 0
                                 : cap(&g.m) - g.m.count));
    got = uart_push_input(&g.u, len ? buf : NULL, len);
    check(got == (len ? want : 0));
    for (size_t i = 0; i < got; i++)
        check(m_put(&g.m, buf[i]));
}

static void do_reset(void)
{
    uart_reset(&g.u);
    m_reset(&g.m);
}

/* Invariants after every op. */
static void verify(void)
{
    const struct uart_state *s = &g.u.st;
    bool pending = iir_expected(s) != UART_IIR_NO_INT;
    bool gated = (s->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;

    check(s->rx_head < UART_FIFO_LEN);
    check(s->rx_count <= cap(&g.m) && s->rx_count == g.m.count);
    check(s->overruns == g.m.overruns);
    check(((s->lsr & UART_LSR_OE) != 0) == g.m.oe);
    check(!(s->lsr & (UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)));
    check(s->thre_pending <= 1);
    check(g.level == (pending && gated) && g.u.irq_level == g.level);
    check(g.sink_calls == g.expected_out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = { data, size };
    uint8_t mode = get8(&in);
    unsigned ops = 0;

    memset(&g, 0, sizeof(g));
    g.sink_mode = mode % 3;
    uart_init(&g.u, (struct irq_line){ .set = irq_set, .ctx = &g },
              (mode & 4) ? NULL : &sink_ops, &g);
    m_reset(&g.m);
    verify();
    while (in.n && ops++ < MAX_OPS) {
        uint8_t op = get8(&in);

        switch (op % 8) {
        case 0: case 1: case 2:
            do_write((uint8_t)((op >> 3) % (UART_NR_REGS + 1)), get8(&in));
            break;
        case 3: case 4:
            do_read((uint8_t)((op >> 3) % (UART_NR_REGS + 1)));
            break;
        case 5:
            do_push(&in);
            break;
        case 6:
            do_bus(&in, (op >> 3) & 1);
            break;
        default:
            if ((op >> 3) == 0)
                do_reset();
            else
                g.sink_mode = (op >> 3) % 3;
            break;
        }
        verify();
    }
    return 0;
}
