/*
 * Remotes and upstreams read from a repository's config as git_remote_list,
 * git_remote_lookup and git_branch_upstream_name read them, without their
 * regular expressions: in libgit2 1.5 every non-matching config entry leaks
 * PCRE2 match data (about 20 KiB) on every call (fixed upstream in 1.6),
 * which over thousands of repositories grows into gigabytes. Plain config
 * reads and iteration, and an anonymous in-memory remote, do the same work
 * without the leak.
 *
 * Worker threads; the caller's libgit2 objects stay on its thread.
 */
#ifndef REPOPOOL_GITREMOTE_H
#define REPOPOOL_GITREMOTE_H

#include <git2.h>
#include <stdbool.h>
#include <stddef.h>

/* The names of the remotes that have a URL, in config order. */
int gitremote_names(git_repository *repo, git_strarray *out);

/*
 * A remote ready to fetch: its URL with url.<base>.insteadOf applied, its
 * fetch refspecs in *refspecs (for git_remote_fetch), and fo's tag and
 * prune settings from remote.<name>.tagOpt, remote.<name>.prune and
 * fetch.prune. GIT_ENOTFOUND when no such remote has a URL.
 */
int gitremote_open(git_repository *repo, const char *name, git_remote **out, git_strarray *refspecs,
                   git_fetch_options *fo);

/*
 * The upstream of a branch (full refname), as git_branch_upstream_name
 * finds it: branch.<b>.remote and branch.<b>.merge, mapped through the
 * remote's fetch refspecs. Not that function itself: in libgit2 1.5 it goes
 * through git_remote_lookup, whose regular expressions leak PCRE2 match data
 * for every config entry, on every call (fixed in libgit2 1.6). Returns 0,
 * or GIT_ENOTFOUND when the branch has no upstream.
 */
int gitremote_upstream(git_repository *repo, const char *branch_ref, git_buf *remote_out, git_buf *merge_out,
                       git_buf *out);

void gitremote_strarray_free(git_strarray *a);

/*
 * The host (urlhost.h) the repository at path talks to: remote's URL, or
 * with_upstream the current branch's upstream remote's, else origin's, else
 * the first remote's, with url.<base>.insteadOf applied. False when there
 * is no such remote or it contacts no host. Any thread (libgit2 must be
 * initialised).
 */
bool gitremote_host(const char *path, const char *remote, bool with_upstream, char *host, size_t cap);

#endif
