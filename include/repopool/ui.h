/*
 * The dashboard's model-facing half: view state, rendering into a canvas,
 * and key handling. Nothing here touches the terminal (tui.h does), so
 * every screen and every key is testable with a plain canvas.
 *
 * Key handlers change the pool (through the runner) or the view, and
 * return what must be redrawn; they never draw. Rendering reads the pool
 * and writes only the canvas (and the view's row order cache).
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_UI_H
#define REPOPOOL_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repopool/canvas.h"
#include "repopool/runner.h"
#include "repopool/strbuf.h"

/*
 * Every action: its keys as shown in help and footer, the footer label
 * (NULL: not in the footer) and the help text. The enum, the help screen
 * and the footer all come from this one list; the key table in ui_keys.c
 * binds codes to these actions.
 */
#define UI_ACTION_LIST(X)                                                               \
    X(HELP, "? F1", "Help", "show this help")                                           \
    X(QUIT, "q", "Quit", "quit (asks first while tasks run; quitting cancels them)")    \
    X(CAP_UP, "+", "Cap+", "raise the cap by one: a queued task starts at once")         \
    X(CAP_DOWN, "-", "Cap-", "lower the cap by one: running tasks finish, fewer start")  \
    X(PAUSE, "p", "Pause", "pause starting tasks, or resume")                           \
    X(CANCEL, "c", "Cancel", "cancel the selected task")                                \
    X(RETRY, "r", "Retry", "retry the selected failed or cancelled task")               \
    X(RETRY_ALL, "R", NULL, "retry every failed task")                                  \
    X(OPEN_LOG, "Enter", "Log", "show the selected task's output")                      \
    X(FILTER, "/", "Filter", "filter by text (Enter keeps it, Esc clears it)")          \
    X(STATE_FILTER, "f", "State", "show all, running, queued, problems, ok or attention")\
    X(SORT, "s", "Sort", "order by state, submission, duration or name")                \
    X(TIMELINE, "t", "Timeline", "lanes of slots over time, with the limit")            \
    X(HOSTS, "h", "Hosts", "the servers: running, limit, ok and refused on each")       \
    X(UP, "Up k", NULL, "move up")                                                      \
    X(DOWN, "Down j", NULL, "move down")                                                \
    X(PAGE_UP, "PgUp", NULL, "page up")                                                 \
    X(PAGE_DOWN, "PgDn", NULL, "page down")                                             \
    X(FIRST, "g Home", NULL, "go to the first row")                                     \
    X(LAST, "G End", NULL, "go to the last row")                                        \
    X(BACK, "Esc", NULL, "back to the table")                                          

enum ui_action {
#define UI_ACTION_ENUM(id, keys, label, help) UI_ACTION_##id,
    UI_ACTION_LIST(UI_ACTION_ENUM)
#undef UI_ACTION_ENUM
    UI_ACTION_COUNT,
    UI_ACTION_NONE = UI_ACTION_COUNT
};

enum ui_screen {
    UI_SCREEN_TABLE,
    UI_SCREEN_LOG,
    UI_SCREEN_HELP,
    UI_SCREEN_TIMELINE,
    UI_SCREEN_HOSTS,
    UI_SCREEN_COUNT
};
enum ui_sort { UI_SORT_STATE, UI_SORT_SUBMISSION, UI_SORT_DURATION, UI_SORT_NAME, UI_SORT_COUNT };
enum ui_filter {
    UI_FILTER_ALL,
    UI_FILTER_RUNNING,
    UI_FILTER_QUEUED,
    UI_FILTER_PROBLEMS,
    UI_FILTER_OK,
    UI_FILTER_ATTENTION, /* status results that need attention (gitinfo_attention) */
    UI_FILTER_COUNT
};

/* What a key handler asks of the screen. */
enum ui_redraw {
    UI_REDRAW_NONE = 0,
    UI_REDRAW_SCREEN = 1, /* render and copy to the terminal */
    UI_REDRAW_QUIT = 2,   /* the user is done with the dashboard */
};

struct ui_view {
    enum ui_screen screen;
    enum ui_sort sort;
    enum ui_filter filter_state;
    char filter[128];       /* text filter; "" for none */
    bool editing_filter;
    bool confirm_quit;      /* "quit and cancel running tasks?" is showing */
    bool quit;

    uint32_t selected;      /* task id under the cursor; UINT32_MAX: none */
    bool moved;             /* the user moved it: stop following the top row */
    /* Why the last key did nothing ("... cannot be retried"), shown in
     * place of the footer until the next key. */
    char message[160];
    size_t top;             /* first visible row */
    size_t log_top;         /* first visible line of the log view */
    unsigned paused_cap;    /* the cap to return to after a pause */
    bool monochrome;        /* no colours: marks must carry the meaning */

    /* Rows in display order, rebuilt when the pool or the view changed. */
    uint32_t *order;
    size_t norder, order_cap;
    unsigned char *seen;    /* scratch: one byte per task */
    size_t seen_cap;
    bool order_stale;

    /* The directory all repositories are in, hidden; it can only shrink
     * as a list still being read adds repositories, and is taken again
     * whenever the order is. */
    size_t prefix_len;
    struct strbuf path;     /* scratch: a repository's path */
    int rows;               /* table rows on the last render */
};

void ui_view_init(struct ui_view *v, const struct runner *r);
void ui_view_free(struct ui_view *v);
/* The pool changed: rows may have moved. */
void ui_view_touch(struct ui_view *v);

/* Renders the current screen of the run into c. now is runner time. */
void ui_render(struct canvas *c, struct ui_view *v, struct runner *r, double now);

/* The action bound to a key code (curses codes, as from getch). */
enum ui_action ui_key_action(int key);
/* Handles one key; returns enum ui_redraw bits. */
unsigned ui_handle_key(struct ui_view *v, struct runner *r, int key);

/* Keys as the help screen and footer show them. */
const char *ui_action_keys(enum ui_action a);
const char *ui_action_label(enum ui_action a);
const char *ui_action_help(enum ui_action a);

/* The smallest screen the dashboard draws on; below it, a message. */
#define UI_MIN_WIDTH 40
#define UI_MIN_HEIGHT 8

/*
 * The largest screen the dashboard draws; on a larger terminal the rest
 * stays blank. Curses keeps three copies of the screen (about 84 bytes a
 * cell) and the canvas one more (8 bytes), so a 10000x10000 terminal would
 * cost some 9 GB; at most 1000x400 cells cost about 35 MiB.
 */
#define UI_MAX_WIDTH 1000
#define UI_MAX_HEIGHT 400

#endif
