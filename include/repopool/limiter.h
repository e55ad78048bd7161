/*
 * One host's concurrency limit, learned from how the host answers
 * (--adaptive): loss-based AIMD, as TCP congestion control and Netflix's
 * concurrency-limits AIMD do it.
 *
 * - A refusal (the class `refused`: HTTP 429/503, a connection refused,
 *   reset or closed before the server said anything) cuts the limit
 *   multiplicatively, at most once per window: refusals of tasks started
 *   before the last cut were answered under the old limit and do not cut
 *   again.
 * - A success raises it while at least half of it is in use (a limit the
 *   pool does not reach says nothing about the host): by one per success
 *   until the first cut (slow start, so a fresh run finds the host's
 *   capacity in a few rounds), then by one per limit's worth of successes
 *   (additive increase).
 * - Never above the ceiling (the user's cap, or --per-host), which the
 *   user may move at any time; never below one.
 * - A Retry-After closes the host until then.
 *
 * Without --adaptive the limit is simply the ceiling. Other failures
 * (auth, not found, local) say nothing about load and change nothing.
 *
 * Plain data; time is passed in, so the rules are tested with a fake clock.
 */
#ifndef REPOPOOL_LIMITER_H
#define REPOPOOL_LIMITER_H

#include <stdbool.h>

/* Where an adaptive limit starts, below any ceiling that is higher. */
#define LIMITER_INITIAL 4.0
/* What a cut keeps: between TCP Reno's 0.5 and Netflix's 0.9, as CUBIC
 * does, so a host that refused once is not starved while the limit grows
 * back. */
#define LIMITER_BACKOFF 0.7

enum limiter_outcome {
    LIMITER_OK,      /* the host served the task */
    LIMITER_REFUSED, /* the host refused it: overloaded */
    LIMITER_OTHER,   /* anything else: says nothing about load */
};

struct limiter {
    double limit;        /* 1 <= limit <= ceiling */
    unsigned ceiling;    /* 0 while the pool is paused */
    bool adaptive;
    bool slow_start;     /* until the first cut */
    double last_cut;     /* when the limit was last cut */
    double closed_until; /* no starts before this (Retry-After) */
};

void limiter_init(struct limiter *l, unsigned ceiling, bool adaptive);

/* How many tasks may run on the host at now: the limit's whole part,
 * 0 while a Retry-After keeps the host closed. */
unsigned limiter_allowed(const struct limiter *l, double now);

/* The limit's whole part, whether the host is open or not. */
unsigned limiter_limit(const struct limiter *l);

/* The user moved the ceiling: the limit follows it down at once, and up
 * only as the host allows (without --adaptive, at once). */
void limiter_set_ceiling(struct limiter *l, unsigned ceiling);

/*
 * A task on the host ended at now: it had started at started, in_use
 * tasks (it included) were running on the host, and the host asked for a
 * pause of retry_after seconds (0 for none). Returns true when the limit's
 * whole part changed (the caller reports the new limit).
 */
bool limiter_ended(struct limiter *l, enum limiter_outcome outcome, unsigned in_use, double started,
                   double now, double retry_after);

#endif
