/* Ports and MMIO outside the virtio rings: unclaimed ports including the
 * floppy controller's (RELIABILITY (a) 27, VENOM), random MMIO in the
 * 3-4 GiB hole, string port I/O of 4 KiB and 8-byte MMIO at odd
 * addresses ((a) 28). Unclaimed reads are all-ones, unclaimed writes go
 * nowhere (core/bus.h); inside a virtio BAR, accesses that are no register
 * read 0 (devices/virtio/virtio_pci.h), except in the MSI-X table and PBA,
 * which read all-ones (devices/pci/msix.h). */
#include "attack.h"

#include "serial.h"

#define COM1_SCR 0x3ff
#define FDC_DOR 0x3f2
#define FDC_FIFO 0x3f5
#define IDE_DATA 0x1f0
#define POST_PORT 0x80
#define FDC_DRIVE_SPEC 0x8e   /* the command behind VENOM (CVE-2015-3456) */

static uint8_t pio_buf[0x3000] __attribute__((aligned(4096)));
static uint32_t lcg_state = 12345;

static uint32_t lcg(void)
{
    lcg_state = lcg_state * 1103515245U + 12345U;
    return lcg_state >> 8;
}

static void rep_insb(uint16_t port, void *p, size_t n)
{
    __asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(port) : "memory");
}

static void rep_insw(uint16_t port, void *p, size_t n)
{
    __asm__ volatile("rep insw" : "+D"(p), "+c"(n) : "d"(port) : "memory");
}

static void rep_insl(uint16_t port, void *p, size_t n)
{
    __asm__ volatile("rep insl" : "+D"(p), "+c"(n) : "d"(port) : "memory");
}

static void rep_outsb(uint16_t port, const void *p, size_t n)
{
    __asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(port) : "memory");
}

static void rep_outsl(uint16_t port, const void *p, size_t n)
{
    __asm__ volatile("rep outsl" : "+S"(p), "+c"(n) : "d"(port) : "memory");
}

/* Reads of every byte, word and dword of [port, port+n) that are not
 * all-ones. */
static unsigned not_ones(uint16_t port, unsigned n)
{
    unsigned bad = 0;

    for (unsigned i = 0; i < n; i++)
        for (unsigned w = 1; w <= 4 && i + w <= n; w *= 2)
            bad += pio_read((uint16_t)(port + i), w) != ones(w);
    return bad;
}

static void a27_floppy(void)
{
    unsigned before = not_ones(0x3f0, 8), after;

    outb(FDC_DOR, 0x1c);                  /* motor on, out of reset */
    memset(pio_buf, FDC_DRIVE_SPEC, 4096);
    rep_outsb(FDC_FIFO, pio_buf, 4096);
    outb(FDC_DOR, 0x00);
    after = not_ones(0x3f0, 8);
    report(27, before == 0 && after == 0,
           "floppy ports 0x3f0-0x3f7, 4 KiB of drive-spec commands to the "
           "FIFO (VENOM)",
           "no device: %u reads not all-ones before, %u after", before,
           after);
}

static void a27_legacy(void)
{
    static const struct {
        uint16_t port, n;
    } r[] = {
        {0x370, 8}, {0x1f0, 8}, {0x170, 8}, {0x278, 8}, {0x2f8, 8},
        {0x3e8, 8}, {0x2e8, 8}, {0x510, 2}, {0x402, 1}, {0xe9, 1},
        {POST_PORT, 1},
    };
    unsigned bad = 0, nrand = 0, badrand = 0;

    for (unsigned i = 0; i < ARRAY_SIZE(r); i++)
        bad += not_ones(r[i].port, r[i].n);
    report(27, bad == 0,
           "legacy ports (2nd floppy, IDE, LPT, COM2-4, fw_cfg, debugcon, "
           "0x80)", "%u reads not all-ones", bad);
    /* [0x1000, 0x10000): nothing there (the PCI port window is empty). */
    for (unsigned i = 0; i < 2000; i++) {
        uint16_t port = (uint16_t)(0x1000 + lcg() % 0xf000);
        unsigned w = 1U << (lcg() % 3);

        if (i % 2)
            pio_write(port, w, lcg());
        badrand += pio_read(port, w) != ones(w);
        nrand++;
    }
    report(27, badrand == 0, "2000 random ports in 0x1000-0xffff, half "
           "written first", "%u of %u reads not all-ones", badrand, nrand);
}

/* A random address in the hole with nothing behind it. */
static uint64_t hole_addr(void)
{
    static const struct {
        uint64_t base, len;
    } w[] = {
        {0xc8000000, 0x18000000},      /* past the BARs, below ECAM */
        {0xe0100000, 0x1eb00000},      /* past ECAM, below the IOAPIC */
        {0xfed00000, 0x00100000},      /* between IOAPIC and LAPIC */
    };
    unsigned i = lcg() % ARRAY_SIZE(w);

    return w[i].base + (uint64_t)lcg() * 0x1000 % w[i].len + lcg() % 0x1000;
}

