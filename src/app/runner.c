#include "repopool/runner.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/gitinfo.h"
#include "repopool/sanitize.h"
#include "repopool/xalloc.h"

/* After a second interrupt, give killed tasks this long to report back. */
#define HARD_EXIT_MS 1000
/* The longest the wake-up timer is ever set for. */
#define MAX_WAIT_MS 3600000u
/* How long one loop turn may go on starting tasks before the loop polls
 * for signals, keys and output again. */
#define TURN_BUDGET_NS (20u * 1000 * 1000)

static const int handled_signals[RUNNER_SIGNALS] = {SIGUSR1, SIGUSR2, SIGINT, SIGTERM, SIGHUP};

double runner_now(const struct runner *r)
{
    /* The loop's cached clock: read once per loop turn, not per event, and
     * the same clock libuv's timers run on. Millisecond resolution is the
     * resolution the reports print. */
    return (double)(uv_now(r->loop) - r->t0_ms) / 1e3;
}

int runner_init(struct runner *r, uv_loop_t *loop, const struct sched_config *cfg,
                const struct repo_list *repos, struct report *report)
{
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    r->repos = repos;
    r->report = report;
    r->output_limit = OUTBUF_DEFAULT_LIMIT;
    outbudget_init(&r->out_budget, 0);
    r->ended_at = -1;
    strbuf_init(&r->start_path);
    strbuf_init(&r->end_path);
    int rc = sched_init(&r->sched, cfg);
    if (rc < 0)
        return rc;
    sched_reserve(&r->sched, repos_count(repos));
    for (size_t i = 0; i < repos_count(repos); i++) {
        if (sched_add(&r->sched, (uint32_t)i) == SCHED_NONE) {
            sched_free(&r->sched);
            return UV_E2BIG;
        }
    }
    stats_init(&r->stats, 0.25);
    return 0;
}

void runner_free(struct runner *r)
{
    strbuf_free(&r->start_path);
    strbuf_free(&r->end_path);
    host_names_free(&r->hosts);
    outbudget_free(&r->out_budget);
    sched_free(&r->sched);
}

void runner_capture(struct runner *r, struct task *t, const char *data, size_t n)
{
    if (!t->out) {
        t->out = xmalloc(sizeof(*t->out));
        outbuf_init(t->out, r->output_limit);
    }
    size_t before = t->out->cap;
    outbuf_append(t->out, data, n);
    outbudget_resized(&r->out_budget, before, t->out->cap);
    /* O(1) while within the budget; past it, finished tasks' output goes. */
    outbudget_enforce(&r->out_budget, &r->sched.tasks);
    runner_changed(r);
}

void runner_changed(struct runner *r)
{
    if (r->on_change)
        r->on_change(r->view_ctx);
}

static void pump(struct runner *r);

/* Checks that a repository path is a directory we can enter and list, so
 * the failure names the path rather than whatever the backend trips on. */
