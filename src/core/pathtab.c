#include "repopool/pathtab.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

void pathtab_init(struct pathtab *pt)
{
    memset(pt, 0, sizeof(*pt));
}

void pathtab_free(struct pathtab *pt)
{
    free(pt->nodes);
    free(pt->names);
    free(pt->slots);
    pathtab_init(pt);
}

static uint64_t hash_component(uint32_t parent, const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ ((uint64_t)parent * 0x9e3779b97f4a7c15ULL); /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

static const char *bytes_of(const struct pathtab *pt, const struct pathtab_node *node)
{
    return pt->names + node->off;
}

/* The slot holding (parent, s), or the empty one it would take. */
static size_t find_slot(const struct pathtab *pt, uint64_t hash, uint32_t parent, const char *s, size_t n)
{
    size_t mask = pt->nslots - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        uint32_t id = pt->slots[i];
        if (id == PATHTAB_NONE)
            return i;
        const struct pathtab_node *node = &pt->nodes[id];
        if (node->parent == parent && node->len == n && memcmp(bytes_of(pt, node), s, n) == 0)
            return i;
    }
}

static void rehash(struct pathtab *pt, size_t nslots)
{
    free(pt->slots);
    pt->slots = xmalloc(nslots * sizeof(*pt->slots));
    memset(pt->slots, 0xff, nslots * sizeof(*pt->slots)); /* PATHTAB_NONE */
    pt->nslots = nslots;
    for (uint32_t id = 0; id < pt->len; id++) {
        const struct pathtab_node *node = &pt->nodes[id];
        uint64_t h = hash_component(node->parent, bytes_of(pt, node), node->len);
        pt->slots[find_slot(pt, h, node->parent, bytes_of(pt, node), node->len)] = id;
    }
}

/* The node of component s[0..n) under parent, added if new. */
static uint32_t intern_component(struct pathtab *pt, uint32_t parent, const char *s, size_t n)
{
    if ((pt->len + 1) * 4 > pt->nslots * 3)
        rehash(pt, pt->nslots ? pt->nslots * 2 : 256);
    uint64_t h = hash_component(parent, s, n);
    size_t slot = find_slot(pt, h, parent, s, n);
    if (pt->slots[slot] != PATHTAB_NONE)
        return pt->slots[slot];

    /* One byte more than needed: names exists once any node does, even
     * when every component so far is empty, so no memcpy or memcmp ever
     * gets a null pointer. */
    array_reserve((void **)&pt->names, &pt->names_cap, pt->names_len + n + 1, 1);
    memcpy(pt->names + pt->names_len, s, n);
    array_reserve((void **)&pt->nodes, &pt->cap, pt->len + 1, sizeof(*pt->nodes));
    uint32_t id = (uint32_t)pt->len++;
    pt->nodes[id] = (struct pathtab_node){
        .off = pt->names_len,
        .parent = parent,
        .len = (uint16_t)n,
        .depth = parent == PATHTAB_NONE ? 0 : (uint16_t)(pt->nodes[parent].depth + 1),
    };
    pt->names_len += n;
    pt->slots[slot] = id;
    return id;
}

uint32_t pathtab_intern(struct pathtab *pt, const char *text, size_t len)
{
    if (len > PATHTAB_MAX_TEXT)
        len = PATHTAB_MAX_TEXT;
    uint32_t node = PATHTAB_NONE;
    size_t start = 0;
    for (;;) {
        const char *slash = memchr(text + start, '/', len - start);
        size_t end = slash ? (size_t)(slash - text) : len;
        node = intern_component(pt, node, text + start, end - start);
        if (!slash)
            return node;
        start = end + 1;
    }
}

size_t pathtab_length(const struct pathtab *pt, uint32_t id)
{
    /* One '/' between two components: as many as the leaf has above it. */
    size_t n = pt->nodes[id].depth;
    for (; id != PATHTAB_NONE; id = pt->nodes[id].parent)
        n += pt->nodes[id].len;
    return n;
}

void pathtab_put(const struct pathtab *pt, uint32_t id, struct strbuf *out)
{
    size_t n = pathtab_length(pt, id);
    char *end = strbuf_extend(out, n) + n;
    /* From the leaf up, so from the end of the text back. */
    for (;;) {
        const struct pathtab_node *node = &pt->nodes[id];
        end -= node->len;
        memcpy(end, bytes_of(pt, node), node->len);
        id = node->parent;
        if (id == PATHTAB_NONE)
            return;
        *--end = '/';
    }
}

/* Walks x up until it is at depth. */
static uint32_t lift(const struct pathtab *pt, uint32_t x, unsigned depth)
{
    while (pt->nodes[x].depth > depth)
        x = pt->nodes[x].parent;
    return x;
}

int pathtab_compare(const struct pathtab *pt, uint32_t a, uint32_t b)
{
    if (a == b)
        return 0;
    unsigned da = pt->nodes[a].depth, db = pt->nodes[b].depth;
    uint32_t x = lift(pt, a, db), y = lift(pt, b, da);
    /* One is an ancestor of the other: its text is a prefix of the
     * other's, which goes on with a '/'. */
    if (x == y)
        return da < db ? -1 : 1;
    while (pt->nodes[x].parent != pt->nodes[y].parent) {
        x = pt->nodes[x].parent;
        y = pt->nodes[y].parent;
    }
    /* x and y are different components after the same text. */
    const struct pathtab_node *nx = &pt->nodes[x], *ny = &pt->nodes[y];
    size_t n = nx->len < ny->len ? nx->len : ny->len;
    int c = memcmp(bytes_of(pt, nx), bytes_of(pt, ny), n);
    if (c != 0)
        return c;
    /* One component begins the other: the shorter text goes on with '/'
     * if its path goes deeper, or ends there; the longer one's next byte
     * is never a '/'. */
    if (nx->len < ny->len) {
        unsigned char after_x = x != a ? '/' : '\0';
        return after_x < (unsigned char)bytes_of(pt, ny)[n] ? -1 : 1;
    }
    unsigned char after_y = y != b ? '/' : '\0';
    return (unsigned char)bytes_of(pt, nx)[n] < after_y ? -1 : 1;
}

uint32_t pathtab_common(const struct pathtab *pt, uint32_t a, uint32_t b)
{
    uint32_t x = lift(pt, a, pt->nodes[b].depth), y = lift(pt, b, pt->nodes[a].depth);
    while (x != y && x != PATHTAB_NONE) {
        x = pt->nodes[x].parent;
        y = pt->nodes[y].parent;
    }
    return x;
}
