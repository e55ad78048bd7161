#include "repopool/statustable.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/canvas.h"
#include "repopool/gitinfo.h"
#include "repopool/sanitize.h"
#include "repopool/xalloc.h"

/* A branch name longer than this is cut: the columns after it matter. */
#define BRANCH_MAX 32

struct row {
    uint32_t id;
    char *repo, *branch, *attention; /* sanitized */
};

struct sort_ctx {
    const struct repo_list *repos;
    const struct sched *s;
};

static int by_repository(const void *a, const void *b, void *arg)
{
    const struct row *x = a, *y = b;
    const struct sort_ctx *ctx = arg;
    return repos_compare(ctx->repos, sched_task(ctx->s, x->id)->repo, sched_task(ctx->s, y->id)->repo);
}

static char *sanitized(const char *text, bool name)
{
    struct strbuf sb;
    strbuf_init(&sb);
    (name ? sanitize_name : sanitize_line)(&sb, text, strlen(text));
    char *s = sb.data ? strbuf_detach(&sb) : xstrdup("");
    strbuf_free(&sb);
    return s;
}

/* The row of task id, or false when quiet leaves it out. */
static bool make_row(struct report *rep, const struct sched *s, const struct repo_list *repos, uint32_t id,
                     struct strbuf *scratch, struct row *row)
{
    const struct task *t = sched_task(s, id);
    unsigned marks = t->git && t->state == TASK_OK ? gitinfo_attention(t->git) : 0;
    if (rep->quiet && t->state == TASK_OK && marks == 0)
        return false;
    row->id = id;
    row->repo = sanitized(repos_path(repos, t->repo, scratch), true);
    strbuf_reset(scratch);
    if (t->git && t->state == TASK_OK) {
        row->branch = sanitized(t->git->detached ? "(detached)" : t->git->branch, true);
        gitinfo_attention_text(marks, scratch);
    } else {
        row->branch = xstrdup("-");
        strbuf_printf(scratch, "%s: %s", task_state_name(t->state), t->summary ? t->summary : "");
    }
    row->attention = scratch->data ? strbuf_detach(scratch) : xstrdup("");
    if (canvas_text_width(row->branch) > BRANCH_MAX) {
        /* Cut at a character: the sanitized name is valid UTF-8. */
        size_t at = 0;
        for (int w = 0; row->branch[at] && w < BRANCH_MAX - 1; w++) {
            unsigned cp;
            size_t len = utf8_decode((const unsigned char *)row->branch + at, strlen(row->branch + at), &cp);
            at += len ? len : 1;
        }
        strcpy(row->branch + at, "\xe2\x80\xa6");
    }
    return true;
}

/* text, then spaces up to width columns and the gap. */
static void put_cell(struct strbuf *line, const char *text, int width)
{
    strbuf_puts(line, text);
    for (int pad = width - canvas_text_width(text) + 2; pad > 0; pad--)
        strbuf_putc(line, ' ');
}

static void put_number(struct strbuf *line, const struct task *t, bool ahead, int width)
{
    char n[16] = "-";
    if (t->git && t->state == TASK_OK)
        snprintf(n, sizeof(n), "%u", ahead ? t->git->ahead : t->git->behind);
    strbuf_printf(line, "%*s  ", width, n);
}

void status_table_write(struct report *rep, const struct sched *s, const struct repo_list *repos)
{
    struct row *rows = xcalloc(s->ntasks + 1, sizeof(*rows));
    size_t n = 0;
    struct strbuf scratch;
    strbuf_init(&scratch);
    int repo_w = (int)strlen("REPOSITORY"), branch_w = (int)strlen("BRANCH");
    for (uint32_t id = 0; id < s->ntasks; id++) {
        if (!task_is_final(sched_task(s, id)) || !make_row(rep, s, repos, id, &scratch, &rows[n]))
            continue;
        int w = canvas_text_width(rows[n].repo);
        repo_w = w > repo_w ? w : repo_w;
        w = canvas_text_width(rows[n].branch);
        branch_w = w > branch_w ? w : branch_w;
        n++;
    }
    struct sort_ctx ctx = {repos, s};
    qsort_r(rows, n, sizeof(*rows), by_repository, &ctx);
    struct strbuf line;
    strbuf_init(&line);
    for (size_t i = 0; i <= n && n > 0; i++) {
        strbuf_reset(&line);
        if (i == 0) {
            put_cell(&line, "REPOSITORY", repo_w);
            put_cell(&line, "BRANCH", branch_w);
            strbuf_puts(&line, "AHEAD  BEHIND  ATTENTION");
        } else {
            const struct row *r = &rows[i - 1];
            put_cell(&line, r->repo, repo_w);
            put_cell(&line, r->branch, branch_w);
            put_number(&line, sched_task(s, r->id), true, 5);
            put_number(&line, sched_task(s, r->id), false, 6);
            strbuf_puts(&line, r->attention);
        }
        while (line.len && line.data[line.len - 1] == ' ')
            line.data[--line.len] = '\0';
        report_line(rep, line.data, line.len);
    }
    for (size_t i = 0; i < n; i++) {
        free(rows[i].repo);
        free(rows[i].branch);
        free(rows[i].attention);
    }
    free(rows);
    strbuf_free(&line);
    strbuf_free(&scratch);
}
