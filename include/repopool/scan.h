/*
 * Finds git working trees under a directory: a directory holding a ".git"
 * entry (a directory, or a file as in worktrees and submodules) is one, and
 * the walk does not go below it unless nested repositories are asked for.
 * Symlinked directories are followed once each (loops are harmless);
 * symlinks that lead nowhere (dangling, or a loop of links) are skipped
 * silently; unreadable directories are reported through the warn callback,
 * once each, and skipped. Found repositories are handed to the found
 * callback, in a stable order (names sorted at each level); the repository
 * list deduplicates them with everything else named (repos.h).
 *
 * Runs before the loop starts; not thread-safe.
 */
#ifndef REPOPOOL_SCAN_H
#define REPOPOOL_SCAN_H

#include <stdbool.h>

struct scan_options {
    unsigned depth; /* directory levels below the start to look at */
    bool nested;    /* also look inside working trees */
    /* Told about each directory that could not be read; may be NULL. */
    void (*warn)(void *ctx, const char *path, int err);
    /* Told about each working tree found: its path under the start. */
    void (*found)(void *ctx, const char *path);
    void *ctx;
};

/* Returns 0, or -1 when dir itself cannot be read (errno says why). */
int scan_dir(const char *dir, const struct scan_options *opt);

#endif
