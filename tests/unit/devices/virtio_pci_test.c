/* virtio-pci modern transport: IDs and capabilities, the common config as
 * a Linux driver drives it, ISR/INTx and MSI-X delivery, and the hostile
 * cases of RELIABILITY.md (a) 12, 13, 14, 16 and 17. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "core/bytes.h"
#include "devices/virtio/console.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/virtio_pci.h"
#include "helpers/fake_driver.h"
#include "helpers/fakes.h"

#define QSIZE 16
#define ST_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define ST_DRV VIRTIO_STATUS_DRIVER
#define ST_FOK VIRTIO_STATUS_FEATURES_OK
#define ST_DOK VIRTIO_STATUS_DRIVER_OK
#define F_V1 (1ULL << VIRTIO_F_VERSION_1)

/* ---- MSI-X delivery recorder ---- */
struct msi_rec {
    unsigned fires[MSIX_MAX_VECTORS];
    unsigned nfires;
};

static void msi_update(void *ctx, unsigned vec, const struct msix_entry *e,
                       bool masked)
{
    (void)ctx, (void)vec, (void)e, (void)masked;
}

static void msi_fire(void *ctx, unsigned vec, const struct msix_entry *e)
{
    struct msi_rec *m = ctx;

    (void)e;
    assert_true(vec < MSIX_MAX_VECTORS);
    m->fires[vec]++;
    m->nfires++;
}

static const struct msix_ops msi_rec_ops = {
    .update = msi_update,
    .fire = msi_fire,
};

/* ---- fixture: a console behind the transport ---- */
struct fx {
    struct fake_ram *ram;
    struct virtio_console con;
    struct virtio_pci vp;
    struct irq_rec intx;
    struct msi_rec msi;
    struct chr_cap out;
    struct fdrv q[2];
};

/* fdrv_init() puts every queue's rings at FDRV_RING_BASE: move (d)'s up
 * by (delta) (zeroed there) so a second queue can live beside the first. */
static void fdrv_move(struct fdrv *d, gpa_t delta)
{
    gpa_t len = d->used + 6 + 8 * (gpa_t)d->size - d->desc;

    d->desc += delta;
    d->avail += delta;
    d->used += delta;
    memset(fdrv_ptr(d, d->desc, len), 0, len);
}

/* Both queues' rings in the area fdrv leaves for rings, the second one
 * 32 KiB up; the data area split between them. */
static void two_queues(struct fdrv *d, struct fake_ram *ram)
{
    fdrv_init(&d[0], ram, QSIZE);
    fdrv_init(&d[1], ram, QSIZE);
    fdrv_move(&d[1], 0x8000);
    d[0].data_end = FDRV_DATA_BASE + (ram->size - FDRV_DATA_BASE) / 2;
    d[1].data_next = d[0].data_end;
}

static int setup(void **state)
{
    struct fx *f = test_calloc(1, sizeof(*f));

    f->ram = fake_ram_new(FAKE_RAM_SIZE, 0);
    virtio_console_init(&f->con, &f->ram->gm, &chr_cap_ops, &f->out);
    assert_int_equal(virtio_pci_init(&f->vp, &f->con.vdev,
                                     irq_rec_line(&f->intx), &msi_rec_ops,
                                     &f->msi),
                     0);
    pci_dev_place_bar(&f->vp.pci, 0, 0xe0000000ULL);
    two_queues(f->q, f->ram);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    fake_ram_free(f->ram);
    test_free(f);
    return 0;
}

/* ---- BAR and config-space access ---- */
static uint64_t rd(struct virtio_pci *vp, uint64_t off, unsigned len)
{
    uint8_t b[8] = {0};

    virtio_pci_bar_ops.read(vp, off, b, len);
    return le64_get(b, 0);
}

static void wr(struct virtio_pci *vp, uint64_t off, unsigned len,
               uint64_t val)
{
    uint8_t b[8];

    le64_put(b, 0, val);
    virtio_pci_bar_ops.write(vp, off, b, len);
}

/* The offset of vendor capability (type), or 0; walks the list as a
 * driver does, at most 48 hops. */
static unsigned find_vcap(struct virtio_pci *vp, uint8_t type)
{
    unsigned off = pci_cfg_read(&vp->pci, PCI_CAP_PTR, 1);

    for (int hops = 0; off && hops < 48; hops++) {
        if (pci_cfg_read(&vp->pci, off, 1) == PCI_CAP_ID_VENDOR &&
            pci_cfg_read(&vp->pci, off + VIRTIO_PCI_CAP_TYPE, 1) == type)
            return off;
        off = pci_cfg_read(&vp->pci, off + 1, 1);
    }
    return 0;
}

