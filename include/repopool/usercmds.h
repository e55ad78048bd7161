/*
 * The commands that run no task but read or change the user's files:
 * --groups (the config's groups with their repositories, and its named
 * commands), --add-to / --remove-from (a group's repositories, written
 * with libgit2's config API so comments and layout stay), --history[=RUN]
 * (the latest runs, or one run's failures).
 *
 * Instead of a run; before any loop.
 */
#ifndef REPOPOOL_USERCMDS_H
#define REPOPOOL_USERCMDS_H

#include <stdbool.h>

#include "repopool/cli.h"

/* Whether cfg asks for one of them. */
bool usercmds_wanted(const struct config *cfg);
/* Does what cfg asks; returns the exit status (0, 1 when the history
 * cannot be read, 2 for a problem with the request or the config file). */
int usercmds_run(const struct config *cfg);

#endif
