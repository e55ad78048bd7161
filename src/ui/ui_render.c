#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/duration.h"
#include "repopool/sanitize.h"
#include "repopool/textline.h"
#include "repopool/ui_screen.h"

/* --- small formatting helpers --- */

static void format_bytes(char *buf, size_t n, unsigned long long b)
{
    if (b < 1024)
        snprintf(buf, n, "%lluB", b);
    else if (b < 1024 * 1024)
        snprintf(buf, n, "%.1fKiB", b / 1024.0);
    else if (b < 1024ull * 1024 * 1024)
        snprintf(buf, n, "%.1fMiB", b / 1048576.0);
    else
        snprintf(buf, n, "%.1fGiB", b / 1073741824.0);
}

/* A budget in the largest unit that says it exactly: "64 MiB". */
static void format_budget(char *buf, size_t n, unsigned long long b)
{
    if (b >= 1024 * 1024 && b % (1024 * 1024) == 0)
        snprintf(buf, n, "%llu MiB", b / (1024 * 1024));
    else if (b >= 1024 && b % 1024 == 0)
        snprintf(buf, n, "%llu KiB", b / 1024);
    else
        snprintf(buf, n, "%llu bytes", b);
}

/* Writes text into width columns, keeping its end and marking the cut with
 * an ellipsis: for paths, the end is the part that tells them apart. */
