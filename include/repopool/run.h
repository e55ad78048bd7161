/*
 * One run of repopool from a parsed command line: gathers the repositories,
 * picks the backend and the report, runs the loop, and returns the exit
 * status. Usage errors found here (an empty repository list, a job log that
 * cannot be opened) are printed as one line on stderr with status 2.
 */
#ifndef REPOPOOL_RUN_H
#define REPOPOOL_RUN_H

#include <stdint.h>

#include "repopool/cli.h"
#include "repopool/sched.h"

int run_repopool(const struct config *cfg);

/* The run's seed: --seed, or one from the time and the process. */
uint64_t run_seed(const struct config *cfg);
/* The scheduler's settings from the command line. */
struct sched_config run_sched_config(const struct config *cfg, uint64_t seed);

#endif
