/*
 * The timeline: lanes of slots over the run, each task's last attempt a
 * bar, the lanes above each moment's limit dotted: the cap, or the hosts'
 * limits as --adaptive learns them. It is a picture of the same pool as
 * the table, so the table's keys work on it.
 */
#include <stdlib.h>

#include "repopool/ui_screen.h"
#include "repopool/xalloc.h"

struct lane_task {
    double start, end;
    uint32_t id;
};

static int by_start(const void *a, const void *b)
{
    const struct lane_task *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->id > y->id) - (x->id < y->id);
}

/*
 * Lanes of slots over time: each task's last attempt is a bar in the first
 * lane free when it started, so the picture is the semaphore filling and
 * draining; cells beyond the limit of their moment are dotted.
 */
static void render_lanes(struct canvas *c, const struct runner *r, double now)
{
    const struct sched *s = &r->sched;
    const struct stats *st = &r->stats;
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    canvas_printf(c, 0, 0, c->w, UI_HEADER, "timeline %.1fs, %.2fs a column; lanes: slots; dots: over the limit (t: back)",
                  now, now / (c->w - 6 > 0 ? c->w - 6 : 1));
    int width = c->w - 6;
    int lanes_max = c->h - 3;
    if (width < 4 || lanes_max < 1)
        return;
    unsigned lanes = s->peak_running > s->cap ? s->peak_running : s->cap;
    if (lanes < 1)
        lanes = 1;
    if (lanes > (unsigned)lanes_max)
        lanes = (unsigned)lanes_max;
    double per_col = now > 0 ? now / width : 1;

    /* The limit at each column, from the statistics record. */
    for (int x = 0; x < width; x++) {
        size_t b = st->used ? (size_t)((x * per_col) / st->width) : 0;
        unsigned limit = b < st->used ? st->limit[b] : sched_limit(s, now);
        for (unsigned l = 0; l < lanes; l++)
            if (l >= limit)
                canvas_text(c, 6 + x, 2 + (int)l, 1, "\xc2\xb7", UI_DIM);
    }
    for (unsigned l = 0; l < lanes; l++)
        canvas_printf(c, 0, 2 + (int)l, 5, UI_DIM, "%4u", l + 1);

    struct lane_task *list = xmalloc((s->ntasks + 1) * sizeof(*list));
    double *free_at = xcalloc(lanes, sizeof(*free_at));
    size_t n = 0;
    for (uint32_t id = 0; id < s->ntasks; id++) {
        const struct task *t = sched_task(s, id);
        if (t->attempt == 0 || (t->state == TASK_QUEUED && !t->waiting))
            continue;
        double end = t->state == TASK_RUNNING ? now : t->end; /* a waiting retry: its last attempt */
        list[n++] = (struct lane_task){t->start, end, id};
    }
    qsort(list, n, sizeof(*list), by_start);
    for (size_t i = 0; i < n; i++) {
        unsigned lane = 0;
        while (lane < lanes && free_at[lane] > list[i].start + 1e-9)
            lane++;
        if (lane == lanes)
            continue; /* more ran at once than lanes fit on screen */
        free_at[lane] = list[i].end;
        int x0 = (int)(list[i].start / per_col);
        int x1 = (int)(list[i].end / per_col);
        const struct task *t = sched_task(s, list[i].id);
        char mark[2] = {ui_state_mark(t->state), 0};
        for (int x = x0; x <= x1 && x < width; x++)
            canvas_text(c, 6 + x, 2 + (int)lane, 1, x == x0 ? mark : "\xe2\x96\x88", ui_state_attr(t->state));
    }
    free(list);
    free(free_at);
}

static void render_timeline(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)v;
    render_lanes(c, r, now);
    ui_draw_footer(c, v);
}

const struct ui_screen_ops ui_screen_timeline = {
    .name = "timeline",
    .opened_by = UI_ACTION_TIMELINE,
    .render = render_timeline,
    .key = ui_screen_table_key,
};
