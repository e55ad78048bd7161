/*
 * What the dashboard's keys do, as a user would notice: which rows show and
 * in what order, where the selection is, what the pool does, what the
 * footer asks. Every key is followed by a redraw, as in tui.c.
 *
 * Keys that act on the pool go through the real runner (with the fixture's
 * backend, which starts tasks and never ends them); the runner's clock is
 * real, so nothing here depends on the times it records.
 */
#include "ui_fixture.h"

#include "repopool/gitinfo.h"

#include <curses.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/ui_screen.h"

/* --- a small pool with every kind of row --- */

static const char *const fruit_names[] = {
    "/w/mango", "/w/apple", "/w/kiwi", "/w/banana", "/w/cherry", "/w/date", "/w/fig", "/w/grape",
};
enum { MANGO, APPLE, KIWI, BANANA, CHERRY, DATE, FIG, GRAPE, NFRUIT };

#define FRUIT_NOW 5.0

/*
 * cap 2, at t = 5: banana and cherry run (2.0s and 1.5s so far); date, fig
 * and grape are queued; mango (1.0s, ended at 1), apple (failed, 3.0s,
 * ended at 3) and kiwi (2.5s, ended at 3.5) are finished.
 */
static struct fx *fruit_pool(void)
{
    struct fx *f = fx_new(fruit_names, NFRUIT, fx_config(2));
    assert_int_equal(fx_start(f, 0), MANGO);
    assert_int_equal(fx_start(f, 0), APPLE);
    fx_end(f, MANGO, TASK_OK, RP_CLASS_NONE, 1, "ok");
    assert_int_equal(fx_start(f, 1), KIWI);
    fx_end(f, APPLE, TASK_FAILED, RP_CLASS_EXIT, 3, "exit status 1");
    assert_int_equal(fx_start(f, 3), BANANA);
    fx_end(f, KIWI, TASK_OK, RP_CLASS_NONE, 3.5, "ok");
    assert_int_equal(fx_start(f, 3.5), CHERRY);
    fx_render(f, 100, 20, FRUIT_NOW);
    return f;
}

/* The name a row shows for task id (the directory all share is hidden). */
static const char *fruit(uint32_t id)
{
    return strrchr(fruit_names[id], '/') + 1;
}

/* The rows are exactly ids, in that order, on screen and in the view. */
static void assert_rows(struct fx *f, const uint32_t *ids, size_t n)
{
    assert_int_equal(f->v.norder, n);
    for (size_t i = 0; i < n; i++) {
        if (f->v.order[i] != ids[i])
            fail_msg("row %zu is task %u (%s), expected %u (%s)", i, f->v.order[i],
                     fruit(f->v.order[i]), ids[i], fruit(ids[i]));
        const char *line = fx_line(f, 3 + (int)i);
        /* Mark, two spaces, then the name and padding. */
        if (strncmp(line + 3, fruit(ids[i]), strlen(fruit(ids[i]))) != 0 ||
            line[3 + strlen(fruit(ids[i]))] != ' ')
            fail_msg("screen row %zu reads \"%s\", expected %s", i, line, fruit(ids[i]));
    }
    /* Nothing below the last row but the footer. */
    if (n + 4 < (size_t)f->c.h)
        assert_string_equal(fx_line(f, 3 + (int)n), "");
}

static char mark_of(struct fx *f, uint32_t id)
{
    for (size_t i = 0; i < f->v.norder; i++)
        if (f->v.order[i] == id && i >= f->v.top && i < f->v.top + (size_t)f->v.rows)
            return fx_line(f, 3 + (int)(i - f->v.top))[0];
    fail_msg("task %u is not on screen", id);
    return 0;
}

/* --- order --- */

