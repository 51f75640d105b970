/* vessel run: parse the flags into a vm_config, build the VM, run it. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/parse.h"
#include "core/log.h"
#include "host/clock.h"
#include "host/logsink.h"
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
    "                      starting with . or -\n"
    "      --console KIND  serial (COM1, default) or virtio (hvc0; COM1 stays)\n"
    "      --no-rng        no virtio-rng entropy device\n"
    "      --no-kernel-cache  boot a bzImage through its own decompressor,\n"
    "                      not through the decompressed copy Vessel keeps in\n"
    "                      $XDG_CACHE_HOME/vessel/kernels (limit: env\n"
    "                      VESSEL_KERNEL_CACHE_MAX bytes, default 512 MiB)\n"
    "      --kvm-device F  KVM device node (default /dev/kvm)\n"
    "      --stats FILE    write counters (exits, KVM stats, start-up cost,\n"
    "                      memory) to FILE when the VM ends\n"
    "  -v, --verbose       more log output (repeat for debug)\n"
    "  -q, --quiet         errors only\n"
    "  -h, --help          this help\n"
    "\n"
    "On a terminal the guest's serial console is interactive: Ctrl-C goes to\n"
    "the guest, Ctrl-A x quits, Ctrl-A h shows the escape keys.\n"
    "\n"
    "Exit status: 0 guest powered off, 1 start-up error, 2 guest reboot,\n"
    "3 guest crash, 4 guest panic (pvpanic), 5 host error while running,\n"
    "128+N stopped by signal N (130 also for Ctrl-A x).\n";

/* Long options without a short letter. */
#define OPT_NO_KERNEL_CACHE 0x100
#define OPT_NET 0x101
#define OPT_NAME 0x102

static const struct option run_opts[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "initrd", required_argument, NULL, 'i' },
    { "cmdline", required_argument, NULL, 'c' },
    { "mem", required_argument, NULL, 'm' },
    { "cpus", required_argument, NULL, 'n' },
    { "disk", required_argument, NULL, 'd' },
    { "net", required_argument, NULL, OPT_NET },
    { "name", required_argument, NULL, OPT_NAME },
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

static int add_disk(struct vm_config *cfg, const char *arg)
{
    if (cfg->ndisks == VM_MAX_DISKS)
        return bad("--disk '%s': at most 8 disks", arg);
    cfg->disks[cfg->ndisks++] = arg;
    return 0;
}

/* Checked here so a bad spec is reported before anything is built; the
 * VM parses it again when it makes the card. */
static int add_net(struct vm_config *cfg, const char *arg)
{
    struct vm_net_spec spec;
    char err[512];

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

/* Returns 0, 1 for --help, or -EINVAL after printing why. */
static int parse_run_args(int argc, char **argv, struct vm_config *cfg,
                          int *verbosity)
{
    int c, rc = 0;

    opterr = 0;
    optind = 1;
    while (rc == 0 &&
           (c = getopt_long(argc, argv, ":k:i:c:m:n:d:vqh", run_opts, NULL)) != -1) {
        switch (c) {
        case 'k': cfg->kernel = optarg; break;
        case 'i': cfg->initrd = optarg; break;
        case 'c': cfg->cmdline = optarg; break;
        case 'm': rc = parse_mem(optarg, &cfg->mem_size, &cfg->hugepages); break;
        case 'n': rc = parse_cpus(optarg, &cfg->ncpus); break;
        case 'd': rc = add_disk(cfg, optarg); break;
        case OPT_NET: rc = add_net(cfg, optarg); break;
        case OPT_NAME: rc = parse_vm_name(optarg, &cfg->name); break;
        case 'C': rc = parse_console(optarg, &cfg->console); break;
        case 'R': cfg->rng = false; break;
        case OPT_NO_KERNEL_CACHE: cfg->no_kernel_cache = true; break;
        case 'K': cfg->kvm_device = optarg; break;
        case 'S': cfg->stats_path = optarg; break;
        case 'v': (*verbosity)++; break;
        case 'q': *verbosity = -1; break;
        case 'h': return 1;
        case ':': return bad("option '%s' needs a value", argv[optind - 1]);
        default: return bad("unknown option '%s' (see 'vessel run --help')",
                            argv[optind - 1]);
        }
    }
    if (rc == 0 && optind < argc)
        return bad("unexpected argument '%s' (see 'vessel run --help')",
                   argv[optind]);
    if (rc == 0 && !cfg->kernel)
        return bad("%s", "--kernel FILE is required (see 'vessel run --help')");
    return rc;
}

int cmd_run(int argc, char **argv)
{
    struct vm_config cfg = { .mem_size = VM_DEFAULT_MEM, .ncpus = 1,
                             .rng = true, .start_ns = host_mono_ns() };
    int verbosity = 0, rc;
    char err[512] = "";
    struct vm *vm;

    rc = parse_run_args(argc, argv, &cfg, &verbosity);
    if (rc == 1) {
        fputs(run_usage, stdout);
        return 0;
    }
    if (rc < 0)
        return VM_STARTUP_ERROR;
    host_log_init(verbosity < 0 ? LOG_ERROR
                  : verbosity == 0 ? LOG_WARN
                  : verbosity == 1 ? LOG_INFO : LOG_DEBUG);
    cfg.console_raw = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    if (vm_create(&vm, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "vessel: %s\n", err);
        return VM_STARTUP_ERROR;
    }
    rc = vm_run(vm);
    if (rc != VM_POWEROFF)
        log_warn("%s (exit status %d)", vm->reason, rc);
    if (cfg.stats_path && stats_write(vm, cfg.stats_path) < 0)
        log_error("cannot write --stats file '%s'", cfg.stats_path);
    vm_destroy(vm);
    return rc;
}
