/* vm_config <-> JSON (schema in config_json.h and docs/api.md). */
#include "vmm/config_json.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/rundir.h"
#include "host/blkfile.h"
#include "host/file.h"
#include "host/jfield.h"
#include "vmm/net_spec.h"

static const struct jfield top_fields[] = {
    { "name", JF_STRING, false },      { "kernel", JF_STRING, true },
    { "initrd", JF_STRING, false },    { "cmdline", JF_STRING, false },
    { "mem_bytes", JF_INT, false },    { "cpus", JF_INT, false },
    { "disks", JF_ARRAY, false },      { "nets", JF_ARRAY, false },
    { "console", JF_STRING, false },   { "rng", JF_BOOL, false },
    { "hugepages", JF_BOOL, false },   { "kernel_cache", JF_BOOL, false },
};

static const struct jfield disk_fields[] = {
    { "path", JF_STRING, true },
    { "readonly", JF_BOOL, false },
    { "serial", JF_STRING, false },
};

/* The optional strings of the top level, in schema order. */
static const struct {
    const char *key;
    size_t off;
    bool nonempty;
} str_fields[] = {
    { "name", offsetof(struct vm_config, name), true },
    { "kernel", offsetof(struct vm_config, kernel), true },
    { "initrd", offsetof(struct vm_config, initrd), true },
    { "cmdline", offsetof(struct vm_config, cmdline), false },
};

static const char *const console_names[] = {
    [VM_CONSOLE_SERIAL] = "serial",
    [VM_CONSOLE_VIRTIO] = "virtio",
};

struct reader {
    struct config_json *c;
    char *err;
    size_t errlen;
};

static const char **str_slot(struct vm_config *cfg, size_t off)
{
    return (const char **)(void *)((char *)cfg + off);
}

static const char *str_field(const struct vm_config *cfg, size_t off)
{
    return *(const char *const *)(const void *)((const char *)cfg + off);
}

/* Keep a copy of (s, len) for the config's lifetime in (*dst). */
static int keep(struct reader *r, const char *s, size_t len, const char **dst)
{
    char *p;

    if (r->c->nstr == CONFIG_JSON_MAX_STRINGS)
        return -ENOMEM;         /* not reached: the schema bounds it */
    p = malloc(len + 1);
    if (!p) {
        snprintf(r->err, r->errlen, "out of memory");
        return -ENOMEM;
    }
    memcpy(p, s, len);
    p[len] = '\0';
    r->c->str[r->c->nstr++] = p;
    *dst = p;
    return 0;
}

/* A JSON string (v) as a C string: no NUL inside, bounded, maybe
 * non-empty. */
static int check_str(struct reader *r, const json_t *v, const char *where,
                     const char *key, bool nonempty)
{
    size_t n = json_string_length(v);

    if (strlen(json_string_value(v)) != n)
        return jfield_fail(r->err, r->errlen, where, key, "contains NUL");
    if (n > CONFIG_JSON_STR_MAX)
        return jfield_fail(r->err, r->errlen, where, key,
                           "longer than %d bytes", CONFIG_JSON_STR_MAX);
    if (nonempty && n == 0)
        return jfield_fail(r->err, r->errlen, where, key, "is empty");
    return 0;
}

static int read_strings(struct reader *r, const json_t *obj)
{
    for (size_t i = 0; i < ARRAY_SIZE(str_fields); i++) {
        const json_t *v = json_object_get(obj, str_fields[i].key);
        int rc;

        if (!v)
            continue;
        rc = check_str(r, v, "", str_fields[i].key, str_fields[i].nonempty);
        if (rc == 0)
            rc = keep(r, json_string_value(v), json_string_length(v),
                      str_slot(&r->c->cfg, str_fields[i].off));
        if (rc < 0)
            return rc;
    }
    if (r->c->cfg.name && rundir_check_name(r->c->cfg.name) < 0)
        return jfield_fail(r->err, r->errlen, "", "name",
                           "'%.64s' is not 1-64 letters, digits, '.', '_' "
                           "or '-' not starting with '.' or '-'",
                           r->c->cfg.name);
    return 0;
}

