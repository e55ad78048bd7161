/*
 * Fetches that do not download the server's progress text. git asks the
 * server for "no-progress" when it has no terminal to show it on; libgit2
 * 1.5 never does, so every fetch received about a kilobyte of "Counting
 * objects" messages it then threw away. This transport callback (for
 * git_remote_callbacks.transport) wraps libgit2's own smart subtransports
 * (git://, ssh://, http://, https://) and adds the capability to the first
 * "want" line of each upload-pack request; nothing else of the protocol is
 * touched, and local paths get libgit2's local transport as before.
 *
 * The wrapper also sees every read from the server, so heard(ctx) is
 * called for any bytes at all, keepalives and progress included: what a
 * stall watchdog needs, since libgit2's own callbacks are silent until pack
 * data flows.
 *
 * Any thread: it holds no state between operations.
 */
#ifndef REPOPOOL_QUIETFETCH_H
#define REPOPOOL_QUIETFETCH_H

#include <git2.h>
#include <git2/sys/transport.h>

/* For a git_transport_cb: the transport for owner's URL. heard may be
 * NULL. */
int quietfetch_transport(git_transport **out, git_remote *owner, void (*heard)(void *ctx), void *ctx);

#endif
