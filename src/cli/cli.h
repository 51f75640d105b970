/* Subcommands of the vessel command line. Only cli/ calls exit(). */
#ifndef VESSEL_CLI_H
#define VESSEL_CLI_H

/* Each returns the process exit status. */
int cmd_run(int argc, char **argv);

#endif
