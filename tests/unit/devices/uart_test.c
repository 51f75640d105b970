/* 16550A UART: registers, FIFO, interrupts, loopback, bus widths. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "devices/uart.h"
#include "helpers/fakes.h"

struct fixture {
    struct uart u;
    struct irq_rec irq;
    struct chr_cap out;
};

static int setup(void **state)
{
    struct fixture *f = test_calloc(1, sizeof(*f));

    uart_init(&f->u, irq_rec_line(&f->irq), &chr_cap_ops, &f->out);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    test_free(*state);
    return 0;
}

/* The FIFO invariants a hostile guest must never break. */
static void assert_fifo_sane(const struct uart *u)
{
    assert_true(u->st.rx_count <= UART_FIFO_LEN);
    assert_true(u->st.rx_head < UART_FIFO_LEN);
}

static void push_str(struct uart *u, const char *s)
{
    size_t len = strlen(s);

    assert_int_equal(uart_push_input(u, (const uint8_t *)s, len), len);
}

static void test_reset_values(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    assert_int_equal(uart_read(u, UART_IER), 0);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    assert_int_equal(uart_read(u, UART_LCR), 0);
    assert_int_equal(uart_read(u, UART_MCR), 0);
    assert_int_equal(uart_read(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(uart_read(u, UART_MSR),
                     UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD);
    assert_int_equal(uart_read(u, UART_SCR), 0);
    assert_int_equal(uart_read(u, UART_RBR), 0); /* empty FIFO */
    assert_int_equal(uart_read(u, 8), 0xff);
    assert_int_equal(f->irq.calls, 0);
}

static void test_thr_write_goes_to_output(void **state)
{
    struct fixture *f = *state;

    uart_write(&f->u, UART_THR, 'h');
    uart_write(&f->u, UART_THR, 'i');
    assert_int_equal(f->out.len, 2);
    assert_memory_equal(f->out.buf, "hi", 2);
    assert_int_equal(uart_read(&f->u, UART_LSR) & UART_LSR_TEMT,
                     UART_LSR_TEMT);
}

static void test_null_output_discards(void **state)
{
    struct uart u;

    (void)state;
    uart_init(&u, (struct irq_line){0}, NULL, NULL);
    uart_write(&u, UART_THR, 'x'); /* no sink, no crash */
    assert_int_equal(uart_read(&u, UART_LSR) & UART_LSR_THRE, UART_LSR_THRE);
}

static void test_word_length_ignored(void **state)
{
    struct fixture *f = *state;

    uart_write(&f->u, UART_LCR, 0x00); /* "5 data bits": reset value */
    uart_write(&f->u, UART_THR, 0xff);
    push_str(&f->u, "\xff");
    assert_int_equal(f->out.len, 1);
    assert_int_equal(f->out.buf[0], 0xff);
    assert_int_equal(uart_read(&f->u, UART_RBR), 0xff);
}

static void test_a26_dlab_flips_to_divisor(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_IER, UART_IER_RDI);
    uart_write(u, UART_LCR, UART_LCR_DLAB | 0x03);
    assert_int_equal(uart_read(u, UART_DLL), 12); /* 9600 at reset */
    uart_write(u, UART_DLL, 0x01);
    uart_write(u, UART_DLM, 0x02);
    assert_int_equal(uart_read(u, UART_DLL), 0x01);
    assert_int_equal(uart_read(u, UART_DLM), 0x02);
    assert_int_equal(f->out.len, 0); /* DLL write is not THR */
    assert_int_equal(u->st.ier, UART_IER_RDI);

    uart_write(u, UART_LCR, 0x03);
    assert_int_equal(uart_read(u, UART_IER), UART_IER_RDI);
    uart_write(u, UART_THR, 'a');
    assert_int_equal(f->out.len, 1);
    /* The divisor survives while DLAB is clear. */
    uart_write(u, UART_LCR, UART_LCR_DLAB);
    assert_int_equal(uart_read(u, UART_DLL), 0x01);
    assert_int_equal(uart_read(u, UART_DLM), 0x02);
}

static void test_dlab_hides_rx_data(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    push_str(u, "z");
    uart_write(u, UART_LCR, UART_LCR_DLAB);
    assert_int_equal(uart_read(u, UART_RBR), 12); /* DLL, FIFO untouched */
    assert_int_equal(u->st.rx_count, 1);
    uart_write(u, UART_LCR, 0x03);
    assert_int_equal(uart_read(u, UART_RBR), 'z');
}

static void test_scratch(void **state)
{
    struct fixture *f = *state;

    uart_write(&f->u, UART_SCR, 0xa5);
    assert_int_equal(uart_read(&f->u, UART_SCR), 0xa5);
}

static void test_ier_high_bits_masked(void **state)
{
    struct fixture *f = *state;

    uart_write(&f->u, UART_IER, 0xf5);
    assert_int_equal(uart_read(&f->u, UART_IER), 0x05);
    uart_write(&f->u, UART_MCR, 0xff);
    assert_int_equal(uart_read(&f->u, UART_MCR), 0x1f);
}

static void test_rx_fifo_fills_to_16(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    uint8_t in[20];

    for (unsigned i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)('a' + i);
    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    assert_int_equal(uart_rx_room(u), 16);
    assert_int_equal(uart_push_input(u, in, sizeof(in)), 16);
    assert_int_equal(uart_rx_room(u), 0);
    assert_int_equal(uart_push_input(u, in + 16, 4), 0); /* refused */
    assert_int_equal(u->st.overruns, 0);  /* refusing is not losing */
    assert_int_equal(uart_read(u, UART_LSR) & UART_LSR_OE, 0);
    for (unsigned i = 0; i < 16; i++) {
        assert_true(uart_read(u, UART_LSR) & UART_LSR_DR);
        assert_int_equal(uart_read(u, UART_RBR), 'a' + i);
        assert_fifo_sane(u);
    }
    assert_int_equal(uart_read(u, UART_LSR) & UART_LSR_DR, 0);
    assert_int_equal(uart_rx_room(u), 16);
}

static void test_rx_without_fifo_holds_one(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    assert_int_equal(uart_push_input(u, (const uint8_t *)"abc", 3), 1);
    assert_int_equal(uart_rx_room(u), 0);
    assert_int_equal(uart_read(u, UART_RBR), 'a');
    assert_int_equal(uart_push_input(u, (const uint8_t *)"bc", 2), 1);
    assert_int_equal(uart_read(u, UART_RBR), 'b');
}

static void test_a26_rx_index_wraps_in_range(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    uint8_t next_in = 0, next_out = 0;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    for (unsigned round = 0; round < 1000; round++) {
        uint8_t buf[7];

        for (unsigned i = 0; i < sizeof(buf); i++)
            buf[i] = (uint8_t)(next_in + i);
        next_in = (uint8_t)(next_in + uart_push_input(u, buf, sizeof(buf)));
        for (unsigned i = 0; i < round % 9; i++) {
            if (!(uart_read(u, UART_LSR) & UART_LSR_DR))
                break;
            assert_int_equal(uart_read(u, UART_RBR), next_out++);
        }
        assert_fifo_sane(u);
    }
}

static void test_push_edge_cases(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(uart_push_input(&f->u, NULL, 5), 0);
    assert_int_equal(uart_push_input(&f->u, (const uint8_t *)"a", 0), 0);
    assert_int_equal(f->u.st.rx_count, 0);
}

static void test_fcr_clears_and_disable_empties(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    push_str(u, "abcd");
    uart_write(u, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    assert_int_equal(u->st.rx_count, 0);
    assert_int_equal(uart_read(u, UART_IIR) & UART_IIR_FIFO, UART_IIR_FIFO);
    assert_int_equal(u->st.fcr & UART_FCR_CLEAR_RX, 0); /* self-clearing */

    push_str(u, "abcd");
    uart_write(u, UART_FCR, UART_FCR_ENABLE | 0xc0); /* trigger 14 only */
    assert_int_equal(u->st.rx_count, 4);
    uart_write(u, UART_FCR, 0xc0); /* bit 0 clear: FIFOs off, rest ignored */
    assert_int_equal(u->st.rx_count, 0);
    assert_int_equal(u->st.fcr, 0);
    assert_int_equal(uart_read(u, UART_IIR) & UART_IIR_FIFO, 0);
}

static void test_a26_loopback_overrun_counted(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    uart_write(u, UART_MCR, UART_MCR_LOOP);
    assert_int_equal(uart_rx_room(u), 0); /* serial input disconnected */
    assert_int_equal(uart_push_input(u, (const uint8_t *)"x", 1), 0);
    for (unsigned i = 0; i < 20; i++) {
        uart_write(u, UART_THR, (uint8_t)i);
        assert_fifo_sane(u);
    }
    assert_int_equal(f->out.len, 0); /* looped, not sent */
    assert_int_equal(u->st.rx_count, 16);
    assert_int_equal(u->st.overruns, 4);
    assert_int_equal(uart_read(u, UART_LSR),
                     UART_LSR_DR | UART_LSR_OE | UART_LSR_THRE |
                         UART_LSR_TEMT);
    assert_int_equal(uart_read(u, UART_LSR) & UART_LSR_OE, 0); /* cleared */
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(uart_read(u, UART_RBR), i); /* FIFO kept intact */
}

static void test_loopback_msr_reflects_mcr(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    /* Linux's probe: MCR = LOOP | RTS | OUT2 must show CTS | DCD. */
    uart_write(u, UART_MCR, UART_MCR_LOOP | 0x0a);
    assert_int_equal(uart_read(u, UART_MSR) & 0xf0,
                     UART_MSR_CTS | UART_MSR_DCD);
    uart_write(u, UART_MCR, UART_MCR_LOOP | 0x0f);
    assert_int_equal(uart_read(u, UART_MSR),
                     0xf0 | UART_MSR_DDSR); /* DSR rose */
    uart_write(u, UART_MCR, UART_MCR_LOOP);
    assert_int_equal(uart_read(u, UART_MSR),
                     UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_TERI |
                         UART_MSR_DDCD);
    assert_int_equal(uart_read(u, UART_MSR), 0); /* deltas cleared */
    uart_write(u, UART_MCR, 0);
    assert_int_equal(uart_read(u, UART_MSR) & 0xf0, 0xb0); /* host again */
}

static void test_loopback_byte_reaches_rbr(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_MCR, UART_MCR_LOOP);
    uart_write(u, UART_THR, 0x55);
    assert_true(uart_read(u, UART_LSR) & UART_LSR_DR);
    assert_int_equal(uart_read(u, UART_RBR), 0x55);
    uart_write(u, UART_MCR, 0);
    uart_write(u, UART_THR, 0x66);
    assert_int_equal(f->out.len, 1);
}

/* All four sources at once come out in datasheet priority order. */
static void test_iir_priority(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    uart_write(u, UART_IER, 0x0f);
    uart_write(u, UART_MCR, UART_MCR_LOOP); /* lines drop: MSR deltas */
    for (unsigned i = 0; i < 17; i++)      /* full FIFO and an overrun */
        uart_write(u, UART_THR, 'x');

    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_RLSI);
    uart_read(u, UART_LSR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
    for (unsigned i = 0; i < 16; i++)
        uart_read(u, UART_RBR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_THRI);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_MSI);
    uart_read(u, UART_MSR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
}

static void test_iir_not_reported_when_disabled(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    push_str(u, "a");
    uart_write(u, UART_MCR, UART_MCR_OUT2);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    assert_false(f->irq.level);
    uart_write(u, UART_IER, UART_IER_RDI);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_RDI);
    assert_true(f->irq.level);
    uart_read(u, UART_RBR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    assert_false(f->irq.level);
}

static void test_rx_timeout_below_trigger(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_FCR, UART_FCR_ENABLE | 0x80); /* trigger 8 */
    uart_write(u, UART_IER, UART_IER_RDI);
    push_str(u, "abc");
    assert_int_equal(uart_read(u, UART_IIR),
                     UART_IIR_FIFO | UART_IIR_TIMEOUT);
    push_str(u, "defgh");
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
    uart_read(u, UART_RBR);
    assert_int_equal(uart_read(u, UART_IIR),
                     UART_IIR_FIFO | UART_IIR_TIMEOUT);
}

