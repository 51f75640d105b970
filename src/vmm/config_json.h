/* vm_config <-> JSON: the schema of `vessel run --config FILE` and of the
 * "config" member of the control API's GET /vm (docs/api.md, "VmConfig"
 * in docs/openapi.yaml):
 *
 *   { "name": "web",                 optional; the rundir name rule
 *     "kernel": "/path/bzImage",     required
 *     "initrd": "/path/initrd",      optional
 *     "cmdline": "quiet",            optional
 *     "mem_bytes": 268435456,        default 256 MiB; 32 MiB to 1 TiB, a
 *                                    multiple of 4096 (bytes, so every
 *                                    --mem the CLI takes round-trips)
 *     "cpus": 1,                     1 to VM_MAX_CPUS
 *     "disks": [ { "path": "/img", "readonly": false, "serial": "S" } ],
 *                                    up to VM_MAX_DISKS; serial optional
 *     "nets": [ "user,hostfwd=tcp::2222-:22" ],
 *                                    --net SPEC strings (vmm/net_spec.h)
 *     "console": "serial",           or "virtio"
 *     "rng": true, "hugepages": false, "kernel_cache": true }
 *
 * Reading is strict: an unknown field, a wrong type or a value out of
 * range is an error naming its path ("disks[1].serial: ..."). Fields the
 * schema does not carry (kvm_device, stats_path, start_ns, console_raw)
 * are left zero for the caller. Writing gives every field but the
 * optional strings that are unset, so config -> JSON -> config is the
 * identity on the schema's fields. */
#ifndef VESSEL_VMM_CONFIG_JSON_H
#define VESSEL_VMM_CONFIG_JSON_H

#include <jansson.h>

#include "vmm/config.h"

#define CONFIG_JSON_FILE_MAX (1 * MiB)
#define CONFIG_JSON_STR_MAX 4096            /* bytes in one string */
#define CONFIG_JSON_MAX_STRINGS (4 + VM_MAX_DISKS + VM_MAX_NETS)

/* A config read from JSON and the strings its pointers point into. */
struct config_json {
    struct vm_config cfg;
    char *str[CONFIG_JSON_MAX_STRINGS];
    unsigned nstr;
};

/* Fill (out) from the object (obj): defaults for absent fields as the
 * CLI has them (256 MiB, one vCPU, serial console, rng on, kernel cache
 * on). Returns 0, or -EINVAL / -ENOMEM with one line in (err); on error
 * nothing is left to free. On success free with config_json_free(). */
int config_json_from(struct config_json *out, const json_t *obj, char *err,
                     size_t errlen) MUST_CHECK;

/* The same from JSON text (text, len), which need not be NUL-terminated;
 * malformed JSON is an error with its line and column. */
int config_json_parse(struct config_json *out, const char *text, size_t len,
                      char *err, size_t errlen) MUST_CHECK;

/* The same from the file (path), at most CONFIG_JSON_FILE_MAX bytes;
 * (err) names the file. */
int config_json_load(struct config_json *out, const char *path, char *err,
                     size_t errlen) MUST_CHECK;

void config_json_free(struct config_json *c);

/* A new JSON object for (cfg), or NULL with one line in (err) (a disk
 * spec that does not parse, or no memory). The caller owns the
 * reference. */
json_t *config_json_dump(const struct vm_config *cfg, char *err,
                         size_t errlen);

/* Do (a) and (b) agree on every field the schema carries? */
bool config_json_same(const struct vm_config *a, const struct vm_config *b);

#endif
