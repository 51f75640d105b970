/* Subcommands of the vessel command line. Only cli/ calls exit(). */
#ifndef VESSEL_CLI_H
#define VESSEL_CLI_H

/* Each takes its own argv (argv[0] is the command's name) and returns the
 * process exit status. */
int cmd_run(int argc, char **argv);         /* cli/run.c */
int cmd_ls(int argc, char **argv);          /* cli/ls.c */
int cmd_inspect(int argc, char **argv);     /* cli/ctl.c */
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_console(int argc, char **argv);     /* cli/console.c */
int cmd_logs(int argc, char **argv);

#endif
