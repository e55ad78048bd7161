/*
 * What each repository's task took the last time it ended ok (from the
 * run history, history.h), and what follows from it: the weight
 * --order=longest starts tasks by, the "~3.0s" a queued row of the
 * dashboard shows, and an ETA that knows which tasks are long.
 *
 * Filled by the app layer as repositories join the run (it reads the
 * history; this module does no I/O), indexed like the repository list.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_ESTIMATE_H
#define REPOPOOL_ESTIMATE_H

#include <stddef.h>
#include <stdint.h>

#include "repopool/sched.h"

struct estimates {
    float *seconds;    /* by repository index; negative: not known */
    size_t n, cap;
    double known_sum;  /* over the known ones, for their mean */
    unsigned known;
    /* The last ETA worked out, and when: it is counted down between two
     * walks over the tasks, which a large run cannot afford at each
     * redraw. */
    double eta, eta_at;
};

void estimates_init(struct estimates *e);
void estimates_free(struct estimates *e);

/* Repository repo took seconds last time (set once per repository). */
void estimates_set(struct estimates *e, uint32_t repo, double seconds);
/* What it took, or a negative number when that is not known. */
double estimates_get(const struct estimates *e, uint32_t repo);

/* The weight --order=longest gives repo's task: its last duration, and
 * INFINITY for one never seen (it could be the longest of all, and
 * starting it early costs little if it is not). */
double estimates_weight(const struct estimates *e, uint32_t repo);

/* How long until every task of s has ended, at time now: the work left
 * (each unfinished task's last duration, the mean of the known ones for
 * the others, less what a running task has done) over the slots, but
 * never less than the longest single task left. Negative when nothing is
 * known or the pool is paused. Walks the tasks at most every
 * ESTIMATES_WALK_EVERY seconds and counts down in between. */
#define ESTIMATES_WALK_EVERY 0.5
double estimates_eta(struct estimates *e, const struct sched *s, double now);

#endif
