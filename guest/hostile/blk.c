/* virtio-blk requests that are well-formed chains but bad requests
 * (RELIABILITY (a) 19) and writes to a read-only disk ((a) 20). Each is
 * answered with a status byte, used.len 1 (21 for GET_ID), and no host
 * I/O; t_hostile.sh checks the image files afterwards. */
#include "attack.h"

/* [hdr][data (n bytes, writable if (in))][status] on a fresh (d). */
static void req(unsigned id, struct vdev *d, const char *what, uint32_t type,
                uint64_t sector, uint32_t n, bool in, uint8_t status)
{
    struct seg s[] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), n, in ? VD_WRITE : 0},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };

    if (!fresh(d))
        return;
    blk_prepare(d, type, sector);
    if (n) {
        chain(d, s, 3);
    } else {
        s[1] = s[2];
        chain(d, s, 2);
    }
    expect_answer(id, d, what, status, status == BLK_S_OK && in ? n + 1 : 1);
}

/* DISCARD/WRITE_ZEROES with one range segment (sector, num, flags). */
static void range(unsigned id, struct vdev *d, const char *what,
                  uint32_t type, uint64_t sector, uint32_t num,
                  uint32_t flags, uint8_t status)
{
    uint8_t *seg = buf_ptr(d, BLK_DATA);
    struct seg s[] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), 16, 0},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };

    if (!fresh(d))
        return;
    blk_prepare(d, type, 0);
    memcpy(seg, &sector, 8);
    memcpy(seg + 8, &num, 4);
    memcpy(seg + 12, &flags, 4);
    chain(d, s, 3);
    expect_answer(id, d, what, status, 1);
}

static void a19_requests(void)
{
    struct vdev *d = mach.blk;
    uint64_t cap = mach.capacity;

    req(19, d, "blk IN at sector = capacity", BLK_T_IN, cap, 512, true,
        BLK_S_IOERR);
    req(19, d, "blk IN of 2 sectors at capacity - 1", BLK_T_IN, cap - 1, 1024,
        true, BLK_S_IOERR);
    req(19, d, "blk OUT of 2 sectors at capacity - 1", BLK_T_OUT, cap - 1,
        1024, false, BLK_S_IOERR);
    req(19, d, "blk IN at sector 2^55 (sector*512 overflows)", BLK_T_IN,
        1ULL << 55, 512, true, BLK_S_IOERR);
    req(19, d, "blk IN at sector 2^64-1", BLK_T_IN, ~0ULL, 512, true,
        BLK_S_IOERR);
    req(19, d, "blk IN of 100 bytes (len%512)", BLK_T_IN, 0, 100, true,
        BLK_S_IOERR);
    req(19, d, "blk OUT of 513 bytes (len%512)", BLK_T_OUT, 0, 513, false,
        BLK_S_IOERR);
    req(19, d, "blk GET_ID into 19 bytes", BLK_T_GET_ID, 0, 19, true,
        BLK_S_IOERR);
    req(19, d, "blk GET_ID into 21 bytes", BLK_T_GET_ID, 0, 21, true,
        BLK_S_IOERR);
    req(19, d, "blk GET_ID into 20 bytes (control)", BLK_T_GET_ID, 0, 20,
        true, BLK_S_OK);
    if (memcmp(buf_ptr(d, BLK_DATA), BLK_SERIAL, sizeof(BLK_SERIAL) - 1))
        report_error("a19: GET_ID did not return the serial " BLK_SERIAL);
    req(19, d, "blk unknown type 0x7777", 0x7777, 0, 512, true, BLK_S_UNSUPP);
    req(19, d, "blk GET_LIFETIME (not offered)", BLK_T_GET_LIFETIME, 0, 16,
        true, BLK_S_UNSUPP);
    req(19, d, "blk SECURE_ERASE (not offered)", BLK_T_SECURE_ERASE, 0, 0,
        false, BLK_S_UNSUPP);
    range(19, d, "blk DISCARD with unknown flags", BLK_T_DISCARD, 0, 8, 0x80,
          BLK_S_UNSUPP);
    range(19, d, "blk DISCARD with UNMAP", BLK_T_DISCARD, 0, 8, 1,
          BLK_S_UNSUPP);
    range(19, d, "blk WRITE_ZEROES past the capacity", BLK_T_WRITE_ZEROES,
          cap - 4, 8, 0, BLK_S_IOERR);
    range(19, d, "blk WRITE_ZEROES of 2^32-1 sectors", BLK_T_WRITE_ZEROES, 0,
          0xffffffff, 0, BLK_S_IOERR);
    req(19, d, "blk FLUSH (control)", BLK_T_FLUSH, 0, 0, false, BLK_S_OK);
}

static void a20_read_only(void)
{
    struct vdev *d = mach.ro;
    uint8_t before[512];
    int st;

    report(20, d->offered & VF_BLK_RO, "blk-ro features", "RO %s",
           d->offered & VF_BLK_RO ? "offered" : "NOT offered");
    if (!fresh(d) || blk_request(d, BLK_T_IN, 0, 512, 2000) != BLK_S_OK) {
        report_error("a20: the read-only disk cannot be read");
        return;
    }
    memcpy(before, buf_ptr(d, BLK_DATA), sizeof(before));
    req(20, d, "blk-ro OUT to sector 0", BLK_T_OUT, 0, 512, false,
        BLK_S_IOERR);
    range(20, d, "blk-ro WRITE_ZEROES of sector 0-7", BLK_T_WRITE_ZEROES, 0,
          8, 0, BLK_S_IOERR);
    range(20, d, "blk-ro DISCARD of sector 0-7", BLK_T_DISCARD, 0, 8, 0,
          BLK_S_IOERR);
    req(20, d, "blk-ro FLUSH", BLK_T_FLUSH, 0, 0, false, BLK_S_OK);
    st = fresh(d) ? blk_request(d, BLK_T_IN, 0, 512, 2000) : -1;
    report(20,
           st == BLK_S_OK &&
               !memcmp(before, buf_ptr(d, BLK_DATA), sizeof(before)),
           "blk-ro sector 0 read back", "status %d, %s", st,
           memcmp(before, buf_ptr(d, BLK_DATA), sizeof(before)) ? "CHANGED"
                                                                : "unchanged");
}

void attack_blk(void)
{
    a19_requests();
    a20_read_only();
}