static unsigned find_cap(struct virtio_pci *vp, uint8_t id)
{
    unsigned off = pci_cfg_read(&vp->pci, PCI_CAP_PTR, 1);

    for (int hops = 0; off && hops < 48; hops++) {
        if (pci_cfg_read(&vp->pci, off, 1) == id)
            return off;
        off = pci_cfg_read(&vp->pci, off + 1, 1);
    }
    return 0;
}

/* ---- the driver side, in Linux's order (virtio_pci_modern.c) ---- */
static void setup_queue(struct fx *f, unsigned q, uint16_t vec)
{
    struct virtio_pci *vp = &f->vp;
    struct fdrv *d = &f->q[q];

    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
    assert_true(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2) >= QSIZE);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)d->desc);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCHI, 4, d->desc >> 32);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)d->avail);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, d->avail >> 32);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)d->used);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDHI, 4, d->used >> 32);
    wr(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2, vec);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2), vec);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
}

static void negotiate(struct fx *f, uint64_t features)
{
    struct virtio_pci *vp = &f->vp;

    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    wr(vp, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)features);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    wr(vp, VIRTIO_PCI_COMMON_GF, 4, features >> 32);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV | ST_FOK);
    assert_true(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1) & ST_FOK);
}

static void driver_ok(struct fx *f)
{
    wr(&f->vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV | ST_FOK | ST_DOK);
    assert_true(virtio_running(&f->con.vdev));
}

/* The whole probe, queue vectors 1 and 2 (config on 0). */
static void probe(struct fx *f)
{
    negotiate(f, F_V1);
    wr(&f->vp, VIRTIO_PCI_COMMON_MSIX, 2, 0);
    setup_queue(f, 0, 1);
    setup_queue(f, 1, 2);
    driver_ok(f);
}

static void enable_msix(struct fx *f)
{
    unsigned cap = find_cap(&f->vp, PCI_CAP_ID_MSIX);

    assert_true(cap != 0);
    pci_cfg_write(&f->vp.pci, cap + MSIX_CTRL_OFF, MSIX_CTRL_ENABLE, 2);
    for (unsigned v = 0; v < 3; v++) {
        uint64_t e = VIRTIO_PCI_MSIX_TABLE_OFF + 16ULL * v;

        wr(&f->vp, e, 4, 0xfee00000);
        wr(&f->vp, e + 8, 4, 0x40 + v);
        wr(&f->vp, e + 12, 4, 0);   /* unmask */
    }
    assert_true(msix_enabled(&f->vp.msix));
}

/* Guest output on transmitq, kicked through the notify region. */
static uint16_t send(struct fx *f, const char *s)
{
    struct fdrv *d = &f->q[VIRTIO_CONSOLE_TXQ];
    uint32_t len = (uint32_t)strlen(s);
    gpa_t buf = fdrv_alloc(d, len);
    uint16_t head;

    memcpy(fdrv_ptr(d, buf, len), s, len);
    head = fdrv_add(d, FDRV_OUT(buf, len));
    wr(&f->vp, VIRTIO_PCI_NOTIFY_OFF + 4 * VIRTIO_CONSOLE_TXQ, 2,
       VIRTIO_CONSOLE_TXQ);
    return head;
}

/* ---- identity ---- */

