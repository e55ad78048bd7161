/*
 * An intrusive doubly linked list, for the few sets that need O(1) removal
 * and a walk over all (a backend's live jobs). Embed a struct list_link in
 * the element and get back to the element with LIST_ENTRY.
 *
 * Plain data; the owner decides on which thread a list is used.
 */
#ifndef REPOPOOL_LIST_H
#define REPOPOOL_LIST_H

#include <stddef.h>

struct list_link {
    struct list_link *prev, *next;
};

/* The list head: a link whose neighbours are the last and first element. */
struct list {
    struct list_link head;
};

static inline void list_init(struct list *l)
{
    l->head.prev = l->head.next = &l->head;
}

static inline int list_empty(const struct list *l)
{
    return l->head.next == &l->head;
}

static inline void list_push(struct list *l, struct list_link *link)
{
    link->prev = l->head.prev;
    link->next = &l->head;
    l->head.prev->next = link;
    l->head.prev = link;
}

static inline void list_remove(struct list_link *link)
{
    link->prev->next = link->next;
    link->next->prev = link->prev;
    link->prev = link->next = link;
}

#define LIST_ENTRY(link, type, member) ((type *)((char *)(link) - offsetof(type, member)))

/* Walks l with it pointing at each link; the current one may be removed. */
#define LIST_FOR_EACH_SAFE(l, it, next_it)                                     \
    for (struct list_link *it = (l)->head.next, *next_it = it->next; it != &(l)->head; \
         it = next_it, next_it = it->next)

#endif
