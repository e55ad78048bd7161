#include "repopool/git.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/gitops.h"
#include "repopool/list.h"
#include "repopool/runner.h"
#include "repopool/workers.h"
#include "repopool/xalloc.h"

#define WATCHDOG_TICK_MS 500
#define INTERRUPT_AFTER_SECONDS 2.0

struct gitop_job {
    struct work_item item;
    struct gitop_backend *gb;
    struct task *task;
    struct list_link live; /* in gb->live until its end is reported */
    uint32_t id;
    char *path;
    atomic_bool cancel;
    atomic_bool stalled;         /* the watchdog stopped it */
    atomic_ullong last_heard_ns; /* uv_hrtime() of the last callback */
    double cancel_at;            /* runner time the stop was asked; 0: not */
    /* The thread running it, while it runs; guarded by gb->thread_lock. */
    pthread_t thread;
    bool on_thread;
    struct gitop_progress progress;
    struct gitop_request req;
    struct gitop_outcome out;
};

struct gitop_backend {
    struct backend base;
    struct gitop_options opt;
    struct workers workers;
    uv_mutex_t thread_lock;
    uv_timer_t watchdog;
    struct list live;
    int open_handles;
    char self[PATH_MAX]; /* this program, for the joblog */
};

static void on_interrupt(int signum)
{
    /* Nothing to do: its only job is to make a blocking call return EINTR. */
    (void)signum;
}

static void note_heard(void *ctx)
{
    struct gitop_job *job = ctx;
    atomic_store(&job->last_heard_ns, uv_hrtime());
    workers_note_progress(&job->gb->workers);
}

static void job_run(struct work_item *item)
{
    struct gitop_job *job = (struct gitop_job *)item;
    struct gitop_backend *gb = job->gb;
    uv_mutex_lock(&gb->thread_lock);
    job->thread = pthread_self();
    job->on_thread = true;
    uv_mutex_unlock(&gb->thread_lock);

    gitop_run(&job->req, &job->out);

    uv_mutex_lock(&gb->thread_lock);
    job->on_thread = false;
    uv_mutex_unlock(&gb->thread_lock);
}

static void job_free(struct gitop_job *job)
{
    gitop_outcome_free(&job->out);
    free(job->path);
    free(job);
}

static void job_done(struct work_item *item)
{
    struct gitop_job *job = (struct gitop_job *)item;
    struct gitop_backend *gb = job->gb;
    list_remove(&job->live);
    job->task->backend_data = NULL;

    /* What the remote or a git child printed becomes the task's output. */
    size_t n = job->out.output.len;
    char *text = n ? xmalloc(n) : NULL;
    if (text)
        n = outbuf_copy(&job->out.output, text, n);
    struct attempt_result res = {
        .status = job->out.status,
        .cls = job->out.cls,
        .exit_code = -1,
        .summary = job->out.summary.data,
        .summary_len = job->out.summary.len,
        .output = text,
        .output_len = text ? n : 0,
        .git = job->out.has_info ? &job->out.info : NULL,
    };
    char stalled[96];
    if (atomic_load(&job->stalled)) {
        res.status = TASK_FAILED;
        res.cls = RP_CLASS_TIMEOUT;
        int len = snprintf(stalled, sizeof(stalled), "stalled: nothing from the remote for %gs",
                           gb->opt.stall_timeout);
        res.summary = stalled;
        res.summary_len = (size_t)len;
    }
    runner_attempt_done(gb->base.runner, job->id, &res);
    free(text);
    job_free(job);
}

/* Copies live transfer figures into the task records, for the views. */
static void on_progress(void *ctx)
{
    struct gitop_backend *gb = ctx;
    LIST_FOR_EACH_SAFE(&gb->live, it, next) {
        struct gitop_job *job = LIST_ENTRY(it, struct gitop_job, live);
        struct task *t = job->task;
        t->progress_objects = atomic_load(&job->progress.objects);
        t->progress_total = atomic_load(&job->progress.total_objects);
        t->progress_bytes = atomic_load(&job->progress.bytes);
    }
    runner_changed(gb->base.runner);
}

/* The operation on path as the options ask for it, without the attempt's
 * own parts (the cancel flag, progress). */
static struct gitop_request request_for(const struct gitop_backend *gb, const char *path)
{
    return (struct gitop_request){
        .op = gb->opt.op,
        .path = path,
        .remote = gb->opt.remote,
        .fetch_with_git = gb->opt.fetch_with_git,
        .child_timeout = gb->opt.child_timeout,
    };
}

static int gitop_start(struct backend *b, uint32_t id, struct task *t, const char *path,
                       struct attempt_result *fail)
{
    struct gitop_backend *gb = (struct gitop_backend *)b;
    struct gitop_job *job = xcalloc(1, sizeof(*job));
    char *copy = xstrdup(path);
    job->item.run = job_run;
    job->item.done = job_done;
    job->gb = gb;
    job->task = t;
    job->id = id;
    job->path = copy;
    atomic_init(&job->cancel, false);
    atomic_init(&job->stalled, false);
    atomic_init(&job->last_heard_ns, uv_hrtime());
    gitop_outcome_init(&job->out);
    job->req = request_for(gb, job->path);
    job->req.cancel = &job->cancel;
    job->req.progress = &job->progress;
    job->req.note_progress = note_heard;
    job->req.ctx = job;
    int rc = workers_submit(&gb->workers, &job->item);
    if (rc < 0) {
        job_free(job);
        *fail = (struct attempt_result){.status = TASK_FAILED, .cls = RP_CLASS_INTERNAL, .exit_code = -1,
                                        .summary = "cannot start a worker thread",
                                        .summary_len = strlen("cannot start a worker thread")};
        return rc;
    }
    /* Its end comes through the loop's async callback, never before this
     * returns. */
    list_push(&gb->live, &job->live);
    t->backend_data = job;
    return 0;
}

