/* Loading a Linux bzImage, its initrd, e820 and ACPI tables into a VM. */
#include "vmm/loader.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/bzimage.h"
#include "boot/e820.h"
#include "boot/layout.h"
#include "boot/x86_entry.h"
#include "devices/acpi_pm.h"
#include "host/file.h"
#include "vmm/cmdline.h"
#include "vmm/vm.h"

#define KERNEL_MAX_SIZE (512 * MiB)

struct images {
    uint8_t *kernel, *initrd;
    size_t kernel_len, initrd_len;
};

static int read_image(const char *what, const char *path, uint64_t max,
                      uint8_t **buf, size_t *len, char *err, size_t errlen)
{
    int rc = host_read_file(path, max, buf, len);

    if (rc == -EFBIG)
        snprintf(err, errlen, "%s '%s' is too large (%llu MiB at most)", what,
                 path, (unsigned long long)(max / MiB));
    else if (rc == -EINVAL)
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
    else if (rc < 0)
        snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
                 strerror(-rc));
    return rc;
}

static int read_images(const struct vm_config *cfg, struct images *im,
                       char *err, size_t errlen)
{
    int rc = read_image("kernel", cfg->kernel, KERNEL_MAX_SIZE, &im->kernel,
                        &im->kernel_len, err, errlen);

    if (rc == 0 && cfg->initrd)
        rc = read_image("initrd", cfg->initrd, cfg->mem_size, &im->initrd,
                        &im->initrd_len, err, errlen);
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
                           const struct x86_boot_cpu *c,
                           const struct boot_load_result *res)
{
    memset(e, 0, sizeof(*e));
    e->rip = res->entry;
    e->rsi = res->zero_page;
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

static int load(struct vm *vm, const struct images *im,
                struct accel_entry_state *entry, char *err, size_t errlen)
{
    struct e820_entry e820[E820_MAX_ENTRIES];
    struct bzimage_info bi;
    struct boot_load_result res;
    struct x86_boot_cpu cpu;
    char cmdline[LAYOUT_CMDLINE_MAX];
    char why[160];
    unsigned nr;
    gpa_t rsdp;
    int rc;

    rc = bzimage_parse(im->kernel, im->kernel_len, &bi);
    if (rc < 0) {
        bzimage_describe(bi.reason, &bi, why, sizeof(why));
        snprintf(err, errlen, "kernel '%s': %s", vm->cfg.kernel, why);
        return rc;
    }
    if (cmdline_compose(vm->cfg.cmdline,
                        vm->cfg.console == VM_CONSOLE_VIRTIO ? "hvc0" : "ttyS0",
                        cmdline, sizeof(cmdline)) < 0) {
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
    rc = bzimage_load(&vm->gm, im->kernel, im->kernel_len, &bi, &args, &res);
    if (rc < 0) {
        bzimage_describe(res.reason, &bi, why, sizeof(why));
        snprintf(err, errlen, "%s (with --mem %llu MiB)", why,
                 (unsigned long long)(vm->cfg.mem_size / MiB));
        return rc;
    }
    rc = x86_entry_setup(&vm->gm, &cpu);
    if (rc < 0) {
        snprintf(err, errlen, "cannot set up the boot page tables: %s",
                 strerror(-rc));
        return rc;
    }
    to_entry_state(entry, &cpu, &res);
    return 0;
}

int loader_load_linux(struct vm *vm, struct accel_entry_state *entry,
                      char *err, size_t errlen)
{
    struct images im = { 0 };
    int rc = read_images(&vm->cfg, &im, err, errlen);

    if (rc == 0)
        rc = load(vm, &im, entry, err, errlen);
    free(im.kernel);
    free(im.initrd);
    return rc;
}
