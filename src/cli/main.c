/* vessel: entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "host/threads.h"

#define VESSEL_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *args;
    const char *help;
} commands[] = {
    { "run", cmd_run, "--kernel FILE ...", "boot a guest" },
    { "ls", cmd_ls, "[--json | -q]", "list the running VMs" },
    { "inspect", cmd_inspect, "NAME", "print a VM's description as JSON" },
    { "pause", cmd_pause, "NAME...", "pause VMs (their vCPUs stop)" },
    { "resume", cmd_resume, "NAME...", "let paused VMs run again" },
    { "shutdown", cmd_shutdown, "NAME...",
      "press VMs' ACPI power button, wait until off" },
    { "stop", cmd_stop, "NAME...", "end VMs at once" },
    { "console", cmd_console, "NAME",
      "attach to a VM's serial console (Ctrl-] detaches)" },
    { "logs", cmd_logs, "[-f] NAME",
      "print a VM's console output (-f: follow)" },
};

static void usage(FILE *f)
{
    char synopsis[64];

    fprintf(f, "usage: vessel COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        snprintf(synopsis, sizeof(synopsis), "%s %s", commands[i].name,
                 commands[i].args);
        fprintf(f, "  %-24s %s\n", synopsis, commands[i].help);
    }
    fprintf(f, "\n'vessel COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
    if (host_threads_init() < 0)   /* costs memory only: go on */
        fprintf(stderr, "vessel: warning: cannot set thread defaults\n");
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("vessel %s\n", VESSEL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "vessel: unknown command '%s' (try 'vessel --help')\n",
            argv[1]);
    return 1;
}
