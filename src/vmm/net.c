/* Building the VM's network cards; see net.h. */
#include "vmm/net.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "devices/virtio/net.h"
#include "vmm/vm.h"

/* ---- what backends call (under the device lock) ---- */

static int peer_receive(void *ctx, const struct iovec *iov, unsigned cnt)
{
    struct vm_net *n = ctx;

    return virtio_net_receive(n->dev, iov, cnt);
}

static void peer_tx_ready(void *ctx)
{
    struct vm_net *n = ctx;

    virtio_net_tx_ready(n->dev);
    if (virtio_net_tx_pending(n->dev))
        vm_virtio_rekick(&n->vv, VIRTIO_NET_TXQ);
}

static void peer_set_link(void *ctx, bool up)
{
    struct vm_net *n = ctx;

    virtio_net_set_link(n->dev, up);
}

/* A TX run stopped on its budget: come back for the rest. (Receive
 * buffers posted reach the backend through ops->rx_ready from the device
 * itself.) */
static void net_after_kick(struct vm_virtio *vv, unsigned q)
{
    struct vm_net *n = (struct vm_net *)((char *)vv -
                                         offsetof(struct vm_net, vv));

    if (q == VIRTIO_NET_TXQ && virtio_net_tx_pending(n->dev))
        vm_virtio_rekick(vv, q);
}

static int open_backend(struct vm *vm, struct vm_net *n, char *why,
                        size_t len)
{
    struct netbe_peer peer = { .receive = peer_receive,
                               .tx_ready = peer_tx_ready,
                               .set_link = peer_set_link,
                               .ctx = n,
                               .lock = &vm->dev_lock };
    int rc;

    if (n->spec.backend == VM_NET_TAP) {
        struct net_tap_config c = { .ifname = n->spec.tap, .peer = peer };

        rc = net_tap_open(&n->tap, &c, why, len);
        if (rc == 0) {
            n->ops = &net_tap_ops;
            n->be = n->tap;
            n->caps = net_tap_caps(n->tap);
        }
    } else {
        struct net_slirp_config c = { .fwd = n->spec.fwd,
                                      .nfwd = n->spec.nfwd,
                                      .hostname = vm->cfg.name,
                                      .peer = peer };

        rc = net_slirp_open(&n->slirp, &c, why, len);
        if (rc == 0) {
            n->ops = &net_slirp_ops;
            n->be = n->slirp;
            n->caps = net_slirp_caps;
        }
    }
    return rc;
}

int vm_net_add(struct vm *vm, unsigned i, char *err, size_t errlen)
{
    struct vm_net *n = &vm->devs.net[i];
    const char *arg = vm->cfg.nets[i];
    char why[256] = "", mac[VM_NET_MAC_STRLEN];
    int rc;

    rc = vm_net_parse_spec(arg, &n->spec, err, errlen);
    if (rc < 0)
        return rc;
    if (n->spec.has_mac)
        memcpy(n->mac, n->spec.mac, sizeof(n->mac));
    else
        vm_net_default_mac(vm->cfg.name, i, (uint32_t)getpid(),
                           vm->cfg.start_ns, n->mac);
    snprintf(n->name, sizeof(n->name), "net%u", i);
    n->dev = calloc(1, sizeof(*n->dev));
    if (!n->dev)
        return -ENOMEM;
    rc = open_backend(vm, n, why, sizeof(why));
    if (rc == 0)
        rc = virtio_net_init(n->dev, &vm->gm, n->mac, n->ops, n->be, &n->caps);
    if (rc < 0) {
        snprintf(err, errlen, "--net '%s': %s", arg,
                 why[0] ? why : strerror(-rc));
        return rc;
    }
    n->vv.after_kick = net_after_kick;
    rc = vm_virtio_add(vm, &n->vv, &n->dev->vdev, n->name, err, errlen);
    if (rc < 0)
        return rc;
    rc = n->tap ? net_tap_start(n->tap, vm->io) : net_slirp_start(n->slirp);
    if (rc < 0) {
        snprintf(err, errlen, "--net '%s': cannot start: %s", arg,
                 strerror(-rc));
        return rc;
    }
    vm_net_mac_str(n->mac, mac);
    log_info("%s: %s, MAC %s", n->name, arg, mac);
    return 0;
}

void vm_net_release(struct vm_net *n)
{
    net_slirp_close(n->slirp);   /* joins its thread first */
    net_tap_close(n->tap);
    vm_virtio_release(&n->vv);
    free(n->dev);
    n->slirp = NULL;
    n->tap = NULL;
    n->dev = NULL;
}

/* ---- --stats ---- */

struct stat_key {
    const char *name;
    size_t off;
};

#define DEV_KEY(k) { #k, offsetof(struct virtio_net_stats, k) },
#define HOST_KEY(k) { "host." #k, offsetof(struct netbe_stats, k) },

static const struct stat_key dev_keys[] = {
    DEV_KEY(rx_frames) DEV_KEY(rx_bytes) DEV_KEY(rx_nobuf)
    DEV_KEY(rx_filtered) DEV_KEY(rx_errors) DEV_KEY(tx_frames)
    DEV_KEY(tx_bytes) DEV_KEY(tx_dropped) DEV_KEY(tx_errors)
    DEV_KEY(tx_eagain) DEV_KEY(ctrl_cmds) DEV_KEY(ctrl_errors)
};

static const struct stat_key host_keys[] = {
    HOST_KEY(rx_frames) HOST_KEY(rx_dropped) HOST_KEY(rx_held)
    HOST_KEY(tx_frames) HOST_KEY(tx_dropped) HOST_KEY(tx_eagain)
};

static void write_keys(FILE *f, const char *card, const struct stat_key *k,
                       size_t nk, const void *stats)
{
    for (size_t i = 0; i < nk; i++) {
        uint64_t v;

        memcpy(&v, (const char *)stats + k[i].off, sizeof(v));
        fprintf(f, "%s.%s %llu\n", card, k[i].name, (unsigned long long)v);
    }
}

void vm_net_write_stats(FILE *f, struct vm *vm)
{
    for (unsigned i = 0; i < vm->devs.nnets; i++) {
        struct vm_net *n = &vm->devs.net[i];
        struct virtio_net_stats ds;
        struct netbe_stats hs;

        if (!n->dev || !n->be)
            continue;
        pthread_mutex_lock(&vm->dev_lock);
        ds = *virtio_net_stats(n->dev);
        hs = n->tap ? *net_tap_stats(n->tap) : *net_slirp_stats(n->slirp);
        pthread_mutex_unlock(&vm->dev_lock);
        write_keys(f, n->name, dev_keys, ARRAY_SIZE(dev_keys), &ds);
        write_keys(f, n->name, host_keys, ARRAY_SIZE(host_keys), &hs);
    }
}
