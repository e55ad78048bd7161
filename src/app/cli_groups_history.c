#include "repopool/cli_groups_history.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/xalloc.h"

static int usage(struct strbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage(struct strbuf *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_usage_message(err, fmt, ap);
    va_end(ap);
    return -1;
}

/* A run's number as --history shows it: digits only, from 1. */
static bool parse_run(const char *s, long long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < 1)
        return false;
    *out = v;
    return true;
}

int cli_groups_history_option(int opt, const char *arg, int argc, char **argv, int *optind, struct config *cfg,
                              struct strbuf *err)
{
    switch (opt) {
    case 'G':
        if (!*arg)
            return usage(err, "-G/--group needs a group name");
        cfg->groups = xrealloc(cfg->groups, (cfg->ngroups + 1) * sizeof(*cfg->groups));
        cfg->groups[cfg->ngroups++] = (char *)arg;
        return 1;
    case 'c':
        if (!*arg)
            return usage(err, "-c needs the name of a command from the config file");
        cfg->named_command = arg;
        return 1;
    case OPT_GROUPS:
        cfg->list_groups = true;
        return 1;
    case OPT_ADD_TO:
    case OPT_REMOVE_FROM:
        if (!*arg)
            return usage(err, "--%s needs a group name", opt == OPT_ADD_TO ? "add-to" : "remove-from");
        *(opt == OPT_ADD_TO ? &cfg->add_to : &cfg->remove_from) = arg;
        return 1;
    case OPT_RERUN_FAILED:
        cfg->rerun_failed = true;
        return 1;
    case OPT_ORDER:
        if (strcmp(arg, "longest") == 0)
            cfg->order_longest = true;
        else if (strcmp(arg, "given") == 0)
            cfg->order_longest = false;
        else
            return usage(err, "invalid value '%s' for --order: expected given or longest", arg);
        return 1;
    case OPT_HISTORY:
        cfg->show_history = true;
        cfg->history_run = 0;
        /* "--history 7" reads as the run too: --history takes no
         * repositories, so a number after it cannot be one. */
        if (!arg && *optind < argc && argv[*optind][0] >= '0' && argv[*optind][0] <= '9')
            arg = argv[(*optind)++];
        if (arg && !parse_run(arg, &cfg->history_run))
            return usage(err, "invalid value '%s' for --history: expected a run number (see --history)", arg);
        return 1;
    case OPT_NO_HISTORY:
        cfg->no_history = true;
        return 1;
    default:
        return 0;
    }
}

int cli_groups_history_check(const struct config *cfg, bool demo, struct strbuf *err)
{
    int modes = cfg->list_groups + (cfg->add_to != NULL) + (cfg->remove_from != NULL) + cfg->show_history;
    if (modes > 1)
        return usage(err, "choose one of --groups, --add-to, --remove-from and --history");
    if ((cfg->add_to || cfg->remove_from) && (cfg->nrepos == 0 || cfg->ncommand || cfg->ngroups))
        return usage(err, "--%s GROUP takes the paths of repositories, and nothing to run",
                     cfg->add_to ? "add-to" : "remove-from");
    if (cfg->show_history && (cfg->nrepos || cfg->ncommand || cfg->ngroups))
        return usage(err, "--history takes no repositories and runs nothing");
    if (cfg->list_groups && (cfg->nrepos || cfg->ncommand))
        return usage(err, "--groups takes no repositories (-G NAME chooses groups) and runs nothing");
    if (cfg->no_history && (cfg->rerun_failed || cfg->order_longest || cfg->show_history))
        return usage(err, "--no-history leaves nothing for --%s to read",
                     cfg->rerun_failed ? "rerun-failed" : cfg->order_longest ? "order=longest" : "history");
    if (demo && (cfg->rerun_failed || cfg->order_longest || cfg->ngroups))
        return usage(err, "--demo simulates its own tasks: no groups, no --rerun-failed or --order=longest");
    return 0;
}

void cli_groups_history_help(FILE *out)
{
    fputs("Groups and history ($XDG_CONFIG_HOME/repopool/config, $XDG_STATE_HOME/repopool/history.sqlite)\n"
          "  -G, --group=NAME      the repositories of a group of the config file (repeatable); its\n"
          "                        jobs, per-host, retries and timeout unless given here\n"
          "  -c NAME               run the config's [command \"NAME\"] (with /bin/sh, as --shell)\n"
          "      --groups          list the groups (or those of -G) with their repositories, and commands\n"
          "      --add-to=GROUP PATH...       add repositories to a group (comments and layout kept)\n"
          "      --remove-from=GROUP PATH...  remove them\n"
          "      --rerun-failed    run only what did not end ok in the last run of the same\n"
          "                        repositories and the same work\n"
          "      --order=given|longest  longest: start the tasks that took longest last time first\n"
          "      --history[=RUN]   list the latest runs, or one run's failures\n"
          "      --no-history      do not record this run\n",
          out);
}
