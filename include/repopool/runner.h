/*
 * The runner: one libuv loop on the main thread that wires the scheduler to
 * a backend and to the report. It asks the scheduler what to start, starts it
 * through the backend, records what came back, and turns signals into cap
 * changes (SIGUSR1/SIGUSR2) or an orderly stop (SIGINT, SIGTERM, SIGHUP).
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_RUNNER_H
#define REPOPOOL_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "repopool/backend.h"
#include "repopool/estimate.h"
#include "repopool/hostnames.h"
#include "repopool/outbudget.h"
#include "repopool/repos.h"
#include "repopool/report.h"
#include "repopool/sched.h"
#include "repopool/stats.h"

/* The runner's clock and timers move in milliseconds, and a timer set for
 * one fires within two: the step between two wake-ups of a busy pool. */
#define RUNNER_CLOCK_STEP 0.002

/* SIGUSR1, SIGUSR2, SIGINT, SIGTERM, SIGHUP. */
#define RUNNER_SIGNALS 5

struct runner {
    uv_loop_t *loop;
    struct sched sched;
    struct stats stats;
    const struct repo_list *repos; /* a task works on entry task.repo */
    struct backend *backend;
    struct report *report;
    struct host_names hosts; /* names of the scheduler's hosts */
    /* What each repository took last time (the history's), or NULL: the
     * weight --order=longest starts tasks by, and the dashboard's ETA. */
    struct estimates *estimates;
    bool keep_output;      /* keep captured output after a task ends */
    size_t output_limit;   /* bytes of output kept per task */
    /* With keep_output: every task's output together, oldest ends dropped
     * first past the limit (64 MiB unless set). Freed by the last end of a
     * run nobody holds open, or by the view holding it open. */
    struct outbudget out_budget;

    uv_timer_t wake_timer;  /* the scheduler's next wake-up */
    uv_timer_t exit_timer;  /* a hard deadline after a second interrupt */
    uv_prepare_t flusher;   /* flushes the report before the loop waits */
    uv_idle_t yield;        /* resumes starting after a spent turn */
    uint64_t turn_started_ns; /* first start of this loop turn; 0: none yet */
    uv_signal_t signals[RUNNER_SIGNALS]; /* one per handled signal, in runner.c's order */
    uint64_t t0_ms;         /* uv_now() at the start */
    /* Where a starting and an ending task's path is built: reused, so the
     * hot paths allocate nothing. */
    struct strbuf start_path, end_path;

    int interrupted_by;     /* the first stopping signal, or 0 */
    int hold_error;         /* why a start last failed for want of resources */
    bool hold_announced;    /* that has been said */
    bool in_pump, pump_again;
    bool finished;          /* closed: no task will run again */
    /* A source (a list still being read) may add tasks: the run does not
     * end before it says it is done. source_stop tells it to stop when the
     * run is stopped. */
    bool source_open;
    void (*source_stop)(void *ctx);
    void *source_ctx;
    double ended_at;        /* when every task had ended; -1 before */

    /* A view (the dashboard) that outlives the tasks: while hold_open is
     * set, the runner stays open when every task has ended (a failed task
     * may still be retried) until runner_close. */
    bool hold_open;
    void (*on_change)(void *ctx); /* after anything a view shows changed */
    void (*on_abort)(void *ctx);  /* just before an exit without cleanup */
    void *view_ctx;
};

/* Queues a task for each entry already in repos; later entries are added
 * with runner_add_task. */
int runner_init(struct runner *r, uv_loop_t *loop, const struct sched_config *cfg,
                const struct repo_list *repos, struct report *report);
/* Runs every task to its end (and until a view holding it open lets go);
 * returns the exit status of the run. The backend is closed before this
 * returns. The caller prints the summary (report_summary). */
int runner_run(struct runner *r, struct backend *backend);
void runner_free(struct runner *r);

/*
 * Tasks added while the run goes on, from a list still being read. Before
 * runner_run, runner_source_open says that tasks will come: until
 * runner_source_ended, the run does not end when every task so far has
 * (and the dashboard's ETA is unknown). stop is called when the run is
 * stopped first (a signal, q in the dashboard, a reader gone), so the
 * source stops reading; it still ends with runner_source_ended.
 */
void runner_source_open(struct runner *r, void (*stop)(void *ctx), void *ctx);
/* Queues a task for entry repo of the list; returns its id, or SCHED_NONE
 * when the run takes no more (stopped, or out of ids). Starts nothing:
 * call runner_tasks_added after a batch. */
uint32_t runner_add_task(struct runner *r, uint32_t repo);
/* The scheduler's id of the host named name, added on first use; 0 when
 * no more hosts fit. */
uint16_t runner_host(struct runner *r, const char *name);
void runner_tasks_added(struct runner *r);
void runner_source_ended(struct runner *r);
/* The source was refused halfway (a list that turned out not to be one):
 * nothing more starts and the tasks still queued end cancelled, while
 * running ones go on to their end, since killing work halfway through
 * changing a repository would be worse than the missing rest. */
void runner_refuse_rest(struct runner *r);

/* Every task has ended and no source can add more. */
static inline bool runner_done(const struct runner *r)
{
    return !r->source_open && sched_all_final(&r->sched);
}

/* Seconds since the run started. */
double runner_now(const struct runner *r);

/* Control, for views: each reports and acts as the signals do. */
void runner_set_cap(struct runner *r, unsigned cap, const char *by);
void runner_cancel_task(struct runner *r, uint32_t id);
/* Queues a failed or cancelled task again; false when it cannot be. */
bool runner_retry_task(struct runner *r, uint32_t id);
/* Stops the run: nothing new starts, queued tasks are cancelled, running
 * ones are stopped. */
void runner_stop(struct runner *r);
/* Closes a held-open runner once every task has ended. */
void runner_close(struct runner *r);

/* Called by backends when an attempt ends. */
void runner_attempt_done(struct runner *r, uint32_t id, const struct attempt_result *res);
/* Called by backends to keep output the task printed. */
void runner_capture(struct runner *r, struct task *t, const char *data, size_t n);
/* Called by backends when something a view shows changed (progress). */
void runner_changed(struct runner *r);

#endif