static void test_thre_irq_raise_and_clear(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_MCR, UART_MCR_OUT2);
    uart_write(u, UART_IER, UART_IER_THRI); /* THR empty: raised at once */
    assert_true(f->irq.level);
    assert_int_equal(f->irq.raises, 1);

    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_THRI); /* acks it */
    assert_false(f->irq.level);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);

    uart_write(u, UART_THR, 'a'); /* sent at once; THR empty again */
    assert_true(f->irq.level);
    assert_int_equal(f->irq.raises, 2);

    /* A THR write while the line is high gives a fresh edge. */
    uart_write(u, UART_THR, 'b');
    assert_true(f->irq.level);
    assert_int_equal(f->irq.lowers, 2);
    assert_int_equal(f->irq.raises, 3);

    uart_write(u, UART_IER, 0); /* disabling drops it */
    assert_false(f->irq.level);
    uart_write(u, UART_IER, UART_IER_THRI); /* re-enabling re-asserts */
    assert_true(f->irq.level);
}

static void test_thre_not_acked_by_lower_priority_read(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_IER, UART_IER_THRI | UART_IER_RDI);
    push_str(u, "a");
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_RDI);
    uart_read(u, UART_RBR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_THRI); /* still there */
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
}

static void test_out2_gates_irq(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_IER, UART_IER_RDI);
    push_str(u, "a");
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_RDI); /* pending... */
    assert_false(f->irq.level);                             /* ...gated */
    assert_int_equal(f->irq.calls, 0);
    uart_write(u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    assert_true(f->irq.level);
    uart_write(u, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    assert_false(f->irq.level);
    uart_write(u, UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP); /* loop forces */
    assert_false(f->irq.level);                             /* OUT2 off */
    uart_write(u, UART_MCR, UART_MCR_OUT2);
    assert_true(f->irq.level);
}

static void test_irq_set_on_change_only(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    uart_write(u, UART_MCR, UART_MCR_OUT2);
    uart_write(u, UART_IER, UART_IER_RDI);
    for (unsigned i = 0; i < 10; i++)
        push_str(u, "a");
    assert_int_equal(f->irq.calls, 1);
    for (unsigned i = 0; i < 9; i++)
        uart_read(u, UART_RBR);
    assert_int_equal(f->irq.calls, 1);
    uart_read(u, UART_RBR);
    assert_int_equal(f->irq.calls, 2);
    assert_false(f->irq.level);
}

static void test_line_status_irq(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_IER, UART_IER_RLSI);
    uart_write(u, UART_MCR, UART_MCR_LOOP);
    uart_write(u, UART_THR, 1);
    uart_write(u, UART_THR, 2); /* 16450 mode: one byte, then overrun */
    assert_int_equal(u->st.overruns, 1);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_RLSI);
    uart_read(u, UART_LSR);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    assert_int_equal(uart_read(u, UART_RBR), 1);
}