static int read_numbers(struct reader *r, const json_t *obj)
{
    const json_t *mem = json_object_get(obj, "mem_bytes");
    const json_t *cpus = json_object_get(obj, "cpus");

    if (mem) {
        json_int_t v = json_integer_value(mem);

        if (v < (json_int_t)VM_MIN_MEM || v > (json_int_t)VM_MAX_MEM)
            return jfield_fail(r->err, r->errlen, "", "mem_bytes",
                               "%lld is out of range (32 MiB to 1 TiB)",
                               (long long)v);
        if (v % 4096)
            return jfield_fail(r->err, r->errlen, "", "mem_bytes",
                               "%lld is not a multiple of 4096",
                               (long long)v);
        r->c->cfg.mem_size = (uint64_t)v;
    }
    if (cpus) {
        json_int_t v = json_integer_value(cpus);

        if (v < 1 || v > VM_MAX_CPUS)
            return jfield_fail(r->err, r->errlen, "", "cpus",
                               "%lld is out of range (1 to %d)",
                               (long long)v, VM_MAX_CPUS);
        r->c->cfg.ncpus = (unsigned)v;
    }
    return 0;
}

static int read_choices(struct reader *r, const json_t *obj)
{
    const json_t *con = json_object_get(obj, "console");
    const json_t *v;

    if (con) {
        const char *s = json_string_value(con);

        if (!strcmp(s, "serial"))
            r->c->cfg.console = VM_CONSOLE_SERIAL;
        else if (!strcmp(s, "virtio"))
            r->c->cfg.console = VM_CONSOLE_VIRTIO;
        else
            return jfield_fail(r->err, r->errlen, "", "console",
                               "'%.32s' is neither serial nor virtio", s);
    }
    if ((v = json_object_get(obj, "rng")))
        r->c->cfg.rng = json_is_true(v);
    if ((v = json_object_get(obj, "hugepages")))
        r->c->cfg.hugepages = json_is_true(v);
    if ((v = json_object_get(obj, "kernel_cache")))
        r->c->cfg.no_kernel_cache = !json_is_true(v);
    return 0;
}

/* {path, readonly, serial} as the --disk spec the VM parses:
 * PATH (a comma written ",,")[,ro][,serial=S]. Checked by parsing it
 * back, so the rules stay blkfile_parse_spec()'s. */
static int read_disk(struct reader *r, const json_t *d, const char *where)
{
    const json_t *path = json_object_get(d, "path");
    const json_t *ser = json_object_get(d, "serial");
    const char *p = json_string_value(path);
    struct blkfile_spec back;
    char spec[2 * BLKFILE_PATH_MAX + 32];
    size_t o = 0;
    int rc;

    rc = jfield_check(d, where, disk_fields, ARRAY_SIZE(disk_fields), r->err,
                      r->errlen);
    if (rc == 0)
        rc = check_str(r, path, where, "path", true);
    if (rc == 0 && ser)
        rc = check_str(r, ser, where, "serial", true);
    if (rc < 0)
        return rc;
    if (strlen(p) >= BLKFILE_PATH_MAX)
        return jfield_fail(r->err, r->errlen, where, "path",
                           "longer than %d bytes", BLKFILE_PATH_MAX - 1);
    for (; *p; p++) {
        if (*p == ',')
            spec[o++] = ',';
        spec[o++] = *p;
    }
    o += (size_t)snprintf(spec + o, sizeof(spec) - o, "%s",
                          json_is_true(json_object_get(d, "readonly"))
                              ? ",ro" : "");
    if (ser && strlen(json_string_value(ser)) <= BLKFILE_SERIAL_MAX)
        snprintf(spec + o, sizeof(spec) - o, ",serial=%s",
                 json_string_value(ser));
    if (ser && (blkfile_parse_spec(spec, &back) < 0 ||
                strcmp(back.serial, json_string_value(ser)) != 0))
        return jfield_fail(r->err, r->errlen, where, "serial",
                           "'%.32s' is not 1-%d printable ASCII characters "
                           "without a comma", json_string_value(ser),
                           BLKFILE_SERIAL_MAX);
    return keep(r, spec, strlen(spec), &r->c->cfg.disks[r->c->cfg.ndisks++]);
}

