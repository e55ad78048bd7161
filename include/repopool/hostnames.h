/*
 * The names of the hosts tasks talk to, by the scheduler's host id (from
 * 1; 0 is "no host"): what the JSON events and the dashboard say.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_HOSTNAMES_H
#define REPOPOOL_HOSTNAMES_H

#include <stddef.h>
#include <stdint.h>

struct host_names {
    char **names; /* names[id - 1] */
    size_t len, cap;
};

void host_names_free(struct host_names *h);
/* The id of name, 0 when it is not there. */
uint16_t host_names_find(const struct host_names *h, const char *name);
/* Adds name as the next id (the caller keeps ids in step with the
 * scheduler's sched_add_host). */
void host_names_add(struct host_names *h, const char *name);
/* The name of id, or NULL for 0 or an id not given out. */
const char *host_names_get(const struct host_names *h, uint16_t id);

#endif