static void test_modem_status_irq(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_IER, UART_IER_MSI);
    uart_write(u, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    uart_write(u, UART_MCR, UART_MCR_OUT2); /* leave loop: RI falls */
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_MSI);
    assert_true(f->irq.level);
    assert_true(uart_read(u, UART_MSR) & UART_MSR_TERI);
    assert_false(f->irq.level);
}

static void test_reset_lowers_irq(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    uart_write(u, UART_MCR, UART_MCR_OUT2);
    uart_write(u, UART_IER, UART_IER_THRI);
    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    push_str(u, "abc");
    assert_true(f->irq.level);
    uart_reset(u);
    assert_false(f->irq.level);
    assert_int_equal(u->st.rx_count, 0);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    assert_int_equal(uart_read(u, UART_IER), 0);
}

static void test_bus_split_bytes(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    uint8_t w[2] = {0x42, 0x5a}, r[4];

    /* outw at 7 would be unclaimed on the real bus; here byte 1 is out. */
    uart_bus_ops.write(u, UART_LCR, w, 2); /* LCR = 0x42, MCR = 0x5a */
    assert_int_equal(u->st.lcr, 0x42);
    assert_int_equal(u->st.mcr, 0x1a);
    uart_bus_ops.read(u, UART_SCR, r, 4);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[1], 0xff);
    assert_int_equal(r[3], 0xff);
    uart_bus_ops.read(u, UART_LCR, r, 4);
    assert_int_equal(r[0], 0x42);
    assert_int_equal(r[1], 0x1a);
}

