/* The control ops of a real VM (vmm/control.c) and the pause machinery
 * (vmm/vcpu.c), with the real vCPU threads over a fake accelerator whose
 * run() returns an interrupt exit every half millisecond. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/control.h"
#include "vmm/vm.h"
#include "vmm/vminfo.h"

struct accel_vcpu {
    uint64_t runs;                  /* atomic */
    bool block;                     /* atomic: run() ignores kicks */
    bool blocked;                   /* atomic: run() is inside that wait */
};

static void sleep_ms(unsigned ms)
{
    struct timespec ts = { 0, (long)ms * 1000000L };

    nanosleep(&ts, NULL);
}

static int fake_run(struct accel_vcpu *v, struct vexit *ex)
{
    memset(ex, 0, sizeof(*ex));
    while (__atomic_load_n(&v->block, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&v->blocked, true, __ATOMIC_RELEASE);
        sleep_ms(1);
    }
    usleep(500);
    __atomic_add_fetch(&v->runs, 1, __ATOMIC_RELAXED);
    ex->kind = VEXIT_INTR;
    return 0;
}

static void fake_kick(struct accel_vcpu *v)
{
    (void)v;
}

static const struct accel_ops fake_accel = {
    .name = "fake", .run = fake_run, .kick = fake_kick,
};

static void sci_set(void *ctx, bool level)
{
    *(bool *)ctx = level;
}

struct t {
    struct vm *vm;
    struct accel_vcpu acc[2];
    bool sci;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    struct vm *vm = calloc(1, sizeof(*vm));
    pthread_condattr_t ca;

    assert_int_equal(vm_signals_init(), 0);
    vm->ops = &fake_accel;
    vm->ncpus = 2;
    vm->cfg = (struct vm_config){ .kernel = "/boot/vmlinuz", .ncpus = 2,
                                  .mem_size = 256 * MiB, .rng = true };
    vm->result = VM_RESULT_NONE;
    vm->notify_fd = -1;
    vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    pthread_mutex_init(&vm->dev_lock, NULL);
    pthread_mutex_init(&vm->run_lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&vm->run_cond, &ca);
    acpi_pm_init(&vm->plat.pm, (struct irq_line){ .set = sci_set,
                                                  .ctx = &t->sci }, NULL,
                 NULL);
    for (unsigned i = 0; i < 2; i++)
        vm->vcpus[i] = (struct vcpu){ .vm = vm, .id = i, .acc = &t->acc[i] };
    t->vm = vm;
    *state = t;
    return 0;
}

static void start_vcpus(struct t *t)
{
    for (unsigned i = 0; i < 2; i++)
        assert_int_equal(vcpu_start(&t->vm->vcpus[i]), 0);
    __atomic_store_n(&t->vm->vcpus_up, true, __ATOMIC_RELEASE);
    for (int i = 0; i < 2000 && __atomic_load_n(&t->vm->state,
                                                __ATOMIC_ACQUIRE) !=
                                API_VM_RUNNING; i++)
        sleep_ms(1);
}

static int teardown(void **state)
{
    struct t *t = *state;
    struct vm *vm = t->vm;

    for (unsigned i = 0; i < 2; i++)
        __atomic_store_n(&t->acc[i].block, false, __ATOMIC_RELEASE);
    vm_request_stop(vm, VM_STOPPED, "test over");
    for (unsigned i = 0; i < 2; i++)
        if (vm->vcpus[i].started)
            pthread_join(vm->vcpus[i].thread, NULL);
    close(vm->wake_fd);
    pthread_cond_destroy(&vm->run_cond);
    pthread_mutex_destroy(&vm->run_lock);
    pthread_mutex_destroy(&vm->dev_lock);
    free(vm);
    free(t);
    return 0;
}

static uint64_t runs(struct t *t, unsigned i)
{
    return __atomic_load_n(&t->acc[i].runs, __ATOMIC_RELAXED);
}

static void test_starting_is_busy(void **state)
{
    struct t *t = *state;
    struct api_power_req acpi = { .action = API_POWER_ACPI_SHUTDOWN };

    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), -EBUSY);
    assert_int_equal(vm_api_ops.power(t->vm, &acpi), -EBUSY);
    assert_false(vm_stopping(t->vm));
}

/* Paused: no vCPU enters the guest; resumed: both do again. */
static void test_pause_parks_every_vcpu(void **state)
{
    struct t *t = *state;
    uint64_t r0, r1;

    start_vcpus(t);
    assert_int_equal(t->vm->state, API_VM_RUNNING);
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), 0);
    assert_int_equal(t->vm->parked, 2);
    assert_int_equal(vminfo_state(t->vm), API_VM_PAUSED);
    r0 = runs(t, 0);
    r1 = runs(t, 1);
    sleep_ms(30);
    assert_int_equal(runs(t, 0), r0);
    assert_int_equal(runs(t, 1), r1);
    /* Asking again is fine. */
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), 0);
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_RUNNING), 0);
    sleep_ms(30);
    assert_true(runs(t, 0) > r0);
    assert_true(runs(t, 1) > r1);
}

