#include "repopool/cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/cli_groups_history.h"
#include "repopool/gitop_table.h"
#include "repopool/xalloc.h"

#define DEFAULT_JOBS 5
#define DEFAULT_MAX_JOBS 256
#define MAX_MAX_JOBS 4096
/* One start in about 11.6 days to a million a second: beyond these a rate
 * is a typo, not a plan. */
#define MIN_RATE 1e-6
#define MAX_RATE 1e6
#define DEFAULT_DEMO_COUNT 40
#define DEFAULT_DEPTH 3
#define DEFAULT_STALL_TIMEOUT 60.0

enum long_only {
    OPT_SHELL = 256,
    OPT_DEMO,
    OPT_DEMO_MEAN,
    OPT_DEMO_FAIL,
    OPT_DEMO_CAPACITY,
    OPT_DEMO_HOSTS,
    OPT_SEED,
    OPT_MAX_JOBS,
    OPT_RATE,
    OPT_RETRIES,
    OPT_PER_HOST,
    OPT_ADAPTIVE,
    OPT_TIMEOUT,
    OPT_TUI,
    OPT_NO_TUI,
    OPT_JSON,
    OPT_OUTPUT,
    OPT_FAIL_ON_ATTENTION,
    OPT_JOBLOG,
    OPT_DEPTH,
    OPT_NESTED,
    OPT_REMOTE,
    OPT_FETCH_WITH,
    OPT_STALL_TIMEOUT,
    OPT_EXIT_WHEN_DONE,
    OPT_COMPARE,
};

static const char short_options[] = ":f:s:g:j:" CLI_GROUPS_HISTORY_SHORT "qhV";

static const struct option long_options[] = {
    {"repos-from", required_argument, NULL, 'f'},
    {"scan", required_argument, NULL, 's'},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"nested", no_argument, NULL, OPT_NESTED},
    {"git", required_argument, NULL, 'g'},
    {"remote", required_argument, NULL, OPT_REMOTE},
    {"fetch-with", required_argument, NULL, OPT_FETCH_WITH},
    {"stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT},
    {"shell", no_argument, NULL, OPT_SHELL},
    {"demo", optional_argument, NULL, OPT_DEMO},
    {"demo-mean", required_argument, NULL, OPT_DEMO_MEAN},
    {"demo-fail", required_argument, NULL, OPT_DEMO_FAIL},
    {"demo-capacity", required_argument, NULL, OPT_DEMO_CAPACITY},
    {"demo-hosts", required_argument, NULL, OPT_DEMO_HOSTS},
    {"compare", no_argument, NULL, OPT_COMPARE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"jobs", required_argument, NULL, 'j'},
    {"max-jobs", required_argument, NULL, OPT_MAX_JOBS},
    {"rate", required_argument, NULL, OPT_RATE},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"per-host", required_argument, NULL, OPT_PER_HOST},
    {"adaptive", no_argument, NULL, OPT_ADAPTIVE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"tui", no_argument, NULL, OPT_TUI},
    {"no-tui", no_argument, NULL, OPT_NO_TUI},
    {"json", no_argument, NULL, OPT_JSON},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"fail-on-attention", no_argument, NULL, OPT_FAIL_ON_ATTENTION},
    {"exit-when-done", no_argument, NULL, OPT_EXIT_WHEN_DONE},
    {"joblog", required_argument, NULL, OPT_JOBLOG},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    CLI_GROUPS_HISTORY_LONG_OPTIONS,
    {NULL, 0, NULL, 0},
};

