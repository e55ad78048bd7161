/*
 * Layout rules that once failed: what a user must see at 80 columns (the
 * ETA, the cap, the way out), help that scrolls on a short terminal, and
 * the times of a task waiting for a retry.
 */
#include "ui_fixture.h"

#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "/w/mango", "/w/apple", "/w/kiwi", "/w/banana", "/w/cherry", "/w/date", "/w/fig", "/w/grape",
};

/* cap 2 at t = 10: one task of every state, as a run looks mid-way. */
static struct fx *mixed_pool(void)
{
    struct fx *f = fx_new(names, 8, fx_config(2));
    fx_start_n(f, 2, 0);
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_start(f, 1);
    fx_end(f, 1, TASK_FAILED, RP_CLASS_EXIT, 3, "exit status 1");
    fx_start(f, 3);
    fx_end(f, 2, TASK_OK, RP_CLASS_NONE, 3.5, "ok");
    fx_start(f, 3.5);
    fx_end(f, 3, TASK_SKIPPED, RP_CLASS_DIRTY, 5, "dirty");
    assert_int_equal(sched_cancel(&f->r.sched, 5, 5), SCHED_CANCEL_ENDED);
    return f;
}

/* At 80 columns, the most common terminal, the header cuts off the
 * throughput and ETA as soon as a run has skipped and cancelled tasks
 * (and with larger counts, the cap too). */
static void header_shows_eta_at_80_columns(void **state)
{
    (void)state;
    struct fx *f = mixed_pool();
    fx_render(f, 80, 24, 10);
    /* The counts and the cap fill line 0; time and ETA end line 1. */
    if (!strstr(fx_line(f, 0), "cap 2"))
        fail_msg("80x24 header \"%s\" has no cap", fx_line(f, 0));
    if (!strstr(fx_line(f, 1), "ETA"))
        fail_msg("80x24 second line \"%s\" has no ETA", fx_line(f, 1));
    fx_free(f);
}

/* A start that failed for want of descriptors holds the pool below its
 * cap until a task ends: the header says so, and why, while it lasts. */
static void header_shows_a_resource_hold(void **state)
{
    (void)state;
    struct fx *f = fx_new(names, 8, fx_config(6));
    fx_start_n(f, 3, 0);
    /* The fourth start failed as a backend would report it. */
    uint32_t id = sched_next_start(&f->r.sched, 1);
    assert_true(sched_unstart(&f->r.sched, id, 1));
    f->r.hold_error = UV_EMFILE;
    fx_render(f, 120, 24, 2);
    if (!strstr(fx_line(f, 0), "held at 3: too many open files"))
        fail_msg("header \"%s\" does not show the hold", fx_line(f, 0));
    /* A task ends: the hold is lifted, and the header says nothing more. */
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 3, "ok");
    fx_render(f, 120, 24, 3);
    if (strstr(fx_line(f, 0), "held"))
        fail_msg("header \"%s\" still shows a hold", fx_line(f, 0));
    fx_free(f);
}

/* At 80 columns the footer runs out right after "tTimeline": "qQuit",
 * the way out, is not on the screen. */
static void footer_shows_quit_at_80_columns(void **state)
{
    (void)state;
    struct fx *f = mixed_pool();
    fx_render(f, 80, 24, 10);
    const char *footer = fx_line(f, 23);
    if (!strstr(footer, "qQuit"))
        fail_msg("80x24 footer \"%s\" has no qQuit", footer);
    fx_free(f);
}

/* The help needs 22 rows (24 with the legend of marks). On a shorter
 * terminal it cannot be scrolled: j and PgDn are taken (they move the log
 * view's position, which the help ignores), and the last actions never
 * show. */
static void help_can_be_scrolled_on_a_short_terminal(void **state)
{
    (void)state;
    struct fx *f = mixed_pool();
    fx_render(f, 80, 12, 10);
    fx_key(f, '?');
    assert_int_equal(f->v.screen, UI_SCREEN_HELP);
    const char *quit = ui_action_help(UI_ACTION_QUIT);
    bool seen = fx_find(f, quit) >= 0;
    for (int i = 0; i < 30 && !seen; i++) {
        fx_key(f, i % 2 ? 'j' : KEY_NPAGE);
        seen = fx_find(f, quit) >= 0;
    }
    if (!seen)
        fail_msg("80x12 help never shows \"%s\", whatever is pressed", quit);
    fx_free(f);
}

/* A task waiting for a retry has a finished attempt behind it, but its
 * TIME is computed from t->end, which the scheduler sets only when a task
 * ends for good: the negative result shows as 0.0s, and the duration
 * order puts it after tasks that never started. */
