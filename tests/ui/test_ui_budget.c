/*
 * The dashboard keeps every finished task's output for its log view, but
 * not without end: 64 MiB over all tasks (outbudget.h). A run of 1,100
 * tasks that each print more than their 64 KiB goes over it; the tasks
 * that ended first lose their output, and the log view says so.
 */
#include "ui_fixture.h"

#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define NTASKS 1100u
#define PER_TASK (64u * 1024u)
/* Outputs that fit: the rest ended first and were dropped. */
#define FIT ((unsigned)(OUTBUDGET_DEFAULT_LIMIT / PER_TASK))

/* A task's output: numbered lines, a little more than it keeps. */
static char *output_of(uint32_t id)
{
    size_t cap = PER_TASK + 4096;
    char *text = malloc(cap + 64);
    assert_non_null(text);
    size_t len = 0;
    for (unsigned line = 1; len < cap; line++)
        len += (size_t)sprintf(text + len, "task %04u line %05u\n", id, line);
    return text;
}

/* Ends task id as a backend would: through the runner, which reports the
 * end and starts the next task. Each end comes in a loop turn of its own,
 * as the exit of a real process would. */
static void end_ok(struct fx *f, uint32_t id)
{
    struct attempt_result res = {.status = TASK_OK, .cls = RP_CLASS_NONE, .exit_code = 0,
                                 .summary = "ok", .summary_len = 2};
    f->r.turn_started_ns = 0;
    runner_attempt_done(&f->r, id, &res);
}

/* Selects task id in the table (state order: finished, newest first). */
static void open_log(struct fx *f, uint32_t id)
{
    fx_key(f, 'g');
    for (unsigned i = 0; i < NTASKS && f->v.selected != id; i++)
        fx_key(f, 'j');
    assert_int_equal(f->v.selected, id);
    fx_key(f, '\n');
    assert_int_equal(f->v.screen, UI_SCREEN_LOG);
}

static void oldest_output_is_dropped_and_the_log_says_so(void **state)
{
    (void)state;
    struct fx *f = fx_new_numbered(NTASKS, "/w/repo-%04zu", fx_config(1));
    f->r.keep_output = true; /* as under the dashboard */
    fx_start(f, 0);
    for (uint32_t id = 0; id < NTASKS; id++) {
        assert_int_equal(sched_task(&f->r.sched, id)->state, TASK_RUNNING);
        char *text = output_of(id);
        fx_output(f, id, text);
        free(text);
        end_ok(f, id);
    }
    assert_true(sched_all_final(&f->r.sched));

    /* Within the budget, and the first to end are the ones that lost. */
    assert_true(f->r.out_budget.held <= OUTBUDGET_DEFAULT_LIMIT);
    assert_int_equal(f->r.out_budget.dropped, NTASKS - FIT);
    for (uint32_t id = 0; id < NTASKS; id++) {
        const struct task *t = sched_task(&f->r.sched, id);
        bool dropped = id < NTASKS - FIT;
        assert_int_equal(t->out_dropped, dropped);
        assert_int_equal(t->out->len, dropped ? 0 : PER_TASK);
        /* What it printed is still known. */
        assert_true(t->out->total > PER_TASK);
    }

    /* The log of the first task: the note, then its summary. */
    fx_render(f, 120, 12, 10);
    open_log(f, 0);
    assert_non_null(strstr(fx_line(f, 0), "ok  (output dropped)  /w/repo-0000"));
    assert_string_equal(fx_line(f, 1), "(output dropped: repopool keeps at most 64 MiB of output in all; "
                                       "this task's was among the oldest)");
    assert_string_equal(fx_line(f, 2), "ok");
    char want[128];
    snprintf(want, sizeof(want), "%llu bytes, lines 0-0 of 0",
             (unsigned long long)sched_task(&f->r.sched, 0)->out->total);
    assert_int_equal(strncmp(fx_line(f, 11), want, strlen(want)), 0);
    fx_assert_clean_canvas(&f->c);

    /* Narrow, the note takes two lines. */
    fx_render(f, 80, 12, 10);
    assert_string_equal(fx_line(f, 1), "(output dropped: repopool keeps at most 64 MiB of output in all;");
    assert_string_equal(fx_line(f, 2), "  this task's was among the oldest)");
    assert_string_equal(fx_line(f, 3), "ok");
    fx_key(f, 27);

    /* A task that ended later keeps its last 64 KiB, without the note. */
    fx_render(f, 120, 12, 10);
    uint32_t last_dropped = NTASKS - FIT - 1;
    open_log(f, last_dropped + 1);
    assert_non_null(strstr(fx_line(f, 0), "ok  (last 64 KiB)  /w/repo-"));
    char *screen = fx_screen(f);
    assert_null(strstr(screen, "output dropped"));
    free(screen);
    fx_key(f, 'G');
    assert_non_null(strstr(fx_line(f, 10), "line "));
    fx_key(f, 27);
    open_log(f, last_dropped);
    assert_non_null(strstr(fx_line(f, 1), "(output dropped:"));
    fx_free(f);
}

/* Output from a retry after the drop shows under the note. */
static void a_retry_after_the_drop_shows_its_output_under_the_note(void **state)
{
    (void)state;
    struct fx *f = fx_new_numbered(3, "/w/repo-%04zu", fx_config(1));
    f->r.keep_output = true;
    f->r.out_budget.limit = 1024; /* a small budget: the note says so */
    fx_start(f, 0);
    char *text = output_of(0);
    fx_output(f, 0, text);
    free(text);
    struct attempt_result fail = {.status = TASK_FAILED, .cls = RP_CLASS_EXIT, .exit_code = 1,
                                  .summary = "exit status 1", .summary_len = 13};
    runner_attempt_done(&f->r, 0, &fail);
    /* Task 1 runs now and prints past the budget: task 0's output goes. */
    fx_output(f, 1, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
    assert_int_equal(sched_task(&f->r.sched, 0)->out_dropped, 1);
    end_ok(f, 1);
    /* Retried: it waits for task 1's slot, runs, prints again, fails. */
    assert_true(runner_retry_task(&f->r, 0));
    end_ok(f, 2);
    assert_int_equal(sched_task(&f->r.sched, 0)->state, TASK_RUNNING);
    fx_output(f, 0, "second try\n");
    runner_attempt_done(&f->r, 0, &fail);

    fx_render(f, 120, 10, 10);
    open_log(f, 0);
    assert_string_equal(fx_line(f, 1), "(output dropped: repopool keeps at most 1 KiB of output in all; "
                                       "this task's was among the oldest)");
    assert_string_equal(fx_line(f, 2), "second try");
    assert_non_null(strstr(fx_line(f, 9), "lines 1-1 of 1"));
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(oldest_output_is_dropped_and_the_log_says_so, fx_teardown),
        cmocka_unit_test_teardown(a_retry_after_the_drop_shows_its_output_under_the_note, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
