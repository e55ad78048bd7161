/*
 * What names a run in the history: its work, its selection and its
 * command line.
 *
 * The work is what ran: "git fetch" (the operation, whatever its
 * options), "command: make -j4" (the argv, each word quoted as a shell
 * would need), "shell: git gc --auto" (--shell's script, and a named
 * command's: -c gc is the script it names). The demo has none: simulated
 * tasks are not recorded.
 *
 * The selection is which repositories: their count and an order-free hash
 * of their resolved paths ("17 repositories 3f0c9a1b2d4e5f60"), so the
 * same repositories named in another order, through another group, list
 * or symlink are the same selection, and one repository more or less is
 * another. --rerun-failed looks for the last run of the same work and
 * selection.
 *
 * Before the loop starts, or after it ends; no I/O.
 */
#ifndef REPOPOOL_RUNKEY_H
#define REPOPOOL_RUNKEY_H

#include <stdbool.h>

#include "repopool/cli.h"
#include "repopool/repos.h"
#include "repopool/strbuf.h"

/* The work of cfg into out; false for the demo, which has none. */
bool runkey_work(const struct config *cfg, struct strbuf *out);

/* The selection of every entry of rl into out. */
void runkey_selection(const struct repo_list *rl, struct strbuf *out);

/* argv as one line a user could paste back into a shell. */
void runkey_args(int argc, char **argv, struct strbuf *out);

#endif
