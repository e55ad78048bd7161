/*
 * The list of repositories a run works on, from positional paths and
 * repository files. Paths are made absolute and resolved (symlinks too), so
 * one repository named twice runs once; a repository's ".git" (directory or
 * gitfile) names the working tree around it. A path that cannot be used
 * keeps its place with the reason, so the task for it fails and the run
 * goes on.
 *
 * Loop thread only (or before the loop starts).
 */
#ifndef REPOPOOL_REPOS_H
#define REPOPOOL_REPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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

/* Adds one path as given by the user; a duplicate is dropped. A path whose
 * last component is ".git" (as given, or once resolved) is taken as the
 * directory around it. */
void repos_add_path(struct repo_list *rl, const char *given);

/* Adds an entry as it is, without resolving or deduplicating: a path that
 * cannot be used (error says why, and its task fails with that), or the
 * name of a simulated task (error NULL). */
void repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error);

/* A line with no newline in this many bytes means the input is not a list
 * of paths (/dev/zero, a binary file, an endless pipe). */
#define REPOS_LINE_LIMIT ((uint64_t)1 << 30)
#define REPOS_LINE_LIMIT_TEXT "1 GiB"

/* Adds every path listed in the stream, one per line; blank lines and lines
 * whose first non-blank character is '#' are skipped (a CR before the
 * newline is dropped). Lines that cannot be paths become failing entries: a
 * NUL byte among the first PATH_MAX bytes (labelled up to the NUL), else
 * PATH_MAX bytes or more (labelled by the first 64 bytes). Memory does not
 * grow with a line's length: only its first PATH_MAX + 1 bytes are kept and
 * the rest is skipped. name is used in messages. Returns 0, or -1 with a
 * message in err when the stream cannot be read or a line runs on for more
 * than REPOS_LINE_LIMIT bytes (then the list is refused as a whole). */
int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err);

/* Opens file ('-' for stdin) and adds its lines, as repos_add_stream. */
int repos_add_file(struct repo_list *rl, const char *file, struct strbuf *err);

#endif
