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
};

struct task {
    uint32_t repo;        /* repository key: one running task per key */
    uint32_t next_parked; /* link in the repository's waiting list */
    uint8_t state;        /* enum task_state */
    uint8_t cls;          /* enum rp_class of the last attempt */
    uint8_t stop;         /* enum task_stop */
    uint8_t waiting;      /* queued for a retry, not before ready_at */
    uint8_t parked;       /* waiting for its repository to be free */
    uint8_t out_dropped;  /* its kept output was dropped for the budget (outbudget.h) */
    uint16_t attempt;     /* attempts started so far */
    int exit_code;        /* -1 when the attempt had no exit code */
    int term_signal;      /* 0 unless killed by a signal */
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

static inline int task_is_final(const struct task *t)
{
    return t->state >= TASK_OK;
}

#endif
