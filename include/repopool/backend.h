/*
 * How a task runs. A backend is a small table of functions over the task
 * record; the runner starts attempts through it and the backend reports each
 * attempt's end with runner_attempt_done(), exactly once per successful
 * start, from a later callback or from inside cancel(), never from inside
 * start() (the runner reports the start only after start() returned).
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_BACKEND_H
#define REPOPOOL_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "repopool/class.h"
#include "repopool/strbuf.h"
#include "repopool/task.h"

struct runner;
struct backend;

/* What one attempt came to. Everything it points at is the backend's and
 * only has to live until runner_attempt_done returns: the runner copies
 * what the task keeps (summary sanitized, output, git info). */
struct attempt_result {
    enum task_state status; /* TASK_OK, TASK_FAILED or TASK_SKIPPED */
    enum rp_class cls;
    int exit_code;          /* -1 when there was none */
    int term_signal;        /* 0 unless killed by a signal */
    const char *summary;
    size_t summary_len;
    const char *output;     /* printed at the end, as a whole; may be NULL */
    size_t output_len;
    const struct gitinfo *git; /* what a git operation found; NULL: nothing */
    double retry_after;        /* seconds the server asked to wait; 0: none */
};

/* When the runner checks that a task's repository is a directory it can
 * enter and list, so a failure names the path rather than whatever the
 * backend trips on. */
enum backend_dir_check {
    BACKEND_DIR_NONE,
    BACKEND_DIR_FIRST, /* stat and access before every start */
    /* Only access before (a start's chdir then fails on a file), the whole
     * check when something failed: one system call fewer per task. */
    BACKEND_DIR_LAZY,
};

struct backend_ops {
    enum backend_dir_check dir_check;
    /* Starts an attempt of task id on path. Returns 0, or a negative libuv
     * error code with *fail describing it; then no end is reported. A
     * start that fails with UV_EMFILE, UV_ENFILE, UV_EAGAIN or UV_ENOMEM
     * may be tried again later: it must leave nothing behind. */
    int (*start)(struct backend *b, uint32_t id, struct task *t, const char *path,
                 struct attempt_result *fail);
    /* Asks a running attempt to stop (cancel or timeout); its end follows. */
    void (*cancel)(struct backend *b, uint32_t id, struct task *t);
    /* Stops every running attempt now, without grace. */
    void (*kill_all)(struct backend *b);
    /* Releases the backend; its handles close on the next loop turns. */
    void (*close)(struct backend *b);
    /* Describes the work of one task for the job log, as a command line. */
    void (*describe)(struct backend *b, const char *path, struct strbuf *out);
};

struct backend {
    const struct backend_ops *ops;
    struct runner *runner;
    uv_loop_t *loop;
};

#endif
