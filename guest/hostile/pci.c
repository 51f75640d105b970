/* PCI configuration access; see pci.h. */
#include "pci.h"

#define CF8_ENABLE 0x80000000U
#define BAR_IO 0x1U
#define BAR_MEM64 0x4U

uint64_t pci_ecam(unsigned dev, unsigned fn, unsigned off)
{
    return PCI_ECAM_BASE | (uint64_t)dev << 15 | (uint64_t)fn << 12 | off;
}

uint64_t pci_read(unsigned dev, unsigned fn, unsigned off, unsigned width)
{
    return mmio_read(pci_ecam(dev, fn, off), width);
}

void pci_write(unsigned dev, unsigned fn, unsigned off, unsigned width,
               uint64_t val)
{
    mmio_write(pci_ecam(dev, fn, off), width, val);
}

static void cf8_select(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
    outl(PCI_CF8, CF8_ENABLE | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
}

uint32_t pci_cf8_read(unsigned bus, unsigned dev, unsigned fn, unsigned off,
                      unsigned width)
{
    cf8_select(bus, dev, fn, off);
    return pio_read((uint16_t)(PCI_CFC + (off & 3)), width);
}

void pci_cf8_write(unsigned bus, unsigned dev, unsigned fn, unsigned off,
                   unsigned width, uint32_t val)
{
    cf8_select(bus, dev, fn, off);
    pio_write((uint16_t)(PCI_CFC + (off & 3)), width, val);
}

unsigned pci_find_cap(unsigned dev, unsigned id, unsigned from)
{
    unsigned at = from ? (unsigned)pci_read(dev, 0, from + 1, 1)
                       : (unsigned)pci_read(dev, 0, PCI_CAP_PTR, 1);

    /* At most 48 capabilities fit in 256 bytes: a looping list ends. */
    for (unsigned hops = 0; at >= 0x40 && at < 0x100 && hops < 48; hops++) {
        if (pci_read(dev, 0, at, 1) == id)
            return at;
        at = (unsigned)pci_read(dev, 0, at + 1, 1);
    }
    return 0;
}

uint64_t pci_bar(unsigned dev, unsigned n)
{
    uint32_t lo = (uint32_t)pci_read(dev, 0, PCI_BAR0 + 4 * n, 4);

    if (lo & BAR_IO)
        return lo & ~3U;
    if (lo & BAR_MEM64)
        return (lo & ~0xfULL) |
               pci_read(dev, 0, PCI_BAR0 + 4 * (n + 1), 4) << 32;
    return lo & ~0xfU;
}
