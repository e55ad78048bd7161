/*
 * The hosts: each server the tasks talk to, with how many run on it, the
 * limit it has (--per-host, or learned by --adaptive), how many it served
 * and refused, and when it last refused. It is the pool seen from the
 * servers' side, so the cap keys work here too; the arrows scroll.
 */
#include <stdio.h>
#include <string.h>

#include "repopool/duration.h"
#include "repopool/ui_screen.h"

enum { COL_HOST = 0, COL_NUMBERS = 8 * 4, COL_LAST = 13 };

static const char *limit_rule(const struct sched *s)
{
    if (s->adaptive)
        return "limits learned from refusals (--adaptive)";
    if (s->per_host)
        return "limits: --per-host";
    return "no per-host limits: each host may use the whole cap";
}

static void render_host(struct canvas *c, int y, const struct runner *r, uint16_t id, double now)
{
    const struct sched *s = &r->sched;
    const struct host_slot *h = &s->hosts[id];
    int numbers = c->w - COL_NUMBERS - COL_LAST;
    ui_text_keep_end(c, COL_HOST, y, numbers - 1, host_names_get(&r->hosts, id), UI_NORMAL);
    canvas_printf(c, numbers, y, 8, h->running ? UI_RUNNING : UI_DIM, "%7u", h->running);
    if (limiter_allowed(&h->limit, now) == 0 && h->limit.ceiling > 0)
        canvas_text(c, numbers + 8, y, 8, " closed", UI_FAILED);
    else
        canvas_printf(c, numbers + 8, y, 8, UI_CAP, "%7u", sched_host_limit(s, id));
    canvas_printf(c, numbers + 16, y, 8, UI_OK, "%7u", h->ok);
    canvas_printf(c, numbers + 24, y, 8, h->refused ? UI_FAILED : UI_DIM, "%7u", h->refused);
    char ago[32] = "-";
    if (h->last_refusal >= 0) {
        duration_text(ago, sizeof(ago), now - h->last_refusal, DURATION_SHORT);
        snprintf(ago + strlen(ago), sizeof(ago) - strlen(ago), " ago");
    }
    canvas_text(c, c->w - COL_LAST + 1, y, COL_LAST - 1, ago, UI_DIM);
}

static void render_hosts(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    const struct sched *s = &r->sched;
    size_t nhosts = r->hosts.len;
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    canvas_printf(c, 0, 0, c->w, UI_HEADER, "hosts: %zu, %s (h: back)", nhosts, limit_rule(s));
    if (nhosts == 0) {
        canvas_text(c, 0, 2, c->w, "No task talks to a host: git fetch and pull do, and commands with --per-host", UI_DIM);
        canvas_text(c, 0, 3, c->w, "or --adaptive (the host of the repository's origin).", UI_DIM);
        ui_draw_footer(c, v);
        return;
    }
    int numbers = c->w - COL_NUMBERS - COL_LAST;
    canvas_text(c, COL_HOST, 1, numbers, "host", UI_TITLE);
    canvas_printf(c, numbers, 1, COL_NUMBERS, UI_TITLE, "%7s %7s %7s %7s", "running", "limit", "ok", "refused");
    canvas_text(c, c->w - COL_LAST + 1, 1, COL_LAST - 1, "last refusal", UI_TITLE);

    size_t rows = c->h > 3 ? (size_t)c->h - 3 : 1;
    v->rows = (int)rows;
    if (v->log_top + rows > nhosts)
        v->log_top = nhosts > rows ? nhosts - rows : 0;
    for (size_t i = 0; i < rows && v->log_top + i < nhosts; i++)
        render_host(c, 2 + (int)i, r, (uint16_t)(v->log_top + i + 1), now);
    ui_draw_footer(c, v);
}

static void open_hosts(struct ui_view *v)
{
    v->log_top = 0;
}

/* Arrows scroll the hosts and Esc goes back; the rest act on the pool as
 * in the table. */
static unsigned hosts_key(struct ui_view *v, struct runner *r, int key, enum ui_action a)
{
    switch (a) {
    case UI_ACTION_UP:
    case UI_ACTION_DOWN:
    case UI_ACTION_PAGE_UP:
    case UI_ACTION_PAGE_DOWN:
    case UI_ACTION_FIRST:
    case UI_ACTION_LAST:
    case UI_ACTION_BACK:
        return ui_reader_key(v, r, key, a);
    default:
        return ui_screen_table_key(v, r, key, a);
    }
}

const struct ui_screen_ops ui_screen_hosts = {
    .name = "hosts",
    .opened_by = UI_ACTION_HOSTS,
    .open = open_hosts,
    .render = render_hosts,
    .key = hosts_key,
};
