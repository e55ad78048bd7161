#include "repopool/run.h"

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
#include "repopool/gitinfo.h"
#include "repopool/statustable.h"
#include "repopool/feed.h"
#include "repopool/git.h"
#include "repopool/gitremote.h"
#include "repopool/groupsel.h"
#include "repopool/proc.h"
#include "repopool/pathres.h"
#include "repopool/repos.h"
#include "repopool/report.h"
#include "repopool/runhistory.h"
#include "repopool/runner.h"
#include "repopool/sources.h"
#include "repopool/tui.h"

#define EXIT_USAGE 2
#define KILL_GRACE_SECONDS 2.0
#define DRAIN_GRACE_SECONDS 0.25

/* Between the feed's thread and the run: entries become tasks. */
struct intake {
    struct repo_list *repos;
    struct runner *runner; /* NULL until the run begins */
    struct feed *feed;
    bool deferred;         /* the dashboard is up: messages wait for it */
    struct strbuf refused; /* why a list was refused during the run */
    /* Each repository's last duration, as it joins (runhistory.h). */
    const struct runhistory *history;
    struct estimates *estimates;
    /* --order=longest: nothing starts before the whole list is read, so
     * the longest task starts first wherever the list names it. */
    bool start_at_end;
};

/* Whether tasks have hosts found from their repository: a git operation
 * that talks to a remote (that remote's host), a command with per-host
 * limits (origin's). Demo tasks have theirs from the simulated server. */
static bool resolve_hosts(const struct config *cfg)
{
    if (cfg->work == WORK_GIT)
        return cfg->git_op->needs_network;
    return cfg->work == WORK_COMMAND && (cfg->per_host || cfg->adaptive);
}

/* On the feed's thread. */
static bool host_of_repo(void *ctx, const char *path, char *host, size_t cap)
{
    const struct config *cfg = ctx;
    bool git = cfg->work == WORK_GIT;
    return gitremote_host(path, git ? cfg->remote : NULL, git && cfg->git_op->follows_upstream, host, cap);
}

static void on_feed_entry(void *ctx, const struct feed_entry *e)
{
    struct intake *in = ctx;
    if (!in->runner)
        return;
    uint32_t i = e->error ? repos_add_raw(in->repos, e->text, e->len, e->error)
                          : repos_add_resolved(in->repos, e->text, e->len, &e->id);
    if (i == REPOS_NONE)
        return;
    if (in->history->npast && !e->error)
        estimates_set(in->estimates, i, runhistory_duration(in->history, e->text));
    uint32_t id = runner_add_task(in->runner, i);
    if (id != SCHED_NONE && e->host)
        sched_set_host(&in->runner->sched, id, runner_host(in->runner, e->host));
}

static void on_feed_batch(void *ctx)
{
    struct intake *in = ctx;
    if (!in->runner)
        return;
    if (in->start_at_end)
        runner_changed(in->runner); /* shown as queued, started at the end */
    else
        runner_tasks_added(in->runner);
}

static void on_feed_end(void *ctx, const char *error)
{
    struct intake *in = ctx;
    if (!in->runner)
        return;
    if (error) {
        /* Tasks of the list already run: what is queued is cancelled,
         * what runs ends in its time, and the exit status says 2. */
        strbuf_puts(&in->refused, error);
        if (!in->deferred)
            fprintf(stderr, "%s\n", error);
        runner_refuse_rest(in->runner);
    }
    runner_source_ended(in->runner);
}

static void stop_feed(void *ctx)
{
    struct intake *in = ctx;
    feed_stop(in->feed);
}

/* Ends a feed the run will not use: stops its thread and lets the loop
 * close its handle. */
