/* RELIABILITY (a) 25: virtio-rng with a nearly 4 GiB writable chain is
 * served a capped amount, and used.len is exactly what was written. */
#include "attack.h"

#define HUGE_SEGS 63                 /* x 64 MiB: 4032 MiB, under 2^32 */
#define LOOK 0x4000                  /* scratch bytes checked */

/* Bytes at the start of (p) that differ from SENT, up to (n): how far the
 * device wrote (random bytes can equal SENT, so this is a lower bound). */
static uint32_t written(const uint8_t *p, uint32_t n)
{
    uint32_t last = 0;

    for (uint32_t i = 0; i < n; i++)
        if (p[i] != SENT)
            last = i + 1;
    return last;
}

static void a25_huge_chain(void)
{
    struct vdev *r = mach.rng;
    uint8_t *scratch = (uint8_t *)SCRATCH;
    struct obs o;
    char t[96];
    uint32_t w;

    if (mach.ram_low_end < SCRATCH_END || !fresh(r))
        return;
    memset(scratch, SENT, LOOK);
    for (uint16_t i = 0; i < HUGE_SEGS; i++)
        vio_desc(r, i, SCRATCH, SCRATCH_SEG,
                 (uint16_t)(VD_WRITE | (i + 1 < HUGE_SEGS ? VD_NEXT : 0)),
                 (uint16_t)(i + 1));
    vio_publish(r, 0);
    obs_kick(r, &o, 2000);
    w = written(scratch, LOOK);
    report(25,
           o.used && !(o.status & VS_NEEDS_RESET) && o.e.len > 0 &&
               o.e.len <= 4096 && w <= o.e.len,
           "rng chain of 63 x 64 MiB writable (4032 MiB)",
           "%s, bytes written up to %u", obs_text(&o, NULL, t, sizeof(t)), w);
}

static void a25_mixed_chain(void)
{
    struct vdev *r = mach.rng;
    struct seg s[] = {
        {buf_at(r, 0), 64, 0},
        {buf_at(r, 0x100), 64, VD_WRITE},
    };
    struct obs o;
    char t[96];

    if (!fresh(r))
        return;
    memset(buf_ptr(r, 0), SENT, 0x200);
    chain(r, s, 2);
    obs_kick(r, &o, 2000);
    report(25,
           o.used && o.e.len == 64 && mem_all(buf_ptr(r, 0), SENT, 64) &&
               mem_all(buf_ptr(r, 0x140), SENT, 0xc0),
           "rng chain with a readable buffer before the writable one",
           "%s, readable buffer %s", obs_text(&o, NULL, t, sizeof(t)),
           mem_all(buf_ptr(r, 0), SENT, 64) ? "untouched" : "WRITTEN");
}

void attack_rng(void)
{
    a25_huge_chain();
    a25_mixed_chain();
}
