/*
 * One budget over the output every task keeps. A view that keeps the
 * output of finished tasks (the dashboard, for its log view) would
 * otherwise hold up to a task's limit (64 KiB) for every task of the run;
 * with the budget, the buffers of all tasks together hold at most
 * OUTBUDGET_DEFAULT_LIMIT bytes: past it, the output of the task that
 * ended longest ago is dropped first, and that task is marked
 * (task.out_dropped) so the view can say so. A running task's output
 * counts but is never dropped.
 *
 * Bookkeeping only: the owner of the buffers reports how many bytes they
 * hold (outbudget_resized) and which tasks ended (outbudget_ended); the
 * budget keeps the total and a FIFO of ends, and drops outputs from the
 * front of it. Every call is O(1) amortized: an end enters the FIFO once
 * and leaves it once, and a call within the budget looks at nothing.
 *
 * A zeroed struct is an empty budget with the default limit.
 *
 * Loop thread only; no I/O.
 */
#ifndef REPOPOOL_OUTBUDGET_H
#define REPOPOOL_OUTBUDGET_H

#include <stddef.h>
#include <stdint.h>

#include "repopool/array.h"
#include "repopool/task.h"

#define OUTBUDGET_DEFAULT_LIMIT (64ull * 1024u * 1024u)

/* One end: the task, and the attempt and time it ended after. An end
 * that no longer matches the task (it was queued again since, and runs,
 * waits or ended again) is passed over: a task is judged by its last end. */
struct outbudget_end {
    double end;
    uint32_t id;
    uint16_t attempt;
};

struct outbudget {
    uint64_t limit;    /* bytes; 0 means OUTBUDGET_DEFAULT_LIMIT */
    uint64_t held;     /* bytes the buffers of every task hold now */
    uint64_t dropped;  /* outputs dropped so far */
    struct ring ends;  /* of struct outbudget_end, oldest first */
};

/* limit in bytes; 0 means OUTBUDGET_DEFAULT_LIMIT. */
void outbudget_init(struct outbudget *b, uint64_t limit);
/* Frees the FIFO; the budget stays usable (and empty of ends). */
void outbudget_free(struct outbudget *b);

/* The limit in force. */
uint64_t outbudget_limit(const struct outbudget *b);

/* A task's buffer went from before to after bytes (0: none). */
void outbudget_resized(struct outbudget *b, size_t before, size_t after);

/* Task id of the table ended for good and its output is kept: it becomes
 * droppable, after every task that ended before it. Then drops what is
 * over the budget (outbudget_enforce). Without memory to remember the end,
 * the task's output is dropped at once rather than kept unaccounted. */
void outbudget_ended(struct outbudget *b, const struct task_table *tasks, uint32_t id);

/* While more than the limit is held, drops the output of the task that
 * ended longest ago (its buffer is freed, its byte count kept, and
 * out_dropped set). Stops when within the limit or when only running
 * tasks' output is left. Returns the outputs dropped. */
size_t outbudget_enforce(struct outbudget *b, const struct task_table *tasks);

#endif
