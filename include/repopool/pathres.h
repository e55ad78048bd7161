/*
 * What a path the user named stands for: the absolute path a task runs in
 * and shows, and the identity (device and inode) that tells two names of
 * one directory apart from two directories.
 *
 * Cheap on purpose, for lists of a million paths: realpath(3) reads every
 * component's link (about 9 readlink calls for a path of 9 components),
 * while here a path costs one lstat in the common case:
 *
 * - A relative path is put after the current directory (asked once by the
 *   caller, getcwd gives its physical form), and the text is cleaned of
 *   "." components, repeated and trailing slashes, all of which name the
 *   same directory whatever the links.
 * - A last component ".git" (a repository's git directory, or the gitfile
 *   of a worktree or submodule) stands for the working tree around it.
 *   Nothing is opened to check: a missing ".git" still names its parent.
 * - One lstat of the result gives the identity. Only when it is a symlink
 *   is the link read and its target taken instead, link after link (at most
 *   PATHRES_MAX_LINKS): so a symlink to a repository shows as the
 *   repository, and a symlink to a ".git" as the working tree around it.
 *   Links in the middle of a path stay as they are: the path still leads
 *   to the same directory.
 * - ".." is folded away ("a/b/../c" shows as "a/c") only when a stat of the
 *   folded text finds the same directory: after a symlink, ".." leads to
 *   the parent of the link's target, not back to where the text says.
 *   Otherwise the ".." stays, which is exactly where the kernel goes.
 * - A path that does not exist (or cannot be looked up: a component not
 *   searchable, a loop of links) shows as named, made absolute and
 *   cleaned, with its ".." left as they are; its task fails with the
 *   reason when it comes to start.
 *
 * Thread-safe: no state but the caller's.
 */
#ifndef REPOPOOL_PATHRES_H
#define REPOPOOL_PATHRES_H

#include <stdbool.h>
#include <sys/types.h>

#include "repopool/strbuf.h"

/* As the kernel's limit on links followed in one lookup. */
#define PATHRES_MAX_LINKS 40

struct path_id {
    bool exists; /* lstat found it; else dev and ino are 0 */
    dev_t dev;
    ino_t ino;
};

/* An over-long path is named by this many of its first bytes. */
#define PATHRES_LABEL 64

/* Why given cannot be a path at all (it is empty, or PATH_MAX bytes or
 * longer), or NULL; *label_len says how much of it names the entry. */
const char *pathres_refusal(const char *given, size_t *label_len);

/* The current directory for pathres_resolve (free it), or NULL when it
 * cannot be told (removed, too deep): relative paths then stay relative. */
char *pathres_cwd(void);

/* Resolves given (not empty) as above: the path replaces out's contents,
 * its identity goes to *id. */
void pathres_resolve(const char *cwd, const char *given, struct strbuf *out, struct path_id *id);

#endif
