/* vessel run: parse the flags (and --config FILE) into a vm_config, take
 * the VM's name, build the VM, run it (in the background with --detach). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/detach.h"
#include "cli/parse.h"
#include "core/log.h"
#include "host/clock.h"
#include "host/logsink.h"
#include "vmm/config_json.h"
#include "vmm/control.h"
#include "vmm/sandbox_policy.h"
#include "vmm/vm.h"

static const char run_usage[] =
    "usage: vessel run --kernel FILE [options]\n"
    "\n"
    "  -k, --kernel FILE   Linux bzImage to boot (64-bit boot protocol 2.12+),\n"
    "                      or an ELF vmlinux with a PVH entry (CONFIG_PVH)\n"
    "  -i, --initrd FILE   initial ramdisk\n"
    "  -c, --cmdline TEXT  kernel command line; Vessel adds console=ttyS0,\n"
    "                      panic=-1 and pci=off unless TEXT sets them\n"
    "  -m, --mem SIZE[,hugepages]\n"
    "                      guest RAM: 256M, 2G, ... (bare number: MiB;\n"
    "                      default 256M, at least 32M); ',hugepages' backs\n"
    "                      it by the host's 2 MiB huge pages (hugetlbfs)\n"
    "  -n, --cpus N        number of vCPUs (default 1)\n"
    "  -d, --disk SPEC     a virtio-blk disk: PATH[,ro][,serial=S] (raw image;\n"
    "                      repeat for more, up to 8)\n"
    "      --net SPEC      a virtio-net card; repeat for more, up to 4:\n"
    "                      user[,hostfwd=tcp|udp:[HADDR]:HPORT-[GADDR]:GPORT]\n"
    "                      ...[,mac=M]  NAT through libslirp: the guest gets\n"
    "                      10.0.2.15 by DHCP; HADDR defaults to 127.0.0.1,\n"
    "                      GADDR to 10.0.2.15; up to 8 hostfwd\n"
    "                      tap=NAME[,mac=M]  a host tap device (created if\n"
    "                      missing and we are root)\n"
    "                      M: XX:XX:XX:XX:XX:XX (default: 52:56:... from a\n"
    "                      hash of the VM's name and the card's number)\n"
    "      --name NAME     the VM's name: 1-64 of A-Z a-z 0-9 . _ -, not\n"
    "                      starting with . or -; unnamed VMs are vm-PID.\n"
    "                      Every VM has a control socket and a console\n"
    "                      socket in $XDG_RUNTIME_DIR/vessel/NAME (root:\n"
    "                      /run/vessel/NAME; docs/api.md)\n"
    "      --detach        run in the background: print the VM's name once\n"
    "                      its vCPUs run, and exit 0 (1 if it failed to\n"
    "                      start); the console is then only on the console\n"
    "                      socket (vessel console NAME), log messages go to\n"
    "                      BASE/NAME/vessel.log\n"
    "      --config FILE   read the VM from a JSON file (the schema of\n"
    "                      docs/api.md, GET /vm's \"config\"); flags given\n"
    "                      beside it override its fields, and --disk or\n"
    "                      --net replace its whole list\n"
    "      --print-config  print the config (JSON) these flags give and exit\n"
    "      --console KIND  serial (COM1, default) or virtio (hvc0; COM1 stays)\n"
    "      --no-rng        no virtio-rng entropy device\n"
    "      --no-kernel-cache  boot a bzImage through its own decompressor,\n"
    "                      not through the decompressed copy Vessel keeps in\n"
    "                      $XDG_CACHE_HOME/vessel/kernels (limit: env\n"
    "                      VESSEL_KERNEL_CACHE_MAX bytes, default 512 MiB)\n"
    "      --kvm-device F  KVM device node (default /dev/kvm)\n"
    "      --stats FILE    write counters (exits, KVM stats, start-up cost,\n"
    "                      memory) to FILE when the VM ends\n"
    "      --user NAME|UID[:GID]  started as root: switch to this user once\n"
    "                      /dev/kvm, the disks and the taps are open\n"
    "      --no-sandbox    no seccomp filters, mount namespace or closing of\n"
    "                      inherited files: for debugging (docs/sandbox.md)\n"
    "  -v, --verbose       more log output (repeat for debug)\n"
    "  -q, --quiet         errors only\n"
    "  -h, --help          this help\n"
    "\n"
    "On a terminal the guest's serial console is interactive: Ctrl-C goes to\n"
    "the guest, Ctrl-A x quits, Ctrl-A h shows the escape keys.\n"
    "\n"
    "Exit status: 0 guest powered off, 1 start-up error, 2 guest reboot (or\n"
    "reset through the API), 3 guest crash, 4 guest panic (pvpanic), 5 host\n"
    "error while running, 6 stopped through the API (stop, or a shutdown\n"
    "the guest did not finish in time), 128+N stopped by signal N (130 also\n"
    "for Ctrl-A x).\n";

/* Long options without a short letter. */
#define OPT_NO_KERNEL_CACHE 0x100
#define OPT_NET 0x101
#define OPT_NAME 0x102
#define OPT_DETACH 0x103
#define OPT_CONFIG 0x104
#define OPT_PRINT_CONFIG 0x105
#define OPT_NO_SANDBOX 0x106
#define OPT_USER 0x107