static void default_order_is_running_queued_problems_then_ok(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    /* The failed apple ended before kiwi, but problems come together,
     * before what ended ok. */
    const uint32_t want[] = {BANANA, CHERRY, DATE, FIG, GRAPE, APPLE, KIWI, MANGO};
    assert_rows(f, want, NFRUIT);
    assert_non_null(strstr(fx_line(f, 2), "[state order, all]"));
    assert_int_equal(mark_of(f, BANANA), 'R');
    assert_int_equal(mark_of(f, DATE), 'Q');
    assert_int_equal(mark_of(f, KIWI), 'O');
    assert_int_equal(mark_of(f, APPLE), 'F');

    /* A problem that ends moves to the top of the problems. */
    fx_end(f, CHERRY, TASK_SKIPPED, RP_CLASS_DIRTY, 5, "dirty");
    fx_render(f, 100, 20, FRUIT_NOW);
    const uint32_t after[] = {BANANA, DATE, FIG, GRAPE, CHERRY, APPLE, KIWI, MANGO};
    assert_rows(f, after, NFRUIT);
    assert_int_equal(mark_of(f, CHERRY), 'S');
    fx_free(f);
}

static void s_cycles_submission_duration_name_and_back(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();

    assert_int_equal(fx_key(f, 's'), UI_REDRAW_SCREEN);
    assert_int_equal(f->v.sort, UI_SORT_SUBMISSION);
    assert_non_null(strstr(fx_line(f, 2), "[submission order, all]"));
    const uint32_t submission[] = {MANGO, APPLE, KIWI, BANANA, CHERRY, DATE, FIG, GRAPE};
    assert_rows(f, submission, NFRUIT);

    fx_key(f, 's');
    assert_non_null(strstr(fx_line(f, 2), "[duration order, all]"));
    /* Longest first; running tasks count until now; never-started last. */
    const uint32_t duration[] = {APPLE, KIWI, BANANA, CHERRY, MANGO, DATE, FIG, GRAPE};
    assert_rows(f, duration, NFRUIT);
    /* Running tasks keep growing: at t = 7.9 banana (4.9s) leads. */
    fx_render(f, 100, 20, 7.9);
    const uint32_t later[] = {BANANA, CHERRY, APPLE, KIWI, MANGO, DATE, FIG, GRAPE};
    assert_rows(f, later, NFRUIT);
    fx_render(f, 100, 20, FRUIT_NOW);

    fx_key(f, 's');
    assert_non_null(strstr(fx_line(f, 2), "[name order, all]"));
    const uint32_t name[] = {APPLE, BANANA, CHERRY, DATE, FIG, GRAPE, KIWI, MANGO};
    assert_rows(f, name, NFRUIT);

    fx_key(f, 's');
    assert_non_null(strstr(fx_line(f, 2), "[state order, all]"));
    const uint32_t by_state[] = {BANANA, CHERRY, DATE, FIG, GRAPE, APPLE, KIWI, MANGO};
    assert_rows(f, by_state, NFRUIT);
    fx_free(f);
}

static void f_cycles_state_filters(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();

    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, running]"));
    const uint32_t running[] = {BANANA, CHERRY};
    assert_rows(f, running, 2);

    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, queued]"));
    const uint32_t queued[] = {DATE, FIG, GRAPE};
    assert_rows(f, queued, 3);

    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, problems]"));
    const uint32_t problems[] = {APPLE};
    assert_rows(f, problems, 1);

    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, ok]"));
    const uint32_t ok[] = {KIWI, MANGO};
    assert_rows(f, ok, 2);

    /* Filters combine with the order. */
    fx_key(f, 's');
    const uint32_t ok_by_submission[] = {MANGO, KIWI};
    assert_rows(f, ok_by_submission, 2);
    fx_key(f, 's');
    fx_key(f, 's');
    fx_key(f, 's');

    /* Status results that need attention: kiwi is behind, mango clean. */
    struct gitinfo *behind = calloc(1, sizeof(*behind)), *clean = calloc(1, sizeof(*clean));
    strcpy(behind->branch, "main");
    strcpy(behind->upstream, "origin/main");
    behind->behind = 2;
    *clean = *behind;
    clean->behind = 0;
    sched_task(&f->r.sched, KIWI)->git = behind;
    sched_task(&f->r.sched, MANGO)->git = clean;
    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, attention]"));
    const uint32_t attention[] = {KIWI};
    assert_rows(f, attention, 1);

    fx_key(f, 'f');
    assert_non_null(strstr(fx_line(f, 2), "[state order, all]"));
    assert_int_equal(f->v.norder, NFRUIT);
    fx_free(f);
}