static void test_pci_ids_console(void **state)
{
    struct fx *f = *state;
    struct pci_dev *p = &f->vp.pci;

    assert_int_equal(pci_cfg_read(p, PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(pci_cfg_read(p, PCI_DEVICE_ID, 2), 0x1043);
    assert_int_equal(pci_cfg_read(p, PCI_REVISION, 1), 1);
    assert_int_equal(pci_cfg_read(p, PCI_SUBSYS_VENDOR, 2), 0x1af4);
    assert_int_equal(pci_cfg_read(p, PCI_SUBSYS_ID, 2), VIRTIO_ID_CONSOLE);
    assert_int_equal(pci_cfg_read(p, PCI_REVISION, 4) >> 8, 0x078000);
    assert_int_equal(pci_cfg_read(p, PCI_INTX_PIN, 1), 1);
    assert_true(pci_cfg_read(p, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
}

static void test_pci_ids_rng_and_blk_class(void **state)
{
    struct fx *f = *state;
    struct virtio_rng *r = test_calloc(1, sizeof(*r));
    struct virtio_pci *vp = test_calloc(1, sizeof(*vp));
    struct virtio_dev *blk = test_calloc(1, sizeof(*blk));
    static const uint16_t qmax[1] = {128};
    struct fake_clock clk = {0};

    virtio_rng_init(r, &f->ram->gm, NULL, NULL, &fake_clock_ops, &clk, 0, 0);
    assert_int_equal(virtio_pci_init(vp, &r->vdev, irq_rec_line(&f->intx),
                                     NULL, NULL),
                     0);
    assert_int_equal(pci_cfg_read(&vp->pci, PCI_DEVICE_ID, 2), 0x1044);
    assert_int_equal(pci_cfg_read(&vp->pci, PCI_REVISION, 4) >> 8, 0x00ff00);
    /* no device config: no DEVICE_CFG capability, the region reads 0 */
    assert_int_equal(find_vcap(vp, VIRTIO_PCI_CAP_DEVICE_CFG), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_DEVICE_OFF, 4), 0);

    virtio_init(blk, VIRTIO_ID_BLOCK, 0, 1, qmax, 60, &f->ram->gm, NULL, NULL);
    assert_int_equal(virtio_pci_init(vp, blk, irq_rec_line(&f->intx), NULL,
                                     NULL),
                     0);
    assert_int_equal(pci_cfg_read(&vp->pci, PCI_DEVICE_ID, 2), 0x1042);
    assert_int_equal(pci_cfg_read(&vp->pci, PCI_REVISION, 4) >> 8, 0x018000);
    test_free(blk);
    test_free(vp);
    test_free(r);
}

static void test_init_rejects_bad_devices(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = test_calloc(1, sizeof(*vp));
    struct virtio_dev *v = test_calloc(1, sizeof(*v));
    static const uint16_t qmax[1] = {16};

    assert_int_equal(virtio_pci_init(vp, NULL, irq_rec_line(&f->intx), NULL,
                                     NULL),
                     -EINVAL);
    virtio_init(v, VIRTIO_ID_RNG, 0, 1, qmax, VIRTIO_PCI_REGION_SIZE + 1,
                &f->ram->gm, NULL, NULL);
    assert_int_equal(virtio_pci_init(vp, v, irq_rec_line(&f->intx), NULL,
                                     NULL),
                     -EINVAL);
    virtio_init(v, VIRTIO_ID_RNG, 0, 0, qmax, 0, &f->ram->gm, NULL, NULL);
    assert_int_equal(virtio_pci_init(vp, v, irq_rec_line(&f->intx), NULL,
                                     NULL),
                     -EINVAL);
    test_free(v);
    test_free(vp);
}

/* 4.1.4: every structure a driver looks for, in BAR 0, where the header
 * says; the notify multiplier; the PCI_CFG window; MSI-X. */
static void test_capabilities(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    static const struct {
        uint8_t type;
        uint32_t off, min_len;
    } want[] = {
        {VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, 0x38},
        {VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF, 8},
        {VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1},
        {VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
         VIRTIO_CONSOLE_CFG_LEN},
    };
    unsigned c, msix;

    for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
        c = find_vcap(vp, want[i].type);
        assert_true(c != 0);
        assert_int_equal(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_BAR, 1), 0);
        assert_int_equal(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_OFFSET, 4),
                         want[i].off);
        assert_true(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_LENGTH, 4) >=
                    want[i].min_len);
        assert_true(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_LEN, 1) >= 16);
    }
    c = find_vcap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG);
    assert_int_equal(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_NOTIFY_MULT, 4),
                     VIRTIO_PCI_NOTIFY_MULT);
    c = find_vcap(vp, VIRTIO_PCI_CAP_PCI_CFG);
    assert_true(c != 0);
    assert_int_equal(pci_cfg_read(&vp->pci, c + VIRTIO_PCI_CAP_LEN, 1), 20);
    msix = find_cap(vp, PCI_CAP_ID_MSIX);
    assert_true(msix != 0);
    /* queues + config vectors; table in BAR 0 */
    assert_int_equal(pci_cfg_read(&vp->pci, msix + 2, 2) & 0x7ff, 2);
    assert_int_equal(pci_cfg_read(&vp->pci, msix + 4, 4),
                     VIRTIO_PCI_MSIX_TABLE_OFF);
    assert_int_equal(pci_cfg_read(&vp->pci, msix + 8, 4),
                     VIRTIO_PCI_MSIX_PBA_OFF);
    /* BAR 0: 64-bit memory */
    assert_int_equal(pci_cfg_read(&vp->pci, PCI_BAR0, 4) & 0x7, 0x4);
}

/* ---- the Linux probe sequence ---- */

