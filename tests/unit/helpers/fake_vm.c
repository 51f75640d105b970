/* Fake VM behind the control API: see fake_vm.h. */
#include "helpers/fake_vm.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/config_json.h"

static int fake_describe(void *ctx, struct api_vm_info *info)
{
    struct fake_vm *f = ctx;
    char err[256];
    json_t *blk, *net;

    f->describes++;
    if (f->fail)
        return f->fail;
    info->state = f->state;
    info->uptime_ms = 1234;
    info->config = config_json_dump(&f->cfg, err, sizeof(err));
    if (!info->config)
        return -ENOMEM;
    for (unsigned i = 0; i < f->cfg.ncpus; i++)
        if (api_info_vcpu(info, i, 100 + i) < 0)
            return -ENOMEM;
    blk = api_info_device(info, "disk0", "virtio-blk");
    net = api_info_device(info, "net0", "virtio-net");
    if (!blk || !net || api_info_counter(blk, "read_bytes", 4096) < 0 ||
        api_info_counter(blk, "write_bytes", 512) < 0 ||
        api_info_counter(net, "rx_packets", 7) < 0)
        return -ENOMEM;
    return 0;
}

static int fake_set_state(void *ctx, enum api_vm_state want)
{
    struct fake_vm *f = ctx;

    f->set_states++;
    f->last_want = want;
    if (f->fail)
        return f->fail;
    f->state = want;
    return 0;
}

static int fake_power(void *ctx, const struct api_power_req *req)
{
    struct fake_vm *f = ctx;

    f->powers++;
    f->last_power = *req;
    if (f->fail)
        return f->fail;
    f->state = API_VM_SHUTTING_DOWN;
    return 0;
}

static int fake_metrics(void *ctx, struct api_text *out)
{
    struct fake_vm *f = ctx;

    f->metrics_calls++;
    if (f->fail)
        return f->fail;
    api_text_printf(out, "# TYPE vessel_vcpu_exits_total counter\n"
                    "vessel_vcpu_exits_total{vcpu=\"0\",reason=\"pio\"} 10\n"
                    "vessel_vcpu_exits_total{vcpu=\"0\",reason=\"mmio\"} 3\n"
                    "# TYPE vessel_blk_read_bytes_total counter\n"
                    "vessel_blk_read_bytes_total{device=\"disk0\"} 4096\n");
    return 0;
}

static int fake_console(void *ctx, char *buf, size_t cap, size_t *len)
{
    struct fake_vm *f = ctx;
    static const char text[] = "Linux version 6.1\r\n\xff login: ";

    f->console_calls++;
    if (f->fail)
        return f->fail;
    *len = sizeof(text) - 1 < cap ? sizeof(text) - 1 : cap;
    memcpy(buf, text, *len);
    return 0;
}

const struct api_vm_ops fake_vm_ops = {
    .describe = fake_describe,
    .set_state = fake_set_state,
    .power = fake_power,
    .metrics = fake_metrics,
    .console = fake_console,
};

void fake_vm_init(struct fake_vm *f)
{
    static const char *const disks[] = { "/img/root.raw,serial=ROOT1" };
    static const char *const nets[] = { "user,hostfwd=tcp::2222-:22" };

    memset(f, 0, sizeof(*f));
    f->state = API_VM_RUNNING;
    f->cfg = (struct vm_config){ .kernel = "/boot/vmlinuz",
                                 .cmdline = "quiet", .mem_size = 512 * MiB,
                                 .ncpus = 2, .name = "test-vm", .rng = true };
    f->cfg.disks[0] = disks[0];
    f->cfg.ndisks = 1;
    f->cfg.nets[0] = nets[0];
    f->cfg.nnets = 1;
}

void test_server_start(struct test_server *t, struct fake_vm *f,
                       const struct api_server_config *cfg)
{
    struct api_server_config c = { 0 };

    if (cfg)
        c = *cfg;
    snprintf(t->dir, sizeof(t->dir), "/tmp/vessel-api-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->sock, sizeof(t->sock), "%s/%s", t->dir, RUNDIR_API_SOCK);
    c.sock_path = t->sock;
    c.ops = &fake_vm_ops;
    c.ctx = f;
    assert_int_equal(api_server_start(&t->srv, &c), 0);
}

void test_server_stop(struct test_server *t)
{
    api_server_stop(t->srv);
    t->srv = NULL;
    assert_int_equal(access(t->sock, F_OK), -1);
    assert_int_equal(rmdir(t->dir), 0);
}