static void slash_filters_as_typed_enter_keeps_esc_clears(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    int footer = f->c.h - 1;

    fx_key(f, '/');
    assert_true(f->v.editing_filter);
    assert_string_equal(fx_line(f, footer), "Filter: _");
    assert_int_equal(f->v.norder, NFRUIT);

    fx_key(f, 'a');
    assert_string_equal(fx_line(f, footer), "Filter: a_");
    /* Names and summaries both match, case-insensitively. */
    const uint32_t with_a[] = {BANANA, DATE, GRAPE, APPLE, MANGO};
    assert_rows(f, with_a, 5);
    fx_key(f, 'N');
    assert_string_equal(fx_line(f, footer), "Filter: aN_");
    const uint32_t with_an[] = {BANANA, MANGO};
    assert_rows(f, with_an, 2);
    assert_non_null(strstr(fx_line(f, 2), "text: aN]"));

    /* Keys are text while typing: '+' does not raise the cap. */
    unsigned cap = f->r.sched.cap;
    fx_key(f, '+');
    assert_int_equal(f->r.sched.cap, cap);
    assert_string_equal(fx_line(f, footer), "Filter: aN+_");
    assert_int_equal(f->v.norder, 0);
    assert_non_null(strstr(fx_line(f, 3), "no task matches the filter"));
    fx_key(f, KEY_BACKSPACE);
    assert_string_equal(fx_line(f, footer), "Filter: aN_");
    assert_rows(f, with_an, 2);

    /* Enter keeps the filter and gives the footer back. */
    fx_key(f, '\n');
    assert_false(f->v.editing_filter);
    assert_string_equal(f->v.filter, "aN");
    assert_int_equal(strncmp(fx_line(f, footer), "?Help", 5), 0);
    assert_rows(f, with_an, 2);

    /* Summaries match too. */
    fx_key(f, '/');
    fx_key(f, KEY_BACKSPACE);
    fx_key(f, KEY_BACKSPACE);
    fx_keys(f, "exit");
    const uint32_t with_exit[] = {APPLE};
    assert_rows(f, with_exit, 1);

    /* Esc while typing clears the filter. */
    fx_key(f, 27);
    assert_false(f->v.editing_filter);
    assert_string_equal(f->v.filter, "");
    assert_int_equal(f->v.norder, NFRUIT);
    assert_null(strstr(fx_line(f, 2), "text:"));

    /* Esc on the table clears a kept filter too. */
    fx_keys(f, "/kiwi\n");
    assert_int_equal(f->v.norder, 1);
    fx_key(f, 27);
    assert_string_equal(f->v.filter, "");
    assert_int_equal(f->v.norder, NFRUIT);
    fx_free(f);
}

/* --- moving --- */

/* The selected task's row is on screen, painted, and is that task. */
static int check_selection(struct fx *f)
{
    int y = fx_selected_y(f);
    if (y < 3 || y >= 3 + f->v.rows)
        fail_msg("the selected row is at y = %d, off the table", y);
    assert_int_equal(fx_row_id(f, y), f->v.selected);
    char name[32];
    snprintf(name, sizeof(name), "repo-%02u ", f->v.selected);
    assert_int_equal(strncmp(fx_line(f, y) + 3, name, strlen(name)), 0);
    return y;
}