static void test_linux_probe_and_output(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    uint16_t head, id;
    uint32_t len;

    /* the feature words as the driver reads them */
    wr(vp, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_DF, 4),
                     (uint32_t)f->con.vdev.host_features);
    wr(vp, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_DF, 4), 1); /* VERSION_1 */
    wr(vp, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_DF, 4), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_NUMQ, 2), 2);

    negotiate(f, F_V1);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_GF, 4), 1);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 7);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_GF, 4), 0);
    setup_queue(f, 0, MSIX_VECTOR_NONE);
    setup_queue(f, 1, MSIX_VECTOR_NONE);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_NOFF, 2), 1);
    driver_ok(f);

    head = send(f, "hello hvc0\n");
    assert_int_equal(f->out.len, 11);
    assert_memory_equal(f->out.buf, "hello hvc0\n", 11);
    assert_true(fdrv_used(&f->q[1], &id, &len));
    assert_int_equal(id, head);
    assert_int_equal(len, 0);
    /* INTx: ISR queue bit, line raised; reading ISR clears and lowers */
    assert_true(f->intx.level);
    assert_true(pci_cfg_read(&vp->pci, PCI_STATUS, 2) & PCI_STATUS_INTX);
    assert_int_equal(rd(vp, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
    assert_false(f->intx.level);
    assert_false(pci_cfg_read(&vp->pci, PCI_STATUS, 2) & PCI_STATUS_INTX);
    assert_int_equal(rd(vp, VIRTIO_PCI_ISR_OFF, 1), 0);
    assert_int_equal(f->msi.nfires, 0);
}

static void test_features_with_event_idx_and_indirect(void **state)
{
    struct fx *f = *state;
    uint64_t feat = F_V1 | 1ULL << VIRTIO_F_EVENT_IDX |
                    1ULL << VIRTIO_F_INDIRECT_DESC;
    struct fdrv *d = &f->q[1];
    gpa_t a, b;
    uint16_t id;
    uint32_t len;

    negotiate(f, feat);
    assert_int_equal(f->con.vdev.guest_features, feat);
    d->event_idx = true;
    setup_queue(f, 0, MSIX_VECTOR_NONE);
    setup_queue(f, 1, MSIX_VECTOR_NONE);
    driver_ok(f);
    a = fdrv_alloc(d, 3);
    b = fdrv_alloc(d, 3);
    memcpy(fdrv_ptr(d, a, 3), "abc", 3);
    memcpy(fdrv_ptr(d, b, 3), "def", 3);
    fdrv_add_ind(d, FDRV_OUT(a, 3), FDRV_OUT(b, 3));
    assert_true(fdrv_kick(d));
    virtio_pci_kick(&f->vp, 1);
    assert_int_equal(f->out.len, 6);
    assert_memory_equal(f->out.buf, "abcdef", 6);
    assert_true(fdrv_used(d, &id, &len));
}

/* An unoffered feature: FEATURES_OK does not stick. */
static void test_unoffered_feature_refused(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
    wr(vp, VIRTIO_PCI_COMMON_GF, 4, 1u << VIRTIO_CONSOLE_F_MULTIPORT);
    wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
    wr(vp, VIRTIO_PCI_COMMON_GF, 4, 1);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV | ST_FOK);
    assert_false(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1) & ST_FOK);
}

/* ---- interrupts ---- */

static void test_msix_queue_and_config_vectors(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    enable_msix(f);
    probe(f);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_MSIX, 2), 0);
    send(f, "x");
    assert_int_equal(f->msi.fires[2], 1);   /* transmitq's vector */
    assert_int_equal(f->msi.nfires, 1);
    assert_false(f->intx.level);
    assert_int_equal(f->intx.raises, 0);
    assert_false(vp->isr & VIRTIO_PCI_ISR_QUEUE);
    /* a config change goes to the config vector */
    virtio_config_changed(&f->con.vdev);
    assert_int_equal(f->msi.fires[0], 1);
    assert_int_equal(f->intx.raises, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_CFGGENERATION, 1), 1);
}

static void test_msix_no_vector_means_no_interrupt(void **state)
{
    struct fx *f = *state;

    enable_msix(f);
    negotiate(f, F_V1);
    setup_queue(f, 0, MSIX_VECTOR_NONE);
    setup_queue(f, 1, MSIX_VECTOR_NONE);
    driver_ok(f);
    send(f, "x");
    assert_int_equal(f->out.len, 1);
    assert_int_equal(f->msi.nfires, 0);
    assert_int_equal(f->intx.raises, 0);
}

/* A vector the function lacks reads back as NO_VECTOR (4.1.5.1.2). */
static void test_msix_vector_out_of_range(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    wr(vp, VIRTIO_PCI_COMMON_MSIX, 2, 3);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_MSIX, 2), MSIX_VECTOR_NONE);
    wr(vp, VIRTIO_PCI_COMMON_MSIX, 2, 2);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_MSIX, 2), 2);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0x7fff);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2), MSIX_VECTOR_NONE);
}