static bool check_directory(const char *path, struct attempt_result *fail)
{
    struct stat st;
    const char *why = NULL;
    if (stat(path, &st) < 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    else if (access(path, R_OK | X_OK) < 0)
        why = strerror(errno);
    if (!why)
        return true;
    *fail = (struct attempt_result){
        .status = TASK_FAILED, .cls = RP_CLASS_NOT_A_REPO, .exit_code = -1,
        .summary = why, .summary_len = strlen(why),
    };
    return false;
}

/* A start that failed for want of what the machine has run out of: the
 * task is not at fault, and it can start once another task has ended. */
static bool lacks_resources(int rc)
{
    return rc == UV_EMFILE || rc == UV_ENFILE || rc == UV_EAGAIN || rc == UV_ENOMEM;
}

/* Says once that the pool is held below its cap; a view shows the hold in
 * its header for as long as it lasts. */
static void announce_hold(struct runner *r, int rc)
{
    r->hold_error = rc;
    if (r->hold_announced)
        return;
    r->hold_announced = true;
    if (!r->view_ctx)
        fprintf(stderr, "repopool: %s: no more than %u at once until tasks end; no task is lost\n",
                uv_strerror(rc), sched_running(&r->sched));
}

static void start_task(struct runner *r, uint32_t id)
{
    struct task *t = sched_task(&r->sched, id);
    const char *path = repos_path(r->repos, t->repo, &r->start_path);
    const char *error = repos_error(r->repos, t->repo);
    double now = runner_now(r);
    struct attempt_result fail;
    if (error) {
        fail = (struct attempt_result){
            .status = TASK_FAILED, .cls = RP_CLASS_USAGE, .exit_code = -1,
            .summary = error, .summary_len = strlen(error),
        };
    } else if ((r->backend->ops->dir_check == BACKEND_DIR_FIRST ||
                (r->backend->ops->dir_check == BACKEND_DIR_LAZY && access(path, R_OK | X_OK) < 0)) &&
               !check_directory(path, &fail)) {
        /* fail describes it */
    } else {
        int rc = r->backend->ops->start(r->backend, id, t, path, &fail);
        if (rc == 0) {
            report_start(r->report, &r->sched, id, path, now);
            return;
        }
        if (lacks_resources(rc) && sched_unstart(&r->sched, id, now)) {
            announce_hold(r, rc);
            return;
        }
        /* Was it the directory? Then say so, by its name. */
        if (r->backend->ops->dir_check == BACKEND_DIR_LAZY)
            check_directory(path, &fail);
    }
    report_start(r->report, &r->sched, id, path, now);
    runner_attempt_done(r, id, &fail);
}

/* Reports a task that ended for good and lets go of what only a viewer of
 * its output would need. */
static void report_task_end(struct runner *r, uint32_t id, double now)
{
    struct task *t = sched_task(&r->sched, id);
    const char *path = repos_path(r->repos, t->repo, &r->end_path);
    struct strbuf cmd;
    strbuf_init(&cmd);
    if (r->report->joblog)
        r->backend->ops->describe(r->backend, path, &cmd);
    report_end(r->report, &r->sched, id, path, now, cmd.data);
    strbuf_free(&cmd);
    if (!r->keep_output && t->out) {
        outbudget_resized(&r->out_budget, t->out->cap, 0);
        outbuf_free(t->out);
        free(t->out);
        t->out = NULL;
    } else if (t->out) {
        /* Kept for a view: droppable from now on, oldest end first. */
        outbudget_ended(&r->out_budget, &r->sched.tasks, id);
    }
}

static void finish_summary(struct runner *r, struct task *t, const struct attempt_result *res)
{
    struct strbuf sb;
    strbuf_init(&sb);
    if (t->stop == TASK_STOP_TIMEOUT)
        strbuf_printf(&sb, "timed out after %gs", r->sched.timeout);
    else if (task_stop_cancels(t))
        strbuf_puts(&sb, "cancelled");
    else
        sanitize_line(&sb, res->summary ? res->summary : "", res->summary ? res->summary_len : 0);
    free(t->summary);
    t->summary = sb.len ? strbuf_detach(&sb) : NULL;
    strbuf_free(&sb);
}

/* The task shows what its last attempt found, nothing older. */
static void keep_git_info(struct task *t, const struct gitinfo *git)
{
    if (git) {
        if (!t->git)
            t->git = xmalloc(sizeof(*t->git));
        *t->git = *git;
    } else {
        free(t->git);
        t->git = NULL;
    }
}

void runner_attempt_done(struct runner *r, uint32_t id, const struct attempt_result *res)
{
    struct task *t = sched_task(&r->sched, id);
    double now = runner_now(r);
    t->exit_code = res->exit_code;
    t->term_signal = res->term_signal;
    finish_summary(r, t, res);
    keep_git_info(t, res->git);
    if (res->output_len)
        runner_capture(r, t, res->output, res->output_len);

    double after = 0;
    enum sched_end end = sched_finish(&r->sched, id, res->status, res->cls, res->retry_after, now, &after);
    uint16_t host = sched_take_host_change(&r->sched);
    if (host)
        report_host_limit(r->report, &r->sched, host, host_names_get(&r->hosts, host), now);
    if (end == SCHED_END_RETRY) {
        report_retry(r->report, &r->sched, id, now, after);
    } else {
        report_task_end(r, id, now);
    }
    pump(r);
}

static void on_wake(uv_timer_t *timer)
{
    pump(timer->data);
}

static void close_all(struct runner *r);
static void stop_everything(struct runner *r);

/* Output is buffered while the loop is busy and flushed just before it
 * waits: a reader sees every event without delay, and a burst of 100,000
 * events costs a handful of writes instead of one each. */
static void on_prepare(uv_prepare_t *prepare)
{
    struct runner *r = prepare->data;
    r->turn_started_ns = 0; /* the loop is about to poll: a new turn */
    /* Nobody reads our output any more (a closed pager, `| head`): stop as
     * for a signal, since only we can stop the tasks in their sessions. */
    if (!report_flush(r->report) && !r->interrupted_by) {
        r->interrupted_by = SIGPIPE;
        stop_everything(r);
        pump(r);
    }
}

/* Whether this loop turn has started tasks for long enough. Tasks that end
 * at once (zero-length demo tasks, a command that cannot start) end inside
 * the turn that started them and let the next one start, so without a
 * budget a burst of them would keep libuv in one timer pass, deaf to
 * signals, keys and redraws until the burst is over. */
static bool turn_spent(struct runner *r)
{
    uint64_t now_ns = uv_hrtime();
    if (r->turn_started_ns == 0)
        r->turn_started_ns = now_ns;
    return now_ns - r->turn_started_ns > TURN_BUDGET_NS;
}

static void on_yield(uv_idle_t *idle)
{
    struct runner *r = idle->data;
    /* Idle callbacks come before the poll of their turn: only once that
     * poll has been (a new turn) may starting go on. */
    if (r->turn_started_ns == 0) {
        uv_idle_stop(idle);
        pump(r);
    }
}

static void pump_once(struct runner *r)
{
    double now = runner_now(r);
    uint32_t id;
    while ((id = sched_next_expired(&r->sched, now)) != SCHED_NONE)
        r->backend->ops->cancel(r->backend, id, sched_task(&r->sched, id));
    bool spent;
    while (!(spent = turn_spent(r)) && (id = sched_next_start(&r->sched, now)) != SCHED_NONE)
        start_task(r, id);
    if (spent) /* an active idle handle makes the poll not block */
        uv_idle_start(&r->yield, on_yield);
    stats_note(&r->stats, now, sched_running(&r->sched), sched_limit(&r->sched, now));

    double at = sched_next_wakeup(&r->sched, now);
    if (isinf(at)) {
        uv_timer_stop(&r->wake_timer);
    } else {
        /* Clamped. At least 1 ms: a timer set for 0 ms from a timer
         * callback runs again in the same pass of libuv's timers, and a
         * wake-up that found nothing to do would spin there, deaf to
         * signals. At most an hour: a wake-up years away must not overflow
         * into "now"; a pump an hour on finds it is not yet time. */
        double ms = ceil((at - now) * 1000.0);
        uv_timer_start(&r->wake_timer, on_wake, ms < 1 ? 1 : ms >= MAX_WAIT_MS ? MAX_WAIT_MS : (uint64_t)ms, 0);
    }
}

/* Starts what may start and re-arms the wake-up. Backends may end tasks
 * from inside a start, which calls back in here: those calls only ask for
 * another round, so there is one pump on the stack at a time. */
static void pump(struct runner *r)
{
    if (r->finished)
        return;
    if (r->in_pump) {
        r->pump_again = true;
        return;
    }
    r->in_pump = true;
    do {
        r->pump_again = false;
        pump_once(r);
    } while (r->pump_again);
    r->in_pump = false;
    if (runner_done(r)) {
        if (r->ended_at < 0)
            r->ended_at = runner_now(r);
        if (!r->hold_open)
            close_all(r);
    } else {
        r->ended_at = -1; /* a retry reopened the run */
    }
    runner_changed(r);
}

void runner_set_cap(struct runner *r, unsigned cap, const char *by)
{
    unsigned before = r->sched.cap;
    if (sched_set_cap(&r->sched, cap) == before)
        return;
    report_cap(r->report, &r->sched, runner_now(r), by);
    pump(r);
}

static void change_cap(struct runner *r, int delta, const char *by)
{
    unsigned cap = r->sched.cap;
    if (delta < 0 && cap == 0)
        return;
    runner_set_cap(r, delta < 0 ? cap - 1 : cap + 1, by);
}



static void on_hard_exit(uv_timer_t *timer)
{
    struct runner *r = timer->data;
    /* Something did not report back after being killed; the summary still
     * says what is known, and the exit status says we were interrupted. A
     * view gives the terminal back first. */
    if (r->on_abort)
        r->on_abort(r->view_ctx);
    r->report->deferred = false;
    report_summary(r->report, &r->sched, runner_now(r), r->interrupted_by);
    fflush(NULL);
    _exit(128 + r->interrupted_by);
}

/* Cancels task id: a queued one ends at once, a running one is asked to
 * stop and ends when its backend reports back. The same clock as the ends
 * a backend reports while cancelling, so event times never go backwards. */
static void cancel_task(struct runner *r, uint32_t id)
{
    double now = runner_now(r);
    switch (sched_cancel(&r->sched, id, now)) {
    case SCHED_CANCEL_ENDED:
        report_task_end(r, id, now);
        break;
    case SCHED_CANCEL_STOPPING:
        r->backend->ops->cancel(r->backend, id, sched_task(&r->sched, id));
        break;
    case SCHED_CANCEL_NOOP:
        break;
    }
}

/* Stops starting, ends queued tasks as cancelled and asks running ones to
 * stop. Pumping waits until the sweep is over, so no half-swept state is
 * ever taken for the end of the run. */
static void stop_everything(struct runner *r)
{
    if (r->source_open && r->source_stop)
        r->source_stop(r->source_ctx);
    r->in_pump = true;
    sched_stop(&r->sched);
    for (uint32_t id = 0; id < r->sched.ntasks; id++)
        cancel_task(r, id);
    r->in_pump = false;
}

void runner_source_open(struct runner *r, void (*stop)(void *ctx), void *ctx)
{
    r->source_open = true;
    r->source_stop = stop;
    r->source_ctx = ctx;
}

uint16_t runner_host(struct runner *r, const char *name)
{
    uint16_t id = host_names_find(&r->hosts, name);
    if (id == 0 && (id = sched_add_host(&r->sched)) != 0)
        host_names_add(&r->hosts, name);
    return id;
}

uint32_t runner_add_task(struct runner *r, uint32_t repo)
{
    if (r->finished || r->sched.stopping)
        return SCHED_NONE;
    return sched_add_weighted(&r->sched, repo, r->estimates ? estimates_weight(r->estimates, repo) : 0);
}

void runner_tasks_added(struct runner *r)
{
    pump(r);
}

void runner_source_ended(struct runner *r)
{
    r->source_open = false;
    pump(r);
}

void runner_refuse_rest(struct runner *r)
{
    if (r->sched.stopping)
        return;
    r->in_pump = true;
    sched_stop(&r->sched);
    for (uint32_t id = 0; id < r->sched.ntasks; id++)
        if (sched_task(&r->sched, id)->state == TASK_QUEUED)
            cancel_task(r, id);
    r->in_pump = false;
    pump(r);
}

void runner_cancel_task(struct runner *r, uint32_t id)
{
    if (id >= r->sched.ntasks)
        return;
    cancel_task(r, id);
    pump(r);
}

bool runner_retry_task(struct runner *r, uint32_t id)
{
    if (r->finished || id >= r->sched.ntasks || !sched_requeue(&r->sched, id))
        return false;
    pump(r);
    return true;
}

void runner_stop(struct runner *r)
{
    if (r->sched.stopping)
        return;
    stop_everything(r);
    pump(r);
}

void runner_close(struct runner *r)
{
    r->hold_open = false;
    if (runner_done(r))
        close_all(r);
}

static void on_signal(uv_signal_t *handle, int signum)
{
    struct runner *r = handle->data;
    if (signum == SIGUSR1) {
        change_cap(r, +1, "signal");
    } else if (signum == SIGUSR2) {
        change_cap(r, -1, "signal");
    } else if (!r->interrupted_by) {
        r->interrupted_by = signum;
        stop_everything(r);
        pump(r);
    } else {
        /* A second interrupt: no more grace for anyone. */
        r->backend->ops->kill_all(r->backend);
        uv_timer_start(&r->exit_timer, on_hard_exit, HARD_EXIT_MS, 0);
    }
}

/* Everything has ended: close our handles so uv_run returns. */
static void close_all(struct runner *r)
{
    if (r->finished)
        return;
    r->finished = true;
    uv_close((uv_handle_t *)&r->wake_timer, NULL);
    uv_close((uv_handle_t *)&r->exit_timer, NULL);
    uv_close((uv_handle_t *)&r->flusher, NULL);
    uv_close((uv_handle_t *)&r->yield, NULL);
    for (size_t i = 0; i < RUNNER_SIGNALS; i++)
        uv_close((uv_handle_t *)&r->signals[i], NULL);
    r->backend->ops->close(r->backend);
}

int runner_run(struct runner *r, struct backend *backend)
{
    r->backend = backend;
    uv_update_time(r->loop);
    r->t0_ms = uv_now(r->loop);
    uv_timer_init(r->loop, &r->wake_timer);
    uv_timer_init(r->loop, &r->exit_timer);
    uv_prepare_init(r->loop, &r->flusher);
    uv_idle_init(r->loop, &r->yield);
    r->wake_timer.data = r->exit_timer.data = r->flusher.data = r->yield.data = r;
    uv_prepare_start(&r->flusher, on_prepare);
    for (size_t i = 0; i < RUNNER_SIGNALS; i++) {
        uv_signal_init(r->loop, &r->signals[i]);
        r->signals[i].data = r;
        uv_signal_start(&r->signals[i], on_signal, handled_signals[i]);
    }

    report_cap(r->report, &r->sched, 0, "option");
    pump(r);
    uv_run(r->loop, UV_RUN_DEFAULT);

    if (r->interrupted_by)
        return 128 + r->interrupted_by;
    return r->sched.counts[TASK_OK] == r->sched.ntasks ? 0 : 1;
}
