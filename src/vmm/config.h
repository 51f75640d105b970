/* What one VM is made of: the result of parsing a command line (or, later,
 * a config file), consumed by vm_create(). Plain data, no pointers owned. */
#ifndef VESSEL_VMM_CONFIG_H
#define VESSEL_VMM_CONFIG_H

#include "core/types.h"

#define VM_MAX_CPUS 64
#define VM_MIN_MEM (32 * MiB)
#define VM_MAX_MEM (1024 * GiB)
#define VM_DEFAULT_MEM (256 * MiB)
#define VM_MAX_DISKS 8
#define VM_MAX_NETS 4

enum vm_console_kind {
    VM_CONSOLE_SERIAL,       /* COM1 is the console */
    VM_CONSOLE_VIRTIO,       /* virtio-console (hvc0); COM1 stays */
};

struct vm_config {
    const char *kernel;      /* path to a bzImage */
    const char *initrd;      /* path or NULL */
    const char *cmdline;     /* as given by the user, or NULL */
    uint64_t mem_size;       /* bytes */
    bool hugepages;          /* --mem SIZE,hugepages: back RAM by hugetlbfs */
    bool no_kernel_cache;    /* --no-kernel-cache */
    unsigned ncpus;
    const char *disks[VM_MAX_DISKS]; /* --disk PATH[,ro][,serial=S] */
    unsigned ndisks;
    const char *nets[VM_MAX_NETS];   /* --net SPEC (see vmm/net.h) */
    unsigned nnets;
    const char *name;        /* --name; NULL: unnamed */
    enum vm_console_kind console;
    bool rng;                /* virtio-rng */
    const char *kvm_device;  /* accelerator device node; NULL: /dev/kvm */
    const char *stats_path;  /* --stats: write counters here at the end */
    uint64_t start_ns;       /* monotonic time vessel started */
    bool console_raw;        /* stdin is a terminal the guest should own */
    bool no_sandbox;         /* --no-sandbox: no seccomp, no privilege drop */
    const char *user;        /* --user NAME|UID[:GID] to drop to; or NULL */
};

#endif
