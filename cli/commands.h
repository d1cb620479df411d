/* SPDX-License-Identifier: MIT */
/* nfvisor subcommands. Each takes the arguments after its name (argv[0] is
 * the subcommand) and returns the process exit status: 0 success, 1 the
 * appliance (or the host) has problems, 2 usage error. */
#ifndef NFV_CLI_COMMANDS_H
#define NFV_CLI_COMMANDS_H

#define EXIT_INVALID 1
#define EXIT_USAGE   2

int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
