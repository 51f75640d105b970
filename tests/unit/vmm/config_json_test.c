/* vm_config <-> JSON: defaults, every field, strict errors that name the
 * path, and round trips both ways. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/config_json.h"

static char err[512];

static int parse(struct config_json *c, const char *text)
{
    return config_json_parse(c, text, strlen(text), err, sizeof(err));
}

static void test_defaults(void **state)
{
    struct config_json c;
    (void)state;

    assert_int_equal(parse(&c, "{\"kernel\":\"/boot/vmlinuz\"}"), 0);
    assert_string_equal(c.cfg.kernel, "/boot/vmlinuz");
    assert_null(c.cfg.initrd);
    assert_null(c.cfg.cmdline);
    assert_null(c.cfg.name);
    assert_int_equal(c.cfg.mem_size, VM_DEFAULT_MEM);
    assert_int_equal(c.cfg.ncpus, 1);
    assert_int_equal(c.cfg.ndisks, 0);
    assert_int_equal(c.cfg.nnets, 0);
    assert_int_equal(c.cfg.console, VM_CONSOLE_SERIAL);
    assert_true(c.cfg.rng);
    assert_false(c.cfg.hugepages);
    assert_false(c.cfg.no_kernel_cache);
    config_json_free(&c);
}

static const char full[] =
    "{\"name\":\"web-1\",\"kernel\":\"/k\",\"initrd\":\"/i\","
    "\"cmdline\":\"quiet loglevel=3\",\"mem_bytes\":1073741824,\"cpus\":4,"
    "\"disks\":[{\"path\":\"/a,b.img\",\"readonly\":true,\"serial\":\"S1\"},"
    "{\"path\":\"/c.img\"}],"
    "\"nets\":[\"user,hostfwd=tcp::2222-:22\",\"tap=tap0\"],"
    "\"console\":\"virtio\",\"rng\":false,\"hugepages\":true,"
    "\"kernel_cache\":false}";

static void test_every_field(void **state)
{
    struct config_json c;
    (void)state;

    assert_int_equal(parse(&c, full), 0);
    assert_string_equal(c.cfg.name, "web-1");
    assert_string_equal(c.cfg.kernel, "/k");
    assert_string_equal(c.cfg.initrd, "/i");
    assert_string_equal(c.cfg.cmdline, "quiet loglevel=3");
    assert_int_equal(c.cfg.mem_size, GiB);
    assert_int_equal(c.cfg.ncpus, 4);
    assert_int_equal(c.cfg.ndisks, 2);
    assert_string_equal(c.cfg.disks[0], "/a,,b.img,ro,serial=S1");
    assert_string_equal(c.cfg.disks[1], "/c.img");
    assert_int_equal(c.cfg.nnets, 2);
    assert_string_equal(c.cfg.nets[1], "tap=tap0");
    assert_int_equal(c.cfg.console, VM_CONSOLE_VIRTIO);
    assert_false(c.cfg.rng);
    assert_true(c.cfg.hugepages);
    assert_true(c.cfg.no_kernel_cache);
    config_json_free(&c);
}

static void test_errors_name_the_path(void **state)
{
    static const struct { const char *json, *error; } cases[] = {
        { "{}", "kernel: missing" },
        { "[]", "(top level): expected an object" },
        { "{\"kernel\":\"/k\",\"memory\":1}", "memory: unknown field" },
        { "{\"kernel\":1}", "kernel: expected a string" },
        { "{\"kernel\":\"\"}", "kernel: is empty" },
        { "{\"kernel\":\"/k\",\"cpus\":\"2\"}", "cpus: expected an integer" },
        { "{\"kernel\":\"/k\",\"cpus\":2.0}", "cpus: expected an integer" },
        { "{\"kernel\":\"/k\",\"cpus\":0}", "cpus: 0 is out of range (1 to 64)" },
        { "{\"kernel\":\"/k\",\"cpus\":65}",
          "cpus: 65 is out of range (1 to 64)" },
        { "{\"kernel\":\"/k\",\"mem_bytes\":1024}",
          "mem_bytes: 1024 is out of range (32 MiB to 1 TiB)" },
        { "{\"kernel\":\"/k\",\"mem_bytes\":33554433}",
          "mem_bytes: 33554433 is not a multiple of 4096" },
        { "{\"kernel\":\"/k\",\"mem_bytes\":-4096}",
          "mem_bytes: -4096 is out of range (32 MiB to 1 TiB)" },
        { "{\"kernel\":\"/k\",\"rng\":1}", "rng: expected true or false" },
        { "{\"kernel\":\"/k\",\"rng\":null}", "rng: expected true or false" },
        { "{\"kernel\":\"/k\",\"console\":\"vga\"}",
          "console: 'vga' is neither serial nor virtio" },
        { "{\"kernel\":\"/k\",\"name\":\"-x\"}",
          "name: '-x' is not 1-64 letters, digits, '.', '_' or '-' not "
          "starting with '.' or '-'" },
        { "{\"kernel\":\"/k\",\"disks\":{}}", "disks: expected an array" },
        { "{\"kernel\":\"/k\",\"disks\":[\"/a\"]}",
          "disks[0]: expected an object" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\"},{}]}",
          "disks[1].path: missing" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\",\"ro\":true}]}",
          "disks[0].ro: unknown field" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\",\"readonly\":\"y\"}]}",
          "disks[0].readonly: expected true or false" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\",\"serial\":\"a,b\"}]}",
          "disks[0].serial: 'a,b' is not 1-20 printable ASCII characters "
          "without a comma" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\","
          "\"serial\":\"123456789012345678901\"}]}",
          "disks[0].serial: '123456789012345678901' is not 1-20 printable "
          "ASCII characters without a comma" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\",\"serial\":\"\"}]}",
          "disks[0].serial: is empty" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"\"}]}",
          "disks[0].path: is empty" },
        { "{\"kernel\":\"/k\",\"disks\":[{\"path\":\"/a\"},{\"path\":\"/a\"},"
          "{\"path\":\"/a\"},{\"path\":\"/a\"},{\"path\":\"/a\"},{\"path\":\"/a\"},"
          "{\"path\":\"/a\"},{\"path\":\"/a\"},{\"path\":\"/a\"}]}",
          "disks: at most 8 entries" },
        { "{\"kernel\":\"/k\",\"nets\":[1]}",
          "nets[0]: expected a string (a --net SPEC)" },
        { "{\"kernel\":\"/k\",\"nets\":[\"user\",\"bogus=1\"]}", NULL },
        { "{\"kernel\":\"/k\",\"nets\":[\"user\",\"user\",\"user\",\"user\","
          "\"user\"]}", "nets: at most 4 entries" },
        { "{\"kernel\":\"/k\",\"kernel\":\"/j\"}", NULL },
        { "{\"kernel\":\"/k\"", NULL },
        { "{\"kernel\":\"/k\\u0000x\"}", NULL },
    };
    struct config_json c;
    (void)state;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        err[0] = '\0';
        assert_int_equal(parse(&c, cases[i].json), -EINVAL);
        assert_null(strchr(err, '\n'));
        if (cases[i].error)
            assert_string_equal(err, cases[i].error);
        else
            assert_true(err[0] != '\0');
    }
    assert_int_equal(parse(&c, "{\"kernel\":\"/k\",\"nets\":[\"user\",\"bogus=1\"]}"),
                     -EINVAL);
    assert_memory_equal(err, "nets[1]: 'bogus=1'", 18);
}

static void test_long_strings(void **state)
{
    size_t n = CONFIG_JSON_STR_MAX + 1;
    char *json = malloc(n + 64);
    struct config_json c;
    (void)state;

    strcpy(json, "{\"kernel\":\"");
    memset(json + 11, 'k', n);
    strcpy(json + 11 + n, "\"}");
    assert_int_equal(parse(&c, json), -EINVAL);
    assert_string_equal(err, "kernel: longer than 4096 bytes");
    free(json);
}

/* config -> JSON -> config is the identity on the schema's fields. */
static void test_round_trip_config(void **state)
{
    static const char *const disks[] = { "/a,,b.img,ro,serial=S 1",
                                         "/plain.img", ",,lead", "tail,," };
    static const char *const nets[] = { "user", "tap=t0,mac=52:54:00:12:34:56" };
    struct vm_config in = {
        .kernel = "/boot/vmlinuz", .initrd = "/boot/initrd.img",
        .cmdline = "", .mem_size = 33 * MiB + 4096, .ncpus = 64,
        .name = "a.b_c-d", .console = VM_CONSOLE_VIRTIO, .rng = false,
        .hugepages = true, .no_kernel_cache = true,
        .kvm_device = "/dev/other", .stats_path = "/tmp/s", .start_ns = 5,
    };
    struct config_json out;
    json_t *j;
    char *text;
    (void)state;

    for (unsigned i = 0; i < 4; i++)
        in.disks[in.ndisks++] = disks[i];
    for (unsigned i = 0; i < 2; i++)
        in.nets[in.nnets++] = nets[i];
    j = config_json_dump(&in, err, sizeof(err));
    assert_non_null(j);
    text = json_dumps(j, 0);
    json_decref(j);
    assert_int_equal(parse(&out, text), 0);
    assert_true(config_json_same(&in, &out.cfg));
    for (unsigned i = 0; i < 4; i++)
        assert_string_equal(out.cfg.disks[i], disks[i]);
    /* Not in the schema: left for the caller. */
    assert_null(out.cfg.kvm_device);
    assert_null(out.cfg.stats_path);
    assert_int_equal(out.cfg.start_ns, 0);
    config_json_free(&out);
    free(text);
}

