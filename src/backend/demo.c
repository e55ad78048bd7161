#include "repopool/demo.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/demoserver.h"
#include "repopool/list.h"
#include "repopool/rng.h"
#include "repopool/runner.h"
#include "repopool/xalloc.h"

struct demo_job {
    uv_timer_t timer;
    struct demo_backend *db;
    struct task *task;
    struct list_link running; /* in db->running_jobs while it runs */
    uint32_t id;
    struct demo_attempt attempt;
    struct demo_job *next_free;
};

struct demo_backend {
    struct backend base;
    struct demo_options opt;
    struct demo_server server;
    struct rng rng;
    unsigned open_handles;
    /* Timers are reused across attempts: zero-length tasks by the hundred
     * thousand should not pay for a handle close each. */
    struct demo_job *free_jobs;
    struct list running_jobs;
    struct strbuf text;             /* an attempt's summary, being reported */
};

static void demo_finish(struct demo_job *job, int cancelled)
{
    struct demo_backend *db = job->db;
    struct attempt_result res = {.status = TASK_FAILED, .cls = RP_CLASS_NONE, .exit_code = -1};
    struct strbuf *text = &db->text;
    strbuf_reset(text);
    uint64_t ms = (uint64_t)(job->attempt.duration * 1000 + 0.5);
    if (cancelled) {
        strbuf_puts(text, "stopped");
    } else if (job->attempt.answer == DEMO_TOO_MANY) {
        res.cls = RP_CLASS_REFUSED;
        res.retry_after = job->attempt.retry_after;
        strbuf_puts(text, "429 Too Many Requests (Retry-After ");
        strbuf_add_uint(text, (uint64_t)(job->attempt.retry_after * 1000 + 0.5));
        strbuf_puts(text, " ms)");
    } else {
        /* Formatted by hand: at 100,000 tasks a second printf shows up. */
        if (job->attempt.answer == DEMO_NETWORK_ERROR) {
            res.cls = RP_CLASS_NETWORK;
            strbuf_puts(text, "simulated network failure after ");
        } else {
            res.status = TASK_OK;
            strbuf_puts(text, "simulated ");
        }
        strbuf_add_uint(text, ms);
        strbuf_puts(text, " ms");
    }
    res.summary = text->data;
    res.summary_len = text->len;

    uv_timer_stop(&job->timer);
    demo_server_end(&db->server, &job->attempt);
    list_remove(&job->running);
    job->task->backend_data = NULL;
    job->next_free = db->free_jobs;
    db->free_jobs = job;
    runner_attempt_done(db->base.runner, job->id, &res);
}

static void on_demo_timer(uv_timer_t *timer)
{
    demo_finish(timer->data, 0);
}

static struct demo_job *demo_job_get(struct demo_backend *db)
{
    struct demo_job *job = db->free_jobs;
    if (job) {
        db->free_jobs = job->next_free;
        return job;
    }
    job = xcalloc(1, sizeof(*job));
    uv_timer_init(db->base.loop, &job->timer);
    job->timer.data = job;
    job->db = db;
    db->open_handles++;
    return job;
}

static int demo_start(struct backend *b, uint32_t id, struct task *t, const char *path,
                      struct attempt_result *fail)
{
    struct demo_backend *db = (struct demo_backend *)b;
    (void)path;
    (void)fail; /* a timer cannot fail to start */
    struct demo_job *job = demo_job_get(db);
    job->id = id;
    job->task = t;
    unsigned host = demo_server_host_of(&db->server, t->repo);
    demo_server_begin(&db->server, host, runner_now(db->base.runner), &db->rng, &job->attempt);
    list_push(&db->running_jobs, &job->running);
    t->backend_data = job;
    /* Whole milliseconds: libuv timers have millisecond resolution. */
    uv_timer_start(&job->timer, on_demo_timer, (uint64_t)(job->attempt.duration * 1000 + 0.5), 0);
    return 0;
}

static void demo_cancel(struct backend *b, uint32_t id, struct task *t)
{
    (void)b;
    (void)id;
    if (t->backend_data)
        demo_finish(t->backend_data, 1);
}

static void demo_kill_all(struct backend *b)
{
    struct demo_backend *db = (struct demo_backend *)b;
    LIST_FOR_EACH_SAFE(&db->running_jobs, it, next)
        demo_finish(LIST_ENTRY(it, struct demo_job, running), 1);
}

static void demo_backend_free(struct demo_backend *db)
{
    strbuf_free(&db->text);
    free(db);
}

static void on_demo_closed(uv_handle_t *handle)
{
    struct demo_job *job = handle->data;
    struct demo_backend *db = job->db;
    free(job);
    if (--db->open_handles == 0)
        demo_backend_free(db);
}

static void demo_close(struct backend *b)
{
    struct demo_backend *db = (struct demo_backend *)b;
    /* The runner closes us once every task ended, so all jobs are free. */
    struct demo_job *job = db->free_jobs;
    db->free_jobs = NULL;
    if (db->open_handles == 0) {
        demo_backend_free(db);
        return;
    }
    while (job) {
        struct demo_job *next = job->next_free;
        uv_close((uv_handle_t *)&job->timer, on_demo_closed);
        job = next;
    }
}

static void demo_describe(struct backend *b, const char *path, struct strbuf *out)
{
    (void)b;
    strbuf_puts(out, "demo ");
    strbuf_puts(out, path);
}

static const struct backend_ops demo_ops = {
    .dir_check = BACKEND_DIR_NONE,
    .start = demo_start,
    .cancel = demo_cancel,
    .kill_all = demo_kill_all,
    .close = demo_close,
    .describe = demo_describe,
};

struct backend *demo_backend_new(struct runner *r, uv_loop_t *loop, const struct demo_options *opt)
{
    struct demo_backend *db = xcalloc(1, sizeof(*db));
    db->base.ops = &demo_ops;
    db->base.runner = r;
    db->base.loop = loop;
    db->opt = *opt;
    demo_server_init(&db->server, opt->capacity, opt->hosts, opt->mean, opt->fail);
    list_init(&db->running_jobs);
    rng_seed(&db->rng, opt->seed);
    return &db->base;
}
