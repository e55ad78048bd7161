/*
 * Simulated tasks for demonstrations: each attempt is a libuv timer with a
 * random duration, uniform in [0, 2 * mean], drawn from a seeded generator so
 * a run can be repeated. An attempt fails with a simulated network error
 * with probability fail, and, when capacity is set, a simulated server
 * answers "429 Too Many Requests" to any attempt started while capacity
 * others already run: that is the demonstration of why the cap exists.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_DEMO_H
#define REPOPOOL_DEMO_H

#include <stdint.h>

#include "repopool/backend.h"

struct demo_options {
    double mean;       /* seconds */
    double fail;       /* probability in [0, 1] */
    unsigned capacity; /* 0: unlimited */
    uint64_t seed;
};

/* Returns a backend to pass to runner_run, or NULL when out of memory. It
 * frees itself once closed. */
struct backend *demo_backend_new(struct runner *r, uv_loop_t *loop, const struct demo_options *opt);

#endif
