/*
 * Where a run's repositories come from, in order: the paths named (on the
 * command line, then those of the -G groups), the lists (-f), then what
 * the scans find (--scan, the groups' scan entries; the current directory
 * when nothing at all was named). The same walk fills the feed of a run
 * (lists read later on the feed's thread) and, for --rerun-failed, a
 * repository list resolved at once, so both see the same repositories.
 *
 * Before the loop starts; not thread-safe.
 */
#ifndef REPOPOOL_SOURCES_H
#define REPOPOOL_SOURCES_H

#include "repopool/cli.h"
#include "repopool/feed.h"
#include "repopool/repos.h"
#include "repopool/strbuf.h"

/* What the walk hands each source to. */
struct source_sink {
    void (*path)(void *ctx, const char *path);
    /* A list to read: 0, or -1 with a one-line message in err. */
    int (*list)(void *ctx, const char *file, struct strbuf *err);
    void *ctx;
};

/* Into a feed: paths and lists are read and resolved on its thread. */
struct source_sink sources_into_feed(struct feed *feed);
/* Into a repository list, resolved now (lists read to their end). */
struct source_sink sources_into_list(struct repo_list *rl);

/* Hands every source of cfg to sink, scanning now (an unreadable
 * directory is one line on stderr). *empty_dir names the first scanned
 * directory that held no repository. Returns 0, or -1 with the message
 * in err (a list that cannot be read, a directory that cannot be
 * scanned). */
int sources_gather(const struct config *cfg, const struct source_sink *sink, const char **empty_dir,
                   struct strbuf *err);

/* Why there is nothing to run, when the sources named nothing. */
void sources_say_nothing(const struct config *cfg, const char *empty_dir, struct strbuf *err);

#endif
