/*
 * What sched.c and sched_hosts.c share, and nothing outside the scheduler
 * uses.
 */
#ifndef REPOPOOL_SCHED_HOSTS_H
#define REPOPOOL_SCHED_HOSTS_H

#include "repopool/sched.h"

/* Puts id back in the returning queue (lowest id first). */
void sched_returning_push(struct sched *s, uint32_t id);
/* id waits on list l (its repository's or its host's), in id order. */
void sched_park(struct sched *s, struct park_list *l, uint32_t id, enum task_parked why);
/* Takes the first task still queued off l (the cancelled ones before it
 * too); SCHED_NONE when there is none. */
uint32_t sched_unpark_first(struct sched *s, struct park_list *l);

/* A host's ceiling: --per-host, or the cap if that is lower. */
unsigned sched_host_ceiling(const struct sched *s);
/* id waits for room on its host. */
void sched_park_on_host(struct sched *s, uint32_t id, double now);
/* As many tasks as the host has room for go back to the queue. */
void sched_unpark_host(struct sched *s, uint16_t host, double now);
/* Hosts whose Retry-After is over take their waiting tasks back. */
void sched_release_hosts(struct sched *s, double now);
/* An attempt on t's host ended (after the stop rules gave status and cls). */
void sched_host_attempt_ended(struct sched *s, struct task *t, enum task_state status, enum rp_class cls,
                              double server_wait, double now);

#endif
