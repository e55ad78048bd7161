/*
 * Rendering: ui_render() picks the screen from the screen table and draws
 * it, and this file keeps what more than one screen draws (the header and
 * pool lines, the footer, state marks, paths cut at the front). Each
 * screen is in its own ui_screen_NAME.c.
 */
#include <stdio.h>
#include <string.h>

#include "repopool/duration.h"
#include "repopool/sanitize.h"
#include "repopool/ui_screen.h"

/* --- state marks and cut paths --- */

/* Writes text into width columns, keeping its end and marking the cut with
 * an ellipsis: for paths, the end is the part that tells them apart. */
void ui_text_keep_end(struct canvas *c, int x, int y, int width, const char *text, enum ui_attr attr)
{
    int w = canvas_text_width(text);
    if (w <= width) {
        canvas_text(c, x, y, width, text, attr);
        return;
    }
    const char *p = text;
    while (*p && w > width - 1) {
        unsigned cp;
        size_t len = utf8_decode((const unsigned char *)p, strnlen(p, 4), &cp);
        if (len == 0)
            len = 1;
        char one[5] = {0};
        memcpy(one, p, len);
        w -= canvas_text_width(one);
        p += len;
    }
    canvas_text(c, x, y, 1, "\xe2\x80\xa6", UI_DIM);
    canvas_text(c, x + 1, y, width - 1, p, attr);
}

static const struct {
    char mark;
    enum ui_attr attr;
} state_look[TASK_STATE_COUNT] = {
    [TASK_QUEUED] = {'Q', UI_QUEUED},   [TASK_RUNNING] = {'R', UI_RUNNING},
    [TASK_OK] = {'O', UI_OK},           [TASK_FAILED] = {'F', UI_FAILED},
    [TASK_SKIPPED] = {'S', UI_SKIPPED}, [TASK_CANCELLED] = {'C', UI_CANCELLED},
};

char ui_state_mark(enum task_state s)
{
    return state_look[s].mark;
}

enum ui_attr ui_state_attr(enum task_state s)
{
    return state_look[s].attr;
}

/* --- header --- */

static int put_count(struct canvas *c, int x, int y, const char *what, unsigned n, const char *more,
                     enum ui_attr attr)
{
    x += canvas_text(c, x, y, c->w - x, what, UI_TITLE);
    x += canvas_printf(c, x, y, c->w - x, attr, " %u%s  ", n, more);
    return x;
}

/* With per-host limits, each host's beside the cap ("cap 64 · demo 7"),
 * or how many hosts there are when they would not fit. */
static int put_host_limits(struct canvas *c, int x, const struct runner *r)
{
    const struct sched *s = &r->sched;
    size_t nhosts = r->hosts.len;
    if ((!s->per_host && !s->adaptive) || nhosts == 0)
        return x;
    if (nhosts > 3)
        return x + canvas_printf(c, x, 0, c->w - x, UI_DIM, " \xc2\xb7 %zu hosts", nhosts);
    for (uint16_t h = 1; h <= nhosts; h++) {
        x += canvas_text(c, x, 0, c->w - x, " \xc2\xb7 ", UI_DIM);
        x += canvas_text(c, x, 0, c->w - x, host_names_get(&r->hosts, h), UI_NORMAL);
        x += canvas_printf(c, x, 0, c->w - x, UI_CAP, " %u", sched_host_limit(s, h));
    }
    return x;
}

void ui_draw_header(struct canvas *c, const struct runner *r)
{
    const struct sched *s = &r->sched;
    int x = 0;
    x = put_count(c, x, 0, "running", s->counts[TASK_RUNNING], "", UI_RUNNING);
    /* A list still being read: more are on their way. */
    x = put_count(c, x, 0, "queued", s->counts[TASK_QUEUED], r->source_open ? "+" : "", UI_QUEUED);
    x = put_count(c, x, 0, "done", s->counts[TASK_OK], "", UI_OK);
    x = put_count(c, x, 0, "failed", s->counts[TASK_FAILED], "", s->counts[TASK_FAILED] ? UI_FAILED : UI_NORMAL);
    if (s->counts[TASK_SKIPPED])
        x = put_count(c, x, 0, "skipped", s->counts[TASK_SKIPPED], "", UI_SKIPPED);
    if (s->counts[TASK_CANCELLED])
        x = put_count(c, x, 0, "cancelled", s->counts[TASK_CANCELLED], "", UI_CANCELLED);
    x += canvas_text(c, x, 0, c->w - x, "cap", UI_TITLE);
    x += canvas_printf(c, x, 0, c->w - x, UI_CAP, " %u", s->cap);
    x = put_host_limits(c, x, r);
    if (s->cap == 0 && !s->stopping)
        x += canvas_text(c, x, 0, c->w - x, " paused", UI_FAILED);
    /* A start failed for want of resources: fewer run until one ends. */
    if (s->held && s->hold < s->cap && !s->stopping)
        x += canvas_printf(c, x, 0, c->w - x, UI_FAILED, " held at %u: %s", s->hold, uv_strerror(r->hold_error));
    if (s->rate > 0)
        canvas_printf(c, x, 0, c->w - x, UI_NORMAL, "  rate %g/s", s->rate);
}

