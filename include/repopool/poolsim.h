/*
 * A run of the demo in simulated time, for --compare: the real scheduler
 * (with its cap, retries and, with --adaptive, its host limiters) against
 * the simulated server of demoserver.h, with a clock that jumps from one
 * event to the next instead of waiting for it. A minute of demo takes
 * milliseconds, so one command can run the same tasks several ways.
 *
 * The same tasks: an attempt's drawn duration and fate depend only on the
 * seed, the task and the attempt number, not on what else runs, so ways
 * that start tasks in another order still face the same work.
 *
 * Pure: no I/O, no clock.
 */
#ifndef REPOPOOL_POOLSIM_H
#define REPOPOOL_POOLSIM_H

#include <stddef.h>
#include <stdint.h>

#include "repopool/demoserver.h"
#include "repopool/sched.h"
#include "repopool/stats.h"

struct poolsim_config {
    struct sched_config sched;
    size_t ntasks;
    const struct demo_capacity *capacity; /* NULL: the server serves all */
    unsigned nhosts;                      /* tasks spread over this many */
    double mean, fail;                    /* as --demo-mean, --demo-fail */
    uint64_t seed;
};

struct poolsim_result {
    double makespan;    /* seconds until the last task ended */
    unsigned attempts;
    unsigned refusals;  /* attempts the server answered 429 */
    unsigned failed;    /* tasks that did not end ok */
    unsigned peak;      /* most tasks running at once */
    struct stats timeline; /* running and the limit over the run */
};

/* Runs cfg->ntasks demo tasks to their end. */
void poolsim_run(const struct poolsim_config *cfg, struct poolsim_result *out);

#endif
