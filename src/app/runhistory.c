#include "repopool/runhistory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "repopool/array.h"
#include "repopool/history.h"
#include "repopool/runkey.h"
#include "repopool/xalloc.h"

static double wall_clock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void runhistory_init(struct runhistory *rh, const struct config *cfg)
{
    memset(rh, 0, sizeof(*rh));
    strbuf_init(&rh->work);
    strbuf_init(&rh->selection);
    rh->started = wall_clock();
    rh->on = !cfg->no_history && runkey_work(cfg, &rh->work);
    if (!rh->on)
        return;
    struct strbuf path;
    strbuf_init(&path);
    if (history_default_path(&path))
        rh->path = strbuf_detach(&path);
    strbuf_free(&path);
}

void runhistory_free(struct runhistory *rh)
{
    for (size_t i = 0; i < rh->npast; i++)
        free(rh->past[i].path);
    free(rh->past);
    for (size_t i = 0; i < rh->nrerun; i++)
        free(rh->rerun[i]);
    free(rh->rerun);
    free(rh->path);
    strbuf_free(&rh->work);
    strbuf_free(&rh->selection);
    memset(rh, 0, sizeof(*rh));
}

/* Says what went wrong, once: from then on the run leaves the database
 * alone. */
static void give_up(struct runhistory *rh, const char *why)
{
    if (!rh->given_up)
        fprintf(stderr, "%s (the run goes on without it)\n", why);
    rh->given_up = true;
}

/* The database, or NULL with why in warn. */
static struct history *try_open(struct runhistory *rh, struct strbuf *warn)
{
    if (!rh->path) {
        strbuf_puts(warn, "repopool: no history: neither $XDG_STATE_HOME nor $HOME is set");
        return NULL;
    }
    return history_open(rh->path, warn);
}

/* The database, or NULL (and the warning given) when it cannot be used. */
static struct history *open_db(struct runhistory *rh)
{
    if (!rh->on || rh->given_up)
        return NULL;
    struct strbuf warn;
    strbuf_init(&warn);
    struct history *h = try_open(rh, &warn);
    if (!h)
        give_up(rh, warn.data);
    strbuf_free(&warn);
    return h;
}

static void keep_duration(void *ctx, const char *repo, double seconds)
{
    struct runhistory *rh = ctx;
    array_reserve((void **)&rh->past, &rh->past_cap, rh->npast + 1, sizeof(*rh->past));
    rh->past[rh->npast++] = (struct past_duration){xstrdup(repo), seconds};
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct past_duration *)a)->path, ((const struct past_duration *)b)->path);
}

void runhistory_load_durations(struct runhistory *rh)
{
    struct history *h = open_db(rh);
    if (!h)
        return;
    struct strbuf warn;
    strbuf_init(&warn);
    if (history_last_durations(h, rh->work.data, keep_duration, rh, &warn) < 0)
        give_up(rh, warn.data);
    if (rh->npast)
        qsort(rh->past, rh->npast, sizeof(*rh->past), by_path);
    strbuf_free(&warn);
    history_close(h);
}

double runhistory_duration(const struct runhistory *rh, const char *path)
{
    struct past_duration key = {(char *)path, 0};
    const struct past_duration *found = rh->npast ? bsearch(&key, rh->past, rh->npast, sizeof(*rh->past), by_path)
                                                  : NULL;
    return found ? found->seconds : -1;
}

static void keep_failed(void *ctx, const char *repo)
{
    struct runhistory *rh = ctx;
    rh->rerun = xrealloc(rh->rerun, (rh->nrerun + 1) * sizeof(*rh->rerun));
    rh->rerun[rh->nrerun++] = xstrdup(repo);
}

int runhistory_rerun(struct runhistory *rh, const struct repo_list *all, struct strbuf *err)
{
    runkey_selection(all, &rh->selection);
    /* Without the history there is nothing to go by: said as the error
     * it is for this run, not as a warning. */
    struct history *h = try_open(rh, err);
    if (!h)
        return -1;
    int found = history_failed_last(h, rh->work.data, rh->selection.data, keep_failed, rh, err);
    history_close(h);
    if (found < 0)
        return -1;
    if (found == 0) {
        strbuf_printf(err, "repopool: --rerun-failed: no earlier run over these %zu repositories (%s)",
                      repos_count(all), rh->work.data);
        return -1;
    }
    if (rh->nrerun == 0) {
        strbuf_printf(err, "repopool: nothing to rerun: every task of the last run over these repositories ended ok (%s)",
                      rh->work.data);
        return 0;
    }
    return 1;
}

struct task_rows {
    const struct sched *s;
    const struct repo_list *repos;
    uint32_t next;
    struct strbuf path;
};

static bool next_task(void *ctx, struct history_task *row)
{
    struct task_rows *tr = ctx;
    if (tr->next >= tr->s->ntasks)
        return false;
    const struct task *t = sched_task(tr->s, tr->next++);
    *row = (struct history_task){
        .repo = repos_path(tr->repos, t->repo, &tr->path),
        .status = task_state_name((enum task_state)t->state),
        .cls = rp_class_name((enum rp_class)t->cls),
        .attempts = t->attempt,
        .duration = t->attempt ? t->end - t->start : 0,
        .bytes = t->progress_bytes,
    };
    if (!row->repo)
        row->repo = "";
    return true;
}

void runhistory_record(struct runhistory *rh, const struct config *cfg, const struct sched *s,
                       const struct repo_list *repos, int status)
{
    struct history *h = open_db(rh);
    if (!h)
        return;
    if (rh->selection.len == 0)
        runkey_selection(repos, &rh->selection);
    struct strbuf args, warn;
    strbuf_init(&args);
    strbuf_init(&warn);
    runkey_args(cfg->argc, cfg->argv, &args);
    struct history_run run = {
        .started = rh->started,
        .ended = wall_clock(),
        .args = args.data,
        .work = rh->work.data,
        .selection = rh->selection.data,
        .ok = s->counts[TASK_OK],
        .failed = s->counts[TASK_FAILED],
        .skipped = s->counts[TASK_SKIPPED],
        .cancelled = s->counts[TASK_CANCELLED],
        .exit_status = status,
    };
    struct task_rows rows = {.s = s, .repos = repos};
    strbuf_init(&rows.path);
    if (history_record(h, &run, next_task, &rows, &warn) < 0)
        give_up(rh, warn.data);
    strbuf_free(&rows.path);
    strbuf_free(&args);
    strbuf_free(&warn);
    history_close(h);
}
