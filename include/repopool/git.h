/*
 * Built-in git tasks: each attempt is a libgit2 operation (gitops.h) run on
 * one of repopool's own worker threads (workers.h), reported back to the
 * loop when it ends. Transfer progress is copied into the task records.
 *
 * Stopping sets the attempt's atomic flag, which every libgit2 callback
 * checks. A watchdog covers what callbacks cannot: an attempt that has
 * heard nothing from the remote for stall_timeout seconds is stopped as a
 * timeout, and a stopped attempt still blocked in a system call after a
 * grace period has that call interrupted (SIGURG to its thread), so neither
 * a slot nor the exit waits on a dead connection.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_GIT_H
#define REPOPOOL_GIT_H

#include <stdbool.h>

#include "repopool/backend.h"
#include "repopool/gitop_table.h"

struct gitop_options {
    const struct gitop_entry *op; /* a row of gitop_table */
    const char *remote;     /* fetch only this remote; NULL for all */
    bool fetch_with_git;    /* `git fetch` child instead of libgit2 */
    double stall_timeout;   /* seconds without word from the remote */
    double child_timeout;   /* limit for git children; 0: none */
};

/* Returns a backend to pass to runner_run, or NULL on failure. It frees
 * itself once closed. git_libgit2_init must have been called. */
struct backend *gitop_backend_new(struct runner *r, uv_loop_t *loop, const struct gitop_options *opt);

#endif
