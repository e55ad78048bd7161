/*
 * The table: one row per task (state, repository, operation, attempt,
 * time, progress or result) under the header and pool lines, and the keys
 * that act on the pool and the selected task. The dashboard opens on it.
 */
#include <stdio.h>
#include <string.h>

#include "repopool/duration.h"
#include "repopool/sanitize.h"
#include "repopool/sizetext.h"
#include "repopool/gitinfo.h"
#include "repopool/ui_screen.h"

/* Column widths; 0 hides a column (and the space after it). */
struct columns {
    int mark, repo, op, attempt, time, detail;
};

/* How far a column moves the next one. */
static int past(int width)
{
    return width ? width + 1 : 0;
}

/* A status run is one operation in one attempt each: its OP and TRY
 * columns give their room to the results. */
static struct columns layout(int w, bool status)
{
    struct columns col = {.mark = 2, .op = status ? 0 : 7, .attempt = status ? 0 : 4, .time = 7};
    int fixed = past(col.mark) + past(col.op) + past(col.attempt) + past(col.time) + 1; /* + the repository's space */
    int flexible = w - fixed;
    col.repo = status ? flexible / 3 : flexible * 2 / 5;
    if (col.repo < 10)
        col.repo = 10;
    col.detail = flexible - col.repo;
    if (col.detail < 0)
        col.detail = 0;
    return col;
}

/* What a queued task that ran before waits for, and why it ran again: the
 * last attempt's result in brackets. */
static void waiting_detail(const struct task *t, const struct runner *r, double now, struct strbuf *out)
{
    if (t->waiting) {
        char in[32];
        duration_text(in, sizeof(in), t->ready_at - now > 0 ? t->ready_at - now : 0, DURATION_SHORT);
        strbuf_printf(out, "retry in %s", in);
    } else if (t->parked == TASK_PARKED_HOST) {
        strbuf_printf(out, "retry when %s has room", host_names_get(&r->hosts, t->host));
    } else {
        strbuf_puts(out, "retry next");
    }
    if (t->summary)
        strbuf_printf(out, " (%s)", t->summary);
}

/* A status result as columns: the branch, how far ahead and behind its
 * upstream, and the marks of what needs attention (gita's `ll`). */
enum { STATUS_BRANCH = 16, STATUS_AHEAD_BEHIND = 9 };

static bool shows_status_columns(const struct task *t, const char *op)
{
    return t->git && t->state == TASK_OK && strcmp(op, "status") == 0;
}

