#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/gitinfo.h"
#include "repopool/ui_screen.h"

void ui_view_init(struct ui_view *v, const struct runner *r)
{
    memset(v, 0, sizeof(*v));
    v->selected = UINT32_MAX;
    v->order_stale = true;
    strbuf_init(&v->path);
    /* Hide the directory all repositories share: the rest tells them apart. */
    v->prefix_len = repos_common_prefix(r->repos);
}

void ui_view_free(struct ui_view *v)
{
    free(v->order);
    free(v->seen);
    strbuf_free(&v->path);
    memset(v, 0, sizeof(*v));
}

void ui_view_touch(struct ui_view *v)
{
    v->order_stale = true;
}

static bool passes_state_filter(enum ui_filter f, const struct task *t)
{
    switch (f) {
    case UI_FILTER_RUNNING:
        return t->state == TASK_RUNNING;
    case UI_FILTER_QUEUED:
        return t->state == TASK_QUEUED;
    case UI_FILTER_PROBLEMS:
        return t->state == TASK_FAILED || t->state == TASK_SKIPPED || t->state == TASK_CANCELLED;
    case UI_FILTER_OK:
        return t->state == TASK_OK;
    case UI_FILTER_ATTENTION:
        return t->git && gitinfo_attention(t->git) != 0;
    default:
        return true;
    }
}

static bool shown(struct ui_view *v, const struct runner *r, uint32_t id)
{
    const struct task *t = sched_task(&r->sched, id);
    if (!passes_state_filter(v->filter_state, t))
        return false;
    if (!v->filter[0])
        return true;
    const char *path = repos_path(r->repos, t->repo, &v->path);
    return strcasestr(path, v->filter) || (t->summary && strcasestr(t->summary, v->filter));
}

double ui_task_duration(const struct task *t, double now)
{
    if (t->attempt == 0)
        return 0;
    return t->state == TASK_RUNNING ? now - t->start : t->end - t->start;
}

struct sort_ctx {
    const struct runner *r;
    double now;
};

static int by_duration(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *ctx = arg;
    double da = ui_task_duration(sched_task(&ctx->r->sched, *(const uint32_t *)a), ctx->now);
    double db = ui_task_duration(sched_task(&ctx->r->sched, *(const uint32_t *)b), ctx->now);
    return da < db ? 1 : da > db ? -1 : (*(const uint32_t *)a > *(const uint32_t *)b) - (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int by_name(const void *a, const void *b, void *arg)
{
    const struct sort_ctx *ctx = arg;
    const struct task *ta = sched_task(&ctx->r->sched, *(const uint32_t *)a);
    const struct task *tb = sched_task(&ctx->r->sched, *(const uint32_t *)b);
    return repos_compare(ctx->r->repos, ta->repo, tb->repo);
}

static void push_row(struct ui_view *v, uint32_t id)
{
    array_reserve((void **)&v->order, &v->order_cap, v->norder + 1, sizeof(*v->order));
    v->order[v->norder++] = id;
}

/* The finished tasks that are problems (failed, skipped, cancelled), or
 * the ok ones, newest first. */
static void push_ended(struct ui_view *v, const struct runner *r, bool problems)
{
    const struct sched *s = &r->sched;
    struct sched_ended_walk w;
    uint32_t id;
    sched_ended_walk_init(&w, s, v->seen);
    while (sched_ended_next(&w, &id))
        if ((sched_task(s, id)->state != TASK_OK) == problems && shown(v, r, id))
            push_row(v, id);
}

/*
 * The default order: running first, then queued in submission order, then
 * the problems together, then the tasks that ended ok, each newest first.
 * Linear in the number of tasks, so 100,000 of them cost a millisecond or
 * two per redraw, not a sort.
 */
static void order_by_state(struct ui_view *v, const struct runner *r)
{
    const struct sched *s = &r->sched;
    for (uint32_t id = 0; id < s->ntasks; id++)
        if (sched_task(s, id)->state == TASK_RUNNING && shown(v, r, id))
            push_row(v, id);
    for (uint32_t id = 0; id < s->ntasks; id++)
        if (sched_task(s, id)->state == TASK_QUEUED && shown(v, r, id))
            push_row(v, id);
    array_reserve((void **)&v->seen, &v->seen_cap, s->ntasks, 1);
    push_ended(v, r, true);
    push_ended(v, r, false);
}

void ui_view_order(struct ui_view *v, const struct runner *r, double now)
{
    v->norder = 0;
    v->prefix_len = repos_common_prefix(r->repos);
    if (v->sort == UI_SORT_STATE) {
        order_by_state(v, r);
    } else {
        for (uint32_t id = 0; id < r->sched.ntasks; id++)
            if (shown(v, r, id))
                push_row(v, id);
        struct sort_ctx ctx = {r, now};
        if (v->sort == UI_SORT_DURATION)
            qsort_r(v->order, v->norder, sizeof(*v->order), by_duration, &ctx);
        else if (v->sort == UI_SORT_NAME)
            qsort_r(v->order, v->norder, sizeof(*v->order), by_name, &ctx);
    }
    v->order_stale = false;
}

size_t ui_view_selected_row(struct ui_view *v)
{
    for (size_t i = 0; i < v->norder; i++)
        if (v->order[i] == v->selected)
            return i;
    v->selected = v->norder ? v->order[0] : UINT32_MAX;
    return 0;
}

int ui_view_page(const struct ui_view *v)
{
    return v->rows > 1 ? v->rows - 1 : 1;
}
