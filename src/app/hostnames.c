#include "repopool/hostnames.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

void host_names_free(struct host_names *h)
{
    for (size_t i = 0; i < h->len; i++)
        free(h->names[i]);
    free(h->names);
    *h = (struct host_names){0};
}

/* A run talks to a handful of hosts, rarely more than a few hundred: a
 * walk is cheaper than a hash table at that size. */
uint16_t host_names_find(const struct host_names *h, const char *name)
{
    for (size_t i = 0; i < h->len; i++)
        if (strcmp(h->names[i], name) == 0)
            return (uint16_t)(i + 1);
    return 0;
}

void host_names_add(struct host_names *h, const char *name)
{
    array_reserve((void **)&h->names, &h->cap, h->len + 1, sizeof(*h->names));
    h->names[h->len++] = xstrdup(name);
}

const char *host_names_get(const struct host_names *h, uint16_t id)
{
    return id && id <= h->len ? h->names[id - 1] : NULL;
}
