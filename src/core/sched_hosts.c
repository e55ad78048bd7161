/*
 * The scheduler's hosts: each a limit inside the cap (limiter.h) and a list
 * of the tasks waiting for room on it. Part of sched.c, in a file of its
 * own; sched_hosts.h says what the two share.
 */
#include "sched_hosts.h"

#include <string.h>

#include "repopool/array.h"

unsigned sched_host_ceiling(const struct sched *s)
{
    return s->per_host && s->per_host < s->cap ? s->per_host : s->cap;
}

uint16_t sched_add_host(struct sched *s)
{
    if (s->nhosts == 0)
        s->nhosts = 1; /* 0 is "no host" */
    if (s->nhosts > UINT16_MAX)
        return 0;
    array_reserve((void **)&s->hosts, &s->hosts_cap, s->nhosts + 1, sizeof(*s->hosts));
    struct host_slot *h = &s->hosts[s->nhosts];
    memset(h, 0, sizeof(*h));
    limiter_init(&h->limit, sched_host_ceiling(s), s->adaptive);
    h->parked = (struct park_list){SCHED_NONE, SCHED_NONE};
    h->last_refusal = -1;
    return (uint16_t)s->nhosts++;
}

void sched_set_host(struct sched *s, uint32_t id, uint16_t host)
{
    if (host < s->nhosts)
        sched_task(s, id)->host = host;
}

unsigned sched_host_limit(const struct sched *s, uint16_t host)
{
    return host && host < s->nhosts ? limiter_limit(&s->hosts[host].limit) : s->cap;
}

unsigned sched_limit(const struct sched *s, double now)
{
    if (!s->per_host && !s->adaptive)
        return s->cap;
    /* Tasks without a host are not counted: with --per-host or --adaptive
     * nearly all have one. */
    unsigned sum = 0;
    for (size_t h = 1; h < s->nhosts && sum < s->cap; h++)
        sum += limiter_allowed(&s->hosts[h].limit, now);
    return s->nhosts > 1 && sum < s->cap ? sum : s->cap;
}

uint16_t sched_take_host_change(struct sched *s)
{
    uint16_t host = s->changed_host;
    s->changed_host = 0;
    return host;
}

/* Waits for room on its host; a closed host is woken when it opens. */
void sched_park_on_host(struct sched *s, uint32_t id, double now)
{
    uint16_t host = sched_task(s, id)->host;
    struct host_slot *h = &s->hosts[host];
    sched_park(s, &h->parked, id, TASK_PARKED_HOST);
    if (now < h->limit.closed_until)
        heap_push(&s->host_reopen, h->limit.closed_until, host);
}

/* As many waiting tasks as the host has room for go to the returning
 * queue. */
void sched_unpark_host(struct sched *s, uint16_t host, double now)
{
    struct host_slot *h = &s->hosts[host];
    unsigned allowed = limiter_allowed(&h->limit, now);
    unsigned room = allowed > h->running ? allowed - h->running : 0;
    uint32_t id;
    for (; room > 0 && (id = sched_unpark_first(s, &h->parked)) != SCHED_NONE; room--)
        sched_returning_push(s, id);
}

/* Hosts whose Retry-After is over take their waiting tasks back. */
void sched_release_hosts(struct sched *s, double now)
{
    while (s->host_reopen.len > 0 && s->host_reopen.items[0].key <= now)
        sched_unpark_host(s, (uint16_t)heap_pop(&s->host_reopen).id, now);
}

/* A host's attempt ended: its slot frees, its limit learns from how the
 * attempt ended, and the tasks waiting for it get their turn. */
void sched_host_attempt_ended(struct sched *s, struct task *t, enum task_state status, enum rp_class cls,
                              double server_wait, double now)
{
    struct host_slot *h = &s->hosts[t->host];
    unsigned in_use = h->running;
    if (h->running > 0)
        h->running--;
    enum limiter_outcome outcome = LIMITER_OTHER;
    if (status == TASK_OK) {
        outcome = LIMITER_OK;
        h->ok++;
    } else if (cls == RP_CLASS_REFUSED) {
        outcome = LIMITER_REFUSED;
        h->refused++;
        h->last_refusal = now;
    }
    if (limiter_ended(&h->limit, outcome, in_use, t->start, now, server_wait))
        s->changed_host = t->host;
    if (h->parked.head != SCHED_NONE && now < h->limit.closed_until)
        heap_push(&s->host_reopen, h->limit.closed_until, t->host);
    sched_unpark_host(s, t->host, now);
}