static void test_bus_every_offset_and_width(void **state)
{
    struct fixture *f = *state;

    for (unsigned lcr = 0; lcr < 2; lcr++) {
        uart_write(&f->u, UART_LCR, lcr ? UART_LCR_DLAB : 0);
        assert_true(bus_sweep(&uart_bus_ops, &f->u, UART_NR_REGS) > 0);
        assert_fifo_sane(&f->u);
    }
}

/* A hostile guest (and host) doing random things: invariants hold and
 * every call returns. Also bounds the work: 200k operations. */
static void test_random_storm(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    uint32_t x = 12345;

    for (unsigned i = 0; i < 200000; i++) {
        uint8_t off, val;

        x = x * 1103515245u + 12345u;
        off = (uint8_t)((x >> 16) % 9);
        val = (uint8_t)(x >> 24);
        if (off == 8)
            (void)uart_push_input(u, &val, 1);
        else if (x & 0x100)
            uart_write(u, off, val);
        else
            (void)uart_read(u, off);
        assert_fifo_sane(u);
        assert_true(u->st.rx_count <=
                    ((u->st.fcr & UART_FCR_ENABLE) ? UART_FIFO_LEN : 1));
    }
}

/* A state loaded from a bad snapshot must not index out of the FIFO. */
static void test_corrupt_state_is_safe(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;

    memset(&u->st, 0xff, sizeof(u->st));
    uart_write(u, UART_LCR, 0x03);
    for (unsigned i = 0; i < 64; i++) {
        (void)uart_read(u, UART_RBR);
        (void)uart_read(u, UART_IIR);
    }
    assert_int_equal(uart_rx_room(u), 0);
    (void)uart_push_input(u, (const uint8_t *)"a", 1);
    assert_true(u->st.rx_head < UART_FIFO_LEN);
}

