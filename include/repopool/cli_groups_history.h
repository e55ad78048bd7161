/*
 * The command line's options for groups of repositories, named commands
 * and the run history (#14): -G, --groups, --add-to, --remove-from, -c,
 * --rerun-failed, --order, --history, --no-history. cli.c puts them in
 * its option table and hands each to cli_groups_history_option; they
 * fill the fields of struct config under "Groups, named commands and the
 * run history". Like cli.c: no side effects beyond reading argv.
 */
#ifndef REPOPOOL_CLI_GROUPS_HISTORY_H
#define REPOPOOL_CLI_GROUPS_HISTORY_H

#include <stdarg.h>
#include <stdio.h>

#include "repopool/cli.h"

/* The one-line usage message both command-line files give, "repopool: "
 * and fmt, into err (cli.c). */
void cli_usage_message(struct strbuf *err, const char *fmt, va_list ap);

/* Above cli.c's own long-only options. */
enum cli_groups_history_option {
    OPT_GROUPS = 512,
    OPT_ADD_TO,
    OPT_REMOVE_FROM,
    OPT_RERUN_FAILED,
    OPT_ORDER,
    OPT_HISTORY,
    OPT_NO_HISTORY,
};

/* Their short options, for getopt's string. */
#define CLI_GROUPS_HISTORY_SHORT "G:c:"

/* Their entries of the getopt_long table. */
#define CLI_GROUPS_HISTORY_LONG_OPTIONS                          \
    {"group", required_argument, NULL, 'G'},                     \
    {"groups", no_argument, NULL, OPT_GROUPS},                   \
    {"add-to", required_argument, NULL, OPT_ADD_TO},             \
    {"remove-from", required_argument, NULL, OPT_REMOVE_FROM},   \
    {"rerun-failed", no_argument, NULL, OPT_RERUN_FAILED},       \
    {"order", required_argument, NULL, OPT_ORDER},               \
    {"history", optional_argument, NULL, OPT_HISTORY},           \
    {"no-history", no_argument, NULL, OPT_NO_HISTORY}

/* Takes option opt (its value arg) when it is one of these: 1, or -1
 * with the one-line usage error in err; 0 when opt is not one of them.
 * "--history N" takes the next argument N when it is a number, as
 * "--demo N" does: *optind moves past it. */
int cli_groups_history_option(int opt, const char *arg, int argc, char **argv, int *optind, struct config *cfg,
                              struct strbuf *err);

/* After every option: the combinations that make no sense. 0, or -1
 * with the usage error in err. */
int cli_groups_history_check(const struct config *cfg, bool demo, struct strbuf *err);

/* Their lines of --help. */
void cli_groups_history_help(FILE *out);

#endif
