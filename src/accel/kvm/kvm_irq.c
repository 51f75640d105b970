/* KVM interrupt routing (PC pins and MSI routes), irqfds and ioeventfds. */
#include "accel/kvm/kvm.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

static int commit_routes(struct accel_vm *vm)
{
    union {
        struct kvm_irq_routing r;
        uint8_t bytes[sizeof(struct kvm_irq_routing) +
                      KVM_ROUTES_MAX * sizeof(struct kvm_irq_routing_entry)];
    } t;

    memset(&t, 0, sizeof(t));
    t.r.nr = vm->nroutes;
    memcpy(t.r.entries, vm->routes, vm->nroutes * sizeof(vm->routes[0]));
    return ioctl(vm->fd, KVM_SET_GSI_ROUTING, &t) < 0 ? -errno : 0;
}

static void add_pin(struct accel_vm *vm, unsigned gsi, unsigned chip,
                    unsigned pin)
{
    vm->routes[vm->nroutes++] = (struct kvm_irq_routing_entry){
        .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP,
        .u.irqchip = { .irqchip = chip, .pin = pin } };
}

/* GSI routing like a PC: GSI 0-15 reach the PICs, GSI 0-23 the IOAPIC,
 * except that GSI 0 (the PIT) reaches IOAPIC pin 2, matching the MADT's
 * interrupt source override IRQ0 -> GSI2. */
int kvm_routing_init(struct accel_vm *vm)
{
    vm->nroutes = 0;
    vm->next_msi_gsi = KVM_MSI_GSI_BASE;
    for (unsigned gsi = 0; gsi < 16; gsi++)
        if (gsi != 2)   /* the cascade is not a device line */
            add_pin(vm, gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
                                     : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
    for (unsigned gsi = 0; gsi < 24; gsi++)
        if (gsi != 2)
            add_pin(vm, gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi);
    return commit_routes(vm);
}

int kvm_msi_alloc(struct accel_vm *vm, unsigned *gsi)
{
    if (vm->nroutes == KVM_ROUTES_MAX)
        return -ENOSPC;
    *gsi = vm->next_msi_gsi++;
    /* Start masked-equivalent: an MSI to address 0 is never used by a
     * driver before it programs the entry. */
    vm->routes[vm->nroutes++] = (struct kvm_irq_routing_entry){
        .gsi = *gsi, .type = KVM_IRQ_ROUTING_MSI };
    return commit_routes(vm);
}

int kvm_msi_route(struct accel_vm *vm, unsigned gsi, uint64_t addr,
                  uint32_t data)
{
    for (unsigned i = 0; i < vm->nroutes; i++) {
        struct kvm_irq_routing_entry *e = &vm->routes[i];
        if (e->gsi != gsi || e->type != KVM_IRQ_ROUTING_MSI)
            continue;
        if (e->u.msi.address_lo == (uint32_t)addr &&
            e->u.msi.address_hi == (uint32_t)(addr >> 32) &&
            e->u.msi.data == data)
            return 0;   /* unchanged: spare the kernel a table rebuild */
        e->u.msi.address_lo = (uint32_t)addr;
        e->u.msi.address_hi = (uint32_t)(addr >> 32);
        e->u.msi.data = data;
        return commit_routes(vm);
    }
    return -ENOENT;
}

int kvm_irqfd(struct accel_vm *vm, unsigned gsi, int fd, bool on)
{
    struct kvm_irqfd f = {
        .fd = (uint32_t)fd, .gsi = gsi,
        .flags = on ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
    };

    return ioctl(vm->fd, KVM_IRQFD, &f) < 0 ? -errno : 0;
}

int kvm_ioeventfd(struct accel_vm *vm, uint64_t addr, unsigned len,
                  uint64_t match, int fd, bool on)
{
    struct kvm_ioeventfd e = {
        .datamatch = match, .addr = addr, .len = len, .fd = fd,
        .flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
                 (on ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return ioctl(vm->fd, KVM_IOEVENTFD, &e) < 0 ? -errno : 0;
}