static void abandon_feed(struct feed *feed, uv_loop_t *loop)
{
    if (!feed)
        return;
    feed_stop(feed);
    uv_run(loop, UV_RUN_DEFAULT);
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

/*
 * The repositories, up to the moment the run can begin: the demo's names,
 * or the feed started and waited for until its first entry is there (or
 * it ended). So a list that names nothing is still the usage error it
 * always was, with nothing on stdout, and a list refused on its first
 * line still runs nothing; but a long list no longer holds back the
 * first task. Returns 0, or -1 with the message in err (the feed then
 * stopped and its handle closed).
 */
static int begin_sources(const struct config *cfg, bool use_tui, struct repo_list *repos, struct feed **feedp,
                         uv_loop_t *loop, struct intake *in, struct strbuf *err)
{
    if (cfg->work == WORK_DEMO) {
        for (unsigned i = 1; i <= cfg->demo_count; i++) {
            char name[32];
            int n = snprintf(name, sizeof(name), "demo-%u", i);
            repos_add_raw(repos, name, (size_t)n, NULL);
        }
        return 0;
    }
    char *cwd = pathres_cwd();
    struct feed *feed = feed_new(cwd);
    free(cwd);
    const char *empty_dir = NULL;
    struct source_sink sink = sources_into_feed(feed);
    if (sources_gather(cfg, &sink, &empty_dir, err) < 0) {
        feed_free(feed);
        return -1;
    }
    in->feed = feed;
    struct feed_callbacks cb = {
        .entry = on_feed_entry, .batch_done = on_feed_batch, .end = on_feed_end, .ctx = in,
    };
    if (resolve_hosts(cfg))
        feed_resolve_hosts(feed, host_of_repo, (void *)cfg);
    int rc = feed_start(feed, loop, &cb);
    if (rc < 0) {
        strbuf_printf(err, "repopool: cannot start reading the repositories: %s", uv_strerror(rc));
        abandon_feed(feed, loop);
        feed_free(feed);
        return -1;
    }
    /* A list typed on the terminal is read to its end before the
     * dashboard takes the terminal's keys. */
    bool typed = false;
    for (size_t i = 0; i < cfg->nrepo_files; i++)
        typed |= strcmp(cfg->repo_files[i], "-") == 0 && use_tui && isatty(STDIN_FILENO);
    struct feed_progress p = feed_wait(feed, typed);
    if (p.error || !p.entries) {
        if (p.error)
            strbuf_puts(err, p.error);
        else
            sources_say_nothing(cfg, empty_dir, err);
        abandon_feed(feed, loop);
        feed_free(feed);
        return -1;
    }
    /* There is something to run, so a scan that found nothing is only
     * worth a word. */
    if (empty_dir)
        fprintf(stderr, "repopool: no git repositories under %s (--depth %u)\n", empty_dir, cfg->depth);
    *feedp = feed;
    return 0;
}

/* Demo task number i talks to simulated host i mod N: "demo", or
 * "demo-host-1".. when there are several. */
static void assign_demo_hosts(struct runner *r, const struct config *cfg)
{
    uint16_t ids[DEMO_MAX_HOSTS];
    for (unsigned h = 0; h < cfg->demo_hosts; h++) {
        char name[32];
        if (cfg->demo_hosts == 1)
            snprintf(name, sizeof(name), "demo");
        else
            snprintf(name, sizeof(name), "demo-host-%u", h + 1);
        ids[h] = runner_host(r, name);
    }
    for (uint32_t id = 0; id < r->sched.ntasks; id++)
        sched_set_host(&r->sched, id, ids[sched_task(&r->sched, id)->repo % cfg->demo_hosts]);
}

/* Commands are run for what they print, as with xargs and GNU parallel:
 * all of it by default. A git operation's line says what it did. */
static enum report_output report_output_of(const struct config *cfg)
{
    switch (cfg->output) {
    case OUTPUT_ALL:
        return REPORT_OUTPUT_ALL;
    case OUTPUT_NONE:
        return REPORT_OUTPUT_NONE;
    case OUTPUT_LAST:
        return REPORT_OUTPUT_LAST;
    default:
        return cfg->work == WORK_COMMAND ? REPORT_OUTPUT_ALL : REPORT_OUTPUT_LAST;
    }
}

/* A task ended with something in its repository that needs attention
 * (--fail-on-attention). */
static bool any_attention(const struct sched *s)
{
    for (uint32_t id = 0; id < s->ntasks; id++) {
        const struct task *t = sched_task(s, id);
        if (t->git && t->state == TASK_OK && gitinfo_attention(t->git))
            return true;
    }
    return false;
}

uint64_t run_seed(const struct config *cfg)
{
    return cfg->seed_given ? cfg->seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

struct sched_config run_sched_config(const struct config *cfg, uint64_t seed)
{
    return (struct sched_config){
        .cap = cfg->jobs,
        .max_cap = cfg->max_jobs,
        .rate = cfg->rate,
        .clock_step = RUNNER_CLOCK_STEP,
        .retries = cfg->retries,
        .timeout = cfg->timeout,
        .seed = seed ^ 0x5eed,
        .per_host = cfg->per_host,
        .adaptive = cfg->adaptive,
        .heaviest_first = cfg->order_longest,
    };
}

/* A run of cfg, which the history rh reads for and records. */
static int run_with(const struct config *cfg, struct runhistory *rh)
{
    struct strbuf err;
    strbuf_init(&err);
    struct repo_list repos;
    repos_init(&repos);
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct feed *feed = NULL;
    struct estimates estimates;
    estimates_init(&estimates);
    struct intake in = {.repos = &repos, .history = rh, .estimates = &estimates,
                        .start_at_end = cfg->order_longest};
    strbuf_init(&in.refused);
    struct runner runner;
    int status = EXIT_USAGE;
    /* Once, before any thread exists (the feed's finds hosts with it). */
    if (cfg->work == WORK_GIT || resolve_hosts(cfg))
        git_libgit2_init();
    bool terminal = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    bool use_tui = cfg->tui == TUI_ON || (cfg->tui == TUI_AUTO && terminal);
    /* Past durations order the run, and the dashboard shows them; a
     * headless run in the given order has no use for them. */
    if (cfg->order_longest || use_tui)
        runhistory_load_durations(rh);
    if (begin_sources(cfg, use_tui, &repos, &feed, &loop, &in, &err) < 0) {
        fprintf(stderr, "%s\n", err.data ? err.data : "repopool: invalid arguments");
        goto out;
    }

    uint64_t seed = run_seed(cfg);
    struct sched_config sc = run_sched_config(cfg, seed);

    struct report rep;
    const char *op = cfg->work == WORK_DEMO ? "demo" : cfg->work == WORK_COMMAND ? "command" : cfg->git_op->name;
    report_init(&rep, stdout, cfg->json ? REPORT_JSON : REPORT_LINES, cfg->quiet, op);
    rep.output = report_output_of(cfg);
    /* Headless status is one table at the end, as gita's ll. */
    rep.status_table = !cfg->json && cfg->work == WORK_GIT && strcmp(cfg->git_op->name, "status") == 0;
    rep.hosts = &runner.hosts;
    if (cfg->joblog && report_open_joblog(&rep, cfg->joblog, &err) < 0) {
        fprintf(stderr, "%s\n", err.data);
        goto out_report;
    }
    if (use_tui && !terminal) {
        fprintf(stderr, "repopool: --tui needs a terminal on stdin and stdout\n");
        goto out_report;
    }

    raise_fd_limit();
    status = 1;
    int rc = runner_init(&runner, &loop, &sc, &repos, &rep);
    struct backend *backend = NULL;
    if (rc == 0) {
        if (rh->npast)
            runner.estimates = &estimates;
        if (cfg->work == WORK_DEMO) {
            struct demo_options demo = {
                .mean = cfg->demo_mean,
                .fail = cfg->demo_fail,
                .capacity = cfg->demo_capacity.nhosts ? &cfg->demo_capacity : NULL,
                .hosts = cfg->demo_hosts,
                .seed = seed,
            };
            backend = demo_backend_new(&runner, &loop, &demo);
            assign_demo_hosts(&runner, cfg);
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
        if (backend && feed) {
            /* From here on, the feed's entries are tasks. */
            in.runner = &runner;
            runner_source_open(&runner, stop_feed, &in);
        }
        struct tui *tui = NULL;
        if (backend && use_tui) {
            runner.keep_output = true; /* the log view shows it */
            rep.deferred = true;
            rep.status_table = false;
            in.deferred = true;
            tui = tui_start(&loop, &runner, cfg->exit_when_done, &err);
            if (!tui) {
                /* A terminal curses cannot drive: go on headless. */
                fprintf(stderr, "%s\n", err.data);
                rep.deferred = false;
                in.deferred = false;
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
            if (in.refused.len)
                fprintf(stderr, "%s\n", in.refused.data);
        } else if (backend && rep.status_table) {
            status_table_write(&rep, &runner.sched, &repos);
        }
        if (status == 0 && cfg->fail_on_attention && any_attention(&runner.sched))
            status = 1;
        if (backend)
            report_summary(&rep, &runner.sched, runner.ended_at >= 0 ? runner.ended_at : runner_now(&runner),
                           runner.interrupted_by);
        /* A list refused halfway is a usage error, whatever ran of it;
         * an interruption keeps its own status. */
        if (in.refused.len && (status == 0 || status == 1))
            status = EXIT_USAGE;
        in.runner = NULL;
        if (!backend)
            abandon_feed(feed, &loop);
    } else {
        fprintf(stderr, "repopool: %s\n", uv_strerror(rc));
        abandon_feed(feed, &loop);
    }
    /* After the summary and the job log's last lines: output that could not
     * be written is a failed run, and a reader that went away is one as
     * for SIGPIPE; an interruption keeps its own status. */
    report_close(&rep);
    if (report_reader_gone(&rep) && (status == 0 || status == 1))
        status = 128 + SIGPIPE;
    else if (report_write_failed(&rep) && status == 0)
        status = 1;
    /* Last, with the exit status: the summary is out, so the user never
     * waits for the database. */
    if (backend)
        runhistory_record(rh, cfg, &runner.sched, &repos, status);
    if (rc == 0)
        runner_free(&runner);
    goto out;

out_report:
    report_close(&rep);
    abandon_feed(feed, &loop);
out:
    if (uv_loop_close(&loop) != 0)
        fprintf(stderr, "repopool: internal error: handles left open at exit\n");
    feed_free(feed);
    if (cfg->work == WORK_GIT || resolve_hosts(cfg))
        git_libgit2_shutdown();
    repos_free(&repos);
    estimates_free(&estimates);
    strbuf_free(&in.refused);
    strbuf_free(&err);
    return status;
}

/*
 * --rerun-failed: the whole selection is resolved now (reading its lists
 * and scanning its directories), so that the run of the same selection is
 * found in the history; then the run is of the paths that did not end ok
 * there, in place of the sources. Returns 1 to run, 0 when nothing is
 * to be rerun, -1 on an error (err says which).
 */
static int narrow_to_failed(struct config *cfg, struct runhistory *rh, struct strbuf *err)
{
    struct repo_list all;
    repos_init(&all);
    const char *empty_dir = NULL;
    struct source_sink sink = sources_into_list(&all);
    int rc = sources_gather(cfg, &sink, &empty_dir, err);
    if (rc == 0 && repos_count(&all) == 0) {
        sources_say_nothing(cfg, empty_dir, err);
        rc = -1;
    }
    if (rc == 0)
        rc = runhistory_rerun(rh, &all, err);
    repos_free(&all);
    if (rc == 1) {
        cfg->repos = rh->rerun;
        cfg->nrepos = rh->nrerun;
        cfg->repo_files = cfg->scan_dirs = NULL;
        cfg->nrepo_files = cfg->nscan_dirs = 0;
        cfg->ngroups = 0;
    }
    return rc;
}

int run_repopool(const struct config *given)
{
    struct strbuf err;
    strbuf_init(&err);
    struct groupsel gs;
    struct runhistory rh;
    int status = EXIT_USAGE;
    if (groupsel_apply(given, &gs, &err) == 0) {
        struct config cfg = gs.cfg;
        runhistory_init(&rh, &cfg);
        int go = cfg.rerun_failed ? narrow_to_failed(&cfg, &rh, &err) : 1;
        if (go < 0) {
            status = EXIT_USAGE;
        } else if (go == 0) {
            status = 0;
            fprintf(stderr, "%s\n", err.data);
            strbuf_reset(&err);
        } else {
            status = run_with(&cfg, &rh);
        }
        runhistory_free(&rh);
    }
    if (err.len)
        fprintf(stderr, "%s\n", err.data);
    groupsel_free(&gs);
    strbuf_free(&err);
    return status;
}
