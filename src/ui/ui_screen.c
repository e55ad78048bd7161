/*
 * The screen table: each enum ui_screen names its operations. A new
 * screen is a file src/ui/ui_screen_NAME.c with its ops and one row here
 * (README.md, "Adding a screen").
 */
#include "repopool/ui_screen.h"

static const struct ui_screen_ops *const screens[UI_SCREEN_COUNT] = {
    [UI_SCREEN_TABLE] = &ui_screen_table,
    [UI_SCREEN_LOG] = &ui_screen_log,
    [UI_SCREEN_HELP] = &ui_screen_help,
    [UI_SCREEN_TIMELINE] = &ui_screen_timeline,
    [UI_SCREEN_HOSTS] = &ui_screen_hosts,
};

/* A screen without a row would have nothing to draw: the table stands in. */
const struct ui_screen_ops *ui_screen_get(enum ui_screen s)
{
    return s < UI_SCREEN_COUNT && screens[s] ? screens[s] : &ui_screen_table;
}

unsigned ui_screen_open(struct ui_view *v, enum ui_screen s)
{
    const struct ui_screen_ops *ops = ui_screen_get(s);
    if (ops->open)
        ops->open(v);
    v->screen = s;
    return UI_REDRAW_SCREEN;
}

unsigned ui_screen_open_by(struct ui_view *v, enum ui_action a)
{
    if (a == UI_ACTION_NONE)
        return UI_REDRAW_NONE;
    for (int s = 0; s < UI_SCREEN_COUNT; s++)
        if (screens[s] && screens[s]->opened_by == a)
            return ui_screen_open(v, (enum ui_screen)s);
    return UI_REDRAW_NONE;
}