static void moving_keeps_the_selection_visible(void **state)
{
    (void)state;
    struct fx *f = fx_new_numbered(30, "/n/repo-%02zu", fx_config(0));
    fx_render(f, 80, 12, 1.0);
    assert_int_equal(f->v.rows, 8);

    assert_int_equal(check_selection(f), 3);
    assert_int_equal(f->v.selected, 0);
    fx_key(f, 'k'); /* already at the top */
    assert_int_equal(check_selection(f), 3);
    fx_key(f, 'j');
    assert_int_equal(check_selection(f), 4);
    assert_int_equal(f->v.selected, 1);
    fx_key(f, KEY_DOWN);
    assert_int_equal(f->v.selected, 2);

    fx_key(f, 'G');
    assert_int_equal(f->v.selected, 29);
    assert_int_equal(check_selection(f), 10);
    assert_int_equal(f->v.top, 22);
    fx_key(f, 'j'); /* already at the bottom */
    assert_int_equal(f->v.selected, 29);

    fx_key(f, 'g');
    assert_int_equal(f->v.selected, 0);
    assert_int_equal(check_selection(f), 3);
    assert_int_equal(f->v.top, 0);

    /* A page is the visible rows less one, so one row stays in view. */
    fx_key(f, KEY_NPAGE);
    assert_int_equal(f->v.selected, 7);
    assert_int_equal(check_selection(f), 10);
    fx_key(f, KEY_NPAGE);
    assert_int_equal(f->v.selected, 14);
    assert_int_equal(check_selection(f), 10);
    assert_int_equal(f->v.top, 7);
    fx_key(f, 'k');
    assert_int_equal(f->v.selected, 13);
    assert_int_equal(check_selection(f), 9);
    fx_key(f, KEY_PPAGE);
    assert_int_equal(f->v.selected, 6);
    assert_int_equal(check_selection(f), 3);
    for (int i = 0; i < 10; i++)
        fx_key(f, KEY_NPAGE);
    assert_int_equal(f->v.selected, 29);
    check_selection(f);
    fx_key(f, KEY_HOME);
    assert_int_equal(f->v.selected, 0);
    fx_key(f, KEY_END);
    assert_int_equal(f->v.selected, 29);

    /* A smaller terminal: the selection is still in view. */
    fx_render(f, 80, 8, 1.0);
    assert_int_equal(check_selection(f), 6);
    fx_free(f);
}

static void selection_follows_its_task_when_rows_move(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_keys(f, "jj");
    assert_int_equal(f->v.selected, DATE);
    int y = fx_selected_y(f);
    assert_int_equal(fx_row_id(f, y), DATE);
    /* Banana ends: date moves up a row, and the selection with it. */
    fx_end(f, BANANA, TASK_OK, RP_CLASS_NONE, 5, "ok");
    fx_render(f, 100, 20, FRUIT_NOW);
    assert_int_equal(f->v.selected, DATE);
    assert_int_equal(fx_selected_y(f), y - 1);
    fx_free(f);
}

/* --- the pool --- */

/* Runs keys with stdout and stderr going to a file; returns the bytes
 * written there. */
static long keys_output(struct fx *f, const int *keys, size_t n)
{
    char path[] = "/tmp/repopool-ui-out-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    assert_true(saved_out >= 0 && saved_err >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    for (size_t i = 0; i < n; i++)
        fx_key(f, keys[i]);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, 1);
    dup2(saved_err, 2);
    close(saved_out);
    close(saved_err);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    return (long)st.st_size;
}

static void plus_minus_change_the_cap_silently(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    assert_int_equal(f->r.sched.cap, 2);

    int plus = '+';
    assert_int_equal(keys_output(f, &plus, 1), 0);
    assert_int_equal(f->r.sched.cap, 3);
    /* A queued task starts at once. */
    assert_int_equal(f->starts, 1);
    assert_int_equal(sched_running(&f->r.sched), 3);
    assert_int_equal(sched_task(&f->r.sched, DATE)->state, TASK_RUNNING);
    assert_non_null(strstr(fx_line(f, 0), "running 3  queued 2"));
    assert_non_null(strstr(fx_line(f, 0), "cap 3"));

    int minus = '-';
    assert_int_equal(keys_output(f, &minus, 1), 0);
    assert_int_equal(f->r.sched.cap, 2);
    /* Lowering stops nothing. */
    assert_int_equal(sched_running(&f->r.sched), 3);
    assert_non_null(strstr(fx_line(f, 0), "cap 2"));

    int downs[] = {'-', '-', '-', '-'};
    assert_int_equal(keys_output(f, downs, 4), 0);
    assert_int_equal(f->r.sched.cap, 0);

    /* '=' is '+' without shift; the cap stops at max_cap. */
    int ups[40];
    for (size_t i = 0; i < 40; i++)
        ups[i] = i % 2 ? '+' : '=';
    assert_int_equal(keys_output(f, ups, 40), 0);
    assert_int_equal(f->r.sched.cap, 16);
    assert_int_equal(sched_queued(&f->r.sched), 0);
    fx_free(f);
}

