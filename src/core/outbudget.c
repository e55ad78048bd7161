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

void outbudget_ended(struct outbudget *b, const struct task_table *tasks, uint32_t id)
{
    struct task *t = task_at(tasks, id);
    if (!droppable(t))
        return;
    ring_push(&b->ends, &(struct outbudget_end){t->end, id, t->attempt});
    outbudget_enforce(b, tasks);
}

size_t outbudget_enforce(struct outbudget *b, const struct task_table *tasks)
{
    size_t n = 0;
    uint64_t limit = outbudget_limit(b);
    struct outbudget_end *front;
    while (b->held > limit && (front = ring_front(&b->ends))) {
        struct outbudget_end e = *front;
        ring_pop(&b->ends);
        struct task *t = task_at(tasks, e.id);
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

void outbudget_init(struct outbudget *b, uint64_t limit)
{
    *b = (struct outbudget){.limit = limit};
    ring_init(&b->ends, sizeof(struct outbudget_end));
}

void outbudget_free(struct outbudget *b)
{
    ring_free(&b->ends);
}
