/* Loading a Linux kernel (a bzImage, or an ELF vmlinux through its PVH
 * entry; a bzImage through the kernel cache's vmlinux when it can), its
 * initrd, e820 and ACPI tables into a VM. */
#include "vmm/loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot/acpi.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/elf.h"
#include "boot/layout.h"
#include "boot/pvh.h"
#include "boot/x86_entry.h"
#include "core/log.h"
#include "devices/acpi_pm.h"
#include "host/file.h"
#include "host/kcache.h"
#include "host/kcache_load.h"
#include "host/kimage.h"
#include "vmm/cmdline.h"
#include "vmm/vm.h"

#define KERNEL_MAX_SIZE (512 * MiB)

struct images {
    struct kimage kfile;          /* the --kernel file */
    uint8_t *kernel, *initrd;     /* kernel: a bzImage's bytes; NULL for ELF */
    size_t kernel_len, initrd_len;
    struct timespec kernel_read_at;   /* for the kernel cache's index */
};

static void image_error(const char *what, const char *path, uint64_t max,
                        int rc, char *err, size_t errlen)
{
    if (rc == -EFBIG)
        snprintf(err, errlen, "%s '%s' is too large (%llu MiB at most)", what,
                 path, (unsigned long long)(max / MiB));
    else if (rc == -EINVAL)
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
    else if (rc == -ENOEXEC)
        snprintf(err, errlen, "%s '%s' is empty", what, path);
    else
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
                 strerror(-rc));
}

/* The kernel is mapped (an ELF vmlinux is parsed in place and its segments
 * read straight into guest RAM); a bzImage is read into memory whole. */
static int read_images(const struct vm_config *cfg, struct images *im,
                       char *err, size_t errlen)
{
    struct kimage *k = &im->kfile;
    int rc = kimage_open(k, cfg->kernel, KERNEL_MAX_SIZE);

    if (rc == 0 && !elf_is_elf(k->data, k->len)) {
        clock_gettime(CLOCK_REALTIME, &im->kernel_read_at);
        im->kernel = malloc(k->len);
        rc = im->kernel ? kimage_read(k, 0, im->kernel, k->len) : -ENOMEM;
        im->kernel_len = k->len;
    }
    if (rc < 0) {
        image_error("kernel", cfg->kernel, KERNEL_MAX_SIZE, rc, err, errlen);
        return rc;
    }
    if (cfg->initrd) {
        rc = host_read_file(cfg->initrd, cfg->mem_size, &im->initrd,
                            &im->initrd_len);
        if (rc < 0)
            image_error("initrd", cfg->initrd, cfg->mem_size, rc, err, errlen);
    }
    return rc;
}

static void to_segment(struct accel_segment *s, const struct x86_segment *x)
{
    *s = (struct accel_segment){
        .base = x->base, .limit = x->limit, .selector = x->selector,
        .type = x->type, .present = x->present, .dpl = x->dpl, .db = x->db,
        .s = x->s, .l = x->l, .g = x->g,
    };
}

static void to_entry_state(struct accel_entry_state *e,
                           const struct x86_boot_cpu *c)
{
    memset(e, 0, sizeof(*e));
    e->rip = c->rip;
    e->rsi = c->rsi;
    e->rbx = c->rbx;
    e->rsp = c->rsp;
    e->rflags = c->rflags;
    e->cr0 = c->cr0;
    e->cr3 = c->cr3;
    e->cr4 = c->cr4;
    e->efer = c->efer;
    e->gdt_base = c->gdt_base;
    e->gdt_limit = c->gdt_limit;
    to_segment(&e->cs, &c->cs);
    to_segment(&e->ds, &c->ds);
}

static int build_tables(struct vm *vm, struct e820_entry *e820, unsigned *nr,
                        gpa_t *rsdp, char *err, size_t errlen)
{
    struct acpi_config acfg;
    int rc;

    acpi_config_init(&acfg, vm->ncpus);
    acfg.pm_evt_port = ACPI_PM_EVT_PORT;
    acfg.pm_cnt_port = ACPI_PM_CNT_PORT;
    acfg.sci_irq = ACPI_PM_SCI_IRQ;
    acfg.pvpanic = true;
    /* Our i8042 only resets the machine: tell the guest there is no
     * keyboard controller, so it does not probe one (reset through port
     * 0x64 works regardless). */
    acfg.i8042 = false;
    vm_pci_acpi(&acfg.pci);
    rc = e820_build(e820, E820_MAX_ENTRIES, vm->cfg.mem_size, nr);
    /* Reserved in e820 as well as in the DSDT's PNP0C02, so Linux uses
     * ECAM (MMCONFIG) from its first PCI access on. */
    if (rc == 0)
        rc = e820_add(e820, E820_MAX_ENTRIES, nr, LAYOUT_PCI_ECAM,
                      PCI_ECAM_BUS_SIZE, E820_RESERVED);

    if (rc < 0) {
        snprintf(err, errlen, "cannot build the e820 map: %s", strerror(-rc));
        return rc;
    }
    rc = acpi_build(&vm->gm, &acfg, rsdp);
    if (rc < 0)
        snprintf(err, errlen, "cannot build ACPI tables: %s", strerror(-rc));
    return rc;
}

