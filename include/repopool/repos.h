/*
 * The list of repositories a run works on, from positional paths and
 * repository files. Paths are made absolute and resolved (symlinks too), so
 * one repository named twice runs once. A path that cannot be used keeps
 * its place with the reason, so the task for it fails and the run goes on.
 *
 * Loop thread only (or before the loop starts).
 */
#ifndef REPOPOOL_REPOS_H
#define REPOPOOL_REPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "repopool/strbuf.h"

struct repo {
    char *path;  /* absolute; the real path when it exists */
    char *error; /* why it cannot be used, or NULL */
};

struct repo_list {
    struct repo *items;
    size_t len, cap;
    /* Open-addressing set of indexes into items, keyed by path. */
    size_t *slots;
    size_t nslots;
};

void repos_init(struct repo_list *rl);
void repos_free(struct repo_list *rl);

/* Adds one path as given by the user; a duplicate is dropped. Returns 0, or
 * -1 when out of memory. */
int repos_add_path(struct repo_list *rl, const char *given);

/* Adds an entry as it is, without resolving or deduplicating: a path that
 * cannot be used (error says why, and its task fails with that), or the
 * name of a simulated task (error NULL). */
int repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error);

/* Adds every path listed in the stream, one per line; blank lines and lines
 * whose first non-blank character is '#' are skipped. Lines that cannot be
 * paths (a NUL byte, longer than PATH_MAX) become failing entries. name is
 * used in messages. Returns 0, or -1 with a message in err when the stream
 * cannot be read. */
int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err);

/* Opens file ('-' for stdin) and adds its lines, as repos_add_stream. */
int repos_add_file(struct repo_list *rl, const char *file, struct strbuf *err);

#endif
