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

/* Writes text into width columns, keeping its start and marking a cut with
 * an ellipsis: for output and messages, which read from the left. */
void ui_text_cut(struct canvas *c, int x, int y, int width, const char *text, enum ui_attr attr)
{
    if (width <= 0)
        return;
    if (canvas_text_width(text) <= width) {
        canvas_text(c, x, y, width, text, attr);
        return;
    }
    int used = canvas_text(c, x, y, width - 1, text, attr);
    canvas_text(c, x + used, y, 1, "\xe2\x80\xa6", UI_DIM);
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

/* The header's counts: each state with a task in it (running, queued, ok
 * and failed always), by name, or by mark when the names would push the
 * cap off a narrow screen. */
struct header_count {
    const char *name;
    enum task_state state;
    bool always;
};

static const struct header_count header_counts[] = {
    {"running", TASK_RUNNING, true}, {"queued", TASK_QUEUED, true},  {"ok", TASK_OK, true},
    {"failed", TASK_FAILED, true},   {"skipped", TASK_SKIPPED, false}, {"cancelled", TASK_CANCELLED, false},
};

static int put_counts(struct canvas *c, const struct runner *r, bool by_mark)
{
    const struct sched *s = &r->sched;
    int x = 0;
    for (size_t i = 0; i < sizeof(header_counts) / sizeof(header_counts[0]); i++) {
        const struct header_count *hc = &header_counts[i];
        unsigned n = s->counts[hc->state];
        if (!hc->always && n == 0)
            continue;
        /* A list still being read: more are on their way. */
        const char *more = hc->state == TASK_QUEUED && r->source_open ? "+" : "";
        enum ui_attr attr = hc->state == TASK_FAILED && n == 0 ? UI_NORMAL : ui_state_attr(hc->state);
        if (by_mark) {
            char mark[2] = {ui_state_mark(hc->state), 0};
            x += canvas_text(c, x, 0, c->w - x, mark, UI_TITLE);
            x += canvas_printf(c, x, 0, c->w - x, attr, "%u%s ", n, more);
        } else {
            x += canvas_text(c, x, 0, c->w - x, hc->name, UI_TITLE);
            x += canvas_printf(c, x, 0, c->w - x, attr, " %u%s  ", n, more);
        }
    }
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
    /* The counts by name need this much room and the cap some 8 more;
     * below that, marks ("R3 Q4 O2 F1 cap 3") keep the cap in view. */
    int x = put_counts(c, r, false);
    if (x + 8 > c->w) {
        canvas_fill(c, 0, 0, c->w, ' ', UI_NORMAL);
        x = put_counts(c, r, true);
    }
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
    else if (s->cap == 0) /* a paused pool finishes nothing */
        snprintf(eta, sizeof(eta), "paused");
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

/* Running over the whole run against the limit, in the columns before
 * end: bar heights are running tasks, each column the most of its stretch
 * of the run, and a column where the pool was full stands out. */
static void render_sparkline(struct canvas *c, int y, int end, const struct runner *r)
{
    static const char *const bars[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                       "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
    const struct stats *st = &r->stats;
    int x = canvas_text(c, 0, y, end, "pool ", UI_TITLE);
    int width = end - x - 9;
    if (width < 4)
        return;
    size_t columns = st->used < (size_t)width ? st->used : (size_t)width;
    unsigned top = 1;
    for (size_t i = 0; i < st->used; i++) {
        if (st->running[i] > top)
            top = st->running[i];
        if (st->limit[i] > top)
            top = st->limit[i];
    }
    for (size_t col = 0; col < columns; col++) {
        unsigned running = 0;
        bool full = false;
        for (size_t i = col * st->used / columns; i < (col + 1) * st->used / columns; i++) {
            if (st->running[i] > running)
                running = st->running[i];
            full |= st->running[i] >= st->limit[i] && st->running[i] > 0;
        }
        unsigned level = (running * 8 + top - 1) / top;
        x += canvas_text(c, x, y, 1, bars[level > 8 ? 8 : level], full ? UI_CAP : UI_RUNNING);
    }
    canvas_printf(c, x + 1, y, end - x - 1, UI_DIM, "max %u", top);
}

void ui_draw_pool_line(struct canvas *c, int y, const struct runner *r, double now)
{
    render_sparkline(c, y, render_timing(c, y, r, now) - 1, r);
}

/* --- footer --- */

void ui_draw_footer(struct canvas *c, const struct ui_view *v)
{
    int y = c->h - 1;
    canvas_fill(c, 0, y, c->w, ' ', UI_NORMAL);
    if (v->message[0]) {
        ui_text_cut(c, 0, y, c->w, v->message, UI_FAILED);
        return;
    }
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
        /* Whole entries only: half a label reads as another word. */
        if (x + canvas_text_width(key) + canvas_text_width(label) > c->w)
            break;
        x += canvas_text(c, x, y, c->w - x, key, UI_KEY);
        x += canvas_text(c, x, y, c->w - x, label, UI_HEADER);
        x += canvas_text(c, x, y, c->w - x, " ", UI_NORMAL);
    }
}

/* --- the screen, then what is over it --- */

void ui_render(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    canvas_clear(c);
    /* A run that ended stands still: its clock, rate and timeline stop at
     * the end (a retry from the dashboard starts them again). */
    if (runner_done(r) && r->ended_at >= 0 && now > r->ended_at)
        now = r->ended_at;
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
