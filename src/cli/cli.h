/*
 * cli: the `tessera` command line, a thin layer over the library.
 * One file per subcommand (cli_<name>.c) exporting cli_<name>(argc, argv),
 * where argv[0] is the subcommand's name. Each returns the process exit code:
 * 0 success, 1 failure of the work, 2 bad usage.
 */
#ifndef TESSERA_CLI_H
#define TESSERA_CLI_H

int cli_info(int argc, char **argv);
int cli_asm(int argc, char **argv);
int cli_disasm(int argc, char **argv);
int cli_sim(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_conformance(int argc, char **argv);

/* Prints "tessera CMD: " + message to stderr; returns code. */
int cli_fail(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