void cli_print_help(FILE *out)
{
    fputs(
        "Usage: repopool [OPTION]... [REPO]... [-- COMMAND [ARG]...]\n"
        "Run a task over many git repositories at once, never more than a cap at a time.\n"
        "\n"
        "Repositories (default: scan the current directory)\n"
        "  REPO...               repository paths (duplicates, also via symlinks, run once)\n"
        "  -f, --repos-from=FILE paths one per line ('-' = stdin); blank lines and '#' comments skipped\n"
        "  -s, --scan=DIR        discover repositories under DIR (repeatable); --depth=N levels\n"
        "                        (default 3); --nested also looks inside repositories\n",
        out);
    fprintf(out, "Work (default: --git %s)\n", gitop_table[0].name);
    fputs("  -g, --git=OP          built-in libgit2 operation: ", out);
    for (size_t i = 0; i < gitop_count; i++) {
        fprintf(out, "%s%s", i ? " | " : "", gitop_table[i].name);
        if (gitop_table[i].note)
            fprintf(out, " (%s)", gitop_table[i].note);
    }
    fputs(
        "\n"
        "      --remote=NAME     fetch only this remote (default: every remote; pull: the upstream's)\n"
        "      --fetch-with=git  fetch with a `git fetch` child (honours ~/.ssh/config) instead of libgit2\n"
        "      --stall-timeout=SEC  stop a fetch that hears nothing from the remote this long (default 60)\n"
        "  -- COMMAND [ARG]...   run COMMAND in each repository, argv form, no shell; '{}' in an\n"
        "                        argument is replaced by the repository path\n"
        "      --shell           run the single COMMAND string with /bin/sh -c; the path is given\n"
        "                        in $REPOPOOL_REPO and never pasted into the script text\n"
        "      --demo[=N]        N simulated tasks (default 40), no repositories needed:\n"
        "                        --demo-mean=SEC (default 0.5; durations uniform in [0, 2*mean]),\n"
        "                        --demo-fail=P (chance of a simulated network failure),\n"
        "                        --demo-capacity=K[,K...] (per host) or K@SEC[,K@SEC...] (a\n"
        "                        schedule: a simulated server answers \"429 Too Many Requests\"\n"
        "                        with a Retry-After to a task started while K already run),\n"
        "                        --demo-hosts=N (tasks spread over N simulated hosts),\n"
        "                        --seed=S for a reproducible run, --compare to run the tasks\n"
        "                        four ways in simulated time (sequential, unbounded, -j, adaptive)\n"
        "                        and print how each went\n"
        "Pool\n"
        "  -j, --jobs=N          initial cap (default 5); 0 starts paused\n"
        "      --max-jobs=N      ceiling for runtime changes (default 256)\n"
        "      --rate=R          at most R task starts per second (token bucket), 1e-6 to 1e6\n"
        "      --retries=N       retry transient failures N times, exponential backoff with full jitter\n"
        "      --timeout=SEC     per-task time limit\n"
        "      --per-host=N      at most N tasks on one host at once (the remote's host; demo hosts)\n"
        "      --adaptive        learn each host's limit from its refusals (429, dropped connections):\n"
        "                        cut on refusal, grow on success, never above the cap or --per-host\n",
        out);
    cli_groups_history_help(out);
    fputs(
        "Output\n"
        "      --tui | --no-tui  default: the dashboard when stdin and stdout are terminals\n"
        "      --exit-when-done  close the dashboard when the run ends (default: wait for q)\n"
        "      --json            JSON Lines events on stdout (implies --no-tui)\n"
        "      --joblog=FILE     GNU parallel's --joblog format, one line per finished task\n"
        "      --output=WHAT     what of a task's output the lines show: all (each task's whole\n"
        "                        output under its line, never interleaved; default for commands),\n"
        "                        last (its last line; default for --git and --demo), none\n"
        "  -q, --quiet           print only tasks that did not end ok (with --git status, and the\n"
        "                        repositories that need attention), and no summary\n"
        "      --fail-on-attention  exit 1 when a repository needs attention (behind, dirty, ...)\n"
        "  -h, --help            show this help\n"
        "  -V, --version         show the version\n"
        "\n"
        "Runtime control: dashboard keys (? for help); SIGUSR1 / SIGUSR2 raise / lower the cap\n"
        "by one (as GNU xargs).\n"
        "Exit status: 0 every task ended ok; 1 any task failed, was skipped or cancelled,\n"
        "or output could not be written; 2 usage error; 130 / 143 interrupted by SIGINT /\n"
        "SIGTERM; 141 the reader of stdout went away.\n",
        out);
}

static enum cli_result usage_error(struct strbuf *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void cli_usage_message(struct strbuf *err, const char *fmt, va_list ap)
{
    strbuf_reset(err);
    strbuf_puts(err, "repopool: ");
    strbuf_vprintf(err, fmt, ap);
}

static enum cli_result usage_error(struct strbuf *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cli_usage_message(err, fmt, ap);
    va_end(ap);
    return CLI_USAGE;
}

/* The names of the git operations (only those that talk to a remote, if
 * network_only), each after prefix, as "a, b or c" with last_sep before the
 * last. */
static void list_git_ops(struct strbuf *out, bool network_only, const char *prefix, const char *last_sep)
{
    size_t n = 0, shown = 0;
    for (size_t i = 0; i < gitop_count; i++)
        n += !network_only || gitop_table[i].needs_network;
    for (size_t i = 0; i < gitop_count; i++) {
        if (network_only && !gitop_table[i].needs_network)
            continue;
        if (shown > 0)
            strbuf_puts(out, shown + 1 == n ? last_sep : ", ");
        strbuf_printf(out, "%s%s", prefix, gitop_table[i].name);
        shown++;
    }
}

/* Strict unsigned parse: digits only, no sign, no trailing text. */
static bool parse_uint(const char *s, unsigned long long min, unsigned long long max,
                       unsigned long long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double min, double max, bool min_exclusive, double *out)
{
    if (!*s || strchr(" \t\n", *s))
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v) || v < min || v > max || (min_exclusive && v == min))
        return false;
    *out = v;
    return true;
}

