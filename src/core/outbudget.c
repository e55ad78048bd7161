#include "repopool/outbudget.h"

#include <stdlib.h>

uint64_t outbudget_limit(const struct outbudget *b)
{
    return b->limit ? b->limit : OUTBUDGET_DEFAULT_LIMIT;
}

void outbudget_resized(struct outbudget *b, size_t before, size_t after)
{
    if (after >= before)
        b->held += after - before;
    else
        b->held -= before - after <= b->held ? before - after : b->held;
}

/* Doubles the ring, oldest end first at index 0. */
static int grow(struct outbudget *b)
{
    size_t cap = b->cap ? b->cap * 2 : 64;
    struct outbudget_end *p = malloc(cap * sizeof(*p));
    if (!p)
        return -1;
    for (size_t i = 0; i < b->len; i++)
        p[i] = b->ends[(b->head + i) % b->cap];
    free(b->ends);
    b->ends = p;
    b->cap = cap;
    b->head = 0;
    return 0;
}

/* Frees a finished task's buffer, keeping what it counted. */
static void drop(struct outbudget *b, struct task *t)
{
    outbudget_resized(b, t->out->cap, 0);
    outbuf_free(t->out);
    t->out_dropped = 1;
    b->dropped++;
}

static int droppable(const struct task *t)
{
    return task_is_final(t) && t->out && t->out->cap > 0;
}

void outbudget_ended(struct outbudget *b, struct task *tasks, uint32_t id)
{
    struct task *t = &tasks[id];
    if (!droppable(t))
        return;
    if (b->len == b->cap && grow(b) < 0) {
        drop(b, t);
        return;
    }
    b->ends[(b->head + b->len) % b->cap] = (struct outbudget_end){t->end, id, t->attempt};
    b->len++;
    outbudget_enforce(b, tasks);
}

size_t outbudget_enforce(struct outbudget *b, struct task *tasks)
{
    size_t n = 0;
    uint64_t limit = outbudget_limit(b);
    while (b->held > limit && b->len > 0) {
        struct outbudget_end e = b->ends[b->head];
        b->head = (b->head + 1) % b->cap;
        b->len--;
        struct task *t = &tasks[e.id];
        /* An end that no longer stands is passed over: the task was
         * queued again since (it runs or waits, and its next end is queued
         * again) or its output is gone already. */
        if (!droppable(t) || t->attempt != e.attempt || t->end != e.end)
            continue;
        drop(b, t);
        n++;
    }
    return n;
}

void outbudget_free(struct outbudget *b)
{
    free(b->ends);
    b->ends = NULL;
    b->head = b->len = b->cap = 0;
}
