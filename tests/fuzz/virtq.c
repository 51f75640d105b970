/* libFuzzer target: the split virtqueue (devices/virtio/queue.c) against a
 * driver that writes anything anywhere.
 *
 * Guest RAM is two regions with a hole between: A = [0, 64 KiB) and
 * B = [0x20000, 0x21000). The input's first byte picks the queue size and
 * features; the rest is a program of ops (enable, write descriptors or raw
 * bytes, publish heads, pop, push, reset, notify checks). After each op the
 * target checks the queue's promises:
 *   - every segment handed out is non-empty and wholly in one RAM region,
 *     readable ones before writable ones, totals match and fit in 32 bits;
 *   - a head is never handed out twice before it is pushed; in-flight
 *     count <= queue size and equals what the target tracks;
 *   - a refused pop consumes nothing; pop writes guest RAM only at
 *     avail_event, push only its used element and used.idx;
 *   - push of a head not in flight fails and writes nothing.
 * Any violation aborts. */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/bytes.h"
#include "devices/virtio/queue.h"
#include "fuzz_input.h"

#define RAM_A 0x0ULL
#define RAM_A_SIZE 0x10000ULL
#define RAM_B 0x20000ULL
#define RAM_B_SIZE 0x1000ULL
#define DESC 0x1000ULL            /* default ring placement in A */
#define AVAIL 0x2000ULL
#define USED 0x3000ULL
#define DATA 0x8000ULL            /* indirect tables and buffers */

static uint8_t ram_a[RAM_A_SIZE] __attribute__((aligned(4096)));
static uint8_t ram_b[RAM_B_SIZE] __attribute__((aligned(4096)));
static uint8_t snap_a[RAM_A_SIZE], snap_b[RAM_B_SIZE];

struct state {
    struct gmem gm;
    struct virtq q;
    struct virtq_chain c;
    uint16_t avail_idx;           /* the fake driver's */
    bool in_flight[VIRTQ_MAX_SIZE];
    uint16_t list[VIRTQ_MAX_SIZE];
    unsigned nlist;
    bool event_idx, indirect;
    uint16_t size;
};

static struct state st;

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

/* The fuzzed driver's stores: anywhere, silently dropped outside RAM. */
static void guest_write(gpa_t gpa, const void *src, size_t len)
{
    (void)gmem_write(&st.gm, gpa, src, len);
}

static void put16(gpa_t gpa, uint16_t v)
{
    uint8_t b[2];

    le16_put(b, 0, v);
    guest_write(gpa, b, sizeof(b));
}

/* Addresses: mostly inside the regions, sometimes anywhere. */
static gpa_t pick_addr(struct in *in)
{
    uint8_t mode = (uint8_t)take(in, 1);

    switch (mode & 3) {
    case 0:
        return RAM_A + take(in, 2);
    case 1:
        return RAM_B + take(in, 2) % (RAM_B_SIZE + 64);
    case 2:
        return take(in, 4);
    default:
        return take(in, 8);
    }
}

static uint32_t pick_len(struct in *in)
{
    uint8_t mode = (uint8_t)take(in, 1);

    return mode & 1 ? (uint32_t)take(in, 4) : (uint32_t)take(in, 1);
}

static void write_desc(gpa_t table, uint16_t i, struct in *in)
{
    uint8_t b[16];

    le64_put(b, 0, pick_addr(in));
    le32_put(b, 8, pick_len(in));
    le16_put(b, 12, (uint16_t)take(in, 1));
    le16_put(b, 14, (uint16_t)take(in, 2));
    guest_write(table + 16 * (gpa_t)i, b, sizeof(b));
}

static void snapshot(void)
{
    memcpy(snap_a, ram_a, sizeof(ram_a));
    memcpy(snap_b, ram_b, sizeof(ram_b));
}

/* One region equals its snapshot outside the allowed guest ranges
 * (sorted, non-overlapping, each [lo, hi)). */
static void region_same(const uint8_t *live, const uint8_t *snap, gpa_t base,
                        uint64_t size, const gpa_t (*ok)[2], unsigned nok)
{
    uint64_t from = 0;

    for (unsigned i = 0; i <= nok; i++) {
        uint64_t to = size;

        if (i < nok) {
            if (ok[i][1] <= base || ok[i][0] >= base + size)
                continue;
            to = ok[i][0] > base ? ok[i][0] - base : 0;
        }
        if (to > from)
            CHECK(!memcmp(live + from, snap + from, to - from));
        if (i < nok && ok[i][1] - base > from)
            from = ok[i][1] - base < size ? ok[i][1] - base : size;
    }
}

