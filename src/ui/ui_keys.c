#include <curses.h>
#include <stdlib.h>
#include <string.h>

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
    {'t', UI_ACTION_TIMELINE},    {KEY_UP, UI_ACTION_UP},           {'k', UI_ACTION_UP},
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

static void move_selection(struct ui_view *v, long delta, bool absolute)
{
    if (v->norder == 0)
        return;
    long row = absolute ? delta : (long)ui_view_selected_row(v) + delta;
    if (row < 0)
        row = 0;
    if (row >= (long)v->norder)
        row = (long)v->norder - 1;
    v->selected = v->order[row];
}

static unsigned edit_filter(struct ui_view *v, int key)
{
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

/* Keys on the log and help screens: scrolling and the way back. */
static unsigned handle_reader_key(struct ui_view *v, enum ui_action a, int page)
{
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
    case UI_ACTION_HELP:
        v->screen = v->screen == UI_SCREEN_HELP ? UI_SCREEN_TABLE : UI_SCREEN_HELP;
        break;
    default:
        return UI_REDRAW_NONE;
    }
    return UI_REDRAW_SCREEN;
}

unsigned ui_handle_key(struct ui_view *v, struct runner *r, int key)
{
    if (v->editing_filter)
        return edit_filter(v, key);
    if (v->confirm_quit) {
        v->confirm_quit = false;
        if (key == 'y' || key == 'Y') {
            runner_stop(r);
            v->quit = true;
            return UI_REDRAW_SCREEN | UI_REDRAW_QUIT;
        }
        return UI_REDRAW_SCREEN;
    }
    enum ui_action a = ui_key_action(key);
    int page = ui_view_page(v);
    if (v->screen == UI_SCREEN_LOG || v->screen == UI_SCREEN_HELP)
        return handle_reader_key(v, a, page);

    struct sched *s = &r->sched;
    switch (a) {
    case UI_ACTION_HELP:
        v->screen = UI_SCREEN_HELP;
        break;
    case UI_ACTION_CAP_UP:
        runner_set_cap(r, s->cap + 1, "key");
        break;
    case UI_ACTION_CAP_DOWN:
        if (s->cap > 0)
            runner_set_cap(r, s->cap - 1, "key");
        break;
    case UI_ACTION_PAUSE:
        if (s->cap > 0) {
            v->paused_cap = s->cap;
            runner_set_cap(r, 0, "key");
        } else {
            runner_set_cap(r, v->paused_cap ? v->paused_cap : 1, "key");
        }
        break;
    case UI_ACTION_CANCEL:
        if (v->selected < s->ntasks)
            runner_cancel_task(r, v->selected);
        break;
    case UI_ACTION_RETRY:
        if (v->selected < s->ntasks)
            runner_retry_task(r, v->selected);
        break;
    case UI_ACTION_RETRY_ALL:
        for (uint32_t id = 0; id < s->ntasks; id++)
            if (s->tasks[id].state == TASK_FAILED)
                runner_retry_task(r, id);
        break;
    case UI_ACTION_OPEN_LOG:
        v->screen = UI_SCREEN_LOG;
        v->log_top = SIZE_MAX / 2; /* the newest output first */
        break;
    case UI_ACTION_FILTER:
        v->editing_filter = true;
        break;
    case UI_ACTION_STATE_FILTER:
        v->filter_state = (enum ui_filter)((v->filter_state + 1) % UI_FILTER_COUNT);
        v->order_stale = true;
        break;
    case UI_ACTION_SORT:
        v->sort = (enum ui_sort)((v->sort + 1) % UI_SORT_COUNT);
        v->order_stale = true;
        break;
    case UI_ACTION_TIMELINE:
        v->screen = v->screen == UI_SCREEN_TIMELINE ? UI_SCREEN_TABLE : UI_SCREEN_TIMELINE;
        break;
    case UI_ACTION_UP:
        move_selection(v, -1, false);
        break;
    case UI_ACTION_DOWN:
        move_selection(v, 1, false);
        break;
    case UI_ACTION_PAGE_UP:
        move_selection(v, -page, false);
        break;
    case UI_ACTION_PAGE_DOWN:
        move_selection(v, page, false);
        break;
    case UI_ACTION_FIRST:
        move_selection(v, 0, true);
        break;
    case UI_ACTION_LAST:
        move_selection(v, (long)v->norder - 1, true);
        break;
    case UI_ACTION_BACK:
        v->screen = UI_SCREEN_TABLE;
        v->filter[0] = '\0';
        v->order_stale = true;
        break;
    case UI_ACTION_QUIT:
        if (!sched_all_final(s)) {
            v->confirm_quit = true;
            break;
        }
        v->quit = true;
        return UI_REDRAW_SCREEN | UI_REDRAW_QUIT;
    default:
        return UI_REDRAW_NONE;
    }
    return UI_REDRAW_SCREEN;
}
