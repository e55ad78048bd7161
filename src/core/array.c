#include "repopool/array.h"
#include "repopool/xalloc.h"

#include <stdlib.h>
#include <string.h>

void array_reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    *items = xrealloc(*items, cap2 * size);
    *cap = cap2;
}

void ring_init(struct ring *r, size_t item_size)
{
    *r = (struct ring){.size = item_size};
}

void ring_free(struct ring *r)
{
    free(r->items);
    ring_init(r, r->size);
}

void ring_push(struct ring *r, const void *item)
{
    if (r->len == r->cap) {
        /* Unrolled into a new block, so the items stay in order from 0. */
        size_t cap = r->cap ? r->cap * 2 : 64;
        unsigned char *p = xmalloc(cap * r->size);
        size_t first = r->cap - r->head < r->len ? r->cap - r->head : r->len;
        if (r->len) {
            memcpy(p, r->items + r->head * r->size, first * r->size);
            memcpy(p + first * r->size, r->items, (r->len - first) * r->size);
        }
        free(r->items);
        r->items = p;
        r->head = 0;
        r->cap = cap;
    }
    memcpy(r->items + ((r->head + r->len) % r->cap) * r->size, item, r->size);
    r->len++;
}

void *ring_front(const struct ring *r)
{
    return r->len ? r->items + r->head * r->size : NULL;
}

void ring_pop(struct ring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->len--;
}

void ring_pop_back(struct ring *r)
{
    r->len--;
}

/* Ties go to the lower id, so equal keys come out in submission order
 * (and every order the scheduler makes is reproducible). */
static int heap_before(struct heap_entry a, struct heap_entry b)
{
    return a.key < b.key || (a.key == b.key && a.id < b.id);
}

void heap_push(struct heap *h, double key, uint32_t id)
{
    struct heap_entry e = {key, id};
    array_reserve((void **)&h->items, &h->cap, h->len + 1, sizeof(*h->items));
    size_t i = h->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!heap_before(e, h->items[parent]))
            break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = e;
}

struct heap_entry heap_pop(struct heap *h)
{
    struct heap_entry top = h->items[0];
    struct heap_entry last = h->items[--h->len];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= h->len)
            break;
        if (child + 1 < h->len && heap_before(h->items[child + 1], h->items[child]))
            child++;
        if (!heap_before(h->items[child], last))
            break;
        h->items[i] = h->items[child];
        i = child;
    }
    if (h->len > 0)
        h->items[i] = last;
    return top;
}
