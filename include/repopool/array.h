/*
 * Growable storage, the shapes the project needs: an array that grows by
 * doubling (array_reserve), a ring buffer of fixed-size items that grows
 * the same way (struct ring: FIFO queues of task ids, deadlines, ended
 * tasks) and a min-heap of ids on a key (struct heap: retry times, the
 * returning queue).
 *
 * They allocate with xrealloc (xalloc.h): growth cannot fail, so callers
 * have no out-of-memory branch. Plain data; safe on any thread that owns
 * the storage.
 */
#ifndef REPOPOOL_ARRAY_H
#define REPOPOOL_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes room for at least need items of size bytes in *items (capacity
 * *cap, in items), doubling from 16. */
void array_reserve(void **items, size_t *cap, size_t need, size_t size);

struct ring {
    unsigned char *items;
    size_t size;           /* bytes per item */
    size_t head, len, cap; /* in items */
};

void ring_init(struct ring *r, size_t item_size);
void ring_free(struct ring *r);
/* Appends a copy of *item at the back. */
void ring_push(struct ring *r, const void *item);
/* The front item, or NULL when empty; valid until the next push. */
void *ring_front(const struct ring *r);
/* Drops the front item; the ring must not be empty. */
void ring_pop(struct ring *r);
/* Drops the back item (the last pushed); the ring must not be empty. */
void ring_pop_back(struct ring *r);

/* A binary min-heap of ids on a key (a time, or the id itself). */
struct heap_entry {
    double key;
    uint32_t id;
};

struct heap {
    struct heap_entry *items;
    size_t len, cap;
};

/* Adds id with key; the smallest key comes out first, and of equal keys
 * the smallest id. */
void heap_push(struct heap *h, double key, uint32_t id);
/* Takes the entry with the smallest key; the heap must not be empty. */
struct heap_entry heap_pop(struct heap *h);

#endif