static void test_config_irq_intx(void **state)
{
    struct fx *f = *state;

    probe(f);
    virtio_config_changed(&f->con.vdev);
    assert_true(f->intx.level);
    assert_int_equal(rd(&f->vp, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
    assert_false(f->intx.level);
}

/* COMMAND.INTX_DISABLE keeps the line low; STATUS.INTX still shows the
 * interrupt; clearing the bit raises the line. */
static void test_intx_disable(void **state)
{
    struct fx *f = *state;
    struct pci_dev *p = &f->vp.pci;
    uint32_t cmd = pci_cfg_read(p, PCI_COMMAND, 2);

    probe(f);
    pci_cfg_write(p, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE, 2);
    send(f, "x");
    assert_false(f->intx.level);
    assert_true(pci_cfg_read(p, PCI_STATUS, 2) & PCI_STATUS_INTX);
    pci_cfg_write(p, PCI_COMMAND, cmd & ~(uint32_t)PCI_COMMAND_INTX_DISABLE,
                  2);
    assert_true(f->intx.level);
    (void)rd(&f->vp, VIRTIO_PCI_ISR_OFF, 1);
    assert_false(f->intx.level);
}

/* ---- RELIABILITY (a) 13: queue registers frozen once enabled ---- */

static void test_a13_queue_regs_frozen_after_enable(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    struct fdrv *d = &f->q[1];
    uint16_t id;
    uint32_t len;

    probe(f);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, 2);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0xfff000);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0x7);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8, 0x4000);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0xffffffff);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 8, 0x10);
    wr(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2), QSIZE);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8), d->desc);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 4), d->desc);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_DESCHI, 4), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 8), d->avail);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 8), d->used);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2), 2);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    assert_false(f->con.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    /* the device still uses the rings it froze */
    send(f, "still");
    assert_int_equal(f->out.len, 5);
    assert_true(fdrv_used(d, &id, &len));
}

/* ---- RELIABILITY (a) 14: notify with a bad index ---- */

static void test_a14_notify_bad_index_ignored(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    struct fdrv *d = &f->q[1];
    gpa_t buf;
    uint16_t id;
    uint32_t len;

    probe(f);
    buf = fdrv_alloc(d, 4);
    memcpy(fdrv_ptr(d, buf, 4), "kick", 4);
    fdrv_add(d, FDRV_OUT(buf, 4));
    wr(vp, VIRTIO_PCI_NOTIFY_OFF, 2, 0xffff);          /* CVE-2011-2512 */
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 0xffff);
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 0);           /* slot 1, says 0 */
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4 * 2, 2, 2);       /* no queue 2 */
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + VIRTIO_PCI_NOTIFY_SIZE - 4, 2, 0x1ff);
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 5, 2, 1);           /* misaligned */
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 1, 1);           /* byte write */
    virtio_pci_kick(vp, 0xffff);
    virtio_pci_kick(vp, 2);
    assert_int_equal(f->out.len, 0);
    assert_false(fdrv_used(d, &id, &len));
    assert_false(f->con.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
    /* notify reads are 0; a 4-byte notify write of the right index works */
    assert_int_equal(rd(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2), 0);
    wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 4, 1);
    assert_int_equal(f->out.len, 4);
    assert_true(fdrv_used(d, &id, &len));
}

static void test_notify_before_driver_ok_ignored(void **state)
{
    struct fx *f = *state;
    struct fdrv *d = &f->q[1];
    gpa_t buf;

    negotiate(f, F_V1);
    setup_queue(f, 0, MSIX_VECTOR_NONE);
    setup_queue(f, 1, MSIX_VECTOR_NONE);
    buf = fdrv_alloc(d, 2);
    memcpy(fdrv_ptr(d, buf, 2), "ok", 2);
    fdrv_add(d, FDRV_OUT(buf, 2));
    wr(&f->vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
    assert_int_equal(f->out.len, 0);
    /* activation looks at the queue */
    driver_ok(f);
    assert_int_equal(f->out.len, 2);
}

static void test_notify_addr(void **state)
{
    struct fx *f = *state;
    uint32_t cmd = pci_cfg_read(&f->vp.pci, PCI_COMMAND, 2);

    assert_int_equal(virtio_pci_notify_addr(&f->vp, 0), 0);  /* no decode */
    pci_cfg_write(&f->vp.pci, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY, 2);
    assert_int_equal(virtio_pci_notify_addr(&f->vp, 0), 0xe0003000ULL);
    assert_int_equal(virtio_pci_notify_addr(&f->vp, 1), 0xe0003004ULL);
    assert_int_equal(virtio_pci_notify_addr(&f->vp, 2), 0);
    assert_int_equal(virtio_pci_notify_addr(&f->vp, 0xffff), 0);
}

/* ---- RELIABILITY (a) 12: queue_size and ring checks at enable ---- */

static void try_size(struct fx *f, uint16_t size, bool ok)
{
    struct virtio_pci *vp = &f->vp;

    negotiate(f, F_V1);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8, f->q[0].desc);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, f->q[0].avail);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 8, f->q[0].used);
    wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2), size);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), ok);
    assert_int_equal(!!(f->con.vdev.status & VIRTIO_STATUS_NEEDS_RESET), !ok);
}

static void test_a12_queue_size_checked_at_enable(void **state)
{
    struct fx *f = *state;

    try_size(f, 8, true);
    try_size(f, 1, true);
    try_size(f, 0, false);
    try_size(f, 12, false);
    try_size(f, VIRTIO_CONSOLE_QUEUE_SIZE * 2, false);
    try_size(f, 0xffff, false);
    try_size(f, VIRTIO_CONSOLE_QUEUE_SIZE, true);
}

