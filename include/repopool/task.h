/*
 * The record of one task: what the scheduler, the backends, the reports and
 * the dashboard all read. The scheduler owns the state fields; the runner
 * fills in the result fields when an attempt ends.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_TASK_H
#define REPOPOOL_TASK_H

#include <stdint.h>

#include "repopool/outbuf.h"

struct gitinfo;

enum task_state {
    TASK_QUEUED,
    TASK_RUNNING,
    TASK_OK,
    TASK_FAILED,
    TASK_SKIPPED,
    TASK_CANCELLED,
    TASK_STATE_COUNT
};

/* Why the runner is stopping a running task; it decides how the task ends. */
enum task_stop {
    TASK_STOP_NONE,
    TASK_STOP_CANCEL,  /* ends cancelled */
    TASK_STOP_TIMEOUT, /* ends failed, class timeout */
    TASK_STOP_RUN,     /* ends cancelled: the whole run was stopped */
};

/* What a queued task waits for, on that thing's list (next_parked). */
enum task_parked {
    TASK_PARKED_NO,
    TASK_PARKED_REPO, /* its repository is busy */
    TASK_PARKED_HOST, /* its host has no room */
};

struct task {
    uint32_t repo;        /* repository key: one running task per key */
    uint32_t next_parked; /* link in the waiting list it is parked on */
    uint8_t state;        /* enum task_state */
    uint8_t cls;          /* enum rp_class of the last attempt */
    uint8_t stop;         /* enum task_stop */
    uint8_t waiting;      /* queued for a retry, not before ready_at */
    uint8_t parked;       /* enum task_parked: what it waits for */
    uint8_t out_dropped;  /* its kept output was dropped for the budget (outbudget.h) */
    uint16_t attempt;     /* attempts started so far */
    int exit_code;        /* -1 when the attempt had no exit code */
    uint8_t term_signal;  /* 0 unless killed by a signal */
    uint16_t host;        /* the host it talks to (sched_add_host), 0: none */
    double first_start;   /* seconds since the run began */
    double start;         /* start of the current or last attempt */
    double end;           /* when the last attempt ended */
    double ready_at;      /* earliest retry start while waiting */
    char *summary;        /* one line, already sanitized; may be NULL */
    struct outbuf *out;   /* captured output, created on first output */
    struct gitinfo *git;  /* what a git operation found; NULL otherwise */
    uint32_t progress_objects, progress_total; /* a fetch's transfer so far */
    uint64_t progress_bytes;
    void *backend_data;   /* the backend's per-attempt state */
};

const char *task_state_name(enum task_state s);

/* Frees what the task's attempts left (summary, output, git info); the
 * runner owns them, from runner_attempt_done until the scheduler is freed. */
void task_clear_result(struct task *t);

/* The stop asked of it makes the task end cancelled. */
static inline int task_stop_cancels(const struct task *t)
{
    return t->stop == TASK_STOP_CANCEL || t->stop == TASK_STOP_RUN;
}

static inline int task_is_final(const struct task *t)
{
    return t->state >= TASK_OK;
}

/*
 * The records of a run, in chunks of TASK_CHUNK that never move: a
 * backend holds a pointer to its task's record for as long as the task
 * runs, while a list that is still being read adds tasks behind it. One
 * contiguous array would move on every growth; the chunks cost one
 * pointer per TASK_CHUNK records, and no copying.
 */
#define TASK_CHUNK_SHIFT 10
#define TASK_CHUNK ((size_t)1 << TASK_CHUNK_SHIFT)

struct task_table {
    struct task **chunks;
    size_t nchunks, chunks_cap;
};

static inline struct task *task_at(const struct task_table *tt, uint32_t id)
{
    return &tt->chunks[id >> TASK_CHUNK_SHIFT][id & (TASK_CHUNK - 1)];
}

/* Makes room for n records in all; records already there stay put. */
void task_table_reserve(struct task_table *tt, size_t n);
/* Frees the chunks (not what the records point to: task_clear_result). */
void task_table_free(struct task_table *tt);

#endif
