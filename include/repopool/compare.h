/*
 * --compare: the demo's tasks run four ways in simulated time (sequential,
 * unbounded, a fixed -j, adaptive) and printed as one table with a small
 * timeline of each. Returns the exit status: 0, or 1 when the output could
 * not be written.
 */
#ifndef REPOPOOL_COMPARE_H
#define REPOPOOL_COMPARE_H

#include <stdio.h>

#include "repopool/cli.h"

int compare_demo(const struct config *cfg, FILE *out);

#endif