/* Guest RAM equals the snapshot except in (ok). */
static void check_unchanged_except(const gpa_t (*ok)[2], unsigned nok)
{
    region_same(ram_a, snap_a, RAM_A, RAM_A_SIZE, ok, nok);
    region_same(ram_b, snap_b, RAM_B, RAM_B_SIZE, ok, nok);
}

static void check_unchanged(void)
{
    check_unchanged_except(NULL, 0);
}

static void check_chain(const struct virtq_chain *c)
{
    uint64_t out = 0, in = 0;
    bool seen_write = false;

    CHECK(c->nseg <= VIRTQ_MAX_SEGS);
    for (unsigned i = 0; i < c->nseg; i++) {
        const struct virtq_seg *s = &c->seg[i];

        CHECK(s->len > 0);
        CHECK(gmem_is_ram(&st.gm, s->addr, s->len));
        CHECK(!(seen_write && !s->write));
        seen_write |= s->write;
        if (s->write)
            in += s->len;
        else
            out += s->len;
    }
    CHECK(out == c->out_bytes && in == c->in_bytes);
    CHECK(out + in <= UINT32_MAX);
}

static void op_pop(void)
{
    struct virtq *q = &st.q;
    uint16_t last = q->last_avail;
    unsigned inflight = virtq_inflight(q);
    int rc;

    snapshot();
    rc = virtq_pop(q, &st.c);
    if (q->event_idx && q->enabled) {
        gpa_t ev = q->ring.used + 4 + 8 * (gpa_t)q->ring.size;
        const gpa_t ok[1][2] = {{ev, ev + 2}};

        check_unchanged_except(ok, 1);
    } else {
        check_unchanged();
    }
    if (rc != 1) {
        CHECK(rc == 0 || rc == -EPROTO);
        CHECK(q->last_avail == last && virtq_inflight(q) == inflight);
        return;
    }
    CHECK(q->enabled);
    CHECK(q->last_avail == (uint16_t)(last + 1));
    CHECK(st.c.head < q->ring.size);
    CHECK(!st.in_flight[st.c.head]);
    check_chain(&st.c);
    st.in_flight[st.c.head] = true;
    st.list[st.nlist++] = st.c.head;
}

static void op_push(struct in *in)
{
    struct virtq *q = &st.q;
    uint8_t k = (uint8_t)take(in, 1);
    uint32_t len = (uint32_t)take(in, 4);
    uint16_t head;
    gpa_t elem;

    snapshot();
    if (st.nlist == 0 || k == 0xff) {
        /* A head the device does not hold: refused, nothing written. */
        head = (uint16_t)take(in, 2);
        if (head < VIRTQ_MAX_SIZE && st.in_flight[head])
            return;
        CHECK(virtq_push(q, head, len) == -EPROTO);
        check_unchanged();
        return;
    }
    k = (uint8_t)(k % st.nlist);
    head = st.list[k];
    elem = q->ring.used + 4 + 8 * (gpa_t)(q->used_idx & (q->ring.size - 1));
    CHECK(virtq_push(q, head, len) == 0);
    {
        /* used.idx, then the element further up the used ring. */
        const gpa_t ok[2][2] = {
            {q->ring.used + 2, q->ring.used + 4}, {elem, elem + 8},
        };

        check_unchanged_except(ok, 2);
    }
    st.in_flight[head] = false;
    st.list[k] = st.list[--st.nlist];
}

static void forget_all(void)
{
    memset(st.in_flight, 0, sizeof(st.in_flight));
    st.nlist = 0;
}

