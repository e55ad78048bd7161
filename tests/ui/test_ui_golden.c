/*
 * Whole screens of the dashboard, compared as text with the files under
 * tests/ui/golden/ (see ui_fixture.h: UPDATE_GOLDEN=1 rewrites them).
 *
 * Each model is built by hand on a fake clock, so a screen only changes
 * when the rendering does. No key used here goes through the runner (whose
 * clock is real); the pool is changed through the scheduler directly.
 */
#include "ui_fixture.h"

#include "repopool/gitinfo.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

static const char *const sample_names[] = {
    "/home/dev/src/alpha",
    "/home/dev/src/beta",
    "/home/dev/src/gamma",
    "/home/dev/src/delta",
    "/home/dev/src/epsilon",
    "/home/dev/src/zeta",
    "/home/dev/src/eta",
    "/home/dev/src/theta",
    "/home/dev/src/iota",
    "/home/dev/src/platform/services/payments/ledger-reconciliation-worker",
    "/home/dev/src/kappa",
    "/home/dev/src/lambda",
};

enum { ALPHA, BETA, GAMMA, DELTA, EPSILON, ZETA, ETA, THETA, IOTA, LEDGER, KAPPA, LAMBDA };

#define SAMPLE_NOW 4.0

/*
 * A pool with a task in every state at t = 4.0: ok, failed, skipped,
 * cancelled, running (with transfer progress, with output, with none),
 * queued waiting for a retry, queued fresh. The cap went 3 -> 4 -> 3.
 */
static struct fx *sample_pool(void)
{
    struct fx *f;
    struct sched_config cfg = fx_config(3);
    cfg.retries = 1;
    cfg.backoff_base = 5;
    cfg.backoff_max = 30;
    f = fx_new(sample_names, sizeof(sample_names) / sizeof(sample_names[0]), cfg);

    assert_int_equal(fx_start(f, 0.0), ALPHA);
    assert_int_equal(fx_start(f, 0.0), BETA);
    assert_int_equal(fx_start(f, 0.0), GAMMA);
    fx_end(f, ALPHA, TASK_OK, RP_CLASS_NONE, 0.6, "up to date");
    assert_int_equal(fx_start(f, 0.6), DELTA);
    fx_end(f, BETA, TASK_FAILED, RP_CLASS_AUTH, 1.1,
           "fatal: Authentication failed for 'https://git.example.com/beta.git/'");
    assert_int_equal(fx_start(f, 1.1), EPSILON);
    fx_cap(f, 4, 1.5);
    assert_int_equal(fx_start(f, 1.5), ZETA);
    fx_end(f, EPSILON, TASK_SKIPPED, RP_CLASS_DIRTY, 1.8, "dirty worktree: 2 modified, 1 untracked");
    assert_int_equal(fx_start(f, 1.8), ETA);
    assert_int_equal(sched_cancel(&f->r.sched, ZETA, 2.4), SCHED_CANCEL_STOPPING);
    fx_end(f, ZETA, TASK_FAILED, RP_CLASS_SIGNAL, 2.4, "cancelled");
    assert_int_equal(fx_start(f, 2.4), THETA);
    assert_int_equal(fx_end(f, ETA, TASK_FAILED, RP_CLASS_NETWORK, 2.9,
                            "fatal: unable to access 'https://git.example.com/eta.git/': Could not resolve host"),
                     SCHED_END_RETRY);
    assert_int_equal(fx_start(f, 2.9), IOTA);
    fx_cap(f, 3, 3.2);
    fx_end(f, IOTA, TASK_OK, RP_CLASS_NONE, 3.6, "fast-forwarded 3 commits");

    struct task *gamma = sched_task(&f->r.sched, GAMMA);
    gamma->progress_objects = 120;
    gamma->progress_total = 450;
    gamma->progress_bytes = 1572864;
    for (int i = 1; i <= 60; i++) {
        char line[96];
        snprintf(line, sizeof(line), "remote: Counting objects: %d%% (%d/60), done.\n", i * 100 / 60, i);
        fx_output(f, DELTA, line);
    }
    fx_output(f, DELTA, "Receiving objects:  12% (54/450)\rReceiving objects:  45% (203/450)\r");
    /* The pool is full at the cap: nothing more starts. */
    assert_int_equal(sched_next_start(&f->r.sched, 3.6), SCHED_NONE);
    return f;
}

