/*
 * The host a git remote URL contacts, as per-host limits count it:
 * "https://user@Host.example:8443/x" and "ssh://git@host.example:22/x" and
 * the scp-like "git@host.example:x" all name "host.example" (lower case,
 * no user, no port; an IPv6 address keeps its brackets). Local paths and
 * file:// contact no host.
 *
 * Pure; any thread.
 */
#ifndef REPOPOOL_URLHOST_H
#define REPOPOOL_URLHOST_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the host into host (cap bytes, NUL-terminated); false when url
 * contacts no host or the host does not fit. */
bool url_host(const char *url, char *host, size_t cap);

#endif