static void test_enable_bad_rings_needs_reset(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    negotiate(f, F_V1);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8, FAKE_RAM_SIZE - 16); /* past RAM */
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, f->q[0].avail);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 8, f->q[0].used);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    assert_true(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1) &
                VIRTIO_STATUS_NEEDS_RESET);
    /* a reset recovers */
    probe(f);
    send(f, "again");
    assert_int_equal(f->out.len, 5);
}

/* Queue set-up before FEATURES_OK is refused: the ring format is not
 * settled yet. */
static void test_enable_before_features_ok(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8, f->q[0].desc);
    wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, f->q[0].avail);
    wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 8, f->q[0].used);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    assert_true(f->con.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

/* Queue registers of a queue the device lacks read 0 (size 0 = "not
 * available") and take no writes. */
static void test_missing_queue_registers(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    negotiate(f, F_V1);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0xffff);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0xffff);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
    wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8, 0x1000);
    wr(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2), MSIX_VECTOR_NONE);
}

/* ---- reset ---- */

static void test_reset_clears_transport(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    probe(f);
    send(f, "x");
    assert_true(f->intx.level);
    wr(vp, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    assert_false(f->intx.level);
    assert_int_equal(rd(vp, VIRTIO_PCI_ISR_OFF, 1), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_DFSELECT, 4), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_MSIX, 2), MSIX_VECTOR_NONE);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2), MSIX_VECTOR_NONE);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2),
                     VIRTIO_CONSOLE_QUEUE_SIZE);
    /* and the device comes back */
    two_queues(f->q, f->ram);
    probe(f);
    send(f, "y");
    assert_int_equal(f->out.len, 2);
}

/* RELIABILITY (a) 15: 10^5 resets in a row, some mid-I/O: bounded work
 * each, no interrupt storm, and the device still comes up afterwards. */
static void test_a15_reset_storm(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;

    probe(f);
    fdrv_add(&f->q[1], FDRV_OUT(fdrv_alloc(&f->q[1], 8), 8));
    for (unsigned i = 0; i < 100000; i++) {
        wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, 0);
        wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, ST_ACK | ST_DRV);
        if (i % 4096 == 0)
            wr(vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
    }
    assert_int_equal(f->out.len, 0);
    assert_int_equal(f->intx.raises, 0);
    assert_int_equal(f->msi.nfires, 0);
    two_queues(f->q, f->ram);
    probe(f);
    send(f, "up");
    assert_int_equal(f->out.len, 2);
}

/* ---- RELIABILITY (a) 16: every offset and width ---- */

/* Common config: only the fields at their own width; everything else
 * reads 0 and changes nothing. */
