/* The hostile test guest: finds its RAM and Vessel's virtio devices, runs
 * the attack groups (each line "HOSTILE a<N> ..."), then proves the
 * devices still do well-formed I/O ("HOSTILE-IO-OK") and exits through
 * the debug-exit port: 0 (Vessel exits 32) when every device did what
 * shared/RELIABILITY.md says, 1 (Vessel exits 33) otherwise.
 *
 * Expected devices (tests/integration/t_hostile.sh): a read-write
 * virtio-blk with serial "hostile-disk", a read-only one, virtio-rng. */
#include "attack.h"
#include "serial.h"

#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define E820_ENTRY 20
#define E820_RAM 1
#define DEBUG_EXIT 0xf4

static struct vmem vmem[3];
static struct vdev blk, ro, rng;

static void find_ram(const uint8_t *bp)
{
    unsigned n = bp[BP_E820_ENTRIES];

    for (unsigned i = 0; i < n && i < 128; i++) {
        const uint8_t *e = bp + BP_E820_TABLE + E820_ENTRY * i;
        uint64_t addr, size, end;
        uint32_t type;

        memcpy(&addr, e, 8);
        memcpy(&size, e + 8, 8);
        memcpy(&type, e + 16, 4);
        if (type != E820_RAM)
            continue;
        end = addr + size;
        if (end > mach.ram_top)
            mach.ram_top = end;
        if (addr >= GiB4)
            mach.high_ram = true;
        else if (end > mach.ram_low_end)
            mach.ram_low_end = end;
    }
    con_printf("HOSTILE-INFO RAM below 4 GiB ends at 0x%llx, top 0x%llx\n",
               (unsigned long long)mach.ram_low_end,
               (unsigned long long)mach.ram_top);
}

static void setup(struct vdev *d, uint64_t feat, uint16_t qsize)
{
    d->feat = feat;
    d->qsize = qsize < d->qmax ? qsize : d->qmax;
}

/* Every function on bus 0; the two disks told apart by their RO bit. */
static bool find_devices(void)
{
    struct vdev probe;
    unsigned nblk = 0;

    for (unsigned s = 0; s < PCI_SLOTS; s++) {
        uint32_t id = (uint32_t)pci_read(s, 0, PCI_VENDOR_ID, 4);

        if (id == 0xffffffff)
            continue;
        mach.fn_slot[mach.nfn++] = s;
        con_printf("HOSTILE-INFO PCI 00:%02u.0 %04x:%04x\n", s, id & 0xffff,
                   id >> 16);
        if ((id & 0xffff) != VIRTIO_VENDOR)
            continue;
        if (id >> 16 == VIRTIO_PCI_RNG && !mach.rng) {
            if (vio_probe(&rng, s, &vmem[2], "rng") == 0)
                mach.rng = &rng;
        } else if (id >> 16 == VIRTIO_PCI_BLK && nblk < 2 &&
                   vio_probe(&probe, s, &vmem[nblk], "blk") == 0) {
            nblk++;
            if ((probe.offered & VF_BLK_RO) && !mach.ro) {
                ro = probe;
                ro.name = "blk-ro";
                mach.ro = &ro;
            } else if (!mach.blk) {
                blk = probe;
                mach.blk = &blk;
            }
        }
    }
    if (!mach.blk || !mach.ro || !mach.rng) {
        report_error("want a writable disk, a read-only disk and an rng");
        return false;
    }
    setup(&blk, VF_VERSION_1 | VF_INDIRECT | VF_BLK_FLUSH, 128);
    setup(&ro, VF_VERSION_1 | VF_INDIRECT | VF_BLK_RO, 64);
    setup(&rng, VF_VERSION_1, 64);
    mach.capacity = mmio_read64(blk.dcfg);
    mach.ro_capacity = mmio_read64(ro.dcfg);
    con_printf("HOSTILE-INFO blk %llu sectors, blk-ro %llu sectors\n",
               (unsigned long long)mach.capacity,
               (unsigned long long)mach.ro_capacity);
    return true;
}

/* What every device must still do after the attacks. */
static bool well_formed(void)
{
    uint8_t *data = buf_ptr(&blk, BLK_DATA);
    int wr = -1, fl = -1, rd = -1, rn = -1, rr = -1;
    bool same = false;

    if (fresh(&blk)) {
        for (unsigned i = 0; i < 4096; i++)
            data[i] = (uint8_t)(i / 512 * 31 + i * 7 + 1);
        wr = blk_request(&blk, BLK_T_OUT, 0, 4096, 5000);
        fl = blk_request(&blk, BLK_T_FLUSH, 0, 0, 5000);
        memset(data, 0, 4096);
        rd = blk_request(&blk, BLK_T_IN, 0, 4096, 5000);
        same = true;
        for (unsigned i = 0; i < 4096; i++)
            same &= data[i] == (uint8_t)(i / 512 * 31 + i * 7 + 1);
    }
    if (fresh(&rng))
        rn = rng_request(&rng, 64, false);
    if (fresh(&ro))
        rr = blk_request(&ro, BLK_T_IN, 0, 512, 5000);
    if (wr == BLK_S_OK && fl == BLK_S_OK && rd == BLK_S_OK && same &&
        rn == 64 && rr == BLK_S_OK) {
        con_puts("HOSTILE-IO-OK blk wrote, flushed and read back sectors "
                 "0-7; rng gave 64 bytes; blk-ro reads\n");
        return true;
    }
    report_error("well-formed I/O failed: write %d flush %d read %d (%s), "
                 "rng %d, blk-ro %d", wr, fl, rd, same ? "same" : "DIFFERS",
                 rn, rr);
    return false;
}

static void group(void (*fn)(void), const char *name)
{
    uint64_t t0 = time_ms();

    fn();
    con_printf("HOSTILE-INFO %s took %llu ms\n", name,
               (unsigned long long)(time_ms() - t0));
}

void hostile_main(const uint8_t *boot_params);

void hostile_main(const uint8_t *boot_params)
{
    con_puts("HOSTILE-START\n");
    time_init();
    find_ram(boot_params);
    if (find_devices()) {
        group(attack_chains, "a1-a7");
        group(attack_rings, "a8-a15");
        group(attack_blk, "a19-a20");
        group(attack_rng, "a25");
        group(attack_storms, "a17");
        group(attack_platform, "a27-a28");
        group(attack_config, "a16");
        (void)well_formed();
    }
    con_printf("HOSTILE-DONE attacks=%u unexpected=%u time=%llu ms\n",
               report_attacks(), report_unexpected(),
               (unsigned long long)time_ms());
    outb(DEBUG_EXIT, report_unexpected() ? 1 : 0);
}