static const struct option run_opts[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "initrd", required_argument, NULL, 'i' },
    { "cmdline", required_argument, NULL, 'c' },
    { "mem", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, 'n' },
    { "disk", required_argument, NULL, 'd' },
    { "net", required_argument, NULL, OPT_NET },
    { "name", required_argument, NULL, OPT_NAME },
    { "detach", no_argument, NULL, OPT_DETACH },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "print-config", no_argument, NULL, OPT_PRINT_CONFIG },
    { "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
    { "user", required_argument, NULL, OPT_USER },
    { "console", required_argument, NULL, 'C' },
    { "no-rng", no_argument, NULL, 'R' },
    { "no-kernel-cache", no_argument, NULL, OPT_NO_KERNEL_CACHE },
    { "kvm-device", required_argument, NULL, 'K' },
    { "stats", required_argument, NULL, 'S' },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* What `vessel run` was asked, beyond the VM's config. */
struct run_args {
    struct vm_config cfg;
    struct config_json file;        /* --config; owns cfg's strings */
    bool have_file;
    bool detach, print_config;
    bool cli_disks, cli_nets;       /* --disk / --net replaced the file's */
    int verbosity;
};

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "vessel: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n");
    return -EINVAL;
}

/* SIZE[,hugepages] */
static int parse_mem(const char *arg, uint64_t *mem, bool *hugepages)
{
    const char *comma = strchr(arg, ',');
    char size[32];
    size_t n = comma ? (size_t)(comma - arg) : strlen(arg);
    int rc = -EINVAL;

    if (comma && strcmp(comma + 1, "hugepages") != 0)
        return bad("--mem: '%s': the only option after the size is "
                   "',hugepages'", arg);
    *hugepages = comma != NULL;
    if (n < sizeof(size)) {
        memcpy(size, arg, n);
        size[n] = '\0';
        rc = parse_size(size, MiB, mem);
    }
    if (rc == -EINVAL)
        return bad("--mem: '%s' is not a size (examples: 256M, 2G)", arg);
    if (rc < 0 || *mem > VM_MAX_MEM)
        return bad("--mem: '%s' is too large (at most 1T)", arg);
    if (*mem < VM_MIN_MEM)
        return bad("--mem: '%s' is too small (at least 32M)", arg);
    if (*mem % (4 * KiB))
        return bad("--mem: '%s' is not a multiple of 4K", arg);
    return 0;
}

static int parse_cpus(const char *arg, unsigned *n)
{
    int rc = parse_uint(arg, 1, VM_MAX_CPUS, n);

    if (rc == -EINVAL)
        return bad("--cpus: '%s' is not a number", arg);
    if (rc < 0)
        return bad("--cpus: '%s' is out of range (1 to 64)", arg);
    return 0;
}

static int add_disk(struct run_args *a, const char *arg)
{
    struct vm_config *cfg = &a->cfg;

    if (!a->cli_disks)
        cfg->ndisks = 0;            /* the command line's list wins */
    a->cli_disks = true;
    if (cfg->ndisks == VM_MAX_DISKS)
        return bad("--disk '%s': at most 8 disks", arg);
    cfg->disks[cfg->ndisks++] = arg;
    return 0;
}

/* Checked here so a bad spec is reported before anything is built; the
 * VM parses it again when it makes the card. */
static int add_net(struct run_args *a, const char *arg)
{
    struct vm_config *cfg = &a->cfg;
    struct vm_net_spec spec;
    char err[512];

    if (!a->cli_nets)
        cfg->nnets = 0;
    a->cli_nets = true;
    if (cfg->nnets == VM_MAX_NETS)
        return bad("--net '%s': at most 4 network cards", arg);
    if (vm_net_parse_spec(arg, &spec, err, sizeof(err)) < 0)
        return bad("%s", err);
    cfg->nets[cfg->nnets++] = arg;
    return 0;
}

