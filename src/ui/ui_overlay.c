/*
 * What is drawn over a screen or instead of it: the filter prompt and the
 * quit question on the last line, which take every key while they are up,
 * and the message on a terminal too small for any screen.
 */
#include <curses.h>
#include <string.h>

#include "repopool/sanitize.h"
#include "repopool/ui_screen.h"

/* --- the filter prompt --- */

static void render_filter(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)r;
    (void)now;
    int y = c->h - 1;
    canvas_fill(c, 0, y, c->w, ' ', UI_NORMAL);
    int x = canvas_text(c, 0, y, c->w, "Filter: ", UI_KEY);
    struct strbuf sb;
    strbuf_init(&sb);
    sanitize_line(&sb, v->filter, strlen(v->filter));
    x += canvas_text(c, x, y, c->w - x - 1, sb.data ? sb.data : "", UI_NORMAL);
    canvas_text(c, x, y, 1, "_", UI_KEY);
    strbuf_free(&sb);
}

static unsigned edit_filter(struct ui_view *v, struct runner *r, int key, enum ui_action a)
{
    (void)r;
    (void)a;
    size_t len = strlen(v->filter);
    if (key == '\n' || key == '\r' || key == KEY_ENTER) {
        v->editing_filter = false;
    } else if (key == 27) {
        v->filter[0] = '\0';
        v->editing_filter = false;
    } else if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        /* Remove a whole UTF-8 character, continuation bytes first. */
        while (len > 0 && ((unsigned char)v->filter[len - 1] & 0xc0) == 0x80)
            len--;
        if (len > 0)
            len--;
        v->filter[len] = '\0';
    } else if (key >= 0x20 && key < 0x100 && key != 0x7f && len + 1 < sizeof(v->filter)) {
        v->filter[len] = (char)key;
        v->filter[len + 1] = '\0';
    } else {
        return UI_REDRAW_NONE;
    }
    v->order_stale = true;
    return UI_REDRAW_SCREEN;
}

const struct ui_screen_ops ui_overlay_filter = {
    .name = "filter",
    .opened_by = UI_ACTION_NONE, /* v->editing_filter is set by the table's key */
    .render = render_filter,
    .key = edit_filter,
};

/* --- the quit question --- */

static void render_quit(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)v;
    (void)now;
    int y = c->h - 1;
    canvas_fill(c, 0, y, c->w, ' ', UI_NORMAL);
    canvas_printf(c, 0, y, c->w, UI_FAILED,
                  "Quit and cancel %u running and %u queued tasks? y/n", sched_running(&r->sched),
                  sched_queued(&r->sched));
}

/* Any key but y answers no. */
static unsigned answer_quit(struct ui_view *v, struct runner *r, int key, enum ui_action a)
{
    (void)a;
    v->confirm_quit = false;
    if (key == 'y' || key == 'Y') {
        runner_stop(r);
        v->quit = true;
        return UI_REDRAW_SCREEN | UI_REDRAW_QUIT;
    }
    return UI_REDRAW_SCREEN;
}

const struct ui_screen_ops ui_overlay_quit = {
    .name = "quit",
    .opened_by = UI_ACTION_NONE, /* v->confirm_quit is set by the table's key */
    .render = render_quit,
    .key = answer_quit,
};

const struct ui_screen_ops *ui_overlay_up(const struct ui_view *v)
{
    if (v->editing_filter)
        return &ui_overlay_filter;
    if (v->confirm_quit)
        return &ui_overlay_quit;
    return NULL;
}

/* --- a terminal too small --- */

static void render_too_small(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)v;
    (void)r;
    (void)now;
    canvas_printf(c, 0, 0, c->w, UI_FAILED, "terminal too small");
    canvas_printf(c, 0, 1, c->w, UI_NORMAL, "need %dx%d", UI_MIN_WIDTH, UI_MIN_HEIGHT);
}

const struct ui_screen_ops ui_overlay_too_small = {
    .name = "too small",
    .opened_by = UI_ACTION_NONE,
    .render = render_too_small,
};