/* A vCPU that does not come back in time: -ETIMEDOUT, and the others are
 * let go again. */
static void test_pause_times_out(void **state)
{
    struct t *t = *state;
    uint64_t r0;

    start_vcpus(t);
    __atomic_store_n(&t->acc[1].block, true, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&t->acc[1].blocked, __ATOMIC_ACQUIRE))
        sleep_ms(1);
    assert_int_equal(vm_pause(t->vm, 50), -ETIMEDOUT);
    assert_false(t->vm->pause_req);
    r0 = runs(t, 0);
    sleep_ms(30);
    assert_true(runs(t, 0) > r0);
}

/* A stop while paused ends the parked vCPUs. */
static void test_stop_while_paused(void **state)
{
    struct t *t = *state;
    struct api_power_req stop = { .action = API_POWER_STOP };

    start_vcpus(t);
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), 0);
    assert_int_equal(vm_api_ops.power(t->vm, &stop), 0);
    assert_true(vm_stopping(t->vm));
    assert_int_equal(t->vm->result, VM_STOPPED);
    for (unsigned i = 0; i < 2; i++) {
        pthread_join(t->vm->vcpus[i].thread, NULL);
        t->vm->vcpus[i].started = false;
    }
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_RUNNING), -EBUSY);
    assert_int_equal(vm_api_ops.power(t->vm, &stop), -EBUSY);
}

/* acpi-shutdown resumes a paused VM, presses the button (the SCI rises
 * when the guest enabled it) and makes the VM busy for state changes. */
static void test_acpi_shutdown(void **state)
{
    struct t *t = *state;
    struct api_power_req acpi = { .action = API_POWER_ACPI_SHUTDOWN };
    uint64_t r0;

    start_vcpus(t);
    acpi_pm_evt_write(&t->vm->plat.pm, ACPI_PM1_EN + 1,
                      ACPI_PM1_EN_PWRBTN >> 8);
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), 0);
    assert_int_equal(vm_api_ops.power(t->vm, &acpi), 0);
    assert_true(t->sci);
    assert_true(t->vm->plat.pm.st.sts & ACPI_PM1_STS_PWRBTN);
    assert_int_equal(vminfo_state(t->vm), API_VM_SHUTTING_DOWN);
    r0 = runs(t, 0);
    sleep_ms(30);
    assert_true(runs(t, 0) > r0);       /* resumed */
    assert_false(vm_stopping(t->vm));   /* the guest decides */
    assert_int_equal(vm_api_ops.set_state(t->vm, API_VM_PAUSED), -EBUSY);
    assert_int_equal(vm_api_ops.power(t->vm, &acpi), -EBUSY);
}

static void test_reset_ends_as_reboot(void **state)
{
    struct t *t = *state;
    struct api_power_req reset = { .action = API_POWER_RESET };

    start_vcpus(t);
    assert_int_equal(vm_api_ops.power(t->vm, &reset), 0);
    assert_int_equal(t->vm->result, VM_REBOOT);
}

static void test_describe_and_metrics(void **state)
{
    struct t *t = *state;
    struct api_vm_info info = { .vcpus = json_array(),
                                .devices = json_array() };
    char buf[API_METRICS_MAX];
    struct api_text txt = { .buf = buf, .cap = sizeof(buf) };
    json_t *con;

    start_vcpus(t);
    sleep_ms(10);
    assert_int_equal(vm_api_ops.describe(t->vm, &info), 0);
    assert_int_equal(info.state, API_VM_RUNNING);
    assert_string_equal(json_string_value(json_object_get(info.config,
                                                          "kernel")),
                        "/boot/vmlinuz");
    assert_int_equal(json_array_size(info.vcpus), 2);
    assert_true(json_integer_value(json_object_get(
                    json_array_get(info.vcpus, 1), "exits")) > 0);
    con = json_array_get(info.devices, json_array_size(info.devices) - 1);
    assert_string_equal(json_string_value(json_object_get(con, "kind")),
                        "serial");
    assert_non_null(json_object_get(json_object_get(con, "counters"),
                                    "out_bytes"));
    json_decref(info.config);
    json_decref(info.vcpus);
    json_decref(info.devices);

    assert_int_equal(vm_api_ops.metrics(t->vm, &txt), 0);
    assert_false(txt.truncated);
    assert_non_null(strstr(buf, "# TYPE vessel_vcpu_exits_total counter\n"));
    assert_non_null(strstr(buf, "vessel_vcpu_exits_total{vcpu=\"1\","
                                "reason=\"intr\"} "));
    assert_non_null(strstr(buf, "vessel_console_out_bytes_total{device="
                                "\"console\"} 0\n"));
    /* No console socket: no history to give. */
    {
        char hist[16];
        size_t n;

        assert_int_equal(vm_api_ops.console(t->vm, hist, sizeof(hist), &n),
                         -ENOTSUP);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_starting_is_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pause_parks_every_vcpu, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pause_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_while_paused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_acpi_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_ends_as_reboot, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_describe_and_metrics, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("vmm/control", tests, NULL, NULL);
}