static void render_status_cells(struct canvas *c, int x, int y, int width, const struct task *t)
{
    const struct gitinfo *gi = t->git;
    struct strbuf sb;
    strbuf_init(&sb);
    const char *branch = gi->detached ? "(detached)" : gi->branch;
    sanitize_name(&sb, branch, strlen(branch));
    ui_text_cut(c, x, y, STATUS_BRANCH - 1 < width ? STATUS_BRANCH - 1 : width, sb.data ? sb.data : "", UI_NORMAL);
    x += STATUS_BRANCH;
    width -= STATUS_BRANCH;
    if (width <= 0) {
        strbuf_free(&sb);
        return;
    }
    char ab[32] = "";
    if (gi->ahead || gi->behind)
        snprintf(ab, sizeof(ab), "\xe2\x86\x91%u \xe2\x86\x93%u", gi->ahead, gi->behind);
    canvas_text(c, x, y, width, ab, UI_DIM);
    x += STATUS_AHEAD_BEHIND;
    width -= STATUS_AHEAD_BEHIND;
    strbuf_reset(&sb);
    unsigned marks = gitinfo_attention(gi);
    gitinfo_attention_text(marks, &sb);
    if (width > 0)
        ui_text_cut(c, x, y, width, sb.data ? sb.data : "", marks ? UI_SKIPPED : UI_OK);
    strbuf_free(&sb);
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
    const struct task *t = sched_task(&r->sched, id);
    struct strbuf sb, path_sb;
    strbuf_init(&sb);
    strbuf_init(&path_sb);
    const char *path = repos_path(r->repos, t->repo, &path_sb);
    int x = 0;
    char mark[3] = {ui_state_mark(t->state), ' ', 0};
    canvas_text(c, x, y, col->mark, mark, ui_state_attr(t->state));
    x += col->mark + 1;

    size_t skip = strlen(path) > v->prefix_len ? v->prefix_len : 0;
    sanitize_name(&sb, path + skip, strlen(path + skip));
    ui_text_keep_end(c, x, y, col->repo, sb.data ? sb.data : "", UI_NORMAL);
    x += col->repo + 1;
    canvas_text(c, x, y, col->op, op, UI_DIM);
    x += past(col->op);
    if (t->attempt)
        canvas_printf(c, x, y, col->attempt, UI_DIM, "%u", t->attempt);
    x += past(col->attempt);
    if (t->attempt) {
        char dur[32];
        duration_text(dur, sizeof(dur), ui_task_duration(t, now), DURATION_SHORT);
        canvas_text(c, x + col->time - canvas_text_width(dur), y, col->time, dur, UI_NORMAL);
    } else if (r->estimates && estimates_get(r->estimates, t->repo) >= 0) {
        /* Not started yet: what it took last time, dimmed. */
        char dur[32] = "~";
        duration_text(dur + 1, sizeof(dur) - 1, estimates_get(r->estimates, t->repo), DURATION_SHORT);
        canvas_text(c, x + col->time - canvas_text_width(dur), y, col->time, dur, UI_DIM);
    }
    x += col->time + 1;

    strbuf_reset(&sb);
    if (t->state == TASK_RUNNING && t->progress_total > 0) {
        char bytes[32];
        size_text(bytes, sizeof(bytes), t->progress_bytes);
        strbuf_printf(&sb, "%u/%u objects, %s", t->progress_objects, t->progress_total, bytes);
    } else if (t->state == TASK_RUNNING) {
        last_output(t, &sb);
    } else if (t->state == TASK_QUEUED && t->attempt > 0) {
        waiting_detail(t, r, now, &sb);
    } else if (t->summary) {
        strbuf_puts(&sb, t->summary);
    }
    if (shows_status_columns(t, op))
        render_status_cells(c, x, y, col->detail, t);
    else
        ui_text_cut(c, x, y, col->detail, sb.data ? sb.data : "", t->state == TASK_FAILED ? UI_FAILED : UI_NORMAL);
    if (id == v->selected)
        canvas_paint(c, 0, y, c->w, UI_SELECTED);
    strbuf_free(&sb);
    strbuf_free(&path_sb);
}

static void render_rows(struct canvas *c, struct ui_view *v, struct runner *r, double now, const char *op)
{
    bool status = strcmp(op, "status") == 0;
    struct columns col = layout(c->w, status);
    int y = 2;
    int x = 0;
    canvas_fill(c, 0, y, c->w, ' ', UI_HEADER);
    canvas_text(c, x, y, col.mark, "S", UI_HEADER);
    x += col.mark + 1;
    canvas_text(c, x, y, col.repo, "REPOSITORY", UI_HEADER);
    x += col.repo + 1;
    canvas_text(c, x, y, col.op, "OP", UI_HEADER);
    x += past(col.op);
    canvas_text(c, x, y, col.attempt, "TRY", UI_HEADER);
    x += past(col.attempt);
    canvas_text(c, x + col.time - 4, y, 4, "TIME", UI_HEADER);
    x += col.time + 1;
    static const char *const sort_names[] = {"state", "submission", "duration", "name"};
    static const char *const filter_names[] = {"all", "running", "queued", "problems", "ok", "attention"};
    if (status)
        canvas_printf(c, x, y, col.detail, UI_HEADER, "%-*s%-*sATTENTION  [%s order, %s%s%s]", STATUS_BRANCH,
                      "BRANCH", STATUS_AHEAD_BEHIND, "\xe2\x86\x91\xe2\x86\x93", sort_names[v->sort],
                      filter_names[v->filter_state], v->filter[0] ? ", text: " : "", v->filter);
    else
        canvas_printf(c, x, y, col.detail, UI_HEADER, "OUTPUT  [%s order, %s%s%s]", sort_names[v->sort],
                      filter_names[v->filter_state], v->filter[0] ? ", text: " : "", v->filter);

    v->rows = c->h - 4;
    if (v->rows < 1)
        return;
    /* Until the user moves, the view stays at the top, where the running
     * tasks are, instead of following a task down into the finished. */
    if (!v->moved) {
        v->top = 0;
        v->selected = v->norder ? v->order[0] : UINT32_MAX;
    }
    size_t sel = ui_view_selected_row(v);
    /* Keep the cursor on screen, scrolling as little as possible. */
    if (sel < v->top)
        v->top = sel;
    if (sel >= v->top + (size_t)v->rows)
        v->top = sel - (size_t)v->rows + 1;
    if (v->top + (size_t)v->rows > v->norder)
        v->top = v->norder > (size_t)v->rows ? v->norder - (size_t)v->rows : 0;
    size_t shown = 0;
    for (int i = 0; i < v->rows && v->top + (size_t)i < v->norder; i++, shown++)
        render_row(c, 3 + i, v, r, v->order[v->top + (size_t)i], &col, now, op);
    /* Rows off the screen are said, not silently cut. */
    size_t below = v->norder - v->top - shown;
    if (v->top || below) {
        char more[64];
        snprintf(more, sizeof(more), " %zu above \xc2\xb7 %zu below", v->top, below);
        int w = canvas_text_width(more);
        canvas_text(c, c->w - w, y, w, more, UI_HEADER);
    }
    if (v->norder == 0)
        canvas_text(c, 2, 3, c->w - 2, "no task matches the filter", UI_DIM);
}