/* Elapsed time, throughput and ETA, right-aligned on line y; returns the
 * column where they begin. */
static int render_timing(struct canvas *c, int y, const struct runner *r, double now)
{
    const struct sched *s = &r->sched;
    unsigned finished = s->counts[TASK_OK] + s->counts[TASK_FAILED] + s->counts[TASK_SKIPPED] +
                        s->counts[TASK_CANCELLED];
    char elapsed[32], eta[32], text[96];
    duration_text(elapsed, sizeof(elapsed), now, DURATION_SHORT);
    /* From what each task took last time when the history knows, else
     * from this run's throughput. */
    double left = r->estimates ? estimates_eta(r->estimates, s, now) : -1;
    if (left < 0)
        left = stats_eta(finished, (unsigned)s->ntasks - finished, now);
    if (runner_done(r))
        snprintf(eta, sizeof(eta), "done");
    else if (left < 0 || r->source_open) /* how many are still to come is not known */
        snprintf(eta, sizeof(eta), "?");
    else
        duration_text(eta, sizeof(eta), left, DURATION_SHORT);
    snprintf(text, sizeof(text), "%s  %.1f/s  ETA %s", elapsed, stats_throughput(finished, now), eta);
    int x = c->w - canvas_text_width(text);
    if (x < 0)
        x = 0;
    canvas_text(c, x, y, c->w - x, text, UI_DIM);
    return x;
}

/* Running over time against the cap, in the columns before end: bar
 * heights are running tasks, and a bar at the cap (the semaphore full)
 * stands out. */
static void render_sparkline(struct canvas *c, int y, int end, const struct runner *r)
{
    static const char *const bars[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                       "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
    const struct stats *st = &r->stats;
    int x = canvas_text(c, 0, y, end, "pool ", UI_TITLE);
    int width = end - x - 9;
    if (width < 4)
        return;
    size_t first = st->used > (size_t)width ? st->used - (size_t)width : 0;
    unsigned top = 1;
    for (size_t i = first; i < st->used; i++) {
        if (st->running[i] > top)
            top = st->running[i];
        if (st->cap[i] > top)
            top = st->cap[i];
    }
    for (size_t i = first; i < st->used; i++) {
        unsigned level = (st->running[i] * 8 + top - 1) / top;
        bool full = st->running[i] >= st->cap[i] && st->running[i] > 0;
        x += canvas_text(c, x, y, 1, bars[level > 8 ? 8 : level], full ? UI_CAP : UI_RUNNING);
    }
    canvas_printf(c, x + 1, y, end - x - 1, UI_DIM, "max %u", top);
}

void ui_draw_pool_line(struct canvas *c, int y, const struct runner *r, double now)
{
    render_sparkline(c, y, render_timing(c, y, r, now) - 1, r);
}

/* --- footer --- */

void ui_draw_footer(struct canvas *c)
{
    int y = c->h - 1;
    canvas_fill(c, 0, y, c->w, ' ', UI_NORMAL);
    int x = 0;
    for (int a = 0; a < UI_ACTION_COUNT && x < c->w; a++) {
        const char *label = ui_action_label((enum ui_action)a);
        if (!label)
            continue;
        char key[16];
        snprintf(key, sizeof(key), "%s", ui_action_keys((enum ui_action)a));
        char *space = strchr(key, ' ');
        if (space)
            *space = '\0';
        x += canvas_text(c, x, y, c->w - x, key, UI_KEY);
        x += canvas_text(c, x, y, c->w - x, label, UI_HEADER);
        x += canvas_text(c, x, y, c->w - x, " ", UI_NORMAL);
    }
}

/* --- the screen, then what is over it --- */

void ui_render(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    canvas_clear(c);
    if (c->w < UI_MIN_WIDTH || c->h < UI_MIN_HEIGHT) {
        ui_overlay_too_small.render(c, v, r, now);
        return;
    }
    if (v->order_stale || v->sort == UI_SORT_DURATION)
        ui_view_order(v, r, now);
    ui_screen_get(v->screen)->render(c, v, r, now);
    const struct ui_screen_ops *overlay = ui_overlay_up(v);
    if (overlay)
        overlay->render(c, v, r, now);
}