static int read_net(struct reader *r, const json_t *v, const char *where)
{
    struct vm_net_spec spec;
    char msg[512];
    const char *m = msg;
    int rc;

    if (!json_is_string(v))
        return jfield_fail(r->err, r->errlen, where, NULL,
                           "expected a string (a --net SPEC)");
    rc = check_str(r, v, where, NULL, true);
    if (rc < 0)
        return rc;
    if (vm_net_parse_spec(json_string_value(v), &spec, msg, sizeof(msg)) < 0) {
        if (strncmp(m, "--net ", 6) == 0)
            m += 6;
        return jfield_fail(r->err, r->errlen, where, NULL, "%s", m);
    }
    return keep(r, json_string_value(v), json_string_length(v),
                &r->c->cfg.nets[r->c->cfg.nnets++]);
}

typedef int (*read_elem_fn)(struct reader *r, const json_t *v,
                            const char *where);

static int read_array(struct reader *r, const json_t *obj, const char *key,
                      size_t max, read_elem_fn fn)
{
    const json_t *arr = json_object_get(obj, key);
    char where[JFIELD_PATH_MAX];

    if (!arr)
        return 0;
    if (json_array_size(arr) > max)
        return jfield_fail(r->err, r->errlen, "", key, "at most %zu entries",
                           max);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        int rc;

        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        rc = fn(r, json_array_get(arr, i), where);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void config_json_free(struct config_json *c)
{
    for (unsigned i = 0; i < c->nstr; i++)
        free(c->str[i]);
    memset(c, 0, sizeof(*c));
}

int config_json_from(struct config_json *out, const json_t *obj, char *err,
                     size_t errlen)
{
    struct reader r = { out, err, errlen };
    int rc;

    memset(out, 0, sizeof(*out));
    out->cfg.mem_size = VM_DEFAULT_MEM;
    out->cfg.ncpus = 1;
    out->cfg.rng = true;
    rc = jfield_check(obj, "", top_fields, ARRAY_SIZE(top_fields), err,
                      errlen);
    if (rc == 0)
        rc = read_strings(&r, obj);
    if (rc == 0)
        rc = read_numbers(&r, obj);
    if (rc == 0)
        rc = read_choices(&r, obj);
    if (rc == 0)
        rc = read_array(&r, obj, "disks", VM_MAX_DISKS, read_disk);
    if (rc == 0)
        rc = read_array(&r, obj, "nets", VM_MAX_NETS, read_net);
    if (rc < 0)
        config_json_free(out);
    return rc;
}

int config_json_parse(struct config_json *out, const char *text, size_t len,
                      char *err, size_t errlen)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    int rc;

    if (!root) {
        memset(out, 0, sizeof(*out));
        return jfield_json_error(err, errlen, &je);
    }
    rc = config_json_from(out, root, err, errlen);
    json_decref(root);
    return rc;
}

int config_json_load(struct config_json *out, const char *path, char *err,
                     size_t errlen)
{
    uint8_t *buf;
    size_t len;
    char why[256];
    int rc;

    memset(out, 0, sizeof(*out));
    rc = host_read_file(path, CONFIG_JSON_FILE_MAX, &buf, &len);
    if (rc == -EFBIG) {
        snprintf(err, errlen, "'%s' is larger than 1 MiB", path);
        return rc;
    }
    if (rc < 0) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(-rc));
        return rc;
    }
    rc = config_json_parse(out, (const char *)buf, len, why, sizeof(why));
    free(buf);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, why);
    return rc;
}

/* ---- writing ---- */

/* Set (key) to the string (s); JSON strings are UTF-8, paths need not be. */
static int put_str(json_t *o, const char *key, const char *s, char *err,
                   size_t errlen)
{
    json_t *v = json_string(s);

    if (!v || json_object_set_new(o, key, v) < 0)
        return jfield_fail(err, errlen, "", key,
                           "not valid UTF-8, or out of memory");
    return 0;
}

