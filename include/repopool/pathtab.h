/*
 * Paths stored as a tree of interned components: "/src/team/app" is the
 * node "app" under "team" under "src" under the root, and each node is
 * stored once however many paths go through it. A million paths in a few
 * hundred directories then cost their last components and a fixed record
 * each, not their full text (repos.c keeps every repository this way).
 *
 * A text is split at every '/' and joined back with one '/' between
 * components, so any text comes back byte for byte: "/a" is "" then "a",
 * "a//b/" is "a", "", "b", "". Paths are cleaned before they come here
 * (pathres.c), so only labels keep such shapes.
 *
 * A node is 16 bytes, and the table of names keeps each component's bytes
 * once, without a terminator. Texts come back through a strbuf, by walking
 * up the tree: a few dozen steps for any real path.
 *
 * Plain data, no I/O; one thread at a time.
 */
#ifndef REPOPOOL_PATHTAB_H
#define REPOPOOL_PATHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "repopool/strbuf.h"

#define PATHTAB_NONE UINT32_MAX
/* The longest text pathtab_intern takes (components and depth are kept
 * in 16 bits). */
#define PATHTAB_MAX_TEXT 65535

struct pathtab_node {
    uint64_t off;    /* where its bytes begin in names */
    uint32_t parent; /* PATHTAB_NONE for a first component */
    uint16_t len;    /* bytes of this component */
    uint16_t depth;  /* components above it */
};

struct pathtab {
    struct pathtab_node *nodes;
    size_t len, cap;
    char *names;
    size_t names_len, names_cap;
    /* Open addressing over node ids, keyed by (parent, bytes); at most
     * three quarters full. */
    uint32_t *slots;
    size_t nslots;
};

void pathtab_init(struct pathtab *pt);
void pathtab_free(struct pathtab *pt);

/* The node of text[0..len), adding what is new; len <= PATHTAB_MAX_TEXT.
 * The same text always gives the same node. */
uint32_t pathtab_intern(struct pathtab *pt, const char *text, size_t len);

static inline uint32_t pathtab_parent(const struct pathtab *pt, uint32_t id)
{
    return pt->nodes[id].parent;
}

/* Bytes of the text of id. */
size_t pathtab_length(const struct pathtab *pt, uint32_t id);
/* Appends the text of id to out. */
void pathtab_put(const struct pathtab *pt, uint32_t id, struct strbuf *out);
/* Orders the texts of a and b as strcmp would, without building them. */
int pathtab_compare(const struct pathtab *pt, uint32_t a, uint32_t b);
/* The deepest node that is a or an ancestor of a and also of b (its text
 * is the longest run of whole components both begin with); PATHTAB_NONE
 * when their first components differ. */
uint32_t pathtab_common(const struct pathtab *pt, uint32_t a, uint32_t b);

#endif
