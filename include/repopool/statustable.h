/*
 * A headless git status run as one aligned table, written when the run
 * ends (widths need every row), sorted by repository, as gita's `ll`:
 *
 *     REPOSITORY  BRANCH   AHEAD  BEHIND  ATTENTION
 *     /src/api    main         0       3  behind
 *     /src/web    feature      2       0  ahead dirty untracked
 *     /src/old    -            -       -  failed: not a git repository
 *
 * With quiet, only the rows that need attention or did not end ok.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_STATUSTABLE_H
#define REPOPOOL_STATUSTABLE_H

#include "repopool/report.h"

void status_table_write(struct report *rep, const struct sched *s, const struct repo_list *repos);

#endif
