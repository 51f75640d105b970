/* The moves the attack groups share; see attack.h. */
#include "attack.h"

#include "serial.h"

struct machine mach;

bool fresh(struct vdev *d)
{
    if (vio_init(d) == 0)
        return true;
    report_error("%s does not start again after a reset", d->name);
    return false;
}

uint64_t buf_at(struct vdev *d, unsigned off)
{
    return (uint64_t)d->m->buf + off;
}

uint8_t *buf_ptr(struct vdev *d, unsigned off)
{
    return d->m->buf + off;
}

void blk_prepare(struct vdev *d, uint32_t type, uint64_t sector)
{
    uint8_t *h = buf_ptr(d, BLK_HDR);

    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    memset(buf_ptr(d, BLK_ST), SENT, 1);
    memset(buf_ptr(d, BLK_DATA), SENT, BLK_SENT_LEN);
}

const char *blk_touched(struct vdev *d)
{
    if (!mem_all(buf_ptr(d, BLK_ST), SENT, 1))
        return "status byte WRITTEN";
    if (!mem_all(buf_ptr(d, BLK_DATA), SENT, BLK_SENT_LEN))
        return "data WRITTEN";
    return NULL;
}

void chain(struct vdev *d, const struct seg *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        vio_desc(d, (uint16_t)i, s[i].addr, s[i].len,
                 (uint16_t)(s[i].flags | (i + 1 < n ? VD_NEXT : 0)),
                 (uint16_t)(i + 1 < n ? i + 1 : 0));
    vio_publish(d, 0);
}

void chain_indirect(struct vdev *d, const struct seg *s, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        vio_ind(d, (uint16_t)i, s[i].addr, s[i].len,
                (uint16_t)(s[i].flags | (i + 1 < n ? VD_NEXT : 0)),
                (uint16_t)(i + 1 < n ? i + 1 : 0));
    vio_desc(d, 0, (uint64_t)d->m->ind, n * 16, VD_INDIRECT, 0);
    vio_publish(d, 0);
}

void obs_kick(struct vdev *d, struct obs *o, unsigned ms)
{
    uint64_t dl;

    (void)vio_isr(d);
    vio_kick_sync(d);
    dl = time_deadline(ms);
    for (;;) {
        o->used = vio_used_idx(d) != d->last_used;
        o->status = vio_status(d);
        if (o->used || (o->status & VS_NEEDS_RESET) || time_passed(dl))
            break;
        time_delay(1);
    }
    if (o->used)
        o->e = vio_used_elem(d, d->last_used++);
    o->cfg_irq = vio_isr(d) & VISR_CONFIG;
    o->used_idx = vio_used_idx(d);
}

static const char *status_name(uint8_t s)
{
    switch (s) {
    case BLK_S_OK:
        return "OK";
    case BLK_S_IOERR:
        return "IOERR";
    case BLK_S_UNSUPP:
        return "UNSUPP";
    case SENT:
        return "unwritten";
    default:
        return "bogus";
    }
}

const char *obs_text(const struct obs *o, const uint8_t *st, char *buf,
                     size_t n)
{
    size_t k = 0;

    if (o->status & VS_NEEDS_RESET)
        k = fmt_buf(buf, n, "NEEDS_RESET%s, ",
                    o->cfg_irq ? "+config irq" : " (no config irq)");
    if (!o->used)
        fmt_buf(buf + k, n - k, "nothing used");
    else if (st)
        fmt_buf(buf + k, n - k, "used len=%u status=%s", o->e.len,
                status_name(*st));
    else
        fmt_buf(buf + k, n - k, "used len=%u", o->e.len);
    return buf;
}

void expect_reset(unsigned id, struct vdev *d, const char *what,
                  const char *(*after)(struct vdev *d))
{
    const char *bad;
    struct obs o;
    char t[96];
    bool ok;

    obs_kick(d, &o, 300);
    bad = after ? after(d) : NULL;
    ok = (o.status & VS_NEEDS_RESET) && o.cfg_irq && !o.used && !bad;
    report(id, ok, what, "%s%s%s", obs_text(&o, NULL, t, sizeof(t)),
           bad ? ", " : "", bad ? bad : "");
}

void expect_answer(unsigned id, struct vdev *d, const char *what,
                   uint8_t status, uint32_t len)
{
    const uint8_t *st = buf_ptr(d, BLK_ST);
    struct obs o;
    char t[96];

    obs_kick(d, &o, 2000);
    report(id,
           o.used && !(o.status & VS_NEEDS_RESET) && o.e.id == 0 &&
               o.e.len == len && *st == status,
           what, "%s", obs_text(&o, st, t, sizeof(t)));
}

int blk_request(struct vdev *d, uint32_t type, uint64_t sector, uint32_t n,
                unsigned ms)
{
    bool in = type == BLK_T_IN || type == BLK_T_GET_ID;
    struct seg s[3] = {
        {buf_at(d, BLK_HDR), 16, 0},
        {buf_at(d, BLK_DATA), n, in ? VD_WRITE : 0},
        {buf_at(d, BLK_ST), 1, VD_WRITE},
    };
    struct vq_used_elem e;
    uint8_t *h = buf_ptr(d, BLK_HDR);

    memset(h, 0, 16);
    memcpy(h, &type, 4);
    memcpy(h + 8, &sector, 8);
    *buf_ptr(d, BLK_ST) = SENT;
    if (n) {
        chain(d, s, 3);
    } else {
        s[1] = s[2];
        chain(d, s, 2);
    }
    vio_kick(d);
    if (!vio_wait_used(d, ms, &e))
        return -1;
    return *buf_ptr(d, BLK_ST);
}

int rng_request(struct vdev *d, uint32_t n, bool sync)
{
    struct seg s = {buf_at(d, 0), n, VD_WRITE};
    struct vq_used_elem e;

    chain(d, &s, 1);
    if (sync)
        vio_kick_sync(d);
    else
        vio_kick(d);
    if (!vio_wait_used(d, 2000, &e))
        return -1;
    return (int)e.len;
}
