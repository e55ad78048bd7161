/*
 * What an index file (.git/index) says of itself, read from its header
 * and the signatures of its extensions without libgit2: libgit2 1.5 skips
 * the optional extensions it does not know without a word, and fails on
 * the mandatory ones, so a status cannot ask it which are there.
 *
 * Any thread.
 */
#ifndef REPOPOOL_INDEXFACTS_H
#define REPOPOOL_INDEXFACTS_H

#include <stdbool.h>
#include <stdint.h>

struct index_facts {
    uint32_t entries;     /* the header's count */
    bool gitlinks;        /* submodules: a `git status` runs git in each */
    bool fsmonitor;       /* FSMN: a git without fsmonitor would drop it */
    bool split;           /* link: a write may make new shared index files */
    char mandatory[5];    /* the first mandatory extension ("sdir"), or "" */
};


/* Reads the index's facts from gitdir/index. Returns 0 (also when there is
 * no index yet), or -1 when the file is not an index this reader knows
 * (libgit2 will say what is wrong with it). */
int index_facts_read(const char *gitdir, struct index_facts *f);

#endif