static void retry_wait_shows_the_last_attempts_duration(void **state)
{
    (void)state;
    struct sched_config cfg = fx_config(2);
    cfg.retries = 1;
    cfg.backoff_base = 5;
    const char *const two[] = {"/w/flaky", "/w/fresh"};
    struct fx *f = fx_new(two, 2, cfg);
    fx_start(f, 1.0);
    assert_int_equal(fx_end(f, 0, TASK_FAILED, RP_CLASS_NETWORK, 3.5, "connection reset"),
                     SCHED_END_RETRY);
    fx_render(f, 100, 20, 4.0);
    const char *row = fx_line(f, 3);
    assert_int_equal(row[0], 'Q');
    if (strstr(row, " 0.0s "))
        fail_msg("the waiting task's 2.5s attempt shows as \"%s\"", row);
    /* It says when it runs again, and why (not only the last error). */
    double ready = sched_task(&f->r.sched, 0)->ready_at;
    char want[64];
    snprintf(want, sizeof(want), "retry in %.1fs (connection reset)", ready - 4.0);
    if (!strstr(row, want))
        fail_msg("the waiting row \"%s\" lacks \"%s\"", row, want);
    fx_free(f);
}

/* The timeline draws a task waiting for a retry as a single cell at the
 * start of its last attempt (end = start), so its lane looks free while
 * the attempt still ran and a later task is drawn in the same lane. */
static void timeline_draws_a_retry_waits_last_attempt(void **state)
{
    (void)state;
    struct sched_config cfg = fx_config(1);
    cfg.retries = 1;
    cfg.backoff_base = 5;
    const char *const one[] = {"/w/flaky"};
    struct fx *f = fx_new(one, 1, cfg);
    fx_start(f, 0.0);
    assert_int_equal(fx_end(f, 0, TASK_FAILED, RP_CLASS_NETWORK, 5.0, "connection reset"),
                     SCHED_END_RETRY);
    /* 46 columns of about 0.22s: the 5s attempt covers 23 of them. */
    fx_render(f, 52, 10, 10.0);
    fx_key(f, 't');
    int cells = 0;
    for (int x = 6; x < f->c.w; x++)
        cells += canvas_at(&f->c, x, 2)->cp != ' ';
    if (cells < 20)
        fail_msg("a 5s attempt of a 10s run is drawn in %d columns: \"%s\"", cells, fx_line(f, 2));
    fx_free(f);
}

/* A list still being read: more tasks are on their way, so the queued
 * count says so, the ETA is unknown rather than "done" when every task so
 * far has ended, and the directory hidden from every row shrinks as
 * repositories from elsewhere arrive. */
static void a_list_still_read_shows_more_to_come(void **state)
{
    (void)state;
    struct fx *f = fx_new(names, 2, fx_config(2));
    runner_source_open(&f->r, NULL, NULL);
    fx_start_n(f, 2, 0);
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_end(f, 1, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_render(f, 120, 24, 2);
    if (!strstr(fx_line(f, 0), "queued 0+"))
        fail_msg("header \"%s\" does not say more are coming", fx_line(f, 0));
    if (!strstr(fx_line(f, 1), "ETA ?"))
        fail_msg("second line \"%s\" has no unknown ETA", fx_line(f, 1));
    assert_true(fx_find(f, " mango ") > 0);

    runner_add_task(&f->r, repos_add_raw(&f->repos, "/x/new", 6, NULL));
    runner_tasks_added(&f->r);
    runner_source_ended(&f->r);
    fx_render(f, 120, 24, 3);
    if (strstr(fx_line(f, 0), "+"))
        fail_msg("header \"%s\" still says more are coming", fx_line(f, 0));
    assert_true(fx_find(f, " w/mango ") > 0);
    assert_true(fx_find(f, " x/new ") > 0);
    /* The runner started the new one at once: the pool had room. */
    assert_int_equal(sched_task(&f->r.sched, 2)->state, TASK_RUNNING);
    fx_free(f);
}

/* 200 tasks at -j 5, as `--demo 200 -j 5` looks after a while: the first
 * screen, even a small one, shows the running rows, and says how many rows
 * are off it. The selection once followed task 0 into the finished rows
 * and the view scrolled after it, leaving no R row on screen. */
static struct fx *long_run(void)
{
    struct fx *f = fx_new_numbered(200, "/w/task-%03zu", fx_config(5));
    fx_start_n(f, 5, 0);
    for (uint32_t id = 0; id < 40; id++) {
        fx_end(f, id, id % 9 == 4 ? TASK_FAILED : TASK_OK, id % 9 == 4 ? RP_CLASS_EXIT : RP_CLASS_NONE,
               1 + id * 0.1, "done");
        fx_start(f, 1 + id * 0.1);
    }
    return f;
}

static void first_screen_shows_the_running_rows(void **state)
{
    (void)state;
    struct fx *f = long_run();
    fx_render(f, 60, 15, 5);
    for (int y = 3; y < 8; y++)
        if (fx_line(f, y)[0] != 'R')
            fail_msg("row y=%d reads \"%s\": the running rows are not on the first screen", y, fx_line(f, y));
    assert_int_equal(fx_row_id(f, fx_selected_y(f)), 40);
    /* 11 rows shown of 200. */
    assert_non_null(strstr(fx_line(f, 2), "0 above \xc2\xb7 189 below"));
    /* Once the user moves, the selection stays with its task. */
    fx_key(f, 'j');
    assert_int_equal(f->v.selected, 41);
    fx_end(f, 41, TASK_OK, RP_CLASS_NONE, 5, "done");
    fx_render(f, 60, 15, 5);
    assert_int_equal(fx_row_id(f, fx_selected_y(f)), 41);
    assert_int_equal(fx_line(f, fx_selected_y(f))[0], 'O');
    assert_null(strstr(fx_line(f, 2), " 0 above"));
    /* g goes back to the top, and to following it. */
    fx_key(f, 'g');
    fx_end(f, 40, TASK_OK, RP_CLASS_NONE, 5.5, "done");
    fx_render(f, 60, 15, 6);
    assert_int_equal(fx_line(f, fx_selected_y(f))[0], 'R');
    fx_free(f);
}

/* The problems come together, after the queued rows and before the ok. */
static void problems_come_together(void **state)
{
    (void)state;
    struct fx *f = long_run();
    fx_render(f, 100, 250, 5);
    int first_problem = -1, last_problem = -1, first_ok = -1;
    for (int y = 3; y < 3 + (int)f->v.norder; y++) {
        char mark = fx_line(f, y)[0];
        if (mark == 'F') {
            first_problem = first_problem < 0 ? y : first_problem;
            last_problem = y;
        } else if (mark == 'O' && first_ok < 0) {
            first_ok = y;
        }
    }
    assert_true(first_problem > 0 && first_ok > 0);
    assert_int_equal(last_problem - first_problem + 1, 4); /* tasks 4, 13, 22 and 31 */
    assert_true(last_problem < first_ok);
    assert_int_equal(fx_line(f, first_problem - 1)[0], 'Q');
    fx_free(f);
}

/* A run that ended stands still: the clock, rate and ETA shown at the end
 * stay (a 7.1 s run once showed 27s later), and a paused pool has no ETA. */
static void the_clock_stops_at_the_end_and_a_pause_has_no_eta(void **state)
{
    (void)state;
    struct fx *f = fx_new(names, 2, fx_config(2));
    fx_start_n(f, 2, 0);
    fx_cap(f, 0, 1);
    fx_render(f, 80, 24, 1);
    if (!strstr(fx_line(f, 1), "ETA paused"))
        fail_msg("paused: \"%s\"", fx_line(f, 1));
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 3, "ok");
    fx_end(f, 1, TASK_OK, RP_CLASS_NONE, 7.1, "ok");
    f->r.ended_at = 7.1; /* as the runner marks the end */
    fx_render(f, 80, 24, 27);
    if (!strstr(fx_line(f, 1), "7.1s  0.3/s  ETA done"))
        fail_msg("after the end: \"%s\"", fx_line(f, 1));
    fx_free(f);
}

