/*
 * The command line: parsed into a struct config, validated, with a one-line
 * error naming the offending input when it is wrong. No side effects beyond
 * reading argv; the strings in a config point into argv.
 */
#ifndef REPOPOOL_CLI_H
#define REPOPOOL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "repopool/demoserver.h"
#include "repopool/strbuf.h"

struct gitop_entry;

enum work_kind { WORK_GIT, WORK_COMMAND, WORK_DEMO };
enum tui_choice { TUI_AUTO, TUI_ON, TUI_OFF };
/* --output; OUTPUT_DEFAULT: all for commands, last for the rest. */
enum output_choice { OUTPUT_DEFAULT, OUTPUT_ALL, OUTPUT_LAST, OUTPUT_NONE };

struct config {
    /* Repositories. */
    char **repos;        /* positional paths */
    size_t nrepos;
    char **repo_files;   /* -f FILE, '-' for stdin */
    size_t nrepo_files;
    char **scan_dirs;    /* --scan DIR */
    size_t nscan_dirs;
    unsigned depth;      /* --depth */
    bool nested;         /* --nested: look inside working trees too */

    /* Work. */
    enum work_kind work;
    const struct gitop_entry *git_op; /* --git: a row of gitop_table */
    const char *remote;  /* --remote NAME: fetch only this remote */
    bool fetch_with_git; /* --fetch-with=git */
    double stall_timeout; /* --stall-timeout: seconds without word from a remote */
    char **command;      /* after '--' */
    size_t ncommand;
    bool shell;
    unsigned demo_count;
    double demo_mean;
    double demo_fail;
    struct demo_capacity demo_capacity; /* nhosts 0: no simulated server limit */
    unsigned demo_hosts;
    uint64_t seed;
    bool seed_given;
    bool compare;        /* --compare: the demo four ways, simulated */

    /* Pool. */
    unsigned jobs;
    unsigned max_jobs;
    double rate;         /* 0: unlimited */
    unsigned retries;
    unsigned per_host;   /* 0: no per-host limit */
    bool adaptive;
    double timeout;      /* 0: none */

    /* Groups, named commands and the run history (cli_groups_history.c). */
    char **groups;       /* -G NAME, in the order given */
    size_t ngroups;
    const char *named_command; /* -c NAME: a [command "NAME"] of the config */
    bool list_groups;    /* --groups */
    const char *add_to;  /* --add-to GROUP: the REPO arguments are the paths */
    const char *remove_from; /* --remove-from GROUP: likewise */
    bool rerun_failed;
    bool order_longest;  /* --order=longest */
    bool show_history;   /* --history[=RUN] */
    long long history_run; /* that RUN; 0: list the latest runs */
    bool no_history;
    /* The pool settings the command line gave, so that a group's defaults
     * fill in only the others. */
    bool jobs_given, per_host_given, retries_given, timeout_given;
    int argc;            /* the command line, for the history */
    char **argv;

    /* Output. */
    enum tui_choice tui;
    bool exit_when_done; /* close the dashboard when the run ends */
    bool json;
    enum output_choice output;
    bool fail_on_attention;
    const char *joblog;
    bool quiet;
    bool help;
    bool version;
};

enum cli_result {
    CLI_OK,
    CLI_EXIT_OK, /* --help or --version was printed; exit 0 */
    CLI_USAGE,   /* err holds the one-line message; exit 2 */
};

/* Parses argv into cfg. Pointers in cfg stay valid as long as argv does;
 * cfg->repos and friends are allocated and freed by config_free. */
enum cli_result cli_parse(int argc, char **argv, struct config *cfg, struct strbuf *err);
void config_free(struct config *cfg);
void cli_print_help(FILE *out);

#endif