/* A THR-empty interrupt storm: the guest writes THR and acknowledges by
 * reading IIR as fast as it can. Each write costs one lower and one raise
 * of the line, never more; every byte goes out once. */
static void test_a26_thre_storm_bounded(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    const unsigned n = 100000;

    uart_write(u, UART_MCR, UART_MCR_OUT2);
    uart_write(u, UART_IER, UART_IER_THRI);
    assert_int_equal(uart_read(u, UART_IIR), UART_IIR_THRI); /* ack */
    assert_int_equal(f->irq.calls, 2);
    for (unsigned i = 0; i < n; i++) {
        uart_write(u, UART_THR, (uint8_t)i);
        assert_true(f->irq.level);
        assert_int_equal(uart_read(u, UART_IIR), UART_IIR_THRI);
        assert_false(f->irq.level);
        assert_int_equal(uart_read(u, UART_IIR), UART_IIR_NO_INT);
    }
    /* per write: raise after the byte left, lower on the IIR read */
    assert_int_equal(f->irq.calls, 2 + 2 * n);
    assert_int_equal(f->out.len + f->out.dropped, n);
    assert_int_equal(u->st.thre_pending, 0);
}

/* A guest polling LSR and IIR with nothing to do: no state change, no
 * interrupt edge, no output; every read answers the same. */
