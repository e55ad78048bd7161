/*
 * The feed: the repositories of a run, read and resolved on a thread of
 * their own and handed to the loop in batches, so the first task starts
 * as soon as the first path is known however long the list, and the loop
 * never waits on a slow pipe or on a stat (which can block for long on a
 * network file system).
 *
 * Sources are taken in the order they were added: paths (the command
 * line's, then those a scan found) and lists (--repos-from, opened when
 * added so a missing file is a usage error before anything runs, read in
 * their turn with listparse.h). Each path is resolved with pathres.h on
 * the thread; the loop only adds what comes (repos.h deduplicates).
 *
 * The thread hands over through one buffer under a mutex and a uv_async_t
 * (its sends coalesce: one callback takes everything waiting). The buffer
 * holds at most FEED_PENDING_LIMIT bytes: a reader ahead of the loop waits
 * for it, so a list costs memory only as the repositories it names.
 *
 * feed_new, feed_add_*, feed_start and feed_wait on the main thread before
 * the loop runs; feed_stop on the loop thread; the callbacks run on the
 * loop thread; feed_free once the end was told and the loop has closed
 * the feed's handle (after uv_run returned).
 */
#ifndef REPOPOOL_FEED_H
#define REPOPOOL_FEED_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "repopool/pathres.h"
#include "repopool/strbuf.h"

#define FEED_PENDING_LIMIT (256u * 1024u)
/* batch_done is called at least this often while entries are handed over,
 * and the loop takes at most FEED_TURN_ENTRIES in one turn. */
#define FEED_BATCH_ENTRIES 64
#define FEED_TURN_ENTRIES 256

/* A path resolved (error NULL; id says what it is), or the label of a
 * name that cannot be a path and why. text is NUL-terminated. */
struct feed_entry {
    const char *text;
    size_t len;
    const char *error;
    struct path_id id;
    const char *host; /* the host it talks to (feed_resolve_hosts), or NULL */
};

struct feed_callbacks {
    void (*entry)(void *ctx, const struct feed_entry *e);
    /* After some entries (at most FEED_BATCH_ENTRIES, and the last of a
     * handover): a good moment to start tasks. */
    void (*batch_done)(void *ctx);
    /* Once, after the last entry: every source was read, or reading was
     * stopped, or a list was refused (error: one line saying why, the same
     * a list refused before the run would have said). */
    void (*end)(void *ctx, const char *error);
    void *ctx;
};

struct feed;

/* cwd: what relative paths are relative to (pathres_cwd; may be NULL). */
struct feed *feed_new(const char *cwd);
void feed_free(struct feed *f);

/* Before feed_start: each resolved path's host comes from host_of, called
 * on the feed's thread (false: it has none). */
void feed_resolve_hosts(struct feed *f, bool (*host_of)(void *ctx, const char *path, char *host, size_t cap),
                        void *ctx);

void feed_add_path(struct feed *f, const char *path);
/* Opens file ('-' for standard input) to be read in its turn; -1 with a
 * message in err when it cannot be opened. */
int feed_add_list(struct feed *f, const char *file, struct strbuf *err);

/* Starts the thread; entries are handed over once the loop runs. */
int feed_start(struct feed *f, uv_loop_t *loop, const struct feed_callbacks *cb);

/* What the feed has got to, for the caller that waits before the loop. */
struct feed_progress {
    bool entries; /* some are waiting for the loop */
    bool ended;   /* the thread is done */
    const char *error; /* when ended: why a list was refused, or NULL */
};

/* Blocks until an entry is waiting or the thread is done (until_end: until
 * it is done), without the loop. */
struct feed_progress feed_wait(struct feed *f, bool until_end);

/* Stops reading: nothing more is handed over, and the end follows soon
 * (a thread blocked in a read of a pipe is woken; one inside a stat of a
 * dead network mount finishes that stat first). */
void feed_stop(struct feed *f);

#endif
