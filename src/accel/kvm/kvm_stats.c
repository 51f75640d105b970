/* KVM binary statistics (KVM_GET_STATS_FD, Documentation/virt/kvm/api.rst
 * 4.133): a header, descriptors with names, then 64-bit data. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define STATS_MAX_BYTES (1 << 20)   /* a sanity bound on what KVM hands us */

static int read_at(int fd, void *buf, size_t len, off_t off)
{
    ssize_t n = pread(fd, buf, len, off);

    return n == (ssize_t)len ? 0 : -EIO;
}

/* Add each single-value statistic of (fd) to (out) under (prefix)+name,
 * summing into an existing entry of the same name. */
static size_t read_stats(int fd, const char *prefix, struct accel_stat *out,
                         size_t nr, size_t max)
{
    struct kvm_stats_header h;
    size_t dsz;
    uint8_t *descs = NULL;

    if (read_at(fd, &h, sizeof(h), 0) < 0 || h.name_size == 0 ||
        h.num_desc > 4096 || h.name_size > 256)
        return nr;
    dsz = sizeof(struct kvm_stats_desc) + h.name_size;
    descs = malloc(dsz * h.num_desc);
    if (!descs || read_at(fd, descs, dsz * h.num_desc, h.desc_offset) < 0)
        goto out;
    for (uint32_t i = 0; i < h.num_desc; i++) {
        const struct kvm_stats_desc *d = (const void *)(descs + dsz * i);
        uint64_t v;
        char name[sizeof(out->name)];
        size_t j;

        if (d->size != 1 || d->offset > STATS_MAX_BYTES ||
            read_at(fd, &v, sizeof(v), (off_t)(h.data_offset + d->offset)) < 0)
            continue;
        snprintf(name, sizeof(name), "%s%.*s", prefix, (int)h.name_size,
                 d->name);
        for (j = 0; j < nr && strcmp(out[j].name, name); j++)
            ;
        if (j == nr) {
            if (nr == max)
                continue;
            memcpy(out[nr].name, name, sizeof(name));
            out[nr++].value = 0;
        }
        out[j].value += v;
    }
out:
    free(descs);
    return nr;
}

size_t kvm_stats(struct accel_vm *vm, struct accel_vcpu *const *vcpus,
                 unsigned nvcpus, struct accel_stat *out, size_t max)
{
    size_t nr = 0;
    int fd = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);

    if (fd >= 0) {
        nr = read_stats(fd, "kvm.vm.", out, nr, max);
        close(fd);
    }
    for (unsigned i = 0; i < nvcpus; i++) {
        fd = ioctl(vcpus[i]->fd, KVM_GET_STATS_FD, NULL);
        if (fd < 0)
            continue;
        nr = read_stats(fd, "kvm.vcpu.", out, nr, max);
        close(fd);
    }
    return nr;
}