static void render_table(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    static const char *const ops[] = {"status", "fetch", "pull"};
    const char *op = r->report && r->report->op ? r->report->op : ops[0];
    ui_draw_header(c, r);
    ui_draw_pool_line(c, 1, r, now);
    render_rows(c, v, r, now, op);
    ui_draw_footer(c, v);
}

static void move_selection(struct ui_view *v, long delta, bool absolute)
{
    /* Going to the first row goes back to following the top. */
    v->moved = !(absolute && delta == 0);
    if (v->norder == 0)
        return;
    long row = absolute ? delta : (long)ui_view_selected_row(v) + delta;
    if (row < 0)
        row = 0;
    if (row >= (long)v->norder)
        row = (long)v->norder - 1;
    v->selected = v->order[row];
}

static const char *why_no_retry(const struct sched *s, const struct task *t)
{
    if (s->stopping)
        return "cannot be retried: the run is stopping";
    switch (t->state) {
    case TASK_OK:
        return "ended ok: only failed or cancelled tasks are retried";
    case TASK_SKIPPED:
        return "was skipped, which a retry would not change";
    default:
        return "has not ended: only failed or cancelled tasks are retried";
    }
}

/* The selected task's name and why the key did nothing, for the footer. */
static void say_why_not(struct ui_view *v, const struct runner *r, const char *why)
{
    const struct task *t = sched_task(&r->sched, v->selected);
    const char *path = repos_path(r->repos, t->repo, &v->path);
    size_t skip = strlen(path) > v->prefix_len ? v->prefix_len : 0;
    struct strbuf name;
    strbuf_init(&name);
    sanitize_name(&name, path + skip, strlen(path + skip));
    snprintf(v->message, sizeof(v->message), "%s %s", name.data ? name.data : "", why);
    strbuf_free(&name);
}

unsigned ui_screen_table_key(struct ui_view *v, struct runner *r, int key, enum ui_action a)
{
    (void)key;
    struct sched *s = &r->sched;
    int page = ui_view_page(v);
    switch (a) {
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
        if (v->selected < s->ntasks && task_is_final(sched_task(s, v->selected)))
            say_why_not(v, r, "has ended: nothing to cancel");
        else if (v->selected < s->ntasks)
            runner_cancel_task(r, v->selected);
        break;
    case UI_ACTION_RETRY:
        if (v->selected < s->ntasks && !runner_retry_task(r, v->selected))
            say_why_not(v, r, why_no_retry(s, sched_task(s, v->selected)));
        break;
    case UI_ACTION_RETRY_ALL:
        for (uint32_t id = 0; id < s->ntasks; id++)
            if (sched_task(s, id)->state == TASK_FAILED)
                runner_retry_task(r, id);
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
        if (!runner_done(r)) {
            v->confirm_quit = true;
            break;
        }
        v->quit = true;
        return UI_REDRAW_SCREEN | UI_REDRAW_QUIT;
    default:
        /* The log, the timeline: screens open on their own keys. */
        return ui_screen_open_by(v, a);
    }
    return UI_REDRAW_SCREEN;
}

const struct ui_screen_ops ui_screen_table = {
    .name = "table",
    .opened_by = UI_ACTION_NONE,
    .render = render_table,
    .key = ui_screen_table_key,
};
