/* tessera: entry point; dispatches to one subcommand per file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"run",         cli_run,         "run an ONNX model on a device, write outputs as .npy"},
    {"conformance", cli_conformance, "run ONNX backend test cases, report pass/fail/skip"},
    {"info",        cli_info,        "show a chip's configuration and derived peak figures"},
    {"asm",         cli_asm,         "assemble NPU assembly text into a program binary"},
    {"disasm",      cli_disasm,      "disassemble a program binary into assembly text"},
    {"sim",         cli_sim,         "simulate a program on a chip: results, cycles, energy, trace"},
};

int cli_fail(const char *cmd, int code, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "tessera %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

static void usage(FILE *f) {
    fprintf(f, "usage: tessera COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'tessera COMMAND --help' describes a command.\n");
}

/* A report that did not reach stdout (a full disk, a closed pipe) is a
 * failure: the exit code must not say the output is there. */
static int finish(const char *cmd, int rc) {
    errno = 0;
    if ((fflush(stdout) != 0 || ferror(stdout)) && rc == 0)
        return cli_fail(cmd, 1, "cannot write to standard output: %s", errno ? strerror(errno) : "write error");
    return rc;
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return finish("--help", 0);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return finish(commands[i].name, commands[i].run(argc - 1, argv + 1));
    fprintf(stderr, "tessera: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
