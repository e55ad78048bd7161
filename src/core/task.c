#include "repopool/task.h"

#include <stdlib.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

static const char *const state_names[TASK_STATE_COUNT] = {
    "queued", "running", "ok", "failed", "skipped", "cancelled",
};

const char *task_state_name(enum task_state s)
{
    return (unsigned)s < TASK_STATE_COUNT ? state_names[s] : "?";
}

void task_clear_result(struct task *t)
{
    free(t->summary);
    t->summary = NULL;
    free(t->git);
    t->git = NULL;
    if (t->out) {
        outbuf_free(t->out);
        free(t->out);
        t->out = NULL;
    }
}

void task_table_reserve(struct task_table *tt, size_t n)
{
    size_t need = (n + TASK_CHUNK - 1) >> TASK_CHUNK_SHIFT;
    if (need <= tt->nchunks)
        return;
    array_reserve((void **)&tt->chunks, &tt->chunks_cap, need, sizeof(*tt->chunks));
    /* Not zeroed: a record is written whole when its task is added, and
     * pages never written are never resident. */
    while (tt->nchunks < need)
        tt->chunks[tt->nchunks++] = xmalloc(TASK_CHUNK * sizeof(struct task));
}

void task_table_free(struct task_table *tt)
{
    for (size_t i = 0; i < tt->nchunks; i++)
        free(tt->chunks[i]);
    free(tt->chunks);
    *tt = (struct task_table){0};
}
