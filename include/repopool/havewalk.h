/*
 * The commits a fetch tells the server it has ("have" lines), in an order
 * that lets the server find what both sides share within the first batch.
 *
 * libgit2 1.5 sends its haves in ref-iteration order (its revwalk inserts
 * tips by date before their dates are known: libgit2 issue #6532), so the
 * first batch holds the oldest branch tips; and it sends "done" after the
 * first batch the server acknowledges anything of. On a repository with
 * many branches the server then knows only old commits and sends years of
 * history again (a 3,000-commit repository with a branch every 10th
 * commit: 1.3 MB for 3 new commits, against git's 20 KB).
 *
 * This walk gives, first, the local values of the refs being fetched
 * (newest first: what the server's new commits most likely build on),
 * then every local ref's history newest first by committer date, as git's
 * default negotiator does. fetchwire.c writes them over libgit2's haves.
 *
 * One fetch, one thread.
 */
#ifndef REPOPOOL_HAVEWALK_H
#define REPOPOOL_HAVEWALK_H

#include <git2.h>
#include <stdbool.h>

struct have_walk;

struct have_walk *have_walk_new(git_repository *repo);
void have_walk_free(struct have_walk *w);

/* Sends the commit refname points at (peeled) before the date-ordered
 * walk; a ref that does not exist or is not a commit is ignored. */
void have_walk_prefer_ref(struct have_walk *w, const char *refname);

/* The next commit to say we have; false when there are no more. */
bool have_walk_next(struct have_walk *w, git_oid *out);

#endif