static void test_a26_poll_loop_no_side_effects(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    struct uart_state before;

    uart_write(u, UART_MCR, UART_MCR_OUT2);
    uart_write(u, UART_IER, UART_IER_RDI | UART_IER_RLSI);
    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    before = u->st;
    for (unsigned i = 0; i < 100000; i++) {
        assert_int_equal(uart_read(u, UART_LSR),
                         UART_LSR_THRE | UART_LSR_TEMT);
        assert_int_equal(uart_read(u, UART_IIR),
                         UART_IIR_FIFO | UART_IIR_NO_INT);
        assert_int_equal(uart_read(u, UART_RBR), 0);
    }
    assert_memory_equal(&before, &u->st, sizeof(before));
    assert_int_equal(f->irq.calls, 0);
    assert_int_equal(f->out.len, 0);
}

/* Overrun storms stay bounded: the guest looping back 10^5 bytes into a
 * full FIFO, and the host offering 1 MiB to a guest that never reads.
 * The FIFO keeps its first 16 bytes, every byte the UART itself lost is
 * counted once, and refused host input is left with the host. */
static void test_a26_overrun_storm_bounded(void **state)
{
    struct fixture *f = *state;
    struct uart *u = &f->u;
    static uint8_t big[1 << 20];
    size_t taken = 0;

    uart_write(u, UART_FCR, UART_FCR_ENABLE);
    for (size_t off = 0; off < sizeof(big); off += 4096)
        taken += uart_push_input(u, big + off, 4096);
    assert_int_equal(taken, UART_FIFO_LEN);
    assert_int_equal(u->st.overruns, 0);     /* refused, not lost */
    assert_int_equal(uart_rx_room(u), 0);

    uart_write(u, UART_MCR, UART_MCR_LOOP);
    for (unsigned i = 0; i < 100000; i++)
        uart_write(u, UART_THR, 0xa5);
    assert_fifo_sane(u);
    assert_int_equal(u->st.rx_count, UART_FIFO_LEN);
    assert_int_equal(u->st.overruns, 100000);
    assert_int_equal(uart_read(u, UART_LSR) & UART_LSR_OE, UART_LSR_OE);
    for (unsigned i = 0; i < UART_FIFO_LEN; i++)
        assert_int_equal(uart_read(u, UART_RBR), 0);   /* host's bytes */
    assert_int_equal(uart_read(u, UART_LSR) & UART_LSR_DR, 0);
    assert_int_equal(f->out.len, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_thr_write_goes_to_output),
        T(test_null_output_discards),
        T(test_word_length_ignored),
        T(test_a26_dlab_flips_to_divisor),
        T(test_dlab_hides_rx_data),
        T(test_scratch),
        T(test_ier_high_bits_masked),
        T(test_rx_fifo_fills_to_16),
        T(test_rx_without_fifo_holds_one),
        T(test_a26_rx_index_wraps_in_range),
        T(test_push_edge_cases),
        T(test_fcr_clears_and_disable_empties),
        T(test_a26_loopback_overrun_counted),
        T(test_loopback_msr_reflects_mcr),
        T(test_loopback_byte_reaches_rbr),
        T(test_iir_priority),
        T(test_iir_not_reported_when_disabled),
        T(test_rx_timeout_below_trigger),
        T(test_thre_irq_raise_and_clear),
        T(test_thre_not_acked_by_lower_priority_read),
        T(test_out2_gates_irq),
        T(test_irq_set_on_change_only),
        T(test_line_status_irq),
        T(test_modem_status_irq),
        T(test_reset_lowers_irq),
        T(test_bus_split_bytes),
        T(test_bus_every_offset_and_width),
        T(test_random_storm),
        T(test_corrupt_state_is_safe),
        T(test_a26_thre_storm_bounded),
        T(test_a26_poll_loop_no_side_effects),
        T(test_a26_overrun_storm_bounded),
    };

    return cmocka_run_group_tests_name("uart", tests, NULL, NULL);
}
