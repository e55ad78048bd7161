/*
 * Run history in SQLite: every run and every task's end, so a later run
 * can rerun what failed (--rerun-failed), start the longest tasks first
 * (--order=longest) and show what happened (--history).
 *
 * The database is a convenience, never a reason to fail: a database that
 * cannot be opened, is locked past a short wait, corrupt or read-only gives
 * one warning (in the strbuf the caller passed) and the run goes on without
 * it. WAL mode and a busy timeout let two runs record at once.
 *
 * A run is written in one transaction when it ends, so recording costs the
 * run nothing while it works. The latest runs are kept, up to
 * HISTORY_KEEP_RUNS runs and HISTORY_KEEP_TASKS tasks (the newest run
 * always); older ones are deleted as new ones are recorded.
 *
 * Loop thread (or before the loop starts).
 */
#ifndef REPOPOOL_HISTORY_H
#define REPOPOOL_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "repopool/strbuf.h"

struct history;

/* What is kept unless history_keep says otherwise: at 40 bytes or so a
 * task (a repository's path is stored once), about 40 MB. */
#define HISTORY_KEEP_RUNS 1000
#define HISTORY_KEEP_TASKS 1000000

/* The default place: $XDG_STATE_HOME/repopool/history.sqlite, else
 * ~/.local/state/repopool/history.sqlite. False when neither is set. */
bool history_default_path(struct strbuf *out);

/* Opens (creating it and its directory) the database at path; NULL with
 * a one-line warning in warn when it cannot be used. */
struct history *history_open(const char *path, struct strbuf *warn);
void history_close(struct history *h);
/* Keeps at most runs runs and tasks tasks from the next record on. */
void history_keep(struct history *h, unsigned runs, unsigned long tasks);

/* One run, as it is recorded. work names what ran ("git fetch", "command:
 * make test", "demo"); selection names which repositories, so a later run
 * finds "the same run" again. */
struct history_run {
    double started, ended; /* seconds since the epoch */
    const char *args;      /* the command line, for --history */
    const char *work;
    const char *selection;
    unsigned ok, failed, skipped, cancelled;
    int exit_status;
};

struct history_task {
    const char *repo;
    const char *status; /* "ok", "failed", ... */
    const char *cls;    /* failure class, "none" for ok */
    unsigned attempts;
    double duration;    /* seconds, of the last attempt */
    uint64_t bytes;
};

/* Records a run and its tasks in one transaction: next() gives the tasks
 * one by one until it returns false. Returns 0, or -1 with a warning in
 * warn (the run is not recorded, nothing else happens). */
int history_record(struct history *h, const struct history_run *run,
                   bool (*next)(void *ctx, struct history_task *task), void *ctx, struct strbuf *warn);

/* The repositories of the most recent run of the same work and selection
 * that did not end ok, each given to fn. Returns how many runs matched (0
 * or 1), or -1 on a database error (warn says why). */
int history_failed_last(struct history *h, const char *work, const char *selection,
                        void (*fn)(void *ctx, const char *repo), void *ctx, struct strbuf *warn);

/* For each repository the given work ran on in its latest 50 runs, the
 * duration of its latest ok end, given to fn. Returns 0, or -1 (warn says
 * why). */
int history_last_durations(struct history *h, const char *work,
                           void (*fn)(void *ctx, const char *repo, double seconds), void *ctx, struct strbuf *warn);

/* Writes the latest runs (newest first, at most limit) as lines: id, when,
 * time, what, counts, exit status, command line. Returns 0, or -1 (warn
 * says why). */
int history_list_runs(struct history *h, FILE *out, unsigned limit, struct strbuf *warn);

/* Writes one run's line, then a line for each of its tasks that did not
 * end ok (status, class, attempts, duration, repository). Returns 0; -2
 * when there is no such run, -1 on a database error (warn says which). */
int history_show_run(struct history *h, int64_t run, FILE *out, struct strbuf *warn);

#endif
