/*
 * What a fetch or a pull brought, said for people: in the task's output
 * (the dashboard's log view, --output=all) a line per ref a fetch moved and
 * a line per file a pull changed, as git prints them; in the summary, the
 * refs by name with a human size, and a pull's range with how many commits
 * and files it brought.
 *
 * Worker threads (it reads the repository's trees); no state of its own
 * beyond the struct the caller keeps.
 */
#ifndef REPOPOOL_GITNEWS_H
#define REPOPOOL_GITNEWS_H

#include <git2.h>
#include <stdint.h>

#include "repopool/outbuf.h"
#include "repopool/strbuf.h"

/* The refs a fetch moved, over all its remotes. */
struct gitnews {
    unsigned refs;
    char first[2][128];  /* the first two, short: "origin/main", "tag v1.2" */
    char range[40];      /* the first one's "a1b2c3d..e4f5a6b", "new", "deleted" */
};

/* A ref the fetch moved from one value to another (zero: created or
 * deleted): told in log as git's fetch does, and counted in news. */
void gitnews_ref_moved(struct gitnews *news, struct outbuf *log, const char *refname, const git_oid *from,
                       const git_oid *to);

/* "1 remote: origin/main a1b2c3d..e4f5a6b, 12.8 MiB", "2 remotes: 3 refs
 * updated (origin/main, upstream/dev, ...), 1.2 KiB", "1 remote: up to
 * date", into summary. */
void gitnews_fetch_summary(const struct gitnews *news, unsigned remotes, uint64_t bytes, struct strbuf *summary);

/* A pull fast-forwarded from..to over commits commits: its files, one line
 * each (at most GITNEWS_MAX_FILES), into log; ", 3 commits, 12 files" after
 * the summary. */
#define GITNEWS_MAX_FILES 200
void gitnews_pull(git_repository *repo, const git_oid *from, const git_oid *to, size_t commits, struct outbuf *log,
                  struct strbuf *summary);

#endif
