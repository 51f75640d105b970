/* 16550A UART. Register behaviour follows the National/TI PC16550D
 * datasheet; see uart.h for what is simplified (instant TX, expired RX
 * timeout, OUT2 gating). */
#include "devices/uart.h"

#define FIFO_MASK (UART_FIFO_LEN - 1)
#define LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define MSR_DELTAS (UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI | UART_MSR_DDCD)
#define DIVISOR_9600 12 /* 1.8432 MHz / 16 / 9600 */

_Static_assert((UART_FIFO_LEN & FIFO_MASK) == 0, "FIFO length power of two");

/* FCR bits 7:6 -> RX trigger level in bytes. */
static const uint8_t rx_trigger_level[4] = {1, 4, 8, 14};

static bool fifo_enabled(const struct uart_state *s)
{
    return (s->fcr & UART_FCR_ENABLE) != 0;
}

/* With FIFOs off the receiver holds a single byte (16450 mode). */
static unsigned rx_capacity(const struct uart_state *s)
{
    return fifo_enabled(s) ? UART_FIFO_LEN : 1;
}

static unsigned rx_free(const struct uart_state *s)
{
    unsigned cap = rx_capacity(s);

    return s->rx_count >= cap ? 0 : cap - s->rx_count;
}

static void rx_clear(struct uart_state *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
}

/* A character arrives at the receiver. A full FIFO keeps its contents and the
 * new character is lost: LSR.OE (datasheet, LSR bit 1). */
static void rx_put(struct uart_state *s, uint8_t byte)
{
    if (rx_free(s) == 0) {
        s->lsr |= UART_LSR_OE;
        s->overruns++;
        return;
    }
    s->rx[(s->rx_head + s->rx_count) & FIFO_MASK] = byte;
    s->rx_count++;
}

static uint8_t rx_get(struct uart_state *s)
{
    uint8_t byte;

    if (s->rx_count == 0)
        return 0;
    byte = s->rx[s->rx_head & FIFO_MASK];
    s->rx_head = (uint8_t)((s->rx_head + 1) & FIFO_MASK);
    s->rx_count--;
    return byte;
}

/* The highest-priority pending source, datasheet table "Interrupt Control
 * Functions": line status > RX data/timeout > THR empty > modem status. */
