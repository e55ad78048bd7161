#include "repopool/run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <git2.h>

#include "repopool/demo.h"
#include "repopool/git.h"
#include "repopool/proc.h"
#include "repopool/repos.h"
#include "repopool/report.h"
#include "repopool/runner.h"
#include "repopool/sanitize.h"
#include "repopool/scan.h"
#include "repopool/tui.h"

#define EXIT_USAGE 2
#define KILL_GRACE_SECONDS 2.0
#define DRAIN_GRACE_SECONDS 0.25

static int usage_failure(struct strbuf *err)
{
    fprintf(stderr, "%s\n", err->data ? err->data : "repopool: invalid arguments");
    strbuf_free(err);
    return EXIT_USAGE;
}

static void warn_unreadable(void *ctx, const char *path, int err)
{
    (void)ctx;
    struct strbuf shown;
    strbuf_init(&shown);
    sanitize_name(&shown, path, strlen(path));
    fprintf(stderr, "repopool: cannot read %s: %s\n", shown.data ? shown.data : "", strerror(err));
    strbuf_free(&shown);
}

/* Scans dir; *found_none is set when it held no repository. */
static int scan_into(const struct config *cfg, struct repo_list *rl, const char *dir, bool *found_none,
                     struct strbuf *err)
{
    struct scan_options opt = {.depth = cfg->depth, .nested = cfg->nested, .warn = warn_unreadable};
    size_t before = rl->len;
    if (scan_dir(rl, dir, &opt) < 0) {
        strbuf_printf(err, "repopool: --scan %s: %s", dir, strerror(errno));
        return -1;
    }
    *found_none = rl->len == before;
    return 0;
}

static int gather_repos(const struct config *cfg, struct repo_list *rl, struct strbuf *err)
{
    if (cfg->work == WORK_DEMO) {
        for (unsigned i = 1; i <= cfg->demo_count; i++) {
            char name[32];
            int n = snprintf(name, sizeof(name), "demo-%u", i);
            repos_add_raw(rl, name, (size_t)n, NULL);
        }
        return 0;
    }
    for (size_t i = 0; i < cfg->nrepos; i++)
        repos_add_path(rl, cfg->repos[i]);
    for (size_t i = 0; i < cfg->nrepo_files; i++)
        if (repos_add_file(rl, cfg->repo_files[i], err) < 0)
            return -1;

    /* No repository named at all: the current directory is scanned. */
    bool named_any = cfg->nrepos || cfg->nrepo_files || cfg->nscan_dirs;
    char *default_scan[] = {"."};
    char *const *dirs = named_any ? cfg->scan_dirs : default_scan;
    size_t ndirs = named_any ? cfg->nscan_dirs : 1;
    const char *empty_dir = NULL;
    for (size_t i = 0; i < ndirs; i++) {
        bool found_none;
        if (scan_into(cfg, rl, dirs[i], &found_none, err) < 0)
            return -1;
        if (found_none && !empty_dir)
            empty_dir = dirs[i];
    }
    if (rl->len > 0) {
        if (empty_dir)
            fprintf(stderr, "repopool: no git repositories under %s (--depth %u)\n", empty_dir, cfg->depth);
        return 0;
    }
    if (empty_dir && !cfg->nrepos && !cfg->nrepo_files)
        strbuf_printf(err, "repopool: no git repositories under %s (--depth %u)", empty_dir, cfg->depth);
    else if (cfg->nrepo_files == 1 && !cfg->nrepos && !cfg->nscan_dirs)
        strbuf_printf(err, "repopool: %s lists no repositories",
                      strcmp(cfg->repo_files[0], "-") == 0 ? "standard input" : cfg->repo_files[0]);
    else
        strbuf_puts(err, "repopool: no repositories to work on");
    return -1;
}

