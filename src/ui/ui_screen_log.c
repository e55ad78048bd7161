/*
 * The log: the selected task's kept output (its last 64 KiB), scrollable,
 * opened at its end; or why there is none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/sanitize.h"
#include "repopool/textline.h"
#include "repopool/ui_screen.h"
#include "repopool/xalloc.h"

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

static void render_log(struct canvas *c, struct ui_view *v, struct runner *r, double now)
{
    (void)now;
    canvas_fill(c, 0, 0, c->w, ' ', UI_HEADER);
    if (v->selected >= r->sched.ntasks) {
        canvas_text(c, 0, 0, c->w, "no task selected (Esc: back)", UI_HEADER);
        return;
    }
    const struct task *t = sched_task(&r->sched, v->selected);
    struct strbuf sb;
    strbuf_init(&sb);
    repos_path(r->repos, t->repo, &v->path);
    sanitize_name(&sb, v->path.data, v->path.len);
    unsigned long long total = t->out ? (unsigned long long)t->out->total : 0;
    int x = canvas_printf(c, 0, 0, c->w, UI_HEADER, "%s  %s", task_state_name(t->state),
                          t->out_dropped                         ? "(output dropped)  "
                          : t->out && outbuf_truncated(t->out) ? "(last 64 KiB)  "
                                                               : "");
    ui_text_keep_end(c, x, 0, c->w - x, sb.data ? sb.data : "", UI_HEADER);
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
        if (canvas_text_width(why) + 1 + canvas_text_width(oldest) <= c->w) {
            canvas_text(c, used + 1, first, c->w - used - 1, oldest, UI_DIM);
        } else {
            first++;
            canvas_text(c, 2, first, c->w - 2, oldest, UI_DIM);
        }
        first++;
    }

    size_t n = t->out ? t->out->len : 0;
    char *text = n ? xmalloc(n) : NULL;
    if (text)
        n = outbuf_copy(t->out, text, n);
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

static void open_log(struct ui_view *v)
{
    v->log_top = SIZE_MAX / 2; /* the newest output first */
}

const struct ui_screen_ops ui_screen_log = {
    .name = "log",
    .opened_by = UI_ACTION_OPEN_LOG,
    .open = open_log,
    .render = render_log,
    .key = ui_reader_key,
};
