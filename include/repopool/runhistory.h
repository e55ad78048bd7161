/*
 * A run's side of the history (history.h): what it reads before it starts
 * (each repository's last duration, for --order=longest and the
 * dashboard; what failed last time, for --rerun-failed) and the record it
 * writes when it ends.
 *
 * The database is opened for each of these and closed again, so a run
 * holds no handle on it while it works. Any trouble with it (it cannot be
 * opened, is locked past the busy timeout, corrupt, read-only) is one
 * warning on stderr, after which the run leaves it alone; the run and its
 * exit status go on as if there were no history. Only --rerun-failed,
 * which cannot know what to run without it, stops there.
 *
 * Before the loop starts, or after it ends.
 */
#ifndef REPOPOOL_RUNHISTORY_H
#define REPOPOOL_RUNHISTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/cli.h"
#include "repopool/repos.h"
#include "repopool/sched.h"
#include "repopool/strbuf.h"

struct past_duration {
    char *path;
    double seconds;
};

struct runhistory {
    bool on;          /* this run is recorded (not --no-history, not the demo) */
    bool given_up;    /* a warning was given: the database is left alone */
    char *path;       /* the database; NULL when no place is known */
    struct strbuf work;
    /* The selection, when --rerun-failed worked it out from the whole
     * selection (the run itself has only the failed part); empty: the
     * run's own repositories are its selection. */
    struct strbuf selection;
    double started;   /* wall clock, seconds since the epoch */
    struct past_duration *past; /* sorted by path */
    size_t npast, past_cap;
    char **rerun;     /* --rerun-failed: the paths to run again */
    size_t nrerun;
};

void runhistory_init(struct runhistory *rh, const struct config *cfg);
void runhistory_free(struct runhistory *rh);

/* Reads each repository's last duration under this run's work. */
void runhistory_load_durations(struct runhistory *rh);
/* What path took the last time it ended ok, or -1. */
double runhistory_duration(const struct runhistory *rh, const char *path);

/*
 * --rerun-failed: all holds every repository of the selection, resolved.
 * Returns 1 with rh->rerun holding the paths of those that did not end
 * ok in the latest run of the same work and selection; 0 when nothing
 * failed there (err says so); -1 when there is no such run or the
 * history cannot be read (err says which).
 */
int runhistory_rerun(struct runhistory *rh, const struct repo_list *all, struct strbuf *err);

/* Records the run that ended with status: every task of s, on the
 * repositories of repos. */
void runhistory_record(struct runhistory *rh, const struct config *cfg, const struct sched *s,
                       const struct repo_list *repos, int status);

#endif