static void a27_mmio(void)
{
    unsigned bad = 0;

    for (unsigned i = 0; i < 1000; i++) {
        uint64_t a = hole_addr();
        unsigned w = 1U << (lcg() % 4);

        if (i % 3 == 0)
            mmio_write(a, w, ((uint64_t)lcg() << 32) | lcg());
        bad += mmio_read(a, w) != ones(w);
    }
    report(27, bad == 0, "1000 random MMIO accesses in the 3-4 GiB hole, "
           "a third written first", "%u reads not all-ones", bad);
}

static void a28_string_io(void)
{
    unsigned bad = 0;
    uint8_t last;

    memset(pio_buf, SENT, sizeof(pio_buf));
    /* 4 KiB across a page boundary: the bytes around must stay. */
    rep_insb(IDE_DATA, pio_buf + 0xf80, 4096);
    bad += !mem_all(pio_buf + 0xf80, 0xff, 4096) ||
           !mem_all(pio_buf, SENT, 0xf80) ||
           !mem_all(pio_buf + 0x1f80, SENT, 0x80);
    rep_insw(IDE_DATA, pio_buf, 2048);
    bad += !mem_all(pio_buf, 0xff, 4096);
    rep_insl(IDE_DATA, pio_buf, 1024);
    bad += !mem_all(pio_buf, 0xff, 4096);
    rep_outsl(POST_PORT, pio_buf, 1024);
    for (unsigned i = 0; i < 4096; i++)
        pio_buf[i] = (uint8_t)(i * 7);
    last = pio_buf[4095];
    rep_outsb(COM1_SCR, pio_buf, 4096);
    report(28, bad == 0 && inb(COM1_SCR) == last,
           "rep insb/insw/insl 4 KiB from 0x1f0, rep outsl to 0x80, rep "
           "outsb 4 KiB to COM1's scratch register",
           "%u checks failed; scratch holds the last byte: %s", bad,
           inb(COM1_SCR) == last ? "yes" : "no");
}

/* One 8-byte (or odd-sized) MMIO access at an odd address: read, write
 * all-ones, read again. */
static void odd(const char *what, uint64_t a, unsigned w, uint64_t want)
{
    uint64_t v = mmio_read(a, w), v2;

    mmio_write(a, w, ~0ULL);
    v2 = mmio_read(a, w);
    report(28, v == want && v2 == want, what,
           "reads 0x%llx, after an all-ones write 0x%llx",
           (unsigned long long)v, (unsigned long long)v2);
}

static void a28_odd_mmio(void)
{
    struct vdev *r = mach.rng;
    uint64_t bar = r->bar;
    uint32_t id = (uint32_t)pci_read(r->slot, 0, 0, 4);
    int len;

    if (!fresh(r))
        return;
    odd("8-byte MMIO at 0xd0000001 (unclaimed)", 0xd0000001, 8, ~0ULL);
    odd("8-byte MMIO across a page at 0xd0000ffd", 0xd0000ffd, 8, ~0ULL);
    odd("8-byte MMIO at ECAM + 1", pci_ecam(r->slot, 0, 1), 8, ~0ULL);
    odd("8-byte MMIO at common config + 0x13 (over status)", bar + 0x13, 8,
        0);
    odd("4-byte MMIO at common config + 0x15", bar + 0x15, 4, 0);
    odd("2-byte MMIO at common config + 0x17", bar + 0x17, 2, 0);
    odd("8-byte MMIO at ISR + 1", r->isr + 1, 8, 0);
    odd("8-byte MMIO at device config + 1", bar + 0x2001, 8, 0);
    odd("8-byte MMIO at the doorbell + 1", r->notify + 1, 8, 0);
    odd("8-byte MMIO at MSI-X table + 1", bar + 0x3801, 8, ~0ULL);
    odd("8-byte MMIO across the end of BAR 0", bar + 0x3ffd, 8, ~0ULL);
    len = rng_request(r, 64, true);
    report(28,
           len == 64 && pci_read(r->slot, 0, 0, 4) == id &&
               vio_status(r) == (VS_ACK | VS_DRIVER | VS_FEATURES_OK |
                                 VS_DRIVER_OK),
           "rng after the odd accesses", "status 0x%02x, serves: used.len %d",
           vio_status(r), len);
}

void attack_platform(void)
{
    a27_floppy();
    a27_legacy();
    a27_mmio();
    a28_string_io();
    a28_odd_mmio();
}
