/*
 * The built-in git operations through libgit2: status, fetch, and a pull
 * that only ever fast-forwards. Each call opens, uses and frees its own
 * libgit2 objects on the calling worker thread; nothing libgit2 crosses
 * threads, and error text is copied before the call returns.
 *
 * Worker threads only (they block on disk and network). git_libgit2_init
 * must have been called before the first worker started.
 */
#ifndef REPOPOOL_GITOPS_H
#define REPOPOOL_GITOPS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "repopool/class.h"
#include "repopool/gitinfo.h"
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

void gitop_run(const struct gitop_request *req, struct gitop_outcome *out);

#endif