static void stop_job(struct gitop_job *job)
{
    if (job->cancel_at == 0)
        job->cancel_at = runner_now(job->gb->base.runner);
    atomic_store(&job->cancel, true);
}

static void gitop_cancel(struct backend *b, uint32_t id, struct task *t)
{
    (void)b;
    (void)id;
    if (t->backend_data)
        stop_job(t->backend_data);
}

static void gitop_kill_all(struct backend *b)
{
    struct gitop_backend *gb = (struct gitop_backend *)b;
    LIST_FOR_EACH_SAFE(&gb->live, it, next) {
        struct gitop_job *job = LIST_ENTRY(it, struct gitop_job, live);
        stop_job(job);
        /* No grace: a cancel time long past makes the next tick interrupt. */
        job->cancel_at = -INTERRUPT_AFTER_SECONDS;
    }
}

static void on_watchdog(uv_timer_t *timer)
{
    struct gitop_backend *gb = timer->data;
    double now = runner_now(gb->base.runner);
    uint64_t now_ns = uv_hrtime();
    LIST_FOR_EACH_SAFE(&gb->live, it, next) {
        struct gitop_job *job = LIST_ENTRY(it, struct gitop_job, live);
        /* Signed: the worker may have heard something after now_ns was
         * read. Only libgit2 transfers are watched, of operations that talk
         * to a remote; a `git fetch` child has its own limits (--timeout)
         * and says nothing while it works. */
        bool transferring = gb->opt.op->needs_network && atomic_load(&job->progress.transferring);
        double quiet = (double)(int64_t)(now_ns - atomic_load(&job->last_heard_ns)) / 1e9;
        if (transferring && gb->opt.stall_timeout > 0 && quiet > gb->opt.stall_timeout &&
            !atomic_load(&job->cancel)) {
            atomic_store(&job->stalled, true);
            stop_job(job);
        }
        if (job->cancel_at != 0 && now - job->cancel_at >= INTERRUPT_AFTER_SECONDS) {
            uv_mutex_lock(&gb->thread_lock);
            if (job->on_thread)
                pthread_kill(job->thread, SIGURG);
            uv_mutex_unlock(&gb->thread_lock);
        }
    }
}

static void on_closed(uv_handle_t *handle)
{
    struct gitop_backend *gb = handle->data;
    if (--gb->open_handles == 0) {
        uv_mutex_destroy(&gb->thread_lock);
        free(gb);
    }
}

static void gitop_close(struct backend *b)
{
    struct gitop_backend *gb = (struct gitop_backend *)b;
    /* Every task has ended, so no job is queued or running. */
    uv_close((uv_handle_t *)&gb->watchdog, on_closed);
    workers_close(&gb->workers, on_closed, gb);
}

/* The joblog's command: one that does what this task did when pasted into
 * a shell, as its operation's row says. */
static void gitop_describe(struct backend *b, const char *path, struct strbuf *out)
{
    struct gitop_backend *gb = (struct gitop_backend *)b;
    struct gitop_request req = request_for(gb, path);
    gb->opt.op->describe(&req, gb->self, out);
}

static const struct backend_ops gitop_backend_ops = {
    .dir_check = BACKEND_DIR_FIRST, /* a worker would only say "not a repository" */
    .start = gitop_start,
    .cancel = gitop_cancel,
    .kill_all = gitop_kill_all,
    .close = gitop_close,
    .describe = gitop_describe,
};

struct backend *gitop_backend_new(struct runner *r, uv_loop_t *loop, const struct gitop_options *opt)
{
    struct gitop_backend *gb = xcalloc(1, sizeof(*gb));
    gb->base.ops = &gitop_backend_ops;
    gb->base.runner = r;
    gb->base.loop = loop;
    gb->opt = *opt;
    list_init(&gb->live);
    size_t self_len = sizeof(gb->self);
    if (uv_exepath(gb->self, &self_len) < 0)
        snprintf(gb->self, sizeof(gb->self), "repopool");
    if (uv_mutex_init(&gb->thread_lock) < 0) {
        free(gb);
        return NULL;
    }
    if (workers_init(&gb->workers, loop, on_progress, gb) < 0) {
        uv_mutex_destroy(&gb->thread_lock);
        free(gb);
        return NULL;
    }
    uv_timer_init(loop, &gb->watchdog);
    gb->watchdog.data = gb;
    gb->open_handles = 2;
    uv_timer_start(&gb->watchdog, on_watchdog, WATCHDOG_TICK_MS, WATCHDOG_TICK_MS);

    /* Without SA_RESTART, so the interrupted call fails instead of resuming. */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGURG, &sa, NULL);
    return &gb->base;
}
