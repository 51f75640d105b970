/* 16550A UART (the PC's COM ports): eight byte-wide registers, a 16-byte
 * receive FIFO and one interrupt line.
 *
 * Transmit is instant: a THR write goes straight to the char backend, so THR
 * and the transmitter are always empty (LSR.THRE and LSR.TEMT read 1) and
 * there is no TX FIFO to model. The receive character-timeout is treated as
 * already expired: whenever the FIFO holds fewer bytes than the trigger
 * level, IIR reports a timeout (0x0C) instead of waiting four character
 * times, so the guest sees every byte without a host timer. Characters are
 * always 8 bits whatever LCR says (its reset value selects 5): the divisor,
 * word length, parity and stop bits are stored and read back only.
 *
 * The interrupt output reaches the PC's interrupt controller only when
 * MCR.OUT2 is set and MCR.LOOP is clear (loopback forces the OUT pins
 * inactive, and OUT2 gates the IRQ buffer on a PC). The line is driven as a
 * level and set only when it changes.
 *
 * Not thread-safe: the caller serialises every call on one struct uart (the
 * vmm holds a mutex around them, since vCPU threads and the I/O loop both
 * call in). Callbacks (chr_ops.write, irq_line.set) run under that lock. */
#ifndef VESSEL_DEVICES_UART_H
#define VESSEL_DEVICES_UART_H

#include "core/bus.h"
#include "core/chr.h"
#include "core/irq.h"
#include "core/types.h"

#define UART_COM1_PORT 0x3f8
#define UART_COM1_IRQ 4
#define UART_NR_REGS 8      /* window length in ports */
#define UART_FIFO_LEN 16    /* power of two: indexes are masked with it */

/* Register offsets. DLAB (LCR bit 7) maps 0 and 1 to the divisor latch. */
#define UART_RBR 0  /* read, DLAB=0: receive buffer */
#define UART_THR 0  /* write, DLAB=0: transmit holding */
#define UART_DLL 0  /* DLAB=1: divisor latch, low byte */
#define UART_IER 1  /* DLAB=0: interrupt enable */
#define UART_DLM 1  /* DLAB=1: divisor latch, high byte */
#define UART_IIR 2  /* read: interrupt identification */
#define UART_FCR 2  /* write: FIFO control */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI 0x01   /* receive data available (and timeout) */
#define UART_IER_THRI 0x02  /* transmit holding register empty */
#define UART_IER_RLSI 0x04  /* receiver line status */
#define UART_IER_MSI 0x08   /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_MSI 0x00
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_RLSI 0x06
#define UART_IIR_TIMEOUT 0x0c
#define UART_IIR_FIFO 0xc0  /* both bits set while FIFOs are enabled */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR_RX 0x02
#define UART_FCR_CLEAR_TX 0x04
#define UART_FCR_DMA 0x08
#define UART_FCR_TRIG_MASK 0xc0 /* RX trigger level: 1, 4, 8, 14 bytes */

#define UART_LCR_WLEN_MASK 0x03 /* 5 + n data bits */
#define UART_LCR_DLAB 0x80

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define UART_LSR_PE 0x04
#define UART_LSR_FE 0x08
#define UART_LSR_BI 0x10
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40
#define UART_LSR_FIFOE 0x80

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

/* Guest-visible state: everything a snapshot must carry. Any byte pattern is
 * safe to load: FIFO indexes are masked and counts clamped on use. */
struct uart_state {
    uint8_t rx[UART_FIFO_LEN];
    uint8_t rx_head;      /* oldest byte, masked with UART_FIFO_LEN - 1 */
    uint8_t rx_count;     /* bytes held: <= 16 with FIFOs on, <= 1 off */
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;          /* FCR as written, minus the self-clearing bits */
    uint8_t lsr;          /* sticky error bits only (OE); DR/THRE computed */
    uint8_t msr;          /* lines (bits 4-7) and deltas (bits 0-3) */
    uint8_t thre_pending; /* 0/1: THR-empty interrupt not acknowledged */
    uint64_t overruns;    /* bytes lost to a full FIFO (LSR.OE events) */
};

struct uart {
    struct uart_state st;
    struct irq_line irq;          /* wiring, set by vmm/ */
    const struct chr_ops *out;    /* host/ backend, or a test buffer */
    void *out_ctx;
    bool irq_level;               /* last level driven on (irq) */
};

/* Set up (u) in its power-on state with interrupt (irq) and output sink
 * (out, out_ctx); (out) may be NULL to discard output. (u) is owned by the
 * caller. The line is not driven until the state first asks for it high. */
void uart_init(struct uart *u, struct irq_line irq,
               const struct chr_ops *out, void *out_ctx);

/* Back to the power-on state (MR pin): FIFO emptied, registers cleared,
 * the interrupt line lowered if it was high. Frees nothing. */
void uart_reset(struct uart *u);

/* One guest byte access at register (off) < UART_NR_REGS; other offsets
 * read 0xff and ignore writes. Reads may have side effects (RBR pops the
 * FIFO, IIR acknowledges THRE, LSR and MSR clear their sticky bits). */
uint8_t uart_read(struct uart *u, uint8_t off);
void uart_write(struct uart *u, uint8_t off, uint8_t val);

/* Host input: queue up to (len) bytes of (buf) into the RX FIFO. Returns how
 * many were taken (0 when full or in loopback, where the serial input is
 * disconnected); the caller keeps the rest and offers them again later, for
 * example after each guest access once uart_rx_room() is non-zero. Refused
 * input is not an overrun: only bytes the UART itself loses are counted. */
size_t uart_push_input(struct uart *u, const uint8_t *buf, size_t len);

/* Bytes uart_push_input() would accept right now. */
size_t uart_rx_room(const struct uart *u);

/* Bus adapter, dev = struct uart *, window UART_NR_REGS ports:
 *   bus_add(&pio, UART_COM1_PORT, UART_NR_REGS, &uart_bus_ops, &u, "com1")
 * An access wider than a byte is split into byte accesses at consecutive
 * offsets, lowest first, as the ISA/LPC bus does for an 8-bit device. */
extern const struct bus_ops uart_bus_ops;

#endif
