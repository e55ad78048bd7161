/*
 * A blocking child process for worker threads: used where libgit2 cannot do
 * the job (the `git status` fallback, --fetch-with=git, `git credential
 * fill`). The child gets its own session and process group, stdin from
 * /dev/null (or the given text), GIT_TERMINAL_PROMPT=0; stdout and stderr
 * are captured together, bounded.
 *
 * The loop never waits on these: only worker threads call child_run.
 * Nothing in the process reaps children it did not start (the command
 * backend waits for its own pids only), so these waits race nothing.
 */
#ifndef REPOPOOL_CHILDPROC_H
#define REPOPOOL_CHILDPROC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "repopool/outbuf.h"

struct child_result {
    int exit_code;   /* -1 when killed or not started */
    int term_signal; /* 0 unless killed */
    int spawn_error; /* errno when it could not start, else 0 */
    bool stopped;    /* cancelled, or out of time */
};

/*
 * environ for a child: GIT_TERMINAL_PROMPT=0 so nothing waits on a prompt,
 * no inherited REPOPOOL_REPO nor the variables that point git at one
 * repository (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE...), and spare empty
 * slots (from *free_slot on,
 * when not NULL) before the terminating NULL, for variables of the
 * caller's. The strings are environ's; free only the array.
 */
char **child_environ(size_t spare, size_t *free_slot);

/*
 * Starts argv[0] (looked up in PATH) in dir (NULL: here) in a session of its
 * own (its own process group, no controlling terminal) with default signal
 * handling: stdin from in_fd (-1: /dev/null), stdout and stderr to out_fd.
 * glibc's posix_spawn does not copy the caller's page tables, so the cost
 * does not grow with the caller's memory. Returns 0 or an errno value.
 */
int spawn_session(char *const argv[], char *const env[], const char *dir, int in_fd, int out_fd, pid_t *pid);

/*
 * Runs argv[0] (looked up in PATH) in dir with the variables of extra_env
 * (NULL-terminated; may be NULL) added, feeding input (may be NULL) on
 * stdin. Output goes to out. The child's group gets SIGTERM, then SIGKILL a
 * second later, when *cancel becomes true or after timeout seconds (0: no
 * limit).
 */
void child_run(char *const argv[], const char *dir, char *const extra_env[], const char *input,
               struct outbuf *out, const atomic_bool *cancel, double timeout, struct child_result *res);

#endif
