/*
 * Failure classes: why a task did not end ok, as named in the JSON "class"
 * field. One list yields the enum, the names and whether a class is
 * transient (worth a retry under --retries).
 *
 * Pure data; safe on any thread.
 */
#ifndef REPOPOOL_CLASS_H
#define REPOPOOL_CLASS_H

#include <stdbool.h>

/*     enum suffix   JSON name      transient */
#define RP_CLASS_LIST(X)                        \
    X(NONE,         "none",         false)      \
    X(USAGE,        "usage",        false)      \
    X(NOT_A_REPO,   "not-a-repo",   false)      \
    X(OWNER,        "owner",        false)      \
    X(AUTH,         "auth",         false)      \
    X(NETWORK,      "network",      true)       \
    X(REFUSED,      "refused",      true)       \
    X(TIMEOUT,      "timeout",      true)       \
    X(DIRTY,        "dirty",        false)      \
    X(DIVERGED,     "diverged",     false)      \
    X(DETACHED,     "detached",     false)      \
    X(NO_UPSTREAM,  "no-upstream",  false)      \
    X(LOCKED,       "locked",       false)      \
    X(EXIT,         "exit",         false)      \
    X(SIGNAL,       "signal",       false)      \
    X(INTERNAL,     "internal",     false)

enum rp_class {
#define RP_CLASS_ENUM(id, name, transient) RP_CLASS_##id,
    RP_CLASS_LIST(RP_CLASS_ENUM)
#undef RP_CLASS_ENUM
    RP_CLASS_COUNT
};

const char *rp_class_name(enum rp_class c);
bool rp_class_is_transient(enum rp_class c);

#endif
