/* The few C library functions the guest (and the compiler) needs. String
 * instructions, so the compiler cannot turn a loop back into a call. */
#include "hw.h"

void *memset(void *d, int c, size_t n)
{
    void *p = d;

    __asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(c) : "memory");
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    void *p = d;

    __asm__ volatile("rep movsb" : "+D"(p), "+S"(s), "+c"(n) : : "memory");
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;

    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    return n;
}

bool mem_all(const void *p, uint8_t c, size_t n)
{
    const volatile uint8_t *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != c)
            return false;
    return true;
}