static void test_common_cfg_wrong_widths(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    static const unsigned widths[] = {1, 2, 4, 8};

    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
    for (uint64_t off = 0; off < VIRTIO_PCI_REGION_SIZE; off++) {
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            uint64_t v = rd(vp, off, widths[w]);
            bool field = false;

            switch (off) {
            case VIRTIO_PCI_COMMON_STATUS:
            case VIRTIO_PCI_COMMON_CFGGENERATION:
                field = widths[w] == 1;
                break;
            case VIRTIO_PCI_COMMON_MSIX: case VIRTIO_PCI_COMMON_NUMQ:
            case VIRTIO_PCI_COMMON_Q_SELECT: case VIRTIO_PCI_COMMON_Q_SIZE:
            case VIRTIO_PCI_COMMON_Q_MSIX: case VIRTIO_PCI_COMMON_Q_ENABLE:
            case VIRTIO_PCI_COMMON_Q_NOFF:
                field = widths[w] == 2;
                break;
            case VIRTIO_PCI_COMMON_DFSELECT: case VIRTIO_PCI_COMMON_DF:
            case VIRTIO_PCI_COMMON_GFSELECT: case VIRTIO_PCI_COMMON_GF:
            case VIRTIO_PCI_COMMON_Q_DESCHI: case VIRTIO_PCI_COMMON_Q_AVAILHI:
            case VIRTIO_PCI_COMMON_Q_USEDHI:
                field = widths[w] == 4;
                break;
            case VIRTIO_PCI_COMMON_Q_DESCLO: case VIRTIO_PCI_COMMON_Q_AVAILLO:
            case VIRTIO_PCI_COMMON_Q_USEDLO:
                field = widths[w] == 4 || widths[w] == 8;
                break;
            default:
                break;
            }
            if (!field)
                assert_int_equal(v, 0);
        }
    }
    /* wrong-width writes change nothing */
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 1, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 4, 0);
    wr(vp, VIRTIO_PCI_COMMON_Q_SELECT - 1, 2, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2), 1);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 2, ST_ACK);
    wr(vp, VIRTIO_PCI_COMMON_STATUS, 4, ST_ACK);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_STATUS, 1), 0);
    wr(vp, VIRTIO_PCI_COMMON_NUMQ, 2, 7);     /* read-only */
    wr(vp, VIRTIO_PCI_COMMON_DF, 4, 0);
    assert_int_equal(rd(vp, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
}

/* Device config: aligned accesses inside config_len reach the device;
 * the rest read 0 and write nothing (emerg_wr shows what got through). */
static void test_a16_device_cfg_every_offset_and_width(void **state)
{
    struct fx *f = *state;
    struct virtio_pci *vp = &f->vp;
    static const unsigned widths[] = {1, 2, 3, 4, 8};
    uint64_t emerg_ok = 0;

    for (uint64_t off = 0; off < VIRTIO_PCI_REGION_SIZE + 8; off++) {
        for (size_t w = 0; w < ARRAY_SIZE(widths); w++) {
            unsigned len = widths[w];
            bool ok = (len & (len - 1)) == 0 && off % len == 0 &&
                      off + len <= VIRTIO_CONSOLE_CFG_LEN;
            uint64_t v = rd(vp, VIRTIO_PCI_DEVICE_OFF + off, len);

            if (!ok)
                assert_int_equal(v, 0);
            else if (off == VIRTIO_CONSOLE_CFG_MAX_NR_PORTS && len == 4)
                assert_int_equal(v, 1);
            wr(vp, VIRTIO_PCI_DEVICE_OFF + off, len, 'E');
            if (ok && off == VIRTIO_CONSOLE_CFG_EMERG_WR && len <= 4)
                emerg_ok++;
        }
    }
    assert_int_equal(f->con.stats.emerg_bytes, emerg_ok);
    assert_int_equal(f->out.len, emerg_ok);
}

/* The whole BAR at every offset and width: nothing crashes, nothing is
 * written past the access, bytes outside the BAR read all-ones. */
static void test_bar_sweep(void **state)
{
    struct fx *f = *state;

    probe(f);
    assert_true(bus_sweep(&virtio_pci_bar_ops, &f->vp, VIRTIO_PCI_BAR_SIZE) >
                0);
    /* whatever the sweep did, the transport still answers sanely */
    assert_true(rd(&f->vp, VIRTIO_PCI_COMMON_NUMQ, 2) == 2);
}

/* ISR at other widths and offsets: offset 0 only, any width. */
static void test_isr_widths(void **state)
{
    struct fx *f = *state;

    probe(f);
    send(f, "x");
    assert_int_equal(rd(&f->vp, VIRTIO_PCI_ISR_OFF + 1, 1), 0);
    assert_int_equal(rd(&f->vp, VIRTIO_PCI_ISR_OFF + 4, 4), 0);
    assert_true(f->intx.level);
    wr(&f->vp, VIRTIO_PCI_ISR_OFF, 1, 0);   /* read-only */
    assert_true(f->intx.level);
    assert_int_equal(rd(&f->vp, VIRTIO_PCI_ISR_OFF, 4), 1);
    assert_false(f->intx.level);
}

/* ---- PCI_CFG window (4.1.4.9) ---- */

static void window(struct fx *f, unsigned cap, uint32_t off, uint32_t len)
{
    pci_cfg_write(&f->vp.pci, cap + VIRTIO_PCI_CAP_BAR, 0, 1);
    pci_cfg_write(&f->vp.pci, cap + VIRTIO_PCI_CAP_LENGTH, len, 4);
    pci_cfg_write(&f->vp.pci, cap + VIRTIO_PCI_CAP_OFFSET, off, 4);
}

static void test_pci_cfg_window(void **state)
{
    struct fx *f = *state;
    struct pci_dev *p = &f->vp.pci;
    unsigned cap = find_vcap(&f->vp, VIRTIO_PCI_CAP_PCI_CFG);
    unsigned data = cap + VIRTIO_PCI_CAP_CFG_DATA;

    window(f, cap, VIRTIO_PCI_COMMON_NUMQ, 2);
    assert_int_equal(pci_cfg_read(p, data, 2), 2);
    window(f, cap, VIRTIO_PCI_COMMON_STATUS, 1);
    pci_cfg_write(p, data, ST_ACK, 1);
    assert_int_equal(f->con.vdev.status, ST_ACK);
    window(f, cap, VIRTIO_PCI_DEVICE_OFF + VIRTIO_CONSOLE_CFG_MAX_NR_PORTS,
           4);
    assert_int_equal(pci_cfg_read(p, data, 4), 1);
    /* bad windows do nothing: misaligned, bad length, past the BAR,
     * another BAR */
    window(f, cap, VIRTIO_PCI_COMMON_NUMQ + 1, 2);
    assert_int_equal(pci_cfg_read(p, data, 4), 0);
    window(f, cap, VIRTIO_PCI_COMMON_NUMQ, 3);
    assert_int_equal(pci_cfg_read(p, data, 4), 0);
    window(f, cap, 0xfffffffc, 4);
    pci_cfg_write(p, data, 0xffffffff, 4);
    window(f, cap, VIRTIO_PCI_COMMON_NUMQ, 2);
    pci_cfg_write(p, cap + VIRTIO_PCI_CAP_BAR, 1, 1);
    assert_int_equal(pci_cfg_read(p, data, 4), 0);
    assert_int_equal(f->con.vdev.status, ST_ACK);
}

/* Reading ISR through the window does not clear it: the prefetch has no
 * side effects; reading it through BAR 0 does. */
static void test_pci_cfg_window_isr_peek(void **state)
{
    struct fx *f = *state;
    unsigned cap = find_vcap(&f->vp, VIRTIO_PCI_CAP_PCI_CFG);

    probe(f);
    send(f, "x");
    window(f, cap, VIRTIO_PCI_ISR_OFF, 1);
    assert_int_equal(pci_cfg_read(&f->vp.pci, cap + VIRTIO_PCI_CAP_CFG_DATA,
                                  1),
                     VIRTIO_PCI_ISR_QUEUE);
    assert_true(f->intx.level);
    /* a kick through the window */
    fdrv_add(&f->q[1], FDRV_OUT(fdrv_alloc(&f->q[1], 1), 1));
    window(f, cap, VIRTIO_PCI_NOTIFY_OFF + 4, 2);
    pci_cfg_write(&f->vp.pci, cap + VIRTIO_PCI_CAP_CFG_DATA, 1, 2);
    assert_int_equal(f->out.len, 2);
}

/* ---- RELIABILITY (a) 17: a kick storm on an empty ring ---- */

static void test_a17_kick_storm_empty_ring(void **state)
{
    struct fx *f = *state;
    uint16_t id;
    uint32_t len;

    enable_msix(f);
    probe(f);
    for (unsigned i = 0; i < 100000; i++) {
        wr(&f->vp, VIRTIO_PCI_NOTIFY_OFF + 4 * (i & 1), 2, i & 1);
        if (i % 1000 == 0) {    /* with a mask storm beside it */
            unsigned cap = find_cap(&f->vp, PCI_CAP_ID_MSIX);

            pci_cfg_write(&f->vp.pci, cap + MSIX_CTRL_OFF,
                          MSIX_CTRL_ENABLE | MSIX_CTRL_FMASK, 2);
            pci_cfg_write(&f->vp.pci, cap + MSIX_CTRL_OFF, MSIX_CTRL_ENABLE,
                          2);
        }
    }
    assert_int_equal(f->msi.nfires, 0);
    assert_false(fdrv_used(&f->q[1], &id, &len));
    assert_false(f->con.vdev.status & VIRTIO_STATUS_NEEDS_RESET);
}

/* NEEDS_RESET after a guest ring error raises the config interrupt. */
static void test_ring_error_needs_reset_config_irq(void **state)
{
    struct fx *f = *state;

    enable_msix(f);
    probe(f);
    fdrv_publish(&f->q[1], QSIZE + 3);   /* avail entry >= size */
    wr(&f->vp, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
    assert_true(rd(&f->vp, VIRTIO_PCI_COMMON_STATUS, 1) &
                VIRTIO_STATUS_NEEDS_RESET);
    assert_int_equal(f->msi.fires[0], 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pci_ids_console),
        T(test_pci_ids_rng_and_blk_class),
        T(test_init_rejects_bad_devices),
        T(test_capabilities),
        T(test_linux_probe_and_output),
        T(test_features_with_event_idx_and_indirect),
        T(test_unoffered_feature_refused),
        T(test_msix_queue_and_config_vectors),
        T(test_msix_no_vector_means_no_interrupt),
        T(test_msix_vector_out_of_range),
        T(test_config_irq_intx),
        T(test_intx_disable),
        T(test_a13_queue_regs_frozen_after_enable),
        T(test_a14_notify_bad_index_ignored),
        T(test_notify_before_driver_ok_ignored),
        T(test_notify_addr),
        T(test_a12_queue_size_checked_at_enable),
        T(test_enable_bad_rings_needs_reset),
        T(test_enable_before_features_ok),
        T(test_missing_queue_registers),
        T(test_reset_clears_transport),
        T(test_a15_reset_storm),
        T(test_common_cfg_wrong_widths),
        T(test_a16_device_cfg_every_offset_and_width),
        T(test_bar_sweep),
        T(test_isr_widths),
        T(test_pci_cfg_window),
        T(test_pci_cfg_window_isr_peek),
        T(test_a17_kick_storm_empty_ring),
        T(test_ring_error_needs_reset_config_irq),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
