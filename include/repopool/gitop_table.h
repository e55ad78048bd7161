/*
 * The built-in git operations, one row each: what --git calls it, whether
 * it talks to a remote, and the functions that run it and describe it.
 * Everything that lists or tells the operations apart reads this table:
 * cli.c parses --git and prints the list in --help, run.c names the
 * operation in the reports, git.c watches the transfers of those that talk
 * to a remote for stalls and writes the job log's command, gitop_run calls
 * the row's run. Adding an operation is one file, src/backend/gitop_NAME.c,
 * and one row (README.md, "Adding a git operation").
 *
 * The table is constant: read it on any thread. run is called on a worker
 * thread, describe on the loop thread.
 */
#ifndef REPOPOOL_GITOP_TABLE_H
#define REPOPOOL_GITOP_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct git_repository;
struct gitop_request;
struct gitop_outcome;
struct strbuf;

struct gitop_entry {
    const char *name; /* as --git, the reports and the job log name it */
    /* Does the work, on a worker thread, the repository already opened by
     * gitop_run (gitops.h), which frees it after; sets the outcome. */
    void (*run)(const struct gitop_request *req, struct git_repository *repo, struct gitop_outcome *out);
    /* Talks to a remote: only its transfers can stall (git.c's watchdog),
     * and only it takes --remote and --fetch-with. */
    bool needs_network;
    /* Talks to the current branch's upstream remote (not every remote):
     * that remote's host is the task's (per-host limits). */
    bool follows_upstream;
    /* The job log's command: one that does what a task of this operation
     * did when pasted into a shell; self is this program's path. */
    void (*describe)(const struct gitop_request *req, const char *self, struct strbuf *out);
    const char *note; /* said after the name in --help, or NULL */
};

/* The first row is the default operation (--git status). */
extern const struct gitop_entry gitop_table[];
extern const size_t gitop_count;

/* The row named name, or NULL. */
const struct gitop_entry *gitop_find(const char *name);

/* The operations, one file each (src/backend/gitop_NAME.c). */
void gitop_status_run(const struct gitop_request *req, struct git_repository *repo, struct gitop_outcome *out);
void gitop_status_describe(const struct gitop_request *req, const char *self, struct strbuf *out);
void gitop_fetch_run(const struct gitop_request *req, struct git_repository *repo, struct gitop_outcome *out);
void gitop_fetch_describe(const struct gitop_request *req, const char *self, struct strbuf *out);
void gitop_pull_run(const struct gitop_request *req, struct git_repository *repo, struct gitop_outcome *out);
void gitop_pull_describe(const struct gitop_request *req, const char *self, struct strbuf *out);

#endif
