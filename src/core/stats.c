#include "repopool/stats.h"

#include <string.h>

void stats_init(struct stats *st, double bucket_width)
{
    memset(st, 0, sizeof(*st));
    st->width = bucket_width > 0 ? bucket_width : 0.25;
}

static unsigned short clamp16(unsigned v)
{
    return v > 65535 ? 65535 : (unsigned short)v;
}

/* Halves the resolution: bucket i takes buckets 2i and 2i+1. */
static void stats_compact(struct stats *st)
{
    size_t half = (st->used + 1) / 2;
    for (size_t i = 0; i < half; i++) {
        size_t a = 2 * i, b = 2 * i + 1;
        unsigned short run = st->running[a];
        unsigned short limit = st->limit[a];
        if (b < st->used) {
            if (st->running[b] > run)
                run = st->running[b];
            limit = st->limit[b];
        }
        st->running[i] = run;
        st->limit[i] = limit;
    }
    memset(st->running + half, 0, (STATS_BUCKETS - half) * sizeof(st->running[0]));
    memset(st->limit + half, 0, (STATS_BUCKETS - half) * sizeof(st->limit[0]));
    st->used = half;
    st->width *= 2;
}

void stats_note(struct stats *st, double now, unsigned running, unsigned limit)
{
    if (now < 0)
        now = 0;
    size_t bucket;
    while ((bucket = (size_t)(now / st->width)) >= STATS_BUCKETS)
        stats_compact(st);
    /* Buckets skipped since the last note carried the last state. */
    for (size_t i = st->used; i <= bucket; i++) {
        st->running[i] = clamp16(st->last_running);
        st->limit[i] = i > 0 ? st->limit[i - 1] : clamp16(limit);
    }
    if (bucket >= st->used)
        st->used = bucket + 1;
    st->last_running = running;
    if (clamp16(running) > st->running[bucket])
        st->running[bucket] = clamp16(running);
    st->limit[bucket] = clamp16(limit);
}

double stats_throughput(unsigned finished, double elapsed)
{
    return elapsed > 0 ? finished / elapsed : 0;
}

double stats_eta(unsigned finished, unsigned remaining, double elapsed)
{
    double rate = stats_throughput(finished, elapsed);
    if (remaining == 0)
        return 0;
    return rate > 0 ? remaining / rate : -1;
}
