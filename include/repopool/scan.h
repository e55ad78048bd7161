/*
 * Finds git working trees under a directory: a directory holding a ".git"
 * entry (a directory, or a file as in worktrees and submodules) is one, and
 * the walk does not go below it unless nested repositories are asked for.
 * Symlinked directories are followed once each (loops are harmless);
 * symlinks that lead nowhere (dangling, or a loop of links) are skipped
 * silently; unreadable directories are reported through the warn callback,
 * once each, and skipped. Found repositories go into a repo_list, which deduplicates them
 * by real path.
 *
 * Runs before the loop starts; not thread-safe.
 */
#ifndef REPOPOOL_SCAN_H
#define REPOPOOL_SCAN_H

#include <stdbool.h>

#include "repopool/repos.h"

struct scan_options {
    unsigned depth; /* directory levels below the start to look at */
    bool nested;    /* also look inside working trees */
    /* Told about each directory that could not be read; may be NULL. */
    void (*warn)(void *ctx, const char *path, int err);
    void *ctx;
};

/* Returns 0, or -1 when dir itself cannot be read (errno says why). */
int scan_dir(struct repo_list *rl, const char *dir, const struct scan_options *opt);

#endif