static int parse_vm_name(const char *arg, const char **name)
{
    int rc = parse_name(arg);

    if (rc == -ENAMETOOLONG)
        return bad("--name '%s' is too long (at most 64 characters)", arg);
    if (rc < 0)
        return bad("--name '%s': use 1-64 letters, digits, '.', '_' or '-', "
                   "not starting with '.' or '-'", arg);
    *name = arg;
    return 0;
}

static int parse_console(const char *arg, enum vm_console_kind *kind)
{
    if (!strcmp(arg, "serial"))
        *kind = VM_CONSOLE_SERIAL;
    else if (!strcmp(arg, "virtio"))
        *kind = VM_CONSOLE_VIRTIO;
    else
        return bad("--console: '%s' is neither serial nor virtio", arg);
    return 0;
}

/* --config FILE, found before the other flags so they can override it. */
static int load_config(int argc, char **argv, struct run_args *a)
{
    const char *path = NULL;
    char err[512];
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":k:i:c:m:n:d:vqh", run_opts,
                            NULL)) != -1)
        if (c == OPT_CONFIG)
            path = optarg;
    if (!path)
        return 0;
    if (config_json_load(&a->file, path, err, sizeof(err)) < 0)
        return bad("--config: %s", err);
    a->have_file = true;
    a->cfg = a->file.cfg;
    return 0;
}

static int parse_one(int c, char **argv, struct run_args *a)
{
    struct vm_config *cfg = &a->cfg;

    switch (c) {
    case 'k': cfg->kernel = optarg; return 0;
    case 'i': cfg->initrd = optarg; return 0;
    case 'c': cfg->cmdline = optarg; return 0;
    case 'm': return parse_mem(optarg, &cfg->mem_size, &cfg->hugepages);
    case 'n': return parse_cpus(optarg, &cfg->ncpus);
    case 'd': return add_disk(a, optarg);
    case OPT_NET: return add_net(a, optarg);
    case OPT_NAME: return parse_vm_name(optarg, &cfg->name);
    case OPT_DETACH: a->detach = true; return 0;
    case OPT_CONFIG: return 0;     /* load_config() */
    case OPT_PRINT_CONFIG: a->print_config = true; return 0;
    case OPT_NO_SANDBOX: cfg->no_sandbox = true; return 0;
    case OPT_USER: cfg->user = optarg; return 0;
    case 'C': return parse_console(optarg, &cfg->console);
    case 'R': cfg->rng = false; return 0;
    case OPT_NO_KERNEL_CACHE: cfg->no_kernel_cache = true; return 0;
    case 'K': cfg->kvm_device = optarg; return 0;
    case 'S': cfg->stats_path = optarg; return 0;
    case 'v': a->verbosity++; return 0;
    case 'q': a->verbosity = -1; return 0;
    case 'h': return 1;
    case ':': return bad("option '%s' needs a value", argv[optind - 1]);
    default: return bad("unknown option '%s' (see 'vessel run --help')",
                        argv[optind - 1]);
    }
}

/* Returns 0, 1 for --help, or -EINVAL after printing why. */
static int parse_run_args(int argc, char **argv, struct run_args *a)
{
    int c, rc;

    rc = load_config(argc, argv, a);
    opterr = 0;
    optind = 1;
    while (rc == 0 &&
           (c = getopt_long(argc, argv, ":k:i:c:m:n:d:vqh", run_opts, NULL)) != -1)
        rc = parse_one(c, argv, a);
    if (rc == 0 && optind < argc)
        return bad("unexpected argument '%s' (see 'vessel run --help')",
                   argv[optind]);
    if (rc == 0 && !a->cfg.kernel)
        return bad("%s", "--kernel FILE is required (see 'vessel run --help')");
    return rc;
}

static int print_config(const struct vm_config *cfg)
{
    char err[512];
    json_t *o = config_json_dump(cfg, err, sizeof(err));

    if (!o) {
        fprintf(stderr, "vessel: %s\n", err);
        return VM_STARTUP_ERROR;
    }
    json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(o);
    return 0;
}

/* A start-up error: to the parent of a detached VM, else to stderr. */
static int startup_error(int notify, const char *err)
{
    if (notify >= 0)
        detach_say(notify, "err", err);
    else
        fprintf(stderr, "vessel: %s\n", err);
    return VM_STARTUP_ERROR;
}

