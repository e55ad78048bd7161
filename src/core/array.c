#include "repopool/array.h"

#include <stdlib.h>
#include <string.h>

bool array_reserve(void **items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*items, cap2 * size);
    if (!p)
        return false;
    *items = p;
    *cap = cap2;
    return true;
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

bool ring_push(struct ring *r, const void *item)
{
    if (r->len == r->cap) {
        /* Unrolled into a new block, so the items stay in order from 0. */
        size_t cap = r->cap ? r->cap * 2 : 64;
        unsigned char *p = malloc(cap * r->size);
        if (!p)
            return false;
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
    return true;
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