/* Each running command holds a pipe; let a large cap have the descriptors
 * it needs without the user raising limits by hand. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int run_repopool(const struct config *cfg)
{
    struct strbuf err;
    strbuf_init(&err);
    struct repo_list repos;
    repos_init(&repos);
    if (gather_repos(cfg, &repos, &err) < 0) {
        repos_free(&repos);
        return usage_failure(&err);
    }

    uint64_t seed = cfg->seed_given ? cfg->seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    struct sched_config sc = {
        .cap = cfg->jobs,
        .max_cap = cfg->max_jobs,
        .rate = cfg->rate,
        .clock_step = RUNNER_CLOCK_STEP,
        .retries = cfg->retries,
        .timeout = cfg->timeout,
        .seed = seed ^ 0x5eed,
    };

    struct report rep;
    const char *op = cfg->work == WORK_DEMO ? "demo" : cfg->work == WORK_COMMAND ? "command" : cfg->git_op->name;
    report_init(&rep, stdout, cfg->json ? REPORT_JSON : REPORT_LINES, cfg->quiet, op);
    if (cfg->joblog && report_open_joblog(&rep, cfg->joblog, &err) < 0) {
        report_close(&rep);
        repos_free(&repos);
        return usage_failure(&err);
    }

    bool terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool use_tui = cfg->tui == TUI_ON || (cfg->tui == TUI_AUTO && terminal);
    if (use_tui && !terminal) {
        strbuf_puts(&err, "repopool: --tui needs a terminal on stdin and stdout");
        report_close(&rep);
        repos_free(&repos);
        return usage_failure(&err);
    }

    raise_fd_limit();
    /* Once, before any worker thread exists. */
    if (cfg->work == WORK_GIT)
        git_libgit2_init();
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct runner runner;
    int status = 1;
    int rc = runner_init(&runner, &loop, &sc, &repos, &rep);
    struct backend *backend = NULL;
    if (rc == 0) {
        if (cfg->work == WORK_DEMO) {
            struct demo_options demo = {
                .mean = cfg->demo_mean,
                .fail = cfg->demo_fail,
                .capacity = cfg->demo_capacity.nhosts ? &cfg->demo_capacity : NULL,
                .hosts = cfg->demo_hosts,
                .seed = seed,
            };
            backend = demo_backend_new(&runner, &loop, &demo);
        } else if (cfg->work == WORK_GIT) {
            struct gitop_options git = {
                .op = cfg->git_op,
                .remote = cfg->remote,
                .fetch_with_git = cfg->fetch_with_git,
                .stall_timeout = cfg->stall_timeout,
                .child_timeout = cfg->timeout,
            };
            backend = gitop_backend_new(&runner, &loop, &git);
        } else {
            struct proc_options proc = {
                .argv = cfg->command,
                .argc = cfg->ncommand,
                .shell = cfg->shell,
                .kill_grace = KILL_GRACE_SECONDS,
                .drain_grace = DRAIN_GRACE_SECONDS,
            };
            backend = proc_backend_new(&runner, &loop, &proc);
        }
        struct tui *tui = NULL;
        if (backend && use_tui) {
            runner.keep_output = true; /* the log view shows it */
            rep.deferred = true;
            tui = tui_start(&loop, &runner, cfg->exit_when_done, &err);
            if (!tui) {
                /* A terminal curses cannot drive: go on headless. */
                fprintf(stderr, "%s\n", err.data);
                rep.deferred = false;
                runner.keep_output = false;
            }
        }
        if (backend)
            status = runner_run(&runner, backend);
        else
            fprintf(stderr, "repopool: cannot start the git worker threads\n");
        if (tui) {
            tui_free(tui);
            rep.deferred = false;
            report_problems(&rep, &runner.sched, &repos);
        }
        if (backend)
            report_summary(&rep, &runner.sched, runner.ended_at >= 0 ? runner.ended_at : runner_now(&runner),
                           runner.interrupted_by);
        runner_free(&runner);
    } else {
        fprintf(stderr, "repopool: %s\n", uv_strerror(rc));
    }

    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "repopool: internal error: handles left open at exit\n");
    if (cfg->work == WORK_GIT)
        git_libgit2_shutdown();
    report_close(&rep);
    /* After the summary and the job log's last lines: output that could not
     * be written is a failed run, and a reader that went away is one as
     * for SIGPIPE; an interruption keeps its own status. */
    if (report_reader_gone(&rep) && (status == 0 || status == 1))
        status = 128 + SIGPIPE;
    else if (report_write_failed(&rep) && status == 0)
        status = 1;
    repos_free(&repos);
    strbuf_free(&err);
    return status;
}
