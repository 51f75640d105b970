/* CPUID topology given to each vCPU: APIC ids, core counts, hypervisor bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "accel/kvm/kvm.h"

#define NENT 8

static struct kvm_cpuid2 *make_supported(void)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT * sizeof(c->entries[0]));
    unsigned n = 0;

    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 1,
        .ebx = 0xff0a0800, .ecx = 0, .edx = 1U << 28 };
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 0,
        .eax = 0x121 };                        /* L1 data cache */
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 4, .index = 3,
        .eax = 0x163 };                        /* L3 unified cache */
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0 };
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 1 };
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000001 };
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x80000008,
        .ecx = 0x3f };
    c->entries[n++] = (struct kvm_cpuid_entry2){ .function = 0x8000001e };
    c->nent = n;
    return c;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c,
                                           uint32_t fn, uint32_t idx)
{
    for (unsigned i = 0; i < c->nent; i++)
        if (c->entries[i].function == fn && c->entries[i].index == idx)
            return &c->entries[i];
    fail();
    return NULL;
}

static void test_topology_for_each_vcpu(void **state)
{
    struct kvm_cpuid2 *sup = make_supported();
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT * sizeof(c->entries[0]));
    (void)state;

    for (unsigned id = 0; id < 3; id++) {
        kvm_cpuid_for_vcpu(sup, c, id, 3);
        assert_int_equal(c->nent, sup->nent);
        /* leaf 1: APIC id, logical count (power of 2), HTT, hypervisor */
        assert_int_equal(find(c, 1, 0)->ebx >> 24, id);
        assert_int_equal((find(c, 1, 0)->ebx >> 16) & 0xff, 4);
        assert_int_equal(find(c, 1, 0)->ebx & 0xffff, 0x0800);
        assert_true(find(c, 1, 0)->edx & (1U << 28));
        assert_true(find(c, 1, 0)->ecx & (1U << 31));
        /* leaf 4: cores per package - 1; L3 shared, L1 private */
        assert_int_equal(find(c, 4, 0)->eax >> 26, 3);
        assert_int_equal((find(c, 4, 0)->eax >> 14) & 0xfff, 0);
        assert_int_equal((find(c, 4, 3)->eax >> 14) & 0xfff, 3);
        /* leaf 0xb: SMT level 1 thread, core level 3 cores, x2APIC id */
        assert_int_equal(find(c, 0xb, 0)->ebx, 1);
        assert_int_equal(find(c, 0xb, 1)->ebx, 3);
        assert_int_equal(find(c, 0xb, 1)->eax, 2);
        assert_int_equal(find(c, 0xb, 0)->edx, id);
        assert_int_equal(find(c, 0xb, 1)->edx, id);
        /* AMD: core count, CmpLegacy, extended APIC id */
        assert_int_equal(find(c, 0x80000008, 0)->ecx & 0xff, 2);
        assert_int_equal((find(c, 0x80000008, 0)->ecx >> 12) & 0xf, 2);
        assert_true(find(c, 0x80000001, 0)->ecx & 2);
        assert_int_equal(find(c, 0x8000001e, 0)->eax, id);
    }
    free(sup);
    free(c);
}

static void test_single_cpu_has_no_htt(void **state)
{
    struct kvm_cpuid2 *sup = make_supported();
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + NENT * sizeof(c->entries[0]));
    (void)state;

    kvm_cpuid_for_vcpu(sup, c, 0, 1);
    assert_false(find(c, 1, 0)->edx & (1U << 28));
    assert_false(find(c, 0x80000001, 0)->ecx & 2);
    assert_int_equal(find(c, 0x80000008, 0)->ecx & 0xff, 0);
    assert_int_equal(find(c, 4, 0)->eax >> 26, 0);
    free(sup);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topology_for_each_vcpu),
        cmocka_unit_test(test_single_cpu_has_no_htt),
    };
    return cmocka_run_group_tests_name("accel/kvm_cpuid", tests, NULL, NULL);
}