static void p_pauses_and_resumes_to_the_cap_before(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_key(f, '+');
    fx_key(f, '+');
    assert_int_equal(f->r.sched.cap, 4);
    unsigned starts = f->starts;

    int p = 'p';
    assert_int_equal(keys_output(f, &p, 1), 0);
    assert_int_equal(f->r.sched.cap, 0);
    assert_non_null(strstr(fx_line(f, 0), "cap 0 paused"));
    /* Running tasks go on; nothing new starts, even when one ends. */
    fx_end(f, BANANA, TASK_OK, RP_CLASS_NONE, 5, "ok");
    assert_int_equal(sched_next_start(&f->r.sched, 5), SCHED_NONE);
    assert_int_equal(f->starts, starts);

    assert_int_equal(keys_output(f, &p, 1), 0);
    assert_int_equal(f->r.sched.cap, 4);
    assert_null(strstr(fx_line(f, 0), "paused"));
    fx_free(f);

    /* Started paused (-j 0): resuming gives one slot. */
    f = fx_new(fruit_names, NFRUIT, fx_config(0));
    fx_render(f, 100, 20, 0);
    assert_non_null(strstr(fx_line(f, 0), "cap 0 paused"));
    fx_key(f, 'p');
    assert_int_equal(f->r.sched.cap, 1);
    assert_int_equal(sched_running(&f->r.sched), 1);
    fx_free(f);
}

static void c_cancels_the_selected_task(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_keys(f, "jj");
    assert_int_equal(f->v.selected, DATE);
    assert_int_equal(fx_key(f, 'c'), UI_REDRAW_SCREEN);
    assert_int_equal(sched_task(&f->r.sched, DATE)->state, TASK_CANCELLED);
    assert_int_equal(sched_task(&f->r.sched, DATE)->attempt, 0);
    /* It is now the newest finished row, still selected. */
    const uint32_t want[] = {BANANA, CHERRY, FIG, GRAPE, DATE, APPLE, KIWI, MANGO};
    assert_rows(f, want, NFRUIT);
    assert_int_equal(mark_of(f, DATE), 'C');
    assert_int_equal(fx_row_id(f, fx_selected_y(f)), DATE);
    assert_non_null(strstr(fx_line(f, 0), "cancelled 1"));
    assert_int_equal(f->cancels, 0);

    /* A running task is asked to stop; it ends cancelled when it ends. */
    fx_key(f, 'g');
    assert_int_equal(f->v.selected, BANANA);
    fx_key(f, 'c');
    assert_int_equal(f->cancels, 1);
    assert_int_equal(sched_task(&f->r.sched, BANANA)->stop, TASK_STOP_CANCEL);
    fx_end(f, BANANA, TASK_OK, RP_CLASS_NONE, 5, NULL);
    assert_int_equal(sched_task(&f->r.sched, BANANA)->state, TASK_CANCELLED);

    /* Cancelling a finished task changes nothing. */
    fx_key(f, 'G');
    assert_int_equal(f->v.selected, MANGO);
    fx_key(f, 'c');
    assert_int_equal(sched_task(&f->r.sched, MANGO)->state, TASK_OK);
    fx_free(f);
}

static void r_queues_a_failed_task_again(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_keys(f, "Gkk");
    assert_int_equal(f->v.selected, APPLE);
    assert_int_equal(mark_of(f, APPLE), 'F');
    assert_int_equal(fx_key(f, 'r'), UI_REDRAW_SCREEN);
    /* The pool is full, so it waits, ahead of the fresh tasks. */
    assert_int_equal(sched_task(&f->r.sched, APPLE)->state, TASK_QUEUED);
    assert_int_equal(mark_of(f, APPLE), 'Q');
    const uint32_t want[] = {BANANA, CHERRY, APPLE, DATE, FIG, GRAPE, KIWI, MANGO};
    assert_rows(f, want, NFRUIT);
    assert_non_null(strstr(fx_line(f, 0), "queued 4  ok 2  failed 0"));
    fx_cap(f, 3, 5);
    assert_int_equal(fx_start(f, 5), APPLE);
    assert_int_equal(sched_task(&f->r.sched, APPLE)->attempt, 2);

    /* 'r' on a task that did not fail does nothing, and says why in place
     * of the footer until the next key. */
    fx_keys(f, "G");
    assert_int_equal(f->v.selected, MANGO);
    fx_key(f, 'r');
    assert_int_equal(sched_task(&f->r.sched, MANGO)->state, TASK_OK);
    fx_render(f, 100, 20, FRUIT_NOW);
    assert_string_equal(fx_line(f, 19), "mango ended ok: only failed or cancelled tasks are retried");
    fx_key(f, 'k');
    fx_render(f, 100, 20, FRUIT_NOW);
    assert_non_null(strstr(fx_line(f, 19), "?Help"));
    /* So does 'c' on a task that has ended. */
    fx_keys(f, "Gc");
    fx_render(f, 100, 20, FRUIT_NOW);
    assert_string_equal(fx_line(f, 19), "mango has ended: nothing to cancel");
    fx_free(f);
}

