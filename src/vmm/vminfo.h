/* What the control API shows of a running VM: GET /vm's description and
 * GET /metrics' Prometheus text (docs/api.md), from the counters the vCPUs
 * and devices already keep. Called on the API thread while the VM runs:
 * device counters are copied under dev_lock, vCPU exit counts read with
 * atomic loads. */
#ifndef VESSEL_VMM_VMINFO_H
#define VESSEL_VMM_VMINFO_H

#include "api/api.h"

struct vm;

/* Fill (info) for GET /vm (state and uptime included). Returns 0 or
 * -ENOMEM. */
int vminfo_describe(struct vm *vm, struct api_vm_info *info) MUST_CHECK;

/* Prometheus text for GET /metrics: vessel_vcpu_exits_total{vcpu,reason}
 * and vessel_<family>_<counter>_total{device} for each device. */
int vminfo_metrics(struct vm *vm, struct api_text *out) MUST_CHECK;

/* The state GET /vm reports: vm->state, or shutting-down once the VM is
 * told to stop. */
enum api_vm_state vminfo_state(const struct vm *vm);

#endif