/* What kind of kernel --kernel names: a bzImage, or an ELF vmlinux that
 * boots through its PVH entry. */
struct kernel {
    bool elf;
    struct bzimage_info bi;
    struct elf_info ei;
};

static int parse_kernel(const struct vm *vm, const struct images *im,
                        struct kernel *k, char *err, size_t errlen)
{
    char why[160];
    int rc;

    k->elf = im->kernel == NULL;
    if (k->elf) {
        rc = elf_parse(im->kfile.data, im->kfile.len, &k->ei);
        if (rc == 0 && !k->ei.pvh)
            rc = -ENOEXEC;
        if (rc < 0)
            snprintf(err, errlen, "kernel '%s': %s", vm->cfg.kernel,
                     k->ei.reason ? elf_strerror(k->ei.reason)
                                  : pvh_strerror(PVH_NO_NOTE));
        return rc;
    }
    rc = bzimage_parse(im->kernel, im->kernel_len, &k->bi);
    if (rc < 0) {
        bzimage_describe(k->bi.reason, &k->bi, why, sizeof(why));
        snprintf(err, errlen, "kernel '%s': %s", vm->cfg.kernel, why);
    }
    return rc;
}

/* A loader's complaint (why), with the RAM size it had to fit. */
static void load_error(const struct vm *vm, const char *why, char *err,
                       size_t errlen)
{
    snprintf(err, errlen, "%s (with --mem %llu MiB)", why,
             (unsigned long long)(vm->cfg.mem_size / MiB));
}

/* Load the vmlinux file (ki) parsed into (ei) through PVH: the boot data
 * first, then the segments read from the file into guest RAM (a kernel
 * cache entry, (cached), only where it has data: kcache_load.h). */
static int load_pvh(struct vm *vm, const struct kimage *ki,
                    const struct elf_info *ei,
                    const struct boot_load_args *args, bool cached,
                    struct x86_boot_cpu *cpu, char *err, size_t errlen)
{
    struct pvh_result res;
    int rc = pvh_load_info(&vm->gm, ei, args, &res);

    if (rc < 0) {
        load_error(vm, pvh_strerror(res.reason), err, errlen);
        return rc;
    }
    /* A cache entry is sparse: only its data extents are read. */
    rc = cached ? kcache_load_elf(ki, ei, &vm->gm)
                : kimage_load_elf(ki, ei, &vm->gm);
    if (rc < 0) {
        snprintf(err, errlen, "cannot load the kernel: %s", strerror(-rc));
        return rc;
    }
    rc = pvh_entry_setup(&vm->gm, &res, cpu);
    if (rc < 0)
        snprintf(err, errlen, "cannot set up the PVH entry: %s",
                 strerror(-rc));
    else
        log_info("boot: PVH entry at %#llx, kernel at [%#llx, %#llx)",
                 (unsigned long long)res.entry,
                 (unsigned long long)res.kernel_lo,
                 (unsigned long long)res.kernel_hi);
    return rc;
}

/* The bzImage through the kernel cache: its vmlinux, cached or decompressed
 * now, booted through PVH. Any failure here only means the bzImage boots
 * the usual way, so it is logged (at -v), never returned as an error. */
static int load_cached(struct vm *vm, const struct images *im,
                       const struct kernel *k,
                       const struct boot_load_args *args,
                       struct x86_boot_cpu *cpu)
{
    struct kcache kc;
    struct kimage ki;
    struct elf_info ei;
    char why[160];
    bool hit;
    int rc;