/* At 40x8 the counts by name pushed the cap off the header; marks keep it. */
static void header_keeps_the_cap_at_40_columns(void **state)
{
    (void)state;
    struct fx *f = mixed_pool();
    fx_render(f, 40, 8, 10);
    assert_string_equal(fx_line(f, 0), "R1 Q2 O2 F1 S1 C1 cap 2");
    fx_render(f, 80, 8, 10);
    assert_non_null(strstr(fx_line(f, 0), "running 1  queued 2  ok 2  failed 1  skipped 1  cancelled 1  cap 2"));
    fx_free(f);
}

/* The pool line covers the whole run: a peak of 7 early in a long run is
 * still its maximum (a sliding window once said "max 3"). */
static void the_pool_line_covers_the_whole_run(void **state)
{
    (void)state;
    struct fx *f = fx_new_numbered(20, "/w/t-%02zu", fx_config(7));
    fx_start_n(f, 7, 0);
    for (uint32_t id = 0; id < 4; id++)
        fx_end(f, id, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_cap(f, 3, 1);
    fx_render(f, 80, 24, 300);
    fx_cap(f, 3, 300);
    fx_render(f, 80, 24, 300);
    if (!strstr(fx_line(f, 1), "max 7"))
        fail_msg("pool line: \"%s\"", fx_line(f, 1));
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(a_list_still_read_shows_more_to_come, fx_teardown),
        cmocka_unit_test_teardown(header_shows_eta_at_80_columns, fx_teardown),
        cmocka_unit_test_teardown(header_shows_a_resource_hold, fx_teardown),
        cmocka_unit_test_teardown(footer_shows_quit_at_80_columns, fx_teardown),
        cmocka_unit_test_teardown(help_can_be_scrolled_on_a_short_terminal, fx_teardown),
        cmocka_unit_test_teardown(retry_wait_shows_the_last_attempts_duration, fx_teardown),
        cmocka_unit_test_teardown(timeline_draws_a_retry_waits_last_attempt, fx_teardown),
        cmocka_unit_test_teardown(first_screen_shows_the_running_rows, fx_teardown),
        cmocka_unit_test_teardown(problems_come_together, fx_teardown),
        cmocka_unit_test_teardown(the_clock_stops_at_the_end_and_a_pause_has_no_eta, fx_teardown),
        cmocka_unit_test_teardown(header_keeps_the_cap_at_40_columns, fx_teardown),
        cmocka_unit_test_teardown(the_pool_line_covers_the_whole_run, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
