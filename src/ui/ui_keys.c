/*
 * Keys: the action list's keys, labels and help (UI_ACTION_LIST), the key
 * codes bound to each action, and the keys all screens share. A screen's
 * own keys are its key operation (ui_screen_NAME.c).
 */
#include <curses.h>
#include <stdint.h>

#include "repopool/ui_screen.h"

static const struct {
    const char *keys, *label, *help;
} actions[UI_ACTION_COUNT] = {
#define UI_ACTION_ROW(id, keys, label, help) {keys, label, help},
    UI_ACTION_LIST(UI_ACTION_ROW)
#undef UI_ACTION_ROW
};

const char *ui_action_keys(enum ui_action a)
{
    return a < UI_ACTION_COUNT ? actions[a].keys : "";
}

const char *ui_action_label(enum ui_action a)
{
    return a < UI_ACTION_COUNT ? actions[a].label : NULL;
}

const char *ui_action_help(enum ui_action a)
{
    return a < UI_ACTION_COUNT ? actions[a].help : "";
}

/* Key codes for each action; the help text above names the same keys. */
static const struct {
    int key;
    enum ui_action action;
} bindings[] = {
    {'?', UI_ACTION_HELP},        {KEY_F(1), UI_ACTION_HELP},       {'+', UI_ACTION_CAP_UP},
    {'=', UI_ACTION_CAP_UP},      {'-', UI_ACTION_CAP_DOWN},        {'p', UI_ACTION_PAUSE},
    {'c', UI_ACTION_CANCEL},      {'r', UI_ACTION_RETRY},           {'R', UI_ACTION_RETRY_ALL},
    {'\n', UI_ACTION_OPEN_LOG},   {'\r', UI_ACTION_OPEN_LOG},       {KEY_ENTER, UI_ACTION_OPEN_LOG},
    {'/', UI_ACTION_FILTER},      {'f', UI_ACTION_STATE_FILTER},    {'s', UI_ACTION_SORT},
    {'t', UI_ACTION_TIMELINE},    {'h', UI_ACTION_HOSTS},           {KEY_UP, UI_ACTION_UP},           {'k', UI_ACTION_UP},
    {KEY_DOWN, UI_ACTION_DOWN},   {'j', UI_ACTION_DOWN},            {KEY_PPAGE, UI_ACTION_PAGE_UP},
    {KEY_NPAGE, UI_ACTION_PAGE_DOWN}, {'g', UI_ACTION_FIRST},       {KEY_HOME, UI_ACTION_FIRST},
    {'G', UI_ACTION_LAST},        {KEY_END, UI_ACTION_LAST},        {27, UI_ACTION_BACK},
    {'q', UI_ACTION_QUIT},
};

enum ui_action ui_key_action(int key)
{
    for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]); i++)
        if (bindings[i].key == key)
            return bindings[i].action;
    return UI_ACTION_NONE;
}

/* Keys on the log and help screens: scrolling and the way back. */
unsigned ui_reader_key(struct ui_view *v, struct runner *r, int key, enum ui_action a)
{
    (void)r;
    (void)key;
    int page = ui_view_page(v);
    switch (a) {
    case UI_ACTION_UP:
        v->log_top = v->log_top > 0 ? v->log_top - 1 : 0;
        break;
    case UI_ACTION_DOWN:
        v->log_top++;
        break;
    case UI_ACTION_PAGE_UP:
        v->log_top = v->log_top > (size_t)page ? v->log_top - (size_t)page : 0;
        break;
    case UI_ACTION_PAGE_DOWN:
        v->log_top += (size_t)page;
        break;
    case UI_ACTION_FIRST:
        v->log_top = 0;
        break;
    case UI_ACTION_LAST:
        v->log_top = SIZE_MAX / 2; /* clamped to the last page when drawn */
        break;
    case UI_ACTION_BACK:
    case UI_ACTION_QUIT:
    case UI_ACTION_OPEN_LOG:
        v->screen = UI_SCREEN_TABLE;
        break;
    default:
        return UI_REDRAW_NONE;
    }
    return UI_REDRAW_SCREEN;
}

/*
 * An overlay (the filter prompt, the quit question) takes every key while
 * it is up. Otherwise two keys work the same on every screen: the one that
 * opened it closes it, and help opens from anywhere. The rest are the
 * screen's.
 */
unsigned ui_handle_key(struct ui_view *v, struct runner *r, int key)
{
    enum ui_action a = ui_key_action(key);
    v->message[0] = '\0';
    const struct ui_screen_ops *overlay = ui_overlay_up(v);
    if (overlay)
        return overlay->key(v, r, key, a);
    const struct ui_screen_ops *screen = ui_screen_get(v->screen);
    if (a != UI_ACTION_NONE && a == screen->opened_by)
        return ui_screen_open(v, UI_SCREEN_TABLE);
    if (a == UI_ACTION_HELP)
        return ui_screen_open(v, UI_SCREEN_HELP);
    return screen->key ? screen->key(v, r, key, a) : UI_REDRAW_NONE;
}