static void capital_r_retries_every_failed_task(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_end(f, BANANA, TASK_FAILED, RP_CLASS_EXIT, 5, "exit status 2");
    fx_render(f, 100, 20, FRUIT_NOW);
    assert_non_null(strstr(fx_line(f, 0), "failed 2"));
    fx_key(f, 'R');
    assert_non_null(strstr(fx_line(f, 0), "failed 0"));
    assert_int_not_equal(sched_task(&f->r.sched, APPLE)->state, TASK_FAILED);
    assert_int_not_equal(sched_task(&f->r.sched, BANANA)->state, TASK_FAILED);
    fx_free(f);
}

static void q_asks_first_while_tasks_remain(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    int footer = f->c.h - 1;

    assert_int_equal(fx_key(f, 'q'), UI_REDRAW_SCREEN);
    assert_true(f->v.confirm_quit);
    assert_false(f->v.quit);
    assert_string_equal(fx_line(f, footer), "Quit and cancel 2 running and 3 queued tasks? y/n");

    /* 'n' keeps running. */
    assert_int_equal(fx_key(f, 'n'), UI_REDRAW_SCREEN);
    assert_false(f->v.confirm_quit);
    assert_false(f->v.quit);
    assert_int_equal(strncmp(fx_line(f, footer), "?Help", 5), 0);
    assert_int_equal(sched_running(&f->r.sched), 2);
    assert_int_equal(sched_queued(&f->r.sched), 3);
    assert_int_equal(f->cancels, 0);

    /* Any other key than y keeps running too, and does nothing else. */
    fx_key(f, 'q');
    fx_key(f, '+');
    assert_false(f->v.confirm_quit);
    assert_int_equal(f->r.sched.cap, 2);

    /* 'y' stops the run: queued tasks are cancelled, running ones asked to stop. */
    fx_key(f, 'q');
    unsigned redraw = fx_key(f, 'y');
    assert_true(redraw & UI_REDRAW_QUIT);
    assert_true(f->v.quit);
    assert_int_equal(sched_queued(&f->r.sched), 0);
    assert_int_equal(f->r.sched.counts[TASK_CANCELLED], 3);
    assert_int_equal(f->cancels, 2);
    fx_free(f);
}

static void q_quits_at_once_when_everything_ended(void **state)
{
    (void)state;
    struct fx *f;
    const char *const names[] = {"/w/one", "/w/two"};
    f = fx_new(names, 2, fx_config(2));
    fx_start_n(f, 2, 0);
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, NULL);
    fx_end(f, 1, TASK_FAILED, RP_CLASS_EXIT, 1, "exit status 1");
    fx_render(f, 80, 24, 2);
    assert_non_null(strstr(fx_line(f, 1), "ETA done"));
    unsigned redraw = fx_key(f, 'q');
    assert_true(redraw & UI_REDRAW_QUIT);
    assert_true(f->v.quit);
    assert_false(f->v.confirm_quit);
    fx_free(f);
}

/* --- help and the action list --- */

static void check_action(enum ui_action a, const char *keys, const char *label, const char *help)
{
    assert_string_equal(ui_action_keys(a), keys);
    assert_string_equal(ui_action_help(a), help);
    if (label)
        assert_string_equal(ui_action_label(a), label);
    else
        assert_null(ui_action_label(a));
}

