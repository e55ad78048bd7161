/*
 * A small seeded random generator (splitmix64): reproducible demo runs and
 * backoff jitter without touching libc's global rand() state.
 */
#ifndef REPOPOOL_RNG_H
#define REPOPOOL_RNG_H

#include <stdint.h>

struct rng {
    uint64_t state;
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_uniform(struct rng *r);
/* Uniform integer in [0, bound]; bound may be 0. */
uint64_t rng_below_incl(struct rng *r, uint64_t bound);

#endif