/* The option's name as the user typed it, for error messages. */
static const char *option_name(int opt, char *buf, size_t n)
{
    for (const struct option *o = long_options; o->name; o++) {
        if (o->val == opt) {
            if (opt < 256)
                snprintf(buf, n, "-%c/--%s", opt, o->name);
            else
                snprintf(buf, n, "--%s", o->name);
            return buf;
        }
    }
    snprintf(buf, n, "-%c", opt);
    return buf;
}

/* Lists of arguments are short: grown one at a time. */
static void push_arg(char ***list, size_t *len, char *arg)
{
    *list = xrealloc(*list, (*len + 1) * sizeof(**list));
    (*list)[(*len)++] = arg;
}

/*
 * Finds the '--' that starts the command: the first one that is not the
 * separate argument of an option such as "-f --".
 */
static int find_command_separator(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i;
        const char *a = argv[i];
        bool takes_next = false;
        if (a[0] == '-' && a[1] == '-' && !strchr(a, '=')) {
            for (const struct option *o = long_options; o->name; o++)
                if (strcmp(a + 2, o->name) == 0 && o->has_arg == required_argument)
                    takes_next = true;
        } else if (a[0] == '-' && a[1] && a[1] != '-') {
            /* Short options may be bundled: "-qj" takes the next argument,
             * "-j4" does not. */
            for (const char *c = a + 1; *c; c++) {
                const char *spec = strchr(short_options + 1, *c);
                if (spec && spec[1] == ':') {
                    takes_next = c[1] == '\0';
                    break;
                }
            }
        }
        if (takes_next)
            i++;
    }
    return -1;
}

void config_free(struct config *cfg)
{
    free(cfg->repos);
    free(cfg->repo_files);
    free(cfg->scan_dirs);
    free(cfg->groups);
    memset(cfg, 0, sizeof(*cfg));
}