static void op_enable(struct in *in, bool raw)
{
    struct virtq *q = &st.q;
    bool was = q->enabled;
    int rc;

    if (raw) {
        q->size = (uint16_t)take(in, 2);
        q->desc = pick_addr(in);
        q->avail = pick_addr(in);
        q->used = pick_addr(in);
    } else {
        q->size = st.size;
        q->desc = DESC;
        q->avail = AVAIL;
        q->used = USED;
    }
    rc = virtq_enable(q, &st.gm, st.event_idx, st.indirect);
    if (was) {
        CHECK(rc == -EBUSY && q->enabled);
        return;
    }
    CHECK(rc == 0 || rc == -EINVAL);
    CHECK(q->enabled == (rc == 0));
    if (rc == 0) {
        uint16_t n = q->ring.size;

        CHECK(n && n <= VIRTQ_MAX_SIZE && !(n & (n - 1)));
        CHECK(gmem_is_ram(&st.gm, q->ring.desc, 16 * (uint64_t)n));
        CHECK(gmem_is_ram(&st.gm, q->ring.avail, 6 + 2 * (uint64_t)n));
        CHECK(gmem_is_ram(&st.gm, q->ring.used, 6 + 8 * (uint64_t)n));
        CHECK(virtq_inflight(q) == 0);
        forget_all();
        st.avail_idx = 0;
    }
}

/* Where the driver's rings are: the frozen ones once enabled. */
static struct virtq_rings rings(void)
{
    if (st.q.enabled)
        return st.q.ring;
    return (struct virtq_rings){
        .size = st.size ? st.size : 1, .desc = DESC, .avail = AVAIL,
        .used = USED,
    };
}

static void run_op(struct in *in)
{
    struct virtq_rings r = rings();
    uint8_t op = (uint8_t)take(in, 1);

    switch (op % 13) {
    case 0:
        op_enable(in, false);
        break;
    case 1:
        op_enable(in, true);
        break;
    case 2:                       /* descriptor in the ring's table */
        write_desc(r.desc, (uint16_t)(take(in, 1) % (r.size + 1u)), in);
        break;
    case 3:                       /* descriptor in an indirect table */
        write_desc(DATA + 16 * take(in, 1), (uint16_t)take(in, 1), in);
        break;
    case 4: {                     /* publish a head */
        uint16_t head = (uint16_t)take(in, 2);

        put16(r.avail + 4 + 2 * (gpa_t)(st.avail_idx & (r.size - 1)), head);
        st.avail_idx++;
        put16(r.avail + 2, st.avail_idx);
        break;
    }
    case 5:                       /* avail.idx anything */
        st.avail_idx = (uint16_t)take(in, 2);
        put16(r.avail + 2, st.avail_idx);
        break;
    case 6:
    case 7:
        op_pop();
        break;
    case 8:
        op_push(in);
        break;
    case 9:
        virtq_reset(&st.q, (uint16_t)(take(in, 1) ? VIRTQ_MAX_SIZE : st.size));
        CHECK(!st.q.enabled && virtq_inflight(&st.q) == 0);
        forget_all();
        break;
    case 10:
        snapshot();
        (void)virtq_should_notify(&st.q);
        check_unchanged();
        break;
    case 11: {                    /* raw bytes anywhere in A */
        gpa_t at = take(in, 2);
        uint8_t n = (uint8_t)take(in, 1), buf[256];

        n = (uint8_t)(n < in->n ? n : in->n);
        memcpy(buf, in->p, n);
        in->p += n;
        in->n -= n;
        guest_write(at, buf, n);
        break;
    }
    default: {                    /* used_event / avail.flags */
        uint16_t v = (uint16_t)take(in, 2);

        put16(take(in, 1) & 1 ? r.avail : r.avail + 4 + 2 * (gpa_t)r.size, v);
        break;
    }
    }
    CHECK(virtq_inflight(&st.q) == st.nlist);
    CHECK(st.nlist <= (st.q.enabled ? st.q.ring.size : 0u) || st.nlist == 0);
}

static const uint16_t sizes[16] = {
    1, 2, 4, 8, 16, 32, 64, 128, 256, 0, 3, 12, 255, 512, 0x8000, 0xffff,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct in in = {.p = data, .n = size};
    uint8_t cfg = (uint8_t)take(&in, 1);

    memset(ram_a, 0, sizeof(ram_a));
    memset(ram_b, 0, sizeof(ram_b));
    memset(&st, 0, sizeof(st));
    gmem_init(&st.gm);
    if (gmem_add(&st.gm, RAM_A, RAM_A_SIZE, ram_a) < 0 ||
        gmem_add(&st.gm, RAM_B, RAM_B_SIZE, ram_b) < 0)
        abort();
    st.size = sizes[cfg & 15];
    st.event_idx = cfg & 0x10;
    st.indirect = cfg & 0x20;
    virtq_reset(&st.q, VIRTQ_MAX_SIZE);
    while (in.n)
        run_op(&in);
    return 0;
}
