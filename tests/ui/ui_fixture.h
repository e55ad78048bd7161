/*
 * A dashboard without a terminal or a running loop, for the ui tests.
 *
 * A fixture owns a repository list, a report into /dev/null, a libuv loop
 * that is never run, a runner, a view and a canvas. The tests drive the
 * scheduler by hand with a fake clock (fx_start, fx_end), render into the
 * canvas and read the screen back as text (canvas_dump).
 *
 * Keys that act on the pool (cap, pause, cancel, retry, quit) go through
 * the runner, which starts queued tasks through a backend: the fixture's
 * backend only marks a start as successful and never ends anything, so the
 * tests decide when tasks end. As in tui.c, the runner's change callback
 * marks the view's row order stale.
 *
 * Fixtures live on the heap and are tracked, so a test that fails half
 * way (cmocka jumps out of it) still has them freed by fx_teardown.
 *
 * Screens can be compared with files under tests/ui/golden/. A missing or
 * different golden file fails the test and prints the screen; run with
 * UPDATE_GOLDEN=1 in the environment to (re)write the files instead:
 *
 *     UPDATE_GOLDEN=1 meson test -C build --suite ui
 *
 * and check the diff by eye before committing it.
 */
#ifndef REPOPOOL_TESTS_UI_FIXTURE_H
#define REPOPOOL_TESTS_UI_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "repopool/canvas.h"
#include "repopool/class.h"
#include "repopool/repos.h"
#include "repopool/report.h"
#include "repopool/runner.h"
#include "repopool/sched.h"
#include "repopool/ui.h"

struct fx {
    struct repo_list repos;
    struct report rep;
    FILE *rep_out;
    uv_loop_t loop;
    struct runner r;
    struct backend backend;
    struct ui_view v;
    struct canvas c;
    bool have_view;
    double now;          /* the fake clock of the last render */
    unsigned starts;     /* attempts the runner started through the backend */
    unsigned cancels;    /* stops the runner asked of the backend */
};

/* The defaults the tests start from: no rate, no timeout, no retries, so
 * the scheduler never wants a timer. */
struct sched_config fx_config(unsigned cap);

/* Tasks on raw names (no resolving), in that order; ids follow. */
struct fx *fx_new(const char *const *names, size_t n, struct sched_config cfg);
/* Tasks on names built from fmt and the index i (one per task). */
struct fx *fx_new_numbered(size_t n, const char *fmt, struct sched_config cfg);
/* The same, from a repository list the caller filled (it moves into f). */
struct fx *fx_new_repos(struct repo_list *repos, struct sched_config cfg);
void fx_free(struct fx *f);
/* A cmocka teardown: frees the fixtures a failed test left behind, so a
 * failure never shows up as a leak under ASan too. */
int fx_teardown(void **state);

/* The fake clock: starts the next task the scheduler allows at t (it must
 * allow one) and records the pool in the statistics, as the runner does. */
uint32_t fx_start(struct fx *f, double t);
/* Starts n tasks at t. */
void fx_start_n(struct fx *f, unsigned n, double t);
/* Ends an attempt with a summary (sanitized, as the runner does), then
 * records the pool. */
enum sched_end fx_end(struct fx *f, uint32_t id, enum task_state st, enum rp_class cls, double t,
                      const char *summary);
/* Sets the cap at t and records it, without the runner's side effects. */
void fx_cap(struct fx *f, unsigned cap, double t);
/* Output a task printed. */
void fx_output(struct fx *f, uint32_t id, const char *text);

/* Renders at w x h (the view is made on first use) at time now. */
void fx_render(struct fx *f, int w, int h, double now);
/* The last rendered screen as text; the caller frees it. */
char *fx_screen(struct fx *f);
/* Line y of the last rendered screen (trailing spaces trimmed), in a
 * static buffer. */
const char *fx_line(struct fx *f, int y);
/* Handles one key as the dashboard does: the handler, then a redraw at the
 * same size and time when it asks for one. Returns the handler's bits. */
unsigned fx_key(struct fx *f, int key);
/* fx_key for each byte of keys. */
void fx_keys(struct fx *f, const char *keys);

/* The screen row (y) painted UI_SELECTED, -1 if none; fails the test if
 * more than one row is. */
int fx_selected_y(struct fx *f);
/* The y of the first line containing needle, or -1. */
int fx_find(struct fx *f, const char *needle);
/* Task id shown on screen row y of the table (from the view's order). */
uint32_t fx_row_id(struct fx *f, int y);

/* Compares the last screen with tests/ui/golden/<name>.txt. */
void fx_golden(struct fx *f, const char *name);

/* Fails unless every cell of the canvas is printable: no C0, DEL, C1 or
 * bidirectional control, and every continuation cell (cp 0) is the right
 * half of a double-width character and vice versa. */
void fx_assert_clean_canvas(const struct canvas *c);

#endif
