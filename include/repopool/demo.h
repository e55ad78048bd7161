/*
 * Simulated tasks for demonstrations: each attempt asks the simulated
 * server (demoserver.h) how it ends, and a libuv timer gives the answer
 * when it is due. Durations are drawn uniform in [0, 2 * mean] from a
 * seeded generator, so a run can be repeated; an attempt fails with a
 * simulated network error with probability fail, and a host past its
 * capacity answers "429 Too Many Requests" with a Retry-After: the
 * demonstration of why the cap exists.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_DEMO_H
#define REPOPOOL_DEMO_H

#include <stdint.h>

#include "repopool/backend.h"

struct demo_capacity;

struct demo_options {
    double mean;                          /* seconds */
    double fail;                          /* probability in [0, 1] */
    const struct demo_capacity *capacity; /* NULL: unlimited */
    unsigned hosts;                       /* tasks spread over this many */
    uint64_t seed;
};

/* Returns a backend to pass to runner_run, or NULL when out of memory. It
 * frees itself once closed. */
struct backend *demo_backend_new(struct runner *r, uv_loop_t *loop, const struct demo_options *opt);

#endif
