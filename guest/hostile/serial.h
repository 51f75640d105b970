/* Console output on COM1 (polled 16550) with a small printf. */
#ifndef HOSTILE_SERIAL_H
#define HOSTILE_SERIAL_H

#include <stdarg.h>
#include <stddef.h>

void con_puts(const char *s);
/* printf subset: %% %c %s %d %u %x with flags 0, a width and the length
 * modifiers l, ll and z. Output over 255 bytes a call is cut. */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same into (buf) of (size) bytes, NUL-terminated; returns the length. */
size_t fmt_buf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t fmt_va(char *buf, size_t size, const char *fmt, va_list ap);

#endif
