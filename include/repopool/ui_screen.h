/*
 * The dashboard from the inside: what its screens share. ui.h is what the
 * terminal side (tui.c) sees; this header is for the files of src/ui
 * (and the ui tests, which check the screen table).
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_UI_SCREEN_H
#define REPOPOOL_UI_SCREEN_H

#include <stddef.h>

#include "repopool/ui.h"

/*
 * A screen as a table of operations (tig's view_ops, htop's
 * InfoScreenClass). ui_render() and ui_handle_key() pick the screen from
 * the screen table (ui_screen.c) by enum ui_screen and call these.
 */
struct ui_screen_ops {
    const char *name;
    /* The action that opens the screen from the table and closes it again
     * from the screen itself; UI_ACTION_NONE for the table and overlays.
     * Always set it: 0 is UI_ACTION_HELP. */
    enum ui_action opened_by;
    /* Sets the view up as the screen opens; NULL when nothing needs to be. */
    void (*open)(struct ui_view *v);
    /* Draws into c, cleared beforehand and at least UI_MIN_WIDTH x
     * UI_MIN_HEIGHT, with the view's rows up to date. Writes nothing but the
     * canvas and the view's scroll position, selection and table height. */
    void (*render)(struct canvas *c, struct ui_view *v, struct runner *r, double now);
    /* A key for this screen: key is its code, a its action (UI_ACTION_NONE
     * when unbound). Changes the view or the pool and returns enum ui_redraw
     * bits; never draws. NULL: the screen hears no keys. */
    unsigned (*key)(struct ui_view *v, struct runner *r, int key, enum ui_action a);
};

/* --- the screens, one file each, and the screen table (ui_screen.c) --- */

extern const struct ui_screen_ops ui_screen_table;    /* ui_screen_table.c */
extern const struct ui_screen_ops ui_screen_log;      /* ui_screen_log.c */
extern const struct ui_screen_ops ui_screen_help;     /* ui_screen_help.c */
extern const struct ui_screen_ops ui_screen_timeline; /* ui_screen_timeline.c */
extern const struct ui_screen_ops ui_screen_hosts;    /* ui_screen_hosts.c */

/* The operations of screen s. */
const struct ui_screen_ops *ui_screen_get(enum ui_screen s);
/* Shows screen s, set up by its open operation; returns UI_REDRAW_SCREEN. */
unsigned ui_screen_open(struct ui_view *v, enum ui_screen s);
/* Shows the screen that action a opens; UI_REDRAW_NONE when a opens none. */
unsigned ui_screen_open_by(struct ui_view *v, enum ui_action a);

/* The table's keys, which the timeline shares (ui_screen_table.c). */
unsigned ui_screen_table_key(struct ui_view *v, struct runner *r, int key, enum ui_action a);
/* The keys of a screen one reads (the log, help): arrows and pages
 * scroll, Esc, q and Enter go back to the table (ui_keys.c). */
unsigned ui_reader_key(struct ui_view *v, struct runner *r, int key, enum ui_action a);

/*
 * --- overlays (ui_overlay.c) ---
 *
 * Drawn over a screen's last line, the filter prompt and the quit question
 * are up while the view says so (editing_filter, confirm_quit) and hear
 * every key, before the screen and the shared keys do. Only the table's
 * keys raise them, so they only come up over screens with the footer (the
 * table and the timeline). On a terminal too small for any screen, the
 * too-small message is drawn instead of the screen; it hears no keys, so
 * they still go to the screen.
 */
extern const struct ui_screen_ops ui_overlay_filter;
extern const struct ui_screen_ops ui_overlay_quit;
extern const struct ui_screen_ops ui_overlay_too_small;

/* The overlay up on the view (the filter prompt, then the quit question),
 * or NULL. */
const struct ui_screen_ops *ui_overlay_up(const struct ui_view *v);

/* --- drawing that screens share (ui_render.c) --- */

/* Line 0: tasks counted by state, the cap (paused, held), the rate. */
void ui_draw_header(struct canvas *c, const struct runner *r);
/* Line y: the pool's sparkline, then elapsed time, throughput and ETA at
 * the right. */
void ui_draw_pool_line(struct canvas *c, int y, const struct runner *r, double now);
/* The last line: the footer keys, from the action list, or the view's
 * message about the last key. */
void ui_draw_footer(struct canvas *c, const struct ui_view *v);
/* A task state's mark ('R', 'Q', 'O', 'F', 'S', 'C') and its attribute. */
char ui_state_mark(enum task_state s);
enum ui_attr ui_state_attr(enum task_state s);
/* Writes text into width columns, keeping its end and marking the cut with
 * an ellipsis: for paths, the end is the part that tells them apart. */
void ui_text_keep_end(struct canvas *c, int x, int y, int width, const char *text, enum ui_attr attr);
/* Writes text into width columns, keeping its start and marking a cut with
 * an ellipsis: for output and messages. */
void ui_text_cut(struct canvas *c, int x, int y, int width, const char *text, enum ui_attr attr);

/* --- the rows (ui_view.c) --- */

/* Rebuilds the view's rows in display order: the state and text filters,
 * then the sort. */
void ui_view_order(struct ui_view *v, const struct runner *r, double now);
/* The row of the selected task. A task no longer shown gives way to the
 * first row, which becomes the selection. */
size_t ui_view_selected_row(struct ui_view *v);
/* How far a page key moves: the table's height less one row. */
int ui_view_page(const struct ui_view *v);
/* How long a task's current or last attempt ran; 0 before its first. */
double ui_task_duration(const struct task *t, double now);

#endif
