/*
 * The list of repositories a run works on, from positional paths,
 * repository files and scans, in the order they were named. Each
 * repository is in it once: a path is known by the device and inode of
 * its working tree (one lstat, pathres.h), so a repository named twice,
 * through a symlink, as "./x/../x" or as "x/.git" runs once, and the first
 * name stays. A path that does not exist is known by its text instead,
 * and keeps its place: its task fails with the reason and the run goes on.
 * So does a name that cannot be a path at all (an empty argument, a list
 * line with a NUL byte), with its reason attached.
 *
 * Memory: paths live in a pathtab (shared directories stored once), and
 * an entry is 8 bytes plus its share of the identity set; a million paths
 * of 217 bytes in a few hundred directories take well under their own
 * size. A path's text is built on demand into the caller's strbuf.
 *
 * Loop thread only (or before the loop starts). Reading lists happens on
 * a thread of its own (feed.h), which resolves paths and leaves only the
 * adding to the loop.
 */
#ifndef REPOPOOL_REPOS_H
#define REPOPOOL_REPOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "repopool/pathres.h"
#include "repopool/pathtab.h"
#include "repopool/strbuf.h"

#define REPOS_NONE UINT32_MAX

struct repo {
    uint32_t node;  /* its path (or label) in the pathtab */
    uint32_t error; /* 0, or 1 + the index of why it cannot be used */
};

/* A repository's identity: an existing one by device (an index into the
 * list's devices, from 1) and inode; a missing one by its path's node
 * (dev REPOS_MISSING). dev 0 marks an empty slot. */
#define REPOS_MISSING UINT32_MAX
struct repo_key {
    uint64_t ino;
    uint32_t dev;
};

struct repo_list {
    struct pathtab paths;
    struct repo *items;
    size_t len, cap;
    char **errors; /* the distinct reasons, a handful */
    size_t nerrors, errors_cap;
    /* Identities of the entries added so far: open addressing, at most
     * three quarters full. */
    struct repo_key *keys;
    size_t nkeys, nslots;
    dev_t *devs;   /* distinct devices, usually one or two */
    size_t ndevs, devs_cap;
    /* The directory every entry is in (the common ancestor of their
     * parents), for views that hide it; PATHTAB_NONE when there is none. */
    uint32_t common;
    uint32_t last_parent; /* the last parent merged into common */
};

void repos_init(struct repo_list *rl);
void repos_free(struct repo_list *rl);

static inline size_t repos_count(const struct repo_list *rl)
{
    return rl->len;
}

/* Adds a path resolved by pathres_resolve (path, identity); returns its
 * index, or REPOS_NONE when the repository is in the list already. */
uint32_t repos_add_resolved(struct repo_list *rl, const char *path, size_t len, const struct path_id *id);

/* Resolves a path as given by the user (pathres.h) and adds it, as
 * repos_add_resolved; an empty or over-long one becomes a failing entry. */
uint32_t repos_add_path(struct repo_list *rl, const char *given);

/* Adds an entry as it is, without resolving or deduplicating: a name that
 * cannot be used (error says why, and its task fails with that), or the
 * name of a simulated task (error NULL). Returns its index. */
uint32_t repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error);

/* Adds every entry of a list in the stream (listparse.h), resolving on
 * this thread. name is used in messages. Returns 0, or -1 with a message
 * in err when the stream cannot be read or is not a list of paths. */
int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err);

/* The path (or label) of entry i: replaces sb's contents, returns them. */
const char *repos_path(const struct repo_list *rl, uint32_t i, struct strbuf *sb);
/* Why entry i cannot be used, or NULL. */
const char *repos_error(const struct repo_list *rl, uint32_t i);
/* Orders entries i and j by their paths, as strcmp would. */
int repos_compare(const struct repo_list *rl, uint32_t i, uint32_t j);
/* Bytes at the start of every path that name the directory all of them
 * are in, its last slash included ("/src/" of "/src/a" and "/src/b/c");
 * 0 when they share nothing. */
size_t repos_common_prefix(const struct repo_list *rl);

#endif
