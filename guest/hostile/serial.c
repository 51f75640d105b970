/* COM1 output, polled: wait for LSR.THRE, write THR. A '\n' goes out as
 * "\r\n" so the console log has ordinary lines. */
#include "serial.h"

#include <stdbool.h>

#include "hw.h"

#define COM1 0x3f8
#define UART_LSR 5
#define UART_LSR_THRE 0x20

static void con_putc(char c)
{
    unsigned spins = 0;

    /* Bounded: a UART that never drains must not hang the guest. */
    while (!(inb(COM1 + UART_LSR) & UART_LSR_THRE) && spins++ < 100000)
        cpu_relax();
    outb(COM1, (uint8_t)c);
}

void con_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            con_putc('\r');
        con_putc(*s);
    }
}

struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_num(struct out *o, unsigned long long v, unsigned base,
                    bool neg, unsigned width, char pad)
{
    char tmp[24];
    unsigned n = 0;

    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (width > n) {
        put(o, pad);
        width--;
    }
    while (n)
        put(o, tmp[--n]);
}

/* The argument of a %d/%u/%x with (lng) l's (2: long long, 3: size_t). */
static unsigned long long arg_u(va_list *ap, unsigned lng, bool sgn, bool *neg)
{
    long long s;

    *neg = false;
    if (!sgn) {
        if (lng == 3)
            return va_arg(*ap, size_t);
        if (lng == 2)
            return va_arg(*ap, unsigned long long);
        return lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned);
    }
    s = lng >= 2 ? va_arg(*ap, long long)
                 : lng ? va_arg(*ap, long) : va_arg(*ap, int);
    *neg = s < 0;
    return *neg ? 0ULL - (unsigned long long)s : (unsigned long long)s;
}

size_t fmt_va(char *buf, size_t size, const char *f, va_list ap)
{
    struct out o = {.buf = buf, .size = size};
    va_list aq;

    va_copy(aq, ap);
    for (; *f; f++) {
        unsigned width = 0, lng = 0;
        char pad = ' ';
        bool neg;

        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        if (*++f == '0')
            pad = '0';
        while (*f >= '0' && *f <= '9')
            width = width * 10 + (unsigned)(*f++ - '0');
        for (; *f == 'l' || *f == 'z'; f++)
            lng = *f == 'z' ? 3 : lng + 1;
        switch (*f) {
        case 'c':
            put(&o, (char)va_arg(aq, int));
            break;
        case 's':
            for (const char *s = va_arg(aq, const char *); *s; s++)
                put(&o, *s);
            break;
        case 'd':
        case 'u':
        case 'x': {
            unsigned long long v = arg_u(&aq, lng, *f == 'd', &neg);

            put_num(&o, v, *f == 'x' ? 16 : 10, neg, width, pad);
            break;
        }
        case '\0':
            f--;
            break;
        default:
            put(&o, *f);
            break;
        }
    }
    va_end(aq);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len < size ? o.len : size ? size - 1 : 0;
}

size_t fmt_buf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    va_start(ap, fmt);
    n = fmt_va(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void con_printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    fmt_va(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    con_puts(buf);
}
