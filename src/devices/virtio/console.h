/* virtio-console (virtio 1.2, 5.3) with one port and no MULTIPORT: queue 0
 * is receiveq (host to guest), queue 1 transmitq (guest to host). Linux
 * binds port 0 to hvc0, so `console=hvc0` works.
 *
 * TX copies the readable bytes of each chain to a chr_ops sink, at most
 * VIRTIO_CONSOLE_TX_BUDGET bytes per run, so a 1 GiB chain costs many
 * short runs, never one long one (RELIABILITY (a) 23). The sink never
 * blocks the guest: what it does not accept is dropped and counted. When
 * a run stops on the budget, virtio_console_tx_pending() says so and the
 * VMM calls virtio_console_tx() again from its event loop.
 *
 * RX: the VMM offers host input with virtio_console_push_input(), which
 * fills the guest's receive buffers and returns how much it took; the VMM
 * keeps the rest in its own fixed buffer (and counts what it gives up on)
 * until the rx_ready hook says the guest posted buffers.
 *
 * Config (5.3.4): cols/rows are not offered (no VIRTIO_CONSOLE_F_SIZE);
 * emerg_wr is (VIRTIO_CONSOLE_F_EMERG_WRITE): a write sends its low byte
 * to the sink, usable even before the driver is up.
 *
 * No syscalls, no allocation; every entry point runs under the VM's
 * device lock. */
#ifndef VESSEL_DEVICES_VIRTIO_CONSOLE_H
#define VESSEL_DEVICES_VIRTIO_CONSOLE_H

#include "core/chr.h"
#include "devices/virtio/virtio.h"

/* Feature bits (5.3.3) */
#define VIRTIO_CONSOLE_F_SIZE 0
#define VIRTIO_CONSOLE_F_MULTIPORT 1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Config layout (5.3.4): le16 cols, le16 rows, le32 max_nr_ports,
 * le32 emerg_wr */
#define VIRTIO_CONSOLE_CFG_COLS 0
#define VIRTIO_CONSOLE_CFG_ROWS 2
#define VIRTIO_CONSOLE_CFG_MAX_NR_PORTS 4
#define VIRTIO_CONSOLE_CFG_EMERG_WR 8
#define VIRTIO_CONSOLE_CFG_LEN 12

#define VIRTIO_CONSOLE_RXQ 0
#define VIRTIO_CONSOLE_TXQ 1
#define VIRTIO_CONSOLE_QUEUE_SIZE 128
#define VIRTIO_CONSOLE_TX_BUDGET (64 * 1024)   /* bytes per TX run */
#define VIRTIO_CONSOLE_BOUNCE 4096

struct virtio_console_stats {
    uint64_t tx_bytes;        /* taken from the guest */
    uint64_t tx_dropped;      /* of those, refused by the sink */
    uint64_t tx_chains;
    uint64_t rx_bytes;        /* given to the guest */
    uint64_t rx_chains;
    uint64_t emerg_bytes;     /* through emerg_wr */
};

/* A chain of the transmitq taken but not yet written out in full: the
 * budget ran out inside it. Guest-visible only as "not yet used". */
struct virtio_console_tx {
    bool busy;
    unsigned seg;             /* next segment of (chain) */
    uint32_t off;             /* bytes of that segment already sent */
    struct virtq_chain chain;
};

struct virtio_console {
    struct virtio_dev vdev;
    const struct chr_ops *out;   /* the sink for guest output */
    void *out_ctx;
    void (*rx_ready)(void *ctx); /* optional: receiveq was kicked */
    void *rx_ctx;
    struct virtio_console_tx tx;
    struct virtq_chain rx_chain;  /* scratch for push_input */
    bool tx_more;                /* last run stopped on the budget */
    struct virtio_console_stats stats;
    uint8_t bounce[VIRTIO_CONSOLE_BOUNCE];
    struct ratelimit rl;
};

/* Set (c) up in the reset state: guest output goes to (out, out_ctx),
 * guest memory is (gm). Then hand &c->vdev to a transport
 * (virtio_pci_init). Everything is borrowed for (c)'s lifetime. */
void virtio_console_init(struct virtio_console *c, struct gmem *gm,
                         const struct chr_ops *out, void *out_ctx);

/* (fn)(ctx) is called when the driver kicks receiveq (it posted buffers)
 * and when the device is activated: the moment to offer held input
 * again. Called under the device lock, from inside the kick. */
void virtio_console_set_rx_ready(struct virtio_console *c,
                                 void (*fn)(void *ctx), void *ctx);

/* Host input: copy up to (len) bytes of (buf) into the driver's receive
 * buffers, in order, and return the used buffers to it. Returns the
 * bytes taken, 0 when the device is not running or has no buffers; the
 * caller keeps the rest. Bounded: at most one queue's worth of chains. */
size_t virtio_console_push_input(struct virtio_console *c, const uint8_t *buf,
                                 size_t len);

/* Serve the transmitq: at most VIRTIO_CONSOLE_TX_BUDGET bytes and one
 * queue's worth of chains. The kick handler runs this; the VMM runs it
 * again while virtio_console_tx_pending() is true. */
void virtio_console_tx(struct virtio_console *c);

/* The last TX run stopped on its budget: more output may be waiting. */
bool virtio_console_tx_pending(const struct virtio_console *c);

#endif
