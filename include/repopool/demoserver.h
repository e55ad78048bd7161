/*
 * The simulated server of --demo: hosts, each with a capacity that may
 * change over time, answering attempts the way an overloaded HTTP server
 * does. It decides, for an attempt starting now on a host, how long it
 * takes and how it ends:
 *
 * - past the host's capacity it answers "429 Too Many Requests" quickly,
 *   with a Retry-After of about the time one of its slots takes to free;
 * - below it, it serves, more slowly as it fills (up to 1.5x the drawn
 *   duration at full capacity), and fails with a network error at the
 *   rate asked for;
 * - with no capacity given it serves everything.
 *
 * The live demo (backend/demo.c) runs its answers on libuv timers; --compare
 * runs them in simulated time. Pure: time is passed in.
 */
#ifndef REPOPOOL_DEMOSERVER_H
#define REPOPOOL_DEMOSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/rng.h"
#include "repopool/strbuf.h"

#define DEMO_MAX_HOSTS 64
#define DEMO_MAX_STEPS 16

/* A capacity from a time on (seconds since the run began). */
struct demo_step {
    unsigned capacity;
    double from;
};

/* What --demo-capacity says: one schedule per host, or one for all. */
struct demo_capacity {
    struct demo_step steps[DEMO_MAX_HOSTS][DEMO_MAX_STEPS];
    unsigned nsteps[DEMO_MAX_HOSTS];
    unsigned nhosts; /* schedules given; 1 means the same for every host */
};

/*
 * Parses "K[,K...]" (a capacity per host) or "K@T[,K@T...]" (one schedule,
 * T in seconds, ascending, the first at 0, for every host). Returns 0, or
 * -1 with the problem in err.
 */
int demo_capacity_parse(const char *text, struct demo_capacity *out, struct strbuf *err);

struct demo_server {
    const struct demo_capacity *capacity; /* NULL: unlimited */
    unsigned nhosts;
    double mean, fail;
    unsigned running[DEMO_MAX_HOSTS];
};

enum demo_answer { DEMO_SERVED, DEMO_NETWORK_ERROR, DEMO_TOO_MANY };

struct demo_attempt {
    enum demo_answer answer;
    unsigned host;
    double duration;    /* seconds until the answer */
    double retry_after; /* with DEMO_TOO_MANY */
};

void demo_server_init(struct demo_server *s, const struct demo_capacity *capacity, unsigned nhosts, double mean,
                      double fail);

/* The host simulated task number index (from 0) talks to. */
unsigned demo_server_host_of(const struct demo_server *s, size_t index);

/* The host's capacity at now; 0 means unlimited. */
unsigned demo_server_capacity(const struct demo_server *s, unsigned host, double now);

/* An attempt starts on host at now: how it will end. */
void demo_server_begin(struct demo_server *s, unsigned host, double now, struct rng *rng, struct demo_attempt *out);

/* The attempt's answer was given (or it was stopped): its slot is free. */
void demo_server_end(struct demo_server *s, const struct demo_attempt *a);

#endif