static void text_keep_end(struct canvas *c, int x, int y, int width, const char *text, enum ui_attr attr)
{
    int w = text_width(text);
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
        w -= text_width(one);
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

/* --- header --- */

static int put_count(struct canvas *c, int x, int y, const char *what, unsigned n, enum ui_attr attr)
{
    x += canvas_text(c, x, y, c->w - x, what, UI_TITLE);
    x += canvas_printf(c, x, y, c->w - x, attr, " %u  ", n);
    return x;
}

static void render_header(struct canvas *c, const struct runner *r)
{
    const struct sched *s = &r->sched;
    int x = 0;
    x = put_count(c, x, 0, "running", s->counts[TASK_RUNNING], UI_RUNNING);
    x = put_count(c, x, 0, "queued", s->counts[TASK_QUEUED], UI_QUEUED);
    x = put_count(c, x, 0, "done", s->counts[TASK_OK], UI_OK);
    x = put_count(c, x, 0, "failed", s->counts[TASK_FAILED], s->counts[TASK_FAILED] ? UI_FAILED : UI_NORMAL);
    if (s->counts[TASK_SKIPPED])
        x = put_count(c, x, 0, "skipped", s->counts[TASK_SKIPPED], UI_SKIPPED);
    if (s->counts[TASK_CANCELLED])
        x = put_count(c, x, 0, "cancelled", s->counts[TASK_CANCELLED], UI_CANCELLED);
    x += canvas_text(c, x, 0, c->w - x, "cap", UI_TITLE);
    x += canvas_printf(c, x, 0, c->w - x, UI_CAP, " %u", s->cap);
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
    double left = stats_eta(finished, (unsigned)s->ntasks - finished, now);
    if (sched_all_final(s))
        snprintf(eta, sizeof(eta), "done");
    else if (left < 0)
        snprintf(eta, sizeof(eta), "?");
    else
        duration_text(eta, sizeof(eta), left, DURATION_SHORT);
    snprintf(text, sizeof(text), "%s  %.1f/s  ETA %s", elapsed, stats_throughput(finished, now), eta);
    int x = c->w - text_width(text);
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

/* --- table --- */

struct columns {
    int mark, repo, op, attempt, time, detail;
};

static struct columns layout(int w)
{
    struct columns col = {.mark = 2, .op = 7, .attempt = 4, .time = 7};
    int fixed = col.mark + col.op + col.attempt + col.time + 5;
    int flexible = w - fixed;
    col.repo = flexible * 2 / 5;
    if (col.repo < 10)
        col.repo = 10;
    col.detail = flexible - col.repo;
    if (col.detail < 0)
        col.detail = 0;
    return col;
}

/* The last output line of a running task, sanitized. */
static void last_output(const struct task *t, struct strbuf *out)
{
    if (!t->out)
        return;
    char raw[1024];
    size_t n = outbuf_last_line(t->out, raw, sizeof(raw));
    sanitize_line(out, raw, n);
}

static void render_row(struct canvas *c, int y, const struct ui_view *v, const struct runner *r,
                       uint32_t id, const struct columns *col, double now, const char *op)
{
    const struct task *t = &r->sched.tasks[id];
    const char *path = r->repos->items[t->repo].path;
    struct strbuf sb;
    strbuf_init(&sb);
    int x = 0;
    char mark[3] = {state_look[t->state].mark, ' ', 0};
    canvas_text(c, x, y, col->mark, mark, state_look[t->state].attr);
    x += col->mark + 1;

    size_t skip = strlen(path) > v->prefix_len ? v->prefix_len : 0;
    sanitize_name(&sb, path + skip, strlen(path + skip));
    text_keep_end(c, x, y, col->repo, sb.data ? sb.data : "", UI_NORMAL);
    x += col->repo + 1;
    canvas_text(c, x, y, col->op, op, UI_DIM);
    x += col->op + 1;
    if (t->attempt)
        canvas_printf(c, x, y, col->attempt, UI_DIM, "%u", t->attempt);
    x += col->attempt + 1;
    if (t->attempt) {
        char dur[32];
        duration_text(dur, sizeof(dur), ui_task_duration(t, now), DURATION_SHORT);
        canvas_text(c, x + col->time - text_width(dur), y, col->time, dur, UI_NORMAL);
    }
    x += col->time + 1;

    strbuf_reset(&sb);
    if (t->state == TASK_RUNNING && t->progress_total > 0) {
        char bytes[32];
        format_bytes(bytes, sizeof(bytes), t->progress_bytes);
        strbuf_printf(&sb, "%u/%u objects, %s", t->progress_objects, t->progress_total, bytes);
    } else if (t->state == TASK_RUNNING) {
        last_output(t, &sb);
    } else if (t->state == TASK_QUEUED && t->waiting) {
        strbuf_printf(&sb, "retry in %.1fs: %s", t->ready_at - now > 0 ? t->ready_at - now : 0,
                      t->summary ? t->summary : "");
    } else if (t->summary) {
        strbuf_puts(&sb, t->summary);
    }
    canvas_text(c, x, y, col->detail, sb.data ? sb.data : "",
                t->state == TASK_FAILED ? UI_FAILED : UI_NORMAL);
    if (id == v->selected)
        canvas_paint(c, 0, y, c->w, UI_SELECTED);
    strbuf_free(&sb);
}

static void render_table(struct canvas *c, struct ui_view *v, struct runner *r, double now, const char *op)
{
    struct columns col = layout(c->w);
    int y = 2;
    int x = 0;
    canvas_fill(c, 0, y, c->w, ' ', UI_HEADER);
    canvas_text(c, x, y, col.mark, "S", UI_HEADER);
    x += col.mark + 1;
    canvas_text(c, x, y, col.repo, "REPOSITORY", UI_HEADER);
    x += col.repo + 1;
    canvas_text(c, x, y, col.op, "OP", UI_HEADER);
    x += col.op + 1;
    canvas_text(c, x, y, col.attempt, "TRY", UI_HEADER);
    x += col.attempt + 1;
    canvas_text(c, x + col.time - 4, y, 4, "TIME", UI_HEADER);
    x += col.time + 1;
    static const char *const sort_names[] = {"state", "submission", "duration", "name"};
    static const char *const filter_names[] = {"all", "running", "queued", "problems", "ok"};
    canvas_printf(c, x, y, col.detail, UI_HEADER, "OUTPUT  [%s order, %s%s%s]", sort_names[v->sort],
                  filter_names[v->filter_state], v->filter[0] ? ", text: " : "", v->filter);

    v->rows = c->h - 4;
    if (v->rows < 1)
        return;
    size_t sel = ui_view_selected_row(v);
    /* Keep the cursor on screen, scrolling as little as possible. */
    if (sel < v->top)
        v->top = sel;
    if (sel >= v->top + (size_t)v->rows)
        v->top = sel - (size_t)v->rows + 1;
    if (v->top + (size_t)v->rows > v->norder)
        v->top = v->norder > (size_t)v->rows ? v->norder - (size_t)v->rows : 0;
    for (int i = 0; i < v->rows && v->top + (size_t)i < v->norder; i++)
        render_row(c, 3 + i, v, r, v->order[v->top + (size_t)i], &col, now, op);
    if (v->norder == 0)
        canvas_text(c, 2, 3, c->w - 2, "no task matches the filter", UI_DIM);
}

/* --- footer --- */

static void render_footer(struct canvas *c, const struct ui_view *v, const struct runner *r)
{
    int y = c->h - 1;
    canvas_fill(c, 0, y, c->w, ' ', UI_NORMAL);
    if (v->editing_filter) {
        int x = canvas_text(c, 0, y, c->w, "Filter: ", UI_KEY);
        struct strbuf sb;
        strbuf_init(&sb);
        sanitize_line(&sb, v->filter, strlen(v->filter));
        x += canvas_text(c, x, y, c->w - x - 1, sb.data ? sb.data : "", UI_NORMAL);
        canvas_text(c, x, y, 1, "_", UI_KEY);
        strbuf_free(&sb);
        return;
    }
    if (v->confirm_quit) {
        canvas_printf(c, 0, y, c->w, UI_FAILED,
                      "Quit and cancel %u running and %u queued tasks? y/n", sched_running(&r->sched),
                      sched_queued(&r->sched));
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
        x += canvas_text(c, x, y, c->w - x, key, UI_KEY);
        x += canvas_text(c, x, y, c->w - x, label, UI_HEADER);
        x += canvas_text(c, x, y, c->w - x, " ", UI_NORMAL);
    }
}

/* --- other screens --- */

static void render_help(struct canvas *c, struct ui_view *v)
{
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

static void render_log(struct canvas *c, struct ui_view *v, const struct runner *r)
{
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    if (v->selected >= r->sched.ntasks) {
        canvas_text(c, 0, 0, c->w, "no task selected (Esc: back)", UI_HEADER);
        return;
    }
    const struct task *t = &r->sched.tasks[v->selected];
    const char *path = r->repos->items[t->repo].path;
    struct strbuf sb;
    strbuf_init(&sb);
    sanitize_name(&sb, path, strlen(path));
    unsigned long long total = t->out ? (unsigned long long)t->out->total : 0;
    int x = canvas_printf(c, 0, 0, c->w, UI_HEADER, "%s  %s", task_state_name(t->state),
                          t->out_dropped                         ? "(output dropped)  "
                          : t->out && outbuf_truncated(t->out) ? "(last 64 KiB)  "
                                                               : "");
    text_keep_end(c, x, 0, c->w - x, sb.data ? sb.data : "", UI_HEADER);
    /* Output dropped for the budget over all tasks says so, above whatever
     * a retry printed since. */
    int first = 1;
    if (t->out_dropped) {
        char limit[32], why[128];
        static const char oldest[] = "this task's was among the oldest)";
        format_budget(limit, sizeof(limit), outbudget_limit(&r->out_budget));
        snprintf(why, sizeof(why), "(output dropped: repopool keeps at most %s of output in all;", limit);
        /* One line when it fits, else two. */
        int used = canvas_text(c, 0, first, c->w, why, UI_DIM);
        if (text_width(why) + 1 + text_width(oldest) <= c->w) {
            canvas_text(c, used + 1, first, c->w - used - 1, oldest, UI_DIM);
        } else {
            first++;
            canvas_text(c, 2, first, c->w - 2, oldest, UI_DIM);
        }
        first++;
    }

    size_t n = t->out ? t->out->len : 0;
    char *text = n ? malloc(n) : NULL;
    if (text)
        n = outbuf_copy(t->out, text, n);
    else
        n = 0;
    /* Count the lines, then show the window of them that fits. */
    const char *line;
    size_t len, pos = 0, lines = 0;
    while (text_next_line(text, n, &pos, &line, &len))
        lines++;
    size_t rows = c->h > first + 1 ? (size_t)(c->h - first - 1) : 0;
    if (v->log_top + rows > lines)
        v->log_top = lines > rows ? lines - rows : 0;
    pos = 0;
    int y = first;
    for (size_t i = 0; y < c->h - 1 && text_next_line(text, n, &pos, &line, &len); i++) {
        if (i < v->log_top)
            continue;
        strbuf_reset(&sb);
        sanitize_line(&sb, line, len);
        canvas_text(c, 0, y++, c->w, sb.data ? sb.data : "", UI_NORMAL);
    }
    if (n == 0) {
        strbuf_reset(&sb);
        strbuf_puts(&sb, t->summary ? t->summary : "");
        if (!t->out_dropped)
            canvas_text(c, 0, first++, c->w, "(no output)", UI_DIM);
        canvas_text(c, 0, first, c->w, sb.data ? sb.data : "", UI_NORMAL);
    }
    canvas_fill(c, 0, c->h - 1, c->w, ' ', UI_NORMAL);
    canvas_printf(c, 0, c->h - 1, c->w, UI_DIM, "%llu bytes, lines %zu-%zu of %zu  (arrows, PgUp/PgDn, g/G; Esc: back)",
                  total, lines ? v->log_top + 1 : 0, v->log_top + rows < lines ? v->log_top + rows : lines, lines);
    free(text);
    strbuf_free(&sb);
}

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
 * draining; cells beyond the cap of their moment are dotted.
 */
static void render_timeline(struct canvas *c, const struct runner *r, double now)
{
    const struct sched *s = &r->sched;
    const struct stats *st = &r->stats;
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    canvas_printf(c, 0, 0, c->w, UI_HEADER, "timeline: %.1fs, one column = %.2fs, lanes = slots; dots: above the cap (t: back)",
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

    /* The cap at each column, from the statistics record. */
    for (int x = 0; x < width; x++) {
        size_t b = st->used ? (size_t)((x * per_col) / st->width) : 0;
        unsigned cap = b < st->used ? st->cap[b] : s->cap;
        for (unsigned l = 0; l < lanes; l++)
            if (l >= cap)
                canvas_text(c, 6 + x, 2 + (int)l, 1, "\xc2\xb7", UI_DIM);
    }
    for (unsigned l = 0; l < lanes; l++)
        canvas_printf(c, 0, 2 + (int)l, 5, UI_DIM, "%4u", l + 1);

    struct lane_task *list = malloc((s->ntasks + 1) * sizeof(*list));
    double *free_at = calloc(lanes, sizeof(*free_at));
    if (!list || !free_at) {
        free(list);
        free(free_at);
        return;
    }
    size_t n = 0;
    for (uint32_t id = 0; id < s->ntasks; id++) {
        const struct task *t = &s->tasks[id];
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
        const struct task *t = &s->tasks[list[i].id];
        char mark[2] = {state_look[t->state].mark, 0};
        for (int x = x0; x <= x1 && x < width; x++)
            canvas_text(c, 6 + x, 2 + (int)lane, 1, x == x0 ? mark : "\xe2\x96\x88", state_look[t->state].attr);
    }
    free(list);
    free(free_at);
}

void ui_render(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    canvas_clear(c);
    if (c->w < UI_MIN_WIDTH || c->h < UI_MIN_HEIGHT) {
        canvas_printf(c, 0, 0, c->w, UI_FAILED, "terminal too small");
        canvas_printf(c, 0, 1, c->w, UI_NORMAL, "need %dx%d", UI_MIN_WIDTH, UI_MIN_HEIGHT);
        return;
    }
    if (v->order_stale || v->sort == UI_SORT_DURATION)
        ui_view_order(v, r, now);
    static const char *const ops[] = {"status", "fetch", "pull"};
    const char *op = r->report && r->report->op ? r->report->op : ops[0];
    switch (v->screen) {
    case UI_SCREEN_HELP:
        render_help(c, v);
        return;
    case UI_SCREEN_LOG:
        render_log(c, v, r);
        return;
    case UI_SCREEN_TIMELINE:
        render_timeline(c, r, now);
        render_footer(c, v, r);
        return;
    case UI_SCREEN_TABLE:
        break;
    }
    render_header(c, r);
    render_sparkline(c, 1, render_timing(c, 1, r, now) - 1, r);
    render_table(c, v, r, now, op);
    render_footer(c, v, r);
}