static void help_lists_every_action(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_render(f, 100, 30, FRUIT_NOW);
    fx_key(f, '?');
    assert_int_equal(f->v.screen, UI_SCREEN_HELP);
    for (int a = 0; a < UI_ACTION_COUNT; a++) {
        char want[256];
        snprintf(want, sizeof(want), "  %-12s %s", ui_action_keys((enum ui_action)a),
                 ui_action_help((enum ui_action)a));
        if (fx_find(f, want) < 0)
            fail_msg("help has no line \"%s\"", want);
    }
    /* Help, footer and enum are the same table. */
#define UI_ACTION_CHECK(id, keys, label, help) check_action(UI_ACTION_##id, keys, label, help);
    UI_ACTION_LIST(UI_ACTION_CHECK)
#undef UI_ACTION_CHECK

    /* '?', F1, Esc and q all leave it. */
    fx_key(f, '?');
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_key(f, KEY_F(1));
    assert_int_equal(f->v.screen, UI_SCREEN_HELP);
    fx_key(f, 27);
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_key(f, '?');
    fx_key(f, 'q');
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    assert_false(f->v.confirm_quit);
    fx_free(f);
}

/* The key code each name in the help's key column stands for. */
static int key_code(const char *name)
{
    static const struct {
        const char *name;
        int code;
    } named[] = {
        {"F1", KEY_F(1)}, {"Enter", '\n'},   {"Up", KEY_UP},     {"Down", KEY_DOWN}, {"PgUp", KEY_PPAGE},
        {"PgDn", KEY_NPAGE}, {"Home", KEY_HOME}, {"End", KEY_END}, {"Esc", 27},
    };
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (strcmp(named[i].name, name) == 0)
            return named[i].code;
    if (strlen(name) != 1)
        fail_msg("help names key \"%s\", which the test does not know", name);
    return (unsigned char)name[0];
}

static void every_key_the_help_names_is_bound_to_its_action(void **state)
{
    (void)state;
    for (int a = 0; a < UI_ACTION_COUNT; a++) {
        char keys[64];
        snprintf(keys, sizeof(keys), "%s", ui_action_keys((enum ui_action)a));
        for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
            enum ui_action bound = ui_key_action(key_code(k));
            if (bound != (enum ui_action)a)
                fail_msg("help says %s does \"%s\", but it is bound to action %d", k,
                         ui_action_help((enum ui_action)a), (int)bound);
        }
    }
    assert_int_equal(ui_key_action('Z'), UI_ACTION_NONE);
    assert_string_equal(ui_action_keys(UI_ACTION_NONE), "");
    assert_null(ui_action_label(UI_ACTION_NONE));
}

static void footer_shows_every_labelled_action_when_wide(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_render(f, 200, 20, FRUIT_NOW);
    const char *footer = fx_line(f, f->c.h - 1);
    for (int a = 0; a < UI_ACTION_COUNT; a++) {
        const char *label = ui_action_label((enum ui_action)a);
        if (!label)
            continue;
        char first[16], want[64];
        snprintf(first, sizeof(first), "%s", ui_action_keys((enum ui_action)a));
        first[strcspn(first, " ")] = '\0';
        snprintf(want, sizeof(want), "%s%s", first, label);
        if (!strstr(footer, want))
            fail_msg("footer \"%s\" lacks %s", footer, want);
    }
    fx_free(f);
}

/* --- other screens --- */

static void log_of_a_finished_task(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    /* Output of finished tasks is let go unless kept. */
    fx_keys(f, "Gkk");
    assert_int_equal(f->v.selected, APPLE);
    fx_key(f, '\n');
    assert_int_equal(f->v.screen, UI_SCREEN_LOG);
    assert_non_null(strstr(fx_line(f, 0), "failed"));
    assert_non_null(strstr(fx_line(f, 0), "/w/apple"));
    assert_string_equal(fx_line(f, 1), "(no output)");
    assert_string_equal(fx_line(f, 2), "exit status 1");
    /* Enter or Esc goes back. */
    fx_key(f, '\n');
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_free(f);

    /* Under the dashboard the runner keeps the output of finished tasks
     * (r.keep_output) for this view. */
    f = fx_new(fruit_names, 2, fx_config(1));
    f->r.keep_output = true;
    fx_start(f, 0);
    fx_output(f, 0, "one\ntwo\n");
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_render(f, 80, 10, 1);
    fx_keys(f, "j\n");
    assert_int_equal(f->v.selected, 0);
    assert_string_equal(fx_line(f, 1), "one");
    assert_string_equal(fx_line(f, 2), "two");
    assert_string_equal(fx_line(f, 9),
                        "8 bytes, lines 1-2 of 2  (arrows, PgUp/PgDn, g/G; Esc: back)");
    fx_free(f);
}

