/* Port I/O, MMIO of an exact width, the TSC and barriers for the hostile
 * test guest. Every access is one instruction of the stated width, so the
 * hypervisor sees exactly the access the attack means (also at odd
 * addresses). Guest RAM and [0, 4 GiB) are identity-mapped by Vessel's
 * boot page tables: a physical address below 4 GiB is a pointer. */
#ifndef HOSTILE_HW_H
#define HOSTILE_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t inw(uint16_t port)
{
    uint16_t v;

    __asm__ volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;

    __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* A port access of (width) 1, 2 or 4 bytes. */
static inline uint32_t pio_read(uint16_t port, unsigned width)
{
    return width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
}

static inline void pio_write(uint16_t port, unsigned width, uint32_t v)
{
    if (width == 1)
        outb(port, (uint8_t)v);
    else if (width == 2)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}

static inline uint8_t mmio_read8(uint64_t a)
{
    uint8_t v;

    __asm__ volatile("movb (%1), %0" : "=q"(v) : "r"(a) : "memory");
    return v;
}

static inline uint16_t mmio_read16(uint64_t a)
{
    uint16_t v;

    __asm__ volatile("movw (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint32_t mmio_read32(uint64_t a)
{
    uint32_t v;

    __asm__ volatile("movl (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline uint64_t mmio_read64(uint64_t a)
{
    uint64_t v;

    __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(a) : "memory");
    return v;
}

static inline void mmio_write8(uint64_t a, uint8_t v)
{
    __asm__ volatile("movb %0, (%1)" : : "q"(v), "r"(a) : "memory");
}

static inline void mmio_write16(uint64_t a, uint16_t v)
{
    __asm__ volatile("movw %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write32(uint64_t a, uint32_t v)
{
    __asm__ volatile("movl %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

static inline void mmio_write64(uint64_t a, uint64_t v)
{
    __asm__ volatile("movq %0, (%1)" : : "r"(v), "r"(a) : "memory");
}

/* An MMIO access of (width) 1, 2, 4 or 8 bytes. */
static inline uint64_t mmio_read(uint64_t a, unsigned width)
{
    switch (width) {
    case 1:
        return mmio_read8(a);
    case 2:
        return mmio_read16(a);
    case 4:
        return mmio_read32(a);
    default:
        return mmio_read64(a);
    }
}

static inline void mmio_write(uint64_t a, unsigned width, uint64_t v)
{
    switch (width) {
    case 1:
        mmio_write8(a, (uint8_t)v);
        break;
    case 2:
        mmio_write16(a, (uint16_t)v);
        break;
    case 4:
        mmio_write32(a, (uint32_t)v);
        break;
    default:
        mmio_write64(a, v);
        break;
    }
}

/* All-ones of (width) bytes: what an unclaimed read returns. */
static inline uint64_t ones(unsigned width)
{
    return width >= 8 ? ~0ULL : (1ULL << (8 * width)) - 1;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

/* Full barrier: ring writes before a doorbell, a doorbell before reads. */
static inline void mb(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

static inline void barrier(void)
{
    __asm__ volatile("" ::: "memory");
}

/* lib.c: what the compiler may call, and a few helpers. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
/* True if all (n) bytes at (p) are (c). */
bool mem_all(const void *p, uint8_t c, size_t n);

/* time.c: the TSC, calibrated against the PIT at start-up. */
void time_init(void);
uint64_t time_ms(void);                 /* since time_init() */
uint64_t time_deadline(unsigned ms);    /* a TSC value (ms) from now */
bool time_passed(uint64_t deadline);
void time_delay(unsigned ms);

#endif
