/*
 * What a git status says about one repository, in a form every view shares:
 * the JSON "git" object, the one-line summary, the dashboard. Filled by the
 * libgit2 backend, or parsed from `git status --porcelain=v2 --branch` when
 * libgit2 cannot read a repository's index.
 *
 * Plain data and pure functions; safe on any thread.
 */
#ifndef REPOPOOL_GITINFO_H
#define REPOPOOL_GITINFO_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/strbuf.h"

#define GITINFO_STATE_LIST(X)     \
    X(CLEAN, "clean")             \
    X(MERGE, "merge")             \
    X(REBASE, "rebase")           \
    X(CHERRY_PICK, "cherry-pick") \
    X(REVERT, "revert")           \
    X(BISECT, "bisect")           \
    X(AM, "am")

enum gitinfo_state {
#define GITINFO_STATE_ENUM(id, name) GITINFO_STATE_##id,
    GITINFO_STATE_LIST(GITINFO_STATE_ENUM)
#undef GITINFO_STATE_ENUM
};

struct gitinfo {
    char branch[256];   /* short name; "" when detached */
    char upstream[256]; /* e.g. "origin/main"; "" when none is configured */
    char head[41];      /* commit id of HEAD; "" when unborn */
    bool detached;
    bool unborn;        /* no commit yet */
    bool upstream_gone; /* configured, but its remote-tracking ref is missing */
    unsigned ahead, behind;
    unsigned staged, modified, untracked, conflicted;
    enum gitinfo_state state;
};

const char *gitinfo_state_name(enum gitinfo_state s);

/* What needs a user's attention in a repository, as status results mark
 * it: one bit each, in this order in lists. */
#define GITINFO_ATTENTION_LIST(X)    \
    X(BEHIND, "behind")              \
    X(AHEAD, "ahead")                \
    X(DIVERGED, "diverged")          \
    X(DIRTY, "dirty")                \
    X(UNTRACKED, "untracked")        \
    X(CONFLICTED, "conflicted")      \
    X(DETACHED, "detached")          \
    X(NO_UPSTREAM, "no-upstream")    \
    X(IN_PROGRESS, "in-progress")

enum gitinfo_attention {
#define GITINFO_ATTENTION_BIT(id, name) GITINFO_ATTENTION_BIT_##id,
    GITINFO_ATTENTION_LIST(GITINFO_ATTENTION_BIT)
#undef GITINFO_ATTENTION_BIT
    GITINFO_ATTENTION_COUNT
};

#define GITINFO_ATTENTION(id) (1u << GITINFO_ATTENTION_BIT_##id)

/*
 * The marks for gi: behind or ahead of the upstream (diverged when both,
 * instead of either), dirty (staged or modified), untracked files,
 * conflicts, a detached HEAD, a branch with no upstream (or one whose
 * remote-tracking ref is gone), a merge, rebase or the like in progress.
 */
unsigned gitinfo_attention(const struct gitinfo *gi);
const char *gitinfo_attention_name(unsigned bit);
/* The marks' names, in the list's order, separated by spaces. */
void gitinfo_attention_text(unsigned marks, struct strbuf *out);

/* "main...origin/main [ahead 1, behind 2]; 1 staged, 2 modified" or
 * "main: clean". Raw branch names: sanitize before display. */
void gitinfo_summary(const struct gitinfo *gi, struct strbuf *out);

/* Appends the JSON "git" object and the "attention" list of marks (each
 * with its key and a leading comma). */
void gitinfo_json(const struct gitinfo *gi, struct strbuf *out);

/*
 * Parses `git status --porcelain=v2 --branch` output into counts and branch
 * data (state is left alone: the porcelain does not say). Returns 0, or -1
 * when the text is not porcelain v2.
 */
int gitinfo_parse_porcelain_v2(const char *text, size_t n, struct gitinfo *out);

#endif
