/*
 * Run statistics beyond the scheduler's counters: throughput, an ETA, and a
 * record of running-over-time for the dashboard's sparkline and timeline.
 *
 * The record has a fixed number of buckets covering the whole run: when the
 * run outgrows them, neighbouring buckets merge and each covers twice the
 * time, so memory stays constant however long the run.
 *
 * Loop thread only; no I/O.
 */
#ifndef REPOPOOL_STATS_H
#define REPOPOOL_STATS_H

#include <stddef.h>

#define STATS_BUCKETS 256

struct stats {
    double width;                          /* seconds per bucket */
    size_t used;                           /* buckets holding data */
    unsigned short running[STATS_BUCKETS]; /* most running in the bucket */
    /* What the pool could run at the bucket's end: the cap, or less when
     * the hosts' limits (--per-host, --adaptive) allow less. */
    unsigned short limit[STATS_BUCKETS];
    unsigned last_running;                 /* as of the latest note */
};

void stats_init(struct stats *st, double bucket_width);
/* Records the pool's state at time now (never earlier than before). */
void stats_note(struct stats *st, double now, unsigned running, unsigned limit);

/* Finished tasks per second so far; 0 before anything finished. */
double stats_throughput(unsigned finished, double elapsed);
/* Seconds until the remaining tasks finish at the current throughput;
 * negative when unknown. */
double stats_eta(unsigned finished, unsigned remaining, double elapsed);

#endif