enum cli_result cli_parse(int argc, char **argv, struct config *cfg, struct strbuf *err)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->jobs = DEFAULT_JOBS;
    cfg->max_jobs = DEFAULT_MAX_JOBS;
    cfg->demo_mean = 0.5;
    cfg->depth = DEFAULT_DEPTH;
    cfg->stall_timeout = DEFAULT_STALL_TIMEOUT;
    cfg->tui = TUI_AUTO;
    cfg->git_op = &gitop_table[0];
    cfg->argc = argc;
    cfg->argv = argv;

    int sep = find_command_separator(argc, argv);
    int opt_argc = sep >= 0 ? sep : argc;
    if (sep >= 0) {
        cfg->command = argv + sep + 1;
        cfg->ncommand = (size_t)(argc - sep - 1);
        if (cfg->ncommand == 0)
            return usage_error(err, "'--' must be followed by a command");
    }

    const char *jobs_text = NULL;
    bool git_given = false;
    bool demo_given = false;
    bool fetch_with_given = false;
    char name[64];
    unsigned long long u;
    int opt;
    opterr = 0;
    optind = 0; /* a full reset, so cli_parse can be called more than once */
    while ((opt = getopt_long(opt_argc, argv, short_options, long_options, NULL)) != -1) {
        const char *arg = optarg;
        /* Groups, named commands and the history: cli_groups_history.c. */
        int taken = cli_groups_history_option(opt, arg, opt_argc, argv, &optind, cfg, err);
        if (taken < 0)
            return CLI_USAGE;
        if (taken > 0)
            continue;
        switch (opt) {
        case 'f':
            push_arg(&cfg->repo_files, &cfg->nrepo_files, optarg);
            break;
        case 's':
            push_arg(&cfg->scan_dirs, &cfg->nscan_dirs, optarg);
            break;
        case OPT_DEPTH:
            if (!parse_uint(arg, 0, 100, &u))
                return usage_error(err, "invalid value '%s' for --depth: expected an integer from 0 to 100", arg);
            cfg->depth = (unsigned)u;
            break;
        case OPT_NESTED:
            cfg->nested = true;
            break;
        case 'g':
            git_given = true;
            if (!(cfg->git_op = gitop_find(arg))) {
                struct strbuf names;
                strbuf_init(&names);
                list_git_ops(&names, false, "", " or ");
                usage_error(err, "invalid value '%s' for -g/--git: expected %s", arg, names.data ? names.data : "");
                strbuf_free(&names);
                return CLI_USAGE;
            }
            break;
        case OPT_REMOTE:
            if (!*arg)
                return usage_error(err, "--remote needs a remote name");
            cfg->remote = arg;
            break;
        case OPT_FETCH_WITH:
            fetch_with_given = true;
            if (strcmp(arg, "git") == 0)
                cfg->fetch_with_git = true;
            else if (strcmp(arg, "libgit2") == 0)
                cfg->fetch_with_git = false;
            else
                return usage_error(err, "invalid value '%s' for --fetch-with: expected git or libgit2", arg);
            break;
        case OPT_STALL_TIMEOUT:
            if (!parse_double(arg, 0, 86400, true, &cfg->stall_timeout))
                return usage_error(err, "invalid value '%s' for --stall-timeout: expected seconds, above 0", arg);
            break;
        case OPT_SHELL:
            cfg->shell = true;
            break;
        case OPT_DEMO:
            demo_given = true;
            cfg->demo_count = DEFAULT_DEMO_COUNT;
            /* "--demo 100" reads as the count too: demo takes no
             * repositories, so a number after it cannot be one. */
            if (!arg && optind < opt_argc && argv[optind][0] >= '0' && argv[optind][0] <= '9')
                arg = argv[optind++];
            if (arg) {
                if (!parse_uint(arg, 1, 10000000, &u))
                    return usage_error(err, "invalid value '%s' for --demo: expected a task count from 1 to 10000000", arg);
                cfg->demo_count = (unsigned)u;
            }
            break;
        case OPT_DEMO_MEAN:
            if (!parse_double(arg, 0, 86400, false, &cfg->demo_mean))
                return usage_error(err, "invalid value '%s' for --demo-mean: expected seconds from 0 to 86400", arg);
            break;
        case OPT_DEMO_FAIL:
            if (!parse_double(arg, 0, 1, false, &cfg->demo_fail))
                return usage_error(err, "invalid value '%s' for --demo-fail: expected a probability from 0 to 1", arg);
            break;
        case OPT_DEMO_CAPACITY: {
            struct strbuf why;
            strbuf_init(&why);
            int rc = demo_capacity_parse(arg, &cfg->demo_capacity, &why);
            if (rc < 0)
                usage_error(err, "invalid value for --demo-capacity: %s", why.data);
            strbuf_free(&why);
            if (rc < 0)
                return CLI_USAGE;
            break;
        }
        case OPT_DEMO_HOSTS:
            if (!parse_uint(arg, 1, DEMO_MAX_HOSTS, &u))
                return usage_error(err, "invalid value '%s' for --demo-hosts: expected an integer from 1 to %d", arg,
                                   DEMO_MAX_HOSTS);
            cfg->demo_hosts = (unsigned)u;
            break;
        case OPT_SEED:
            if (!parse_uint(arg, 0, UINT64_MAX, &u))
                return usage_error(err, "invalid value '%s' for --seed: expected a non-negative integer", arg);
            cfg->seed = u;
            cfg->seed_given = true;
            break;
        case 'j':
            jobs_text = arg;
            break;
        case OPT_MAX_JOBS:
            if (!parse_uint(arg, 1, MAX_MAX_JOBS, &u))
                return usage_error(err, "invalid value '%s' for --max-jobs: expected an integer from 1 to %d", arg, MAX_MAX_JOBS);
            cfg->max_jobs = (unsigned)u;
            break;
        case OPT_RATE:
            if (!parse_double(arg, MIN_RATE, MAX_RATE, false, &cfg->rate))
                return usage_error(err, "invalid value '%s' for --rate: expected starts per second from %g to %g",
                                   arg, MIN_RATE, MAX_RATE);
            break;
        case OPT_PER_HOST:
            if (!parse_uint(arg, 1, 100000, &u))
                return usage_error(err, "invalid value '%s' for --per-host: expected an integer from 1 to 100000", arg);
            cfg->per_host = (unsigned)u;
            cfg->per_host_given = true;
            break;
        case OPT_ADAPTIVE:
            cfg->adaptive = true;
            break;
        case OPT_COMPARE:
            cfg->compare = true;
            break;
        case OPT_RETRIES:
            if (!parse_uint(arg, 0, 100, &u))
                return usage_error(err, "invalid value '%s' for --retries: expected an integer from 0 to 100", arg);
            cfg->retries = (unsigned)u;
            cfg->retries_given = true;
            break;
        case OPT_TIMEOUT:
            if (!parse_double(arg, 0, 31536000, true, &cfg->timeout))
                return usage_error(err, "invalid value '%s' for --timeout: expected seconds, above 0", arg);
            cfg->timeout_given = true;
            break;
        case OPT_TUI:
            cfg->tui = TUI_ON;
            break;
        case OPT_NO_TUI:
            cfg->tui = TUI_OFF;
            break;
        case OPT_EXIT_WHEN_DONE:
            cfg->exit_when_done = true;
            break;
        case OPT_JSON:
            cfg->json = true;
            break;
        case OPT_FAIL_ON_ATTENTION:
            cfg->fail_on_attention = true;
            break;
        case OPT_OUTPUT:
            if (strcmp(arg, "all") == 0)
                cfg->output = OUTPUT_ALL;
            else if (strcmp(arg, "last") == 0)
                cfg->output = OUTPUT_LAST;
            else if (strcmp(arg, "none") == 0)
                cfg->output = OUTPUT_NONE;
            else
                return usage_error(err, "invalid value '%s' for --output: expected all, last or none", arg);
            break;
        case OPT_JOBLOG:
            if (!*arg)
                return usage_error(err, "--joblog needs a file name");
            cfg->joblog = arg;
            break;
        case 'q':
            cfg->quiet = true;
            break;
        case 'h':
            cfg->help = true;
            return CLI_EXIT_OK;
        case 'V':
            cfg->version = true;
            return CLI_EXIT_OK;
        case ':':
            return usage_error(err, "%s needs a value", option_name(optopt, name, sizeof(name)));
        default:
            if (optopt)
                return usage_error(err, "unknown option '-%c' (see --help)", optopt);
            return usage_error(err, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    for (int i = optind; i < opt_argc; i++)
        push_arg(&cfg->repos, &cfg->nrepos, argv[i]);

    if (jobs_text) {
        if (!parse_uint(jobs_text, 0, cfg->max_jobs, &u))
            return usage_error(err, "invalid value '%s' for -j/--jobs: expected an integer from 0 to %u (--max-jobs)",
                               jobs_text, cfg->max_jobs);
        cfg->jobs = (unsigned)u;
        cfg->jobs_given = true;
    } else if (cfg->jobs > cfg->max_jobs) {
        cfg->jobs = cfg->max_jobs;
    }

    int kinds = (cfg->ncommand > 0) + demo_given + git_given + (cfg->named_command != NULL);
    if (kinds > 1)
        return usage_error(err, "choose one kind of work: a command after '--', -c NAME, --git or --demo");
    if (cfg->shell && cfg->ncommand != 1)
        return usage_error(err, "--shell takes exactly one command string after '--'");
    if (cfg->compare && !demo_given)
        return usage_error(err, "--compare runs the demo's tasks: it needs --demo");
    if (demo_given && (cfg->nrepos || cfg->nrepo_files || cfg->nscan_dirs))
        return usage_error(err, "--demo simulates its own tasks and takes no repositories");
    /* A capacity per host names the hosts; a schedule is every host's. */
    unsigned listed = cfg->demo_capacity.nhosts;
    if (!cfg->demo_hosts)
        cfg->demo_hosts = listed > 1 ? listed : 1;
    else if (listed > 1 && listed != cfg->demo_hosts)
        return usage_error(err, "--demo-capacity gives %u capacities for --demo-hosts=%u", listed, cfg->demo_hosts);
    cfg->work = cfg->ncommand ? WORK_COMMAND : demo_given ? WORK_DEMO : WORK_GIT;
    if ((cfg->remote || fetch_with_given) && (cfg->work != WORK_GIT || !cfg->git_op->needs_network)) {
        struct strbuf names;
        strbuf_init(&names);
        list_git_ops(&names, true, "--git ", " and ");
        usage_error(err, "--remote and --fetch-with apply to %s", names.data ? names.data : "");
        strbuf_free(&names);
        return CLI_USAGE;
    }
    if (cli_groups_history_check(cfg, demo_given, err) < 0)
        return CLI_USAGE;
    if (cfg->json)
        cfg->tui = TUI_OFF;
    return CLI_OK;
}
