/*
 * One run of repopool from a parsed command line: gathers the repositories,
 * picks the backend and the report, runs the loop, and returns the exit
 * status. Usage errors found here (an empty repository list, a job log that
 * cannot be opened) are printed as one line on stderr with status 2.
 */
#ifndef REPOPOOL_RUN_H
#define REPOPOOL_RUN_H

#include "repopool/cli.h"

int run_repopool(const struct config *cfg);

#endif
