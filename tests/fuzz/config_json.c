/* libFuzzer target: config files and GET /vm's "config", through
 * config_json_parse() (the input is the JSON text).
 *
 * Checked on every input (a failed check traps):
 *  - an error leaves nothing allocated (ASan's leak check) and says why
 *    on one non-empty line;
 *  - a config that parses stays within the schema's limits, dumps back to
 *    JSON, and that JSON parses to the same config (round trip), whose
 *    dump is the same document again. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config_json.h"

#define CHECK(c)                                                               \
    do {                                                                       \
        if (!(c))                                                              \
            __builtin_trap();                                                  \
    } while (0)

static void check_limits(const struct vm_config *c)
{
    CHECK(c->kernel && c->kernel[0]);
    CHECK(c->ncpus >= 1 && c->ncpus <= VM_MAX_CPUS);
    CHECK(c->mem_size >= VM_MIN_MEM && c->mem_size <= VM_MAX_MEM);
    CHECK(c->mem_size % 4096 == 0);
    CHECK(c->ndisks <= VM_MAX_DISKS && c->nnets <= VM_MAX_NETS);
    CHECK(c->console == VM_CONSOLE_SERIAL || c->console == VM_CONSOLE_VIRTIO);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_json a, b;
    char err[512] = "";
    json_t *ja, *jb;
    char *text;

    if (config_json_parse(&a, (const char *)data, size, err, sizeof(err)) < 0) {
        CHECK(err[0] && !strchr(err, '\n'));
        return 0;
    }
    check_limits(&a.cfg);
    ja = config_json_dump(&a.cfg, err, sizeof(err));
    if (!ja) {
        /* Only a string that is not UTF-8 cannot go back to JSON, and
         * jansson never hands us one. */
        __builtin_trap();
    }
    text = json_dumps(ja, JSON_COMPACT);
    CHECK(text);
    CHECK(config_json_parse(&b, text, strlen(text), err, sizeof(err)) == 0);
    CHECK(config_json_same(&a.cfg, &b.cfg));
    jb = config_json_dump(&b.cfg, err, sizeof(err));
    CHECK(jb && json_equal(ja, jb));
    json_decref(ja);
    json_decref(jb);
    free(text);
    config_json_free(&a);
    config_json_free(&b);
    return 0;
}
