/*
 * Command tasks: each attempt is a child process started in the repository,
 * in its own session and process group, stdin from /dev/null,
 * GIT_TERMINAL_PROMPT=0, stdout and stderr merged into one pipe whose
 * output is captured (bounded) for the task.
 *
 * It is started with posix_spawn and watched through a pidfd in a
 * uv_poll_t, not with uv_spawn: libuv 1.44 forks, and a fork copies the
 * page tables of the whole task table, so with 100,000 tasks every spawn
 * cost twice as much. glibc's posix_spawn does not copy them.
 *
 * Stopping sends SIGTERM to the whole group, then SIGKILL after a grace
 * period. An attempt ends when its child has exited and the pipe is closed,
 * or shortly after the exit when a grandchild keeps the pipe open.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_PROC_H
#define REPOPOOL_PROC_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/backend.h"

struct proc_options {
    char **argv;         /* the command template; '{}' is the path */
    size_t argc;
    bool shell;          /* argv[0] is a script for /bin/sh -c */
    double kill_grace;   /* seconds from SIGTERM to SIGKILL */
    double drain_grace;  /* seconds to wait for the pipe after the exit */
};

/* Returns a backend to pass to runner_run, or NULL when out of memory. It
 * frees itself once closed. */
struct backend *proc_backend_new(struct runner *r, uv_loop_t *loop, const struct proc_options *opt);

#endif
