/* Shared by the attack groups: what the guest found at start-up, the
 * report lines, and the moves most attacks make (a fresh device, a chain,
 * a kick and a look at what the device did).
 *
 * Each attack prints one line
 *     HOSTILE a<N> <what> -> <what Vessel did>[ UNEXPECTED (<want>)]
 * named after its case in shared/RELIABILITY.md (a); UNEXPECTED marks a
 * device that did not do what that page says it must. */
#ifndef HOSTILE_ATTACK_H
#define HOSTILE_ATTACK_H

#include "pci.h"
#include "virtio.h"

#define SENT 0xee                 /* bytes the device must leave alone */
/* What huge descriptors point at: [32 MiB, 96 MiB) of RAM, unused else. */
#define SCRATCH 0x2000000ULL
#define SCRATCH_SEG 0x4000000U
#define SCRATCH_END (SCRATCH + SCRATCH_SEG)

/* A blk request in a device's buffer area: header, status, data. */
#define BLK_HDR 0x0
#define BLK_ST 0x100
#define BLK_DATA 0x1000
#define BLK_DATA_MAX (VBUF_SIZE - BLK_DATA)
#define BLK_SENT_LEN 0x2000       /* data bytes filled with SENT */

#define BLK_T_IN 0
#define BLK_T_OUT 1
#define BLK_T_FLUSH 4
#define BLK_T_GET_ID 8
#define BLK_T_GET_LIFETIME 10
#define BLK_T_DISCARD 11
#define BLK_T_WRITE_ZEROES 13
#define BLK_T_SECURE_ERASE 14
#define BLK_S_OK 0
#define BLK_S_IOERR 1
#define BLK_S_UNSUPP 2
#define BLK_SERIAL "hostile-disk"  /* t_hostile.sh gives it on --disk */

#define GiB4 0x100000000ULL

struct machine {
    uint64_t ram_low_end;         /* end of the RAM below 4 GiB */
    uint64_t ram_top;             /* end of the highest RAM */
    bool high_ram;                /* RAM continues at 4 GiB */
    uint64_t capacity, ro_capacity;   /* disks, in 512-byte sectors */
    struct vdev *blk, *ro, *rng;
    unsigned nfn;                 /* PCI functions on bus 0 */
    unsigned fn_slot[PCI_SLOTS];
};

extern struct machine mach;

/* report.c */
void report(unsigned id, bool ok, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
unsigned report_attacks(void);
unsigned report_unexpected(void);

/* What a device did after a kick. */
struct obs {
    uint8_t status;               /* device status afterwards */
    bool cfg_irq;                 /* ISR had the config bit */
    bool used;                    /* a used element came... */
    struct vq_used_elem e;        /* ...this one */
    uint16_t used_idx;
};

/* Reset and start (d) again; false (reported) if it does not come back. */
bool fresh(struct vdev *d);
uint64_t buf_at(struct vdev *d, unsigned off);
uint8_t *buf_ptr(struct vdev *d, unsigned off);
/* A blk header (type, sector); status and the first BLK_SENT_LEN data
 * bytes set to SENT. */
void blk_prepare(struct vdev *d, uint32_t type, uint64_t sector);
/* NULL while the status and data bytes are still SENT, else what the
 * device did wrong: the check after a request it must refuse. */
const char *blk_touched(struct vdev *d);

/* One buffer of a chain: descriptors 0..n-1 get NEXT to the following
 * one; (flags) adds WRITE (or anything else). */
struct seg {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
};
void chain(struct vdev *d, const struct seg *s, unsigned n);
/* The same in the indirect table, published through descriptor 0. */
void chain_indirect(struct vdev *d, const struct seg *s, unsigned n);

/* Clear ISR, kick (synchronous) and wait up to (ms) for a used element or
 * NEEDS_RESET. */
void obs_kick(struct vdev *d, struct obs *o, unsigned ms);
/* "NEEDS_RESET+config irq, nothing used" or "used len=N status=IOERR";
 * (st) is the status byte to show, or NULL. */
const char *obs_text(const struct obs *o, const uint8_t *st, char *buf,
                     size_t n);
/* Kick and expect NEEDS_RESET, a config interrupt, nothing used and,
 * looked at afterwards, (after)(d) NULL (when given). */
void expect_reset(unsigned id, struct vdev *d, const char *what,
                  const char *(*after)(struct vdev *d));
/* blk: kick and expect a used element of (len) bytes with (status). */
void expect_answer(unsigned id, struct vdev *d, const char *what,
                   uint8_t status, uint32_t len);
/* A well-formed blk request: (type) at (sector) with (n) data bytes at
 * BLK_DATA; kicked through the doorbell (async). Returns the status, or
 * -1 if nothing came within (ms). */
int blk_request(struct vdev *d, uint32_t type, uint64_t sector, uint32_t n,
                unsigned ms);
/* A well-formed rng request of (n) bytes at the buffer area; used.len, or
 * -1 if nothing came. */
int rng_request(struct vdev *d, uint32_t n, bool sync);

/* For storms of "up to n" accesses: true while (i) is below the count
 * and, checked every 64 rounds, (deadline) has not passed. Under nested
 * emulation an exit costs 50-500 us; the deadline keeps the run short. */
static inline bool storm_go(unsigned i, unsigned n, uint64_t deadline)
{
    return i < n && (i % 64 || !time_passed(deadline));
}

/* The attack groups, in the order they run. */
void attack_chains(void);     /* a1-a7 */
void attack_rings(void);      /* a8-a10, a12-a15 */
void attack_config(void);     /* a16 */
void attack_storms(void);     /* a17 */
void attack_blk(void);        /* a19, a20 */
void attack_rng(void);        /* a25 */
void attack_platform(void);   /* a27, a28 */

#endif