static uint8_t iir_source(const struct uart_state *s)
{
    if ((s->ier & UART_IER_RLSI) && (s->lsr & LSR_ERRORS))
        return UART_IIR_RLSI;
    if ((s->ier & UART_IER_RDI) && s->rx_count) {
        if (fifo_enabled(s) &&
            s->rx_count < rx_trigger_level[s->fcr >> 6])
            return UART_IIR_TIMEOUT;
        return UART_IIR_RDI;
    }
    if ((s->ier & UART_IER_THRI) && s->thre_pending)
        return UART_IIR_THRI;
    if ((s->ier & UART_IER_MSI) && (s->msr & MSR_DELTAS))
        return UART_IIR_MSI;
    return UART_IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
    const struct uart_state *s = &u->st;
    bool level = iir_source(s) != UART_IIR_NO_INT &&
                 (s->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;

    if (level != u->irq_level) {
        u->irq_level = level;
        irq_line_set(&u->irq, level);
    }
}

/* Modem input lines. In loopback they are the MCR outputs (CTS=RTS,
 * DSR=DTR, RI=OUT1, DCD=OUT2); otherwise the host end is always connected
 * and ready. */
static uint8_t msr_lines(const struct uart_state *s)
{
    uint8_t m = s->mcr;

    if (!(m & UART_MCR_LOOP))
        return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    return (uint8_t)(((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                     ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                     ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                     ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

/* Latch a line change into the delta bits; TERI is the trailing edge of RI
 * only (1 -> 0). */
static void msr_update(struct uart_state *s)
{
    uint8_t old = s->msr, now = msr_lines(s), delta = 0;

    if ((old ^ now) & UART_MSR_CTS)
        delta |= UART_MSR_DCTS;
    if ((old ^ now) & UART_MSR_DSR)
        delta |= UART_MSR_DDSR;
    if ((old ^ now) & UART_MSR_DCD)
        delta |= UART_MSR_DDCD;
    if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
        delta |= UART_MSR_TERI;
    s->msr = (uint8_t)(now | (old & MSR_DELTAS) | delta);
}

static bool dlab(const struct uart_state *s)
{
    return (s->lcr & UART_LCR_DLAB) != 0;
}

/* ---- reads: one handler per offset ---- */

static uint8_t read_rbr(struct uart *u)
{
    uint8_t v;

    if (dlab(&u->st))
        return u->st.dll;
    v = rx_get(&u->st);
    update_irq(u);
    return v;
}

static uint8_t read_ier(struct uart *u)
{
    return dlab(&u->st) ? u->st.dlm : u->st.ier;
}

/* Reading IIR acknowledges a THR-empty interrupt, but only when it is the
 * source being reported (datasheet: "Reading the IIR register (if source
 * of interrupt)"). */
static uint8_t read_iir(struct uart *u)
{
    uint8_t src = iir_source(&u->st);

    if (src == UART_IIR_THRI) {
        u->st.thre_pending = 0;
        update_irq(u);
    }
    return (uint8_t)(src | (fifo_enabled(&u->st) ? UART_IIR_FIFO : 0));
}

static uint8_t read_lcr(struct uart *u)
{
    return u->st.lcr;
}

static uint8_t read_mcr(struct uart *u)
{
    return u->st.mcr;
}

/* Reading LSR clears the error bits (and with them the line-status
 * interrupt). THR and the transmitter are always empty: TX is instant. */
static uint8_t read_lsr(struct uart *u)
{
    uint8_t v = (uint8_t)((u->st.lsr & LSR_ERRORS) | UART_LSR_THRE |
                          UART_LSR_TEMT | (u->st.rx_count ? UART_LSR_DR : 0));

    if (u->st.lsr & LSR_ERRORS) {
        u->st.lsr &= (uint8_t)~LSR_ERRORS;
        update_irq(u);
    }
    return v;
}

static uint8_t read_msr(struct uart *u)
{
    uint8_t v = u->st.msr;

    if (v & MSR_DELTAS) {
        u->st.msr &= (uint8_t)~MSR_DELTAS;
        update_irq(u);
    }
    return v;
}

static uint8_t read_scr(struct uart *u)
{
    return u->st.scr;
}

/* ---- writes: one handler per offset ---- */

static void write_thr(struct uart *u, uint8_t val)
{
    struct uart_state *s = &u->st;

    if (dlab(s)) {
        s->dll = val;
        return;
    }
    /* Writing THR clears a pending THR-empty interrupt; the character then
     * leaves at once and THR is empty again, which raises it anew. Doing
     * both steps gives an edge-triggered PIC the fresh edge it would see on
     * hardware. */
    s->thre_pending = 0;
    update_irq(u);
    if (s->mcr & UART_MCR_LOOP)
        rx_put(s, val);
    else if (u->out && u->out->write)
        (void)u->out->write(u->out_ctx, &val, 1); /* backend may drop */
    s->thre_pending = 1;
    update_irq(u);
}

/* Enabling ETBEI while THR is empty (always, here) raises the THR-empty
 * interrupt at once; Linux's THRE re-assert probe depends on this. */
static void write_ier(struct uart *u, uint8_t val)
{
    struct uart_state *s = &u->st;
    uint8_t changed;

    if (dlab(s)) {
        s->dlm = val;
        return;
    }
    val &= UART_IER_RDI | UART_IER_THRI | UART_IER_RLSI | UART_IER_MSI;
    changed = s->ier ^ val;
    s->ier = val;
    if (changed & UART_IER_THRI)
        s->thre_pending = (val & UART_IER_THRI) ? 1 : 0;
    update_irq(u);
}

/* FCR bits other than bit 0 are only programmed when bit 0 is set, and
 * changing bit 0 empties both FIFOs (datasheet, FCR bits 0-2). */
static void write_fcr(struct uart *u, uint8_t val)
{
    struct uart_state *s = &u->st;

    if (!(val & UART_FCR_ENABLE)) {
        if (fifo_enabled(s))
            rx_clear(s);
        s->fcr = 0;
    } else {
        if (!fifo_enabled(s) || (val & UART_FCR_CLEAR_RX))
            rx_clear(s);
        s->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIG_MASK);
    }
    update_irq(u);
}

static void write_lcr(struct uart *u, uint8_t val)
{
    u->st.lcr = val;
}

static void write_mcr(struct uart *u, uint8_t val)
{
    u->st.mcr = val & (UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT1 |
                       UART_MCR_OUT2 | UART_MCR_LOOP);
    msr_update(&u->st);
    update_irq(u);
}

/* LSR and MSR writes are for factory test on hardware; ignored. */
static void write_ignore(struct uart *u, uint8_t val)
{
    (void)u;
    (void)val;
}

static void write_scr(struct uart *u, uint8_t val)
{
    u->st.scr = val;
}

typedef uint8_t (*uart_read_fn)(struct uart *u);
typedef void (*uart_write_fn)(struct uart *u, uint8_t val);

static const uart_read_fn reg_read[UART_NR_REGS] = {
    [UART_RBR] = read_rbr, [UART_IER] = read_ier, [UART_IIR] = read_iir,
    [UART_LCR] = read_lcr, [UART_MCR] = read_mcr, [UART_LSR] = read_lsr,
    [UART_MSR] = read_msr, [UART_SCR] = read_scr,
};

static const uart_write_fn reg_write[UART_NR_REGS] = {
    [UART_THR] = write_thr, [UART_IER] = write_ier, [UART_FCR] = write_fcr,
    [UART_LCR] = write_lcr, [UART_MCR] = write_mcr, [UART_LSR] = write_ignore,
    [UART_MSR] = write_ignore, [UART_SCR] = write_scr,
};

uint8_t uart_read(struct uart *u, uint8_t off)
{
    if (off >= UART_NR_REGS)
        return 0xff;
    return reg_read[off](u);
}

void uart_write(struct uart *u, uint8_t off, uint8_t val)
{
    /* GUEST: (off, val) straight from a port write. */
    if (off < UART_NR_REGS)
        reg_write[off](u, val);
}

void uart_reset(struct uart *u)
{
    struct uart_state *s = &u->st;

    *s = (struct uart_state){.dll = DIVISOR_9600};
    s->msr = msr_lines(s); /* lines as they are, no deltas */
    update_irq(u);
}

void uart_init(struct uart *u, struct irq_line irq,
               const struct chr_ops *out, void *out_ctx)
{
    u->irq = irq;
    u->out = out;
    u->out_ctx = out_ctx;
    u->irq_level = false;
    uart_reset(u);
}

size_t uart_rx_room(const struct uart *u)
{
    if (u->st.mcr & UART_MCR_LOOP)
        return 0;
    return rx_free(&u->st);
}

size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len)
{
    size_t n = uart_rx_room(u), i;

    if (!buf || n == 0)
        return 0;
    if (n > len)
        n = len;
    for (i = 0; i < n; i++)
        rx_put(&u->st, buf[i]);
    update_irq(u);
    return n;
}

static uint8_t port_read(void *dev, uint8_t off)
{
    return uart_read(dev, off);
}

static void port_write(void *dev, uint8_t off, uint8_t val)
{
    uart_write(dev, off, val);
}

static void uart_bus_read(void *dev, uint64_t off, void *data, unsigned len)
{
    bus_read_bytes(dev, off, data, len, UART_NR_REGS, port_read);
}

static void uart_bus_write(void *dev, uint64_t off, const void *data,
                           unsigned len)
{
    bus_write_bytes(dev, off, data, len, UART_NR_REGS, port_write);
}

const struct bus_ops uart_bus_ops = {
    .read = uart_bus_read,
    .write = uart_bus_write,
};
