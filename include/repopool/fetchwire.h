/*
 * The upload-pack conversation of a libgit2 fetch, corrected where libgit2
 * 1.5 asks for more than git does. A transport callback (for
 * git_remote_callbacks.transport) wraps libgit2's own smart subtransports
 * (git://, ssh://, http://, https://) and edits what libgit2 writes, in
 * place and never changing how many pkt-lines it writes or how long they
 * are, so libgit2's state machine goes on as before:
 *
 * - "no-progress" is added to the capabilities of the first "want" line:
 *   git asks for it when it has no terminal to show progress on; libgit2
 *   never does, and received about a kilobyte of "Counting objects" text
 *   per fetch to throw away.
 * - Each "have" line before the final "done" request carries the commit
 *   hooks->next_have gives instead of libgit2's (see havewalk.h for why),
 *   and hooks->wants hears the wanted ids first, so the walk can start
 *   from the refs being fetched.
 * - Every read from the server, keepalives and progress included, calls
 *   hooks->heard: what a stall watchdog needs, since libgit2's own
 *   callbacks are silent until pack data flows.
 *
 * Local paths and file:// get libgit2's local transport untouched.
 *
 * Any thread; the hooks are called on the fetching thread.
 */
#ifndef REPOPOOL_FETCHWIRE_H
#define REPOPOOL_FETCHWIRE_H

#include <git2.h>
#include <git2/sys/transport.h>
#include <stdbool.h>

struct fetchwire_hooks {
    void (*heard)(void *ctx);
    /* Once per fetch, before the first have is asked for. */
    void (*wants)(void *ctx, const git_oid *ids, size_t n);
    /* The next commit to say we have; false leaves libgit2's line. */
    bool (*next_have)(void *ctx, git_oid *out);
    void *ctx;
};

/* For a git_transport_cb: the transport for owner's URL. Any hook may be
 * NULL; *hooks is copied. */
int fetchwire_transport(git_transport **out, git_remote *owner, const struct fetchwire_hooks *hooks);

#endif