static void table_80x24(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    fx_golden(f, "table-80x24");
    fx_free(f);
}

static void table_200x50(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 200, 50, SAMPLE_NOW);
    fx_golden(f, "table-200x50");
    fx_free(f);
}

static void paused_80x24(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_cap(f, 0, SAMPLE_NOW);
    fx_render(f, 80, 24, SAMPLE_NOW);
    fx_golden(f, "paused-80x24");
    fx_free(f);
}

static void log_end_and_top(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    f->v.selected = DELTA; /* as the user moved there */
    f->v.moved = true;
    fx_render(f, 80, 24, SAMPLE_NOW);
    assert_int_equal(fx_key(f, '\n'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.screen, UI_SCREEN_LOG);
    fx_golden(f, "log-end-80x24");
    assert_int_equal(fx_key(f, 'g'), UI_REDRAW_SCREEN);
    fx_golden(f, "log-top-80x24");
    fx_key(f, 27);
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_free(f);
}

static void help_80x24(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    assert_int_equal(fx_key(f, '?'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.screen, UI_SCREEN_HELP);
    fx_golden(f, "help-80x24");
    fx_free(f);
}

static void timeline_80x24(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    assert_int_equal(fx_key(f, 't'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.screen, UI_SCREEN_TIMELINE);
    fx_golden(f, "timeline-80x24");
    fx_free(f);
}

/*
 * An adaptive pool (cap 12) on two hosts, tasks alternating between them:
 * both start at the limiter's 4, git.example.com serves everything and
 * grows, 127.0.0.1 refuses at 2.0 s (cut to 2) and again at 3.0 s with a
 * Retry-After of 5 s, which closes it.
 */
static struct fx *hosts_pool(void)
{
    struct sched_config cfg = fx_config(12);
    cfg.adaptive = true;
    cfg.retries = 3;
    struct fx *f = fx_new_numbered(200, "/srv/mirror/repo-%03zu", cfg);
    uint16_t remote = runner_host(&f->r, "git.example.com");
    uint16_t local = runner_host(&f->r, "127.0.0.1");
    for (uint32_t id = 0; id < 200; id++)
        sched_set_host(&f->r.sched, id, id % 2 ? local : remote);
    uint32_t id;
    for (double t = 0; t < 4.0; t += 0.5) {
        for (uint32_t i = 0; i < f->r.sched.ntasks; i++) {
            struct task *task = sched_task(&f->r.sched, i);
            if (task->state != TASK_RUNNING || task->start > t - 0.5 + 1e-9)
                continue;
            bool refuse = task->host == local && (t == 2.0 || t == 3.0);
            double after = 0;
            if (refuse)
                sched_finish(&f->r.sched, i, TASK_FAILED, RP_CLASS_REFUSED, t == 3.0 ? 5 : 0, t, &after);
            else
                fx_end(f, i, TASK_OK, RP_CLASS_NONE, t, "up to date");
        }
        while ((id = sched_next_start(&f->r.sched, t)) != SCHED_NONE)
            ;
        fx_cap(f, 12, t);
    }
    return f;
}

static void hosts_80x24(void **state)
{
    (void)state;
    struct fx *f = hosts_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    assert_int_equal(fx_key(f, 'h'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.screen, UI_SCREEN_HOSTS);
    fx_golden(f, "hosts-80x24");
    /* The same key goes back. */
    assert_int_equal(fx_key(f, 'h'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_free(f);
}

/* The timeline dots the lanes above the learned limit, not only above the
 * cap. */
static void timeline_adaptive_80x24(void **state)
{
    (void)state;
    struct fx *f = hosts_pool();
    fx_render(f, 80, 24, SAMPLE_NOW);
    fx_key(f, 't');
    fx_golden(f, "timeline-adaptive-80x24");
    fx_free(f);
}

/*
 * git status over five repositories: results as columns (branch, ahead and
 * behind, the marks of what needs attention), a failure as its message.
 */
static void status_columns_80x24(void **state)
{
    (void)state;
    static const char *const repos[] = {"/src/api", "/src/web", "/src/lib", "/src/docs", "/src/broken"};
    struct fx *f = fx_new(repos, 5, fx_config(5));
    f->rep.op = "status";
    static const struct {
        const char *branch;
        unsigned ahead, behind, modified, untracked;
        bool detached, no_upstream;
    } results[] = {
        {"main", 0, 3, 0, 0, false, false},
        {"feature/login-form-validation", 2, 0, 1, 4, false, false},
        {"", 0, 0, 0, 0, true, false},
        {"main", 0, 0, 0, 0, false, false},
    };
    fx_start_n(f, 5, 0);
    for (uint32_t id = 0; id < 4; id++) {
        struct gitinfo *gi = calloc(1, sizeof(*gi));
        snprintf(gi->branch, sizeof(gi->branch), "%s", results[id].branch);
        if (!results[id].detached)
            snprintf(gi->upstream, sizeof(gi->upstream), "origin/%s", results[id].branch);
        gi->ahead = results[id].ahead;
        gi->behind = results[id].behind;
        gi->modified = results[id].modified;
        gi->untracked = results[id].untracked;
        gi->detached = results[id].detached;
        sched_task(&f->r.sched, id)->git = gi;
        fx_end(f, id, TASK_OK, RP_CLASS_NONE, 0.1 + id * 0.1, "summary");
    }
    fx_end(f, 4, TASK_FAILED, RP_CLASS_NOT_A_REPO, 0.6, "not a git repository");
    fx_render(f, 80, 24, 1);
    fx_golden(f, "status-80x24");
    fx_free(f);
}

static void narrow_40x8(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 40, 8, SAMPLE_NOW);
    fx_golden(f, "table-40x8");
    fx_free(f);
}

static void too_small_30x5(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    fx_render(f, 30, 5, SAMPLE_NOW);
    fx_golden(f, "too-small-30x5");
    assert_int_equal(fx_find(f, "terminal too small"), 0);
    /* One column or one row short is still too small. */
    fx_render(f, 39, 24, SAMPLE_NOW);
    assert_int_equal(fx_find(f, "terminal too small"), 0);
    fx_render(f, 80, 7, SAMPLE_NOW);
    assert_int_equal(fx_find(f, "terminal too small"), 0);
    fx_free(f);
}

/* The same pool with a history: queued rows show what they took last
 * time, and the ETA counts with those times (LAMBDA, never seen, at their
 * mean). */
static void table_with_history_80x24(void **state)
{
    (void)state;
    struct fx *f = sample_pool();
    struct estimates est;
    estimates_init(&est);
    static const double took[] = {[ALPHA] = 0.7, [BETA] = 1.0, [GAMMA] = 6.0, [DELTA] = 4.0, [ZETA] = 1.0,
                                  [ETA] = 0.5, [THETA] = 2.0, [IOTA] = 2.5, [LEDGER] = 95.0, [KAPPA] = 0.8};
    for (uint32_t i = 0; i <= KAPPA; i++)
        if (i != EPSILON)
            estimates_set(&est, i, took[i]);
    f->r.estimates = &est;
    fx_render(f, 80, 24, SAMPLE_NOW);
    fx_golden(f, "table-history-80x24");
    f->r.estimates = NULL;
    estimates_free(&est);
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(table_80x24, fx_teardown),
        cmocka_unit_test_teardown(table_200x50, fx_teardown),
        cmocka_unit_test_teardown(paused_80x24, fx_teardown),
        cmocka_unit_test_teardown(log_end_and_top, fx_teardown),
        cmocka_unit_test_teardown(help_80x24, fx_teardown),
        cmocka_unit_test_teardown(timeline_80x24, fx_teardown),
        cmocka_unit_test_teardown(hosts_80x24, fx_teardown),
        cmocka_unit_test_teardown(timeline_adaptive_80x24, fx_teardown),
        cmocka_unit_test_teardown(status_columns_80x24, fx_teardown),
        cmocka_unit_test_teardown(narrow_40x8, fx_teardown),
        cmocka_unit_test_teardown(too_small_30x5, fx_teardown),
        cmocka_unit_test_teardown(table_with_history_80x24, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
