/*
 * Help: every action with its keys and what it does, generated from the
 * action list (UI_ACTION_LIST) like the bindings and the footer, then what
 * the state marks mean.
 */
#include "repopool/ui_screen.h"

static void render_help(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)r;
    (void)now;
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    canvas_text(c, 0, 0, c->w, "repopool keys (arrows scroll; Esc or q: back)", UI_HEADER);
    size_t lines = UI_ACTION_COUNT + 2; /* the actions, a gap, the marks */
    size_t rows = c->h > 2 ? (size_t)c->h - 2 : 1;
    if (v->log_top + rows > lines)
        v->log_top = lines > rows ? lines - rows : 0;
    int y = 2;
    for (size_t i = v->log_top; i < lines && y < c->h; i++, y++) {
        if (i < UI_ACTION_COUNT) {
            canvas_text(c, 2, y, 12, ui_action_keys((enum ui_action)i), UI_KEY);
            canvas_text(c, 15, y, c->w - 15, ui_action_help((enum ui_action)i), UI_NORMAL);
        } else if (i == UI_ACTION_COUNT + 1) {
            canvas_text(c, 2, y, c->w - 2, "Marks: R running, Q queued, O ok, F failed, S skipped, C cancelled.",
                        UI_DIM);
        }
    }
}

const struct ui_screen_ops ui_screen_help = {
    .name = "help",
    .opened_by = UI_ACTION_HELP,
    .render = render_help,
    .key = ui_reader_key,
};