/* The child of --detach: its log messages go into the VM's directory. */
static int detached_setup(struct vm_control *ctl, int notify, char *err,
                          size_t errlen)
{
    char path[RUNDIR_PATH_MAX];
    int rc = vm_control_path(ctl, RUNDIR_LOG, path, sizeof(path));

    if (rc == 0)
        rc = detach_child_log(path);
    if (rc < 0) {
        snprintf(err, errlen, "cannot open the log file of %s: %s",
                 vm_control_name(ctl), strerror(-rc));
        return rc;
    }
    detach_say(notify, "name", vm_control_name(ctl));
    return 0;
}

static int run_vm(struct vm_config *cfg, struct vm_control *ctl, int notify)
{
    char err[512] = "";
    struct vm *vm;
    int rc;

    if (vm_create(&vm, cfg, err, sizeof(err)) < 0)
        return startup_error(notify, err);
    if (vm_control_start(vm, ctl, err, sizeof(err)) < 0) {
        vm_destroy(vm);
        return startup_error(notify, err);
    }
    if (sandbox_drop_user(err, sizeof(err)) < 0) {   /* all is open now */
        vm_control_stop(vm);
        vm_destroy(vm);
        return startup_error(notify, err);
    }
    vm->notify_fd = notify;
    rc = vm_run(vm);
    if (vm->notify_fd >= 0) {       /* it never ran: tell the parent why */
        detach_say(vm->notify_fd, "err", vm->reason);
        close(vm->notify_fd);
    }
    if (rc == VM_STARTUP_ERROR)
        log_error("%s", vm->reason);
    else if (rc != VM_POWEROFF)
        log_warn("%s (exit status %d)", vm->reason, rc);
    if (cfg->stats_path && stats_write(vm, cfg->stats_path) < 0)
        log_error("cannot write --stats file '%s'", cfg->stats_path);
    vm_control_stop(vm);
    vm_destroy(vm);
    return rc;
}

/* Take the name, then build and run the VM; the name is given up on
 * every path. */
static int claim_and_run(struct run_args *a, int notify)
{
    struct vm_control ctl;
    char err[512] = "";
    int rc;

    rc = vm_signals_init();
    if (rc < 0) {
        snprintf(err, sizeof(err), "cannot set up signals: %s", strerror(-rc));
        return startup_error(notify, err);
    }
    rc = vm_control_claim(&ctl, a->cfg.name, a->cfg.name || a->detach, err,
                          sizeof(err));
    if (rc == 0 && a->detach)
        rc = detached_setup(&ctl, notify, err, sizeof(err));
    if (rc < 0) {
        vm_control_release(&ctl);
        return startup_error(notify, err);
    }
    rc = run_vm(&a->cfg, &ctl, notify);
    vm_control_release(&ctl);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct run_args *a = calloc(1, sizeof(*a));
    int rc, status, notify = -1;
    char err[512];

    if (!a)
        return VM_STARTUP_ERROR;
    a->cfg = (struct vm_config){ .mem_size = VM_DEFAULT_MEM, .ncpus = 1,
                                 .rng = true };
    rc = parse_run_args(argc, argv, a);
    if (rc == 1)
        fputs(run_usage, stdout);
    else if (rc == 0 && a->print_config)
        rc = print_config(&a->cfg) == 0 ? 1 : -EINVAL;
    if (rc != 0)
        goto out;
    a->cfg.start_ns = host_mono_ns();
    host_log_init(a->verbosity < 0 ? LOG_ERROR
                  : a->verbosity == 0 ? LOG_WARN
                  : a->verbosity == 1 ? LOG_INFO : LOG_DEBUG);
    a->cfg.console_raw = !a->detach && isatty(STDIN_FILENO) &&
                         isatty(STDOUT_FILENO);
    if (!a->cfg.no_sandbox && vm_sandbox_begin(&a->cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "vessel: %s\n", err);   /* before any thread */
        rc = -EINVAL;
        goto out;
    }
    if (a->detach) {
        /* Before vm_create(): the VM must be made by the process that
         * runs it. */
        rc = detach_fork(&notify, &status, DETACH_WAIT_MS);
        if (rc < 0) {
            fprintf(stderr, "vessel: --detach: cannot fork: %s\n",
                    strerror(-rc));
            rc = -EINVAL;
            goto out;
        }
        if (rc == 1) {
            rc = status;
            goto done;
        }
    }
    rc = claim_and_run(a, notify);
done:
    if (a->have_file)
        config_json_free(&a->file);
    free(a);
    return rc;
out:
    if (a->have_file)
        config_json_free(&a->file);
    free(a);
    return rc < 0 ? VM_STARTUP_ERROR : 0;
}