static void t_toggles_the_timeline(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    fx_key(f, 't');
    assert_int_equal(f->v.screen, UI_SCREEN_TIMELINE);
    assert_int_equal(strncmp(fx_line(f, 0), "timeline 5.0s", 13), 0);
    /* The footer stays, so the way back shows. */
    assert_int_equal(strncmp(fx_line(f, f->c.h - 1), "?Help", 5), 0);
    fx_key(f, 't');
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_key(f, 't');
    fx_key(f, 27);
    assert_int_equal(f->v.screen, UI_SCREEN_TABLE);
    fx_free(f);
}

/* Every screen in the screen table opens from the table on the first key
 * of its action and closes on it again; a new screen gets this for free. */
static void every_screen_opens_and_closes_on_its_key(void **state)
{
    (void)state;
    struct fx *f = fruit_pool();
    for (int s = 0; s < UI_SCREEN_COUNT; s++) {
        const struct ui_screen_ops *ops = ui_screen_get((enum ui_screen)s);
        assert_non_null(ops->render);
        if (s == UI_SCREEN_TABLE)
            continue;
        if (ops == &ui_screen_table)
            fail_msg("screen %d has no row in the screen table", s);
        char keys[64];
        snprintf(keys, sizeof(keys), "%s", ui_action_keys(ops->opened_by));
        keys[strcspn(keys, " ")] = '\0';
        if (!keys[0])
            fail_msg("screen %s has no key that opens it", ops->name);
        fx_key(f, key_code(keys));
        if (f->v.screen != (enum ui_screen)s)
            fail_msg("%s did not open the %s screen", keys, ops->name);
        fx_key(f, key_code(keys));
        if (f->v.screen != UI_SCREEN_TABLE)
            fail_msg("%s did not close the %s screen", keys, ops->name);
    }
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(default_order_is_running_queued_problems_then_ok, fx_teardown),
        cmocka_unit_test_teardown(s_cycles_submission_duration_name_and_back, fx_teardown),
        cmocka_unit_test_teardown(f_cycles_state_filters, fx_teardown),
        cmocka_unit_test_teardown(slash_filters_as_typed_enter_keeps_esc_clears, fx_teardown),
        cmocka_unit_test_teardown(moving_keeps_the_selection_visible, fx_teardown),
        cmocka_unit_test_teardown(selection_follows_its_task_when_rows_move, fx_teardown),
        cmocka_unit_test_teardown(plus_minus_change_the_cap_silently, fx_teardown),
        cmocka_unit_test_teardown(p_pauses_and_resumes_to_the_cap_before, fx_teardown),
        cmocka_unit_test_teardown(c_cancels_the_selected_task, fx_teardown),
        cmocka_unit_test_teardown(r_queues_a_failed_task_again, fx_teardown),
        cmocka_unit_test_teardown(capital_r_retries_every_failed_task, fx_teardown),
        cmocka_unit_test_teardown(q_asks_first_while_tasks_remain, fx_teardown),
        cmocka_unit_test_teardown(q_quits_at_once_when_everything_ended, fx_teardown),
        cmocka_unit_test_teardown(help_lists_every_action, fx_teardown),
        cmocka_unit_test_teardown(every_key_the_help_names_is_bound_to_its_action, fx_teardown),
        cmocka_unit_test_teardown(footer_shows_every_labelled_action_when_wide, fx_teardown),
        cmocka_unit_test_teardown(log_of_a_finished_task, fx_teardown),
        cmocka_unit_test_teardown(t_toggles_the_timeline, fx_teardown),
        cmocka_unit_test_teardown(every_screen_opens_and_closes_on_its_key, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
