/*
 * The built-in git operations through libgit2: status, fetch, and a pull
 * that only ever fast-forwards, one file each (gitop_status.c,
 * gitop_fetch.c, gitop_pull.c, listed in gitop_table.h); gitops.c holds
 * what they share. Each call opens, uses and frees its own libgit2 objects
 * on the calling worker thread; nothing libgit2 crosses threads, and error
 * text is copied before the call returns.
 *
 * Worker threads only (they block on disk and network). git_libgit2_init
 * must have been called before the first worker started.
 */
#ifndef REPOPOOL_GITOPS_H
#define REPOPOOL_GITOPS_H

#include <git2.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "repopool/childproc.h"
#include "repopool/class.h"
#include "repopool/gitinfo.h"
#include "repopool/gitnews.h"
#include "repopool/gitop_table.h"
#include "repopool/outbuf.h"
#include "repopool/strbuf.h"
#include "repopool/task.h"

/* Live transfer figures, written by the worker, read by the loop. */
struct gitop_progress {
    atomic_uint objects;
    atomic_uint total_objects;
    atomic_ullong bytes;
    /* True while libgit2 talks to a remote: only then can a silence be a
     * stall (a checkout or a git child may rightly be quiet for long). */
    atomic_bool transferring;
};

struct gitop_request {
    const struct gitop_entry *op; /* its row in gitop_table */
    const char *path;
    const char *remote;         /* fetch only this remote; NULL: every remote */
    bool fetch_with_git;        /* run `git fetch` instead of libgit2's */
    double child_timeout;       /* limit for git children; 0: none */
    const atomic_bool *cancel;  /* set by the loop to stop the operation */
    struct gitop_progress *progress;
    /* Bytes came from the remote, or progress changed; may be NULL. */
    void (*note_progress)(void *ctx);
    void *ctx;
};

struct gitop_outcome {
    enum task_state status;     /* TASK_OK, TASK_FAILED or TASK_SKIPPED */
    enum rp_class cls;
    struct strbuf summary;      /* one raw line */
    struct outbuf output;       /* what the remote or a git child printed */
    struct gitinfo info;
    bool has_info;
};

void gitop_outcome_init(struct gitop_outcome *out);
void gitop_outcome_free(struct gitop_outcome *out);

/* Opens the repository, runs the request's operation on it, frees it. */
void gitop_run(const struct gitop_request *req, struct gitop_outcome *out);

/* --- What the operations' files share (gitops.c) --- */

/* Sets status, class and a new summary. */
void gitop_set_outcome(struct gitop_outcome *out, enum task_state status, enum rp_class cls, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The loop asked the operation to stop. */
bool gitop_cancelled(const struct gitop_request *req);
/* libgit2's last error on this thread, as text. */
const char *gitop_error_text(void);
/* Fails the outcome with libgit2's last error, classified: "doing: error". */
void gitop_fail_with_error(struct gitop_outcome *out, int err, const char *doing);
/* The same for a transfer; before_data: the server had sent no pack data,
 * so a dropped connection means it was full (refused), not gone. */
void gitop_fail_with_transfer_error(struct gitop_outcome *out, int err, const char *doing, bool before_data);
/* Runs `git` in the repository, its output into out->output. */
void gitop_run_git(const struct gitop_request *req, char *const argv[], char *const env[],
                   struct gitop_outcome *out, struct child_result *res);
/* Runs `git` in the repository for what it says, not as the task's output:
 * returns everything it printed (at most limit bytes), NUL-terminated, to
 * free(), with its length in *len; NULL when it printed more. */
char *gitop_git_text(const struct gitop_request *req, char *const argv[], size_t limit, size_t *len,
                     struct child_result *res);
void gitop_last_output_line(const struct gitop_outcome *out, char *dst, size_t cap);
/* The class and the telling line of a failed git child's output. */
enum rp_class gitop_read_git_failure(const struct gitop_outcome *out, char *line, size_t cap);
/* A boolean from the repository's config; false when unset or unreadable. */
bool gitop_config_bool(git_repository *repo, const char *key);

/* --- What a pull reads as status does (gitop_status.c) --- */

enum gitinfo_state gitop_repo_state(git_repository *repo);
int gitop_read_branch(git_repository *repo, struct gitinfo *gi, struct strbuf *branch_ref);
int gitop_count_changes(git_repository *repo, struct gitinfo *gi, bool with_untracked);
void gitop_status_via_git(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out,
                          const char *why);

/* --- The fetch a pull starts with (gitop_fetch.c) --- */

struct gitop_fetch_summary {
    unsigned remotes;
    struct gitnews news;       /* out: the refs it moved */
    const char *merge_ref;     /* in: a pull's upstream branch on the remote */
    bool merge_ref_advertised; /* out: the remote had it */
};

int gitop_fetch(const struct gitop_request *req, git_repository *repo, const char *only,
                struct gitop_outcome *out, struct gitop_fetch_summary *sum);

#endif