    if (vm->cfg.no_kernel_cache)
        return -ENOENT;
    rc = kcache_from_env(&kc);
    if (rc < 0) {
        log_info("kernel cache: off (%s)", rc == -ENOENT
                 ? "no cache folder or a limit of 0" : strerror(-rc));
        return rc;
    }
    struct kcache_src src = { .img = im->kernel, .len = im->kernel_len,
                              .fd = im->kfile.fd,
                              .read_at = im->kernel_read_at };
    rc = kcache_vmlinux(&kc, &src, &k->bi, &ki, &hit);
    if (rc < 0)
        return rc;
    rc = elf_parse(ki.data, ki.len, &ei);
    if (rc == 0)
        rc = load_pvh(vm, &ki, &ei, args, true, cpu, why, sizeof(why));
    else
        snprintf(why, sizeof(why), "%s", elf_strerror(ei.reason));
    if (rc < 0)
        log_info("kernel cache: cannot boot the cached vmlinux: %s", why);
    kimage_close(&ki);
    return rc;
}

static int load_bzimage(struct vm *vm, const struct images *im,
                        const struct kernel *k,
                        const struct boot_load_args *args,
                        struct x86_boot_cpu *cpu, char *err, size_t errlen)
{
    struct boot_load_result res;
    char why[160];
    int rc = bzimage_load(&vm->gm, im->kernel, im->kernel_len, &k->bi, args,
                          &res);

    if (rc < 0) {
        bzimage_describe(res.reason, &k->bi, why, sizeof(why));
        load_error(vm, why, err, errlen);
        return rc;
    }
    rc = x86_entry_setup(&vm->gm, cpu);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set up the boot page tables: %s",
                 strerror(-rc));
        return rc;
    }
    cpu->rip = res.entry;
    return 0;
}

/* Compose the command line into (cmdline), build the firmware tables and
 * load the kernel and initrd. */
static int load_with_cmdline(struct vm *vm, const struct images *im,
                             const struct kernel *k, char *cmdline,
                             struct accel_entry_state *entry, char *err,
                             size_t errlen)
{
    struct e820_entry e820[E820_MAX_ENTRIES];
    struct x86_boot_cpu cpu;
    unsigned nr;
    gpa_t rsdp;
    int rc;

    if (cmdline_compose(vm->cfg.cmdline,
                        vm->cfg.console == VM_CONSOLE_VIRTIO ? "hvc0" : "ttyS0",
                        cmdline, LAYOUT_CMDLINE_MAX) < 0) {
        snprintf(err, errlen, "--cmdline is too long");
        return -E2BIG;
    }
    rc = build_tables(vm, e820, &nr, &rsdp, err, errlen);
    if (rc < 0)
        return rc;
    struct boot_load_args args = {
        .cmdline = cmdline,
        .initrd = im->initrd,
        .initrd_len = im->initrd_len,
        .ram_low = layout_ram_low(vm->cfg.mem_size),
        .ram_high = layout_ram_high(vm->cfg.mem_size),
        .e820 = e820,
        .e820_nr = nr,
        .rsdp = rsdp,
    };
    if (k->elf)
        rc = load_pvh(vm, &im->kfile, &k->ei, &args, false, &cpu, err,
                      errlen);
    else if (load_cached(vm, im, k, &args, &cpu) < 0)
        rc = load_bzimage(vm, im, k, &args, &cpu, err, errlen);
    if (rc == 0)
        to_entry_state(entry, &cpu);
    return rc;
}

static int load(struct vm *vm, const struct images *im,
                struct accel_entry_state *entry, char *err, size_t errlen)
{
    struct kernel k;
    char *cmdline;
    int rc;

    rc = parse_kernel(vm, im, &k, err, errlen);
    if (rc < 0)
        return rc;
    /* On the heap, not the stack: with -fstack-clash-protection a 64 KiB
     * frame touches every page of it, and the main thread's stack keeps
     * them for the life of the VM (issue 7: RSS outside guest RAM). */
    cmdline = malloc(LAYOUT_CMDLINE_MAX);
    if (!cmdline) {
        snprintf(err, errlen, "out of memory for the command line");
        return -ENOMEM;
    }
    rc = load_with_cmdline(vm, im, &k, cmdline, entry, err, errlen);
    free(cmdline);
    return rc;
}

int loader_load_linux(struct vm *vm, struct accel_entry_state *entry,
                      char *err, size_t errlen)
{
    struct images im = { .kfile = { .fd = -1 } };
    int rc = read_images(&vm->cfg, &im, err, errlen);

    if (rc == 0)
        rc = load(vm, &im, entry, err, errlen);
    kimage_close(&im.kfile);
    free(im.kernel);
    free(im.initrd);
    return rc;
}