static int put_disk(json_t *arr, const char *arg, unsigned i, char *err,
                    size_t errlen)
{
    struct blkfile_spec s;
    char where[JFIELD_PATH_MAX];
    json_t *d;
    int rc;

    snprintf(where, sizeof(where), "disks[%u]", i);
    if (blkfile_parse_spec(arg, &s) < 0)
        return jfield_fail(err, errlen, where, NULL,
                           "'%.64s' is not PATH[,ro][,serial=S]", arg);
    d = json_object();
    if (!d || json_array_append_new(arr, d) < 0)
        return jfield_fail(err, errlen, where, NULL, "out of memory");
    rc = put_str(d, "path", s.path, err, errlen);
    if (rc == 0 && json_object_set_new(d, "readonly",
                                       json_boolean(s.read_only)) < 0)
        rc = -ENOMEM;
    if (rc == 0 && s.serial[0])
        rc = put_str(d, "serial", s.serial, err, errlen);
    return rc;
}

static int put_lists(json_t *o, const struct vm_config *cfg, char *err,
                     size_t errlen)
{
    json_t *disks = json_array(), *nets = json_array();
    int rc = 0;

    if (json_object_set_new(o, "disks", disks) < 0 ||
        json_object_set_new(o, "nets", nets) < 0)
        return -ENOMEM;
    for (unsigned i = 0; rc == 0 && i < cfg->ndisks; i++)
        rc = put_disk(disks, cfg->disks[i], i, err, errlen);
    for (unsigned i = 0; rc == 0 && i < cfg->nnets; i++)
        if (json_array_append_new(nets, json_string(cfg->nets[i])) < 0)
            rc = jfield_fail(err, errlen, "nets", NULL,
                             "not valid UTF-8, or out of memory");
    return rc;
}

json_t *config_json_dump(const struct vm_config *cfg, char *err,
                         size_t errlen)
{
    json_t *o = json_object();
    int rc = o ? 0 : -ENOMEM;

    for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(str_fields); i++) {
        const char *s = str_field(cfg, str_fields[i].off);

        if (s)
            rc = put_str(o, str_fields[i].key, s, err, errlen);
    }
    if (rc == 0 &&
        (json_object_set_new(o, "mem_bytes",
                             json_integer((json_int_t)cfg->mem_size)) < 0 ||
         json_object_set_new(o, "cpus", json_integer(cfg->ncpus)) < 0))
        rc = -ENOMEM;
    if (rc == 0)
        rc = put_lists(o, cfg, err, errlen);
    if (rc == 0 &&
        (json_object_set_new(o, "console",
                             json_string(console_names[cfg->console])) < 0 ||
         json_object_set_new(o, "rng", json_boolean(cfg->rng)) < 0 ||
         json_object_set_new(o, "hugepages", json_boolean(cfg->hugepages)) < 0 ||
         json_object_set_new(o, "kernel_cache",
                             json_boolean(!cfg->no_kernel_cache)) < 0))
        rc = -ENOMEM;
    if (rc < 0) {
        if (rc == -ENOMEM)
            snprintf(err, errlen, "out of memory");
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- comparing ---- */

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Disks compare by what their specs say: "img,rw" is "img". */
static bool same_disk(const char *a, const char *b)
{
    struct blkfile_spec sa, sb;

    if (blkfile_parse_spec(a, &sa) < 0 || blkfile_parse_spec(b, &sb) < 0)
        return same_str(a, b);
    return !strcmp(sa.path, sb.path) && sa.read_only == sb.read_only &&
           !strcmp(sa.serial, sb.serial);
}

bool config_json_same(const struct vm_config *a, const struct vm_config *b)
{
    for (size_t i = 0; i < ARRAY_SIZE(str_fields); i++)
        if (!same_str(str_field(a, str_fields[i].off),
                      str_field(b, str_fields[i].off)))
            return false;
    if (a->mem_size != b->mem_size || a->ncpus != b->ncpus ||
        a->console != b->console || a->rng != b->rng ||
        a->hugepages != b->hugepages ||
        a->no_kernel_cache != b->no_kernel_cache ||
        a->ndisks != b->ndisks || a->nnets != b->nnets)
        return false;
    for (unsigned i = 0; i < a->ndisks; i++)
        if (!same_disk(a->disks[i], b->disks[i]))
            return false;
    for (unsigned i = 0; i < a->nnets; i++)
        if (!same_str(a->nets[i], b->nets[i]))
            return false;
    return true;
}