/* JSON -> config -> JSON gives the same document (all fields written). */
static void test_round_trip_json(void **state)
{
    struct config_json c;
    json_t *a, *b;
    (void)state;

    assert_int_equal(parse(&c, full), 0);
    a = json_loads(full, 0, NULL);
    b = config_json_dump(&c.cfg, err, sizeof(err));
    assert_non_null(b);
    /* The dump has every field; the disk without options gets false. */
    json_object_set_new(json_array_get(json_object_get(a, "disks"), 1),
                        "readonly", json_false());
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    config_json_free(&c);
}

static void test_same_compares_disks_by_meaning(void **state)
{
    struct vm_config a = { .kernel = "/k", .ncpus = 1, .ndisks = 1 };
    struct vm_config b = a;
    (void)state;

    a.disks[0] = "/x.img,rw";
    b.disks[0] = "/x.img";
    assert_true(config_json_same(&a, &b));
    b.disks[0] = "/x.img,ro";
    assert_false(config_json_same(&a, &b));
    b = a;
    b.name = "n";
    assert_false(config_json_same(&a, &b));
    b = a;
    b.mem_size = 4096;
    assert_false(config_json_same(&a, &b));
}

static void test_dump_rejects(void **state)
{
    struct vm_config a = { .kernel = "/k\xff", .ncpus = 1 };
    (void)state;

    assert_null(config_json_dump(&a, err, sizeof(err)));
    assert_string_equal(err, "kernel: not valid UTF-8, or out of memory");
    a.kernel = "/k";
    a.disks[0] = "";
    a.ndisks = 1;
    assert_null(config_json_dump(&a, err, sizeof(err)));
    assert_string_equal(err, "disks[0]: '' is not PATH[,ro][,serial=S]");
}

static void test_load_file(void **state)
{
    char path[] = "/tmp/vessel-config-XXXXXX";
    int fd = mkstemp(path);
    struct config_json c;
    (void)state;

    assert_true(fd >= 0);
    assert_int_equal(write(fd, "{\"kernel\":\"/k\",\n \"cpus\": 0}", 27), 27);
    close(fd);
    assert_int_equal(config_json_load(&c, path, err, sizeof(err)), -EINVAL);
    assert_non_null(strstr(err, ": cpus: 0 is out of range"));
    assert_memory_equal(err, path, strlen(path));
    unlink(path);
    assert_int_equal(config_json_load(&c, path, err, sizeof(err)), -ENOENT);
    assert_non_null(strstr(err, "cannot read"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_every_field),
        cmocka_unit_test(test_errors_name_the_path),
        cmocka_unit_test(test_long_strings),
        cmocka_unit_test(test_round_trip_config),
        cmocka_unit_test(test_round_trip_json),
        cmocka_unit_test(test_same_compares_disks_by_meaning),
        cmocka_unit_test(test_dump_rejects),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests_name("vmm/config_json", tests, NULL, NULL);
}
