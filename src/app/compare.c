/*
 * --demo ... --compare: the same tasks against the same simulated server,
 * four ways, in simulated time (poolsim.h), as the asyncio story goes: one
 * at a time; all at once (gather with no semaphore); a fixed semaphore at
 * -j; and no cap to guess, the limit learned from the server's refusals.
 * One table, then a small timeline of each.
 */
#include "repopool/compare.h"

#include <string.h>

#include "repopool/duration.h"
#include "repopool/poolsim.h"
#include "repopool/run.h"

#define TIMELINE_WIDTH 60

struct way {
    char name[32];
    unsigned cap;
    bool adaptive;
    struct poolsim_result result;
};

static void describe_server(FILE *out, const struct config *cfg)
{
    const struct demo_capacity *c = &cfg->demo_capacity;
    if (c->nhosts == 0) {
        fputs("a simulated server with room for all", out);
        return;
    }
    fputs("a simulated server with room for ", out);
    for (unsigned h = 0; h < c->nhosts; h++)
        for (unsigned i = 0; i < c->nsteps[h]; i++) {
            fprintf(out, "%s%u", h + i ? ", " : "", c->steps[h][i].capacity);
            if (c->nsteps[h] > 1)
                fprintf(out, " from %gs", c->steps[h][i].from);
        }
    if (cfg->demo_hosts > 1)
        fprintf(out, " on %s of %u hosts", c->nhosts > 1 ? "each" : "every one", cfg->demo_hosts);
}

/* One row of bars: values[] scaled to top, eight levels a cell. */
static void put_bars(FILE *out, const unsigned *values, unsigned top)
{
    static const char *const bars[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                       "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
    for (int x = 0; x < TIMELINE_WIDTH; x++) {
        unsigned level = top ? (values[x] * 8 + top - 1) / top : 0;
        fputs(bars[level > 8 ? 8 : level], out);
    }
}

/* The run's record squeezed into the timeline's columns, as the record
 * itself merges its buckets: the most running in each column's stretch,
 * and the limit at its end. */
static void squeeze(const struct stats *st, unsigned *running, unsigned *limit)
{
    for (int x = 0; x < TIMELINE_WIDTH; x++) {
        size_t from = x * st->used / TIMELINE_WIDTH, to = (x + 1) * st->used / TIMELINE_WIDTH;
        if (to <= from)
            to = from + 1;
        running[x] = limit[x] = 0;
        for (size_t b = from; b < to && b < st->used; b++) {
            if (st->running[b] > running[x])
                running[x] = st->running[b];
            limit[x] = st->limit[b];
        }
    }
}

/* Seconds to a tenth below a minute, where the ways differ by little. */
static void put_seconds(char *buf, size_t n, double seconds)
{
    if (seconds < 60)
        snprintf(buf, n, "%.1fs", seconds);
    else
        duration_text(buf, n, seconds, DURATION_SHORT);
}

/* Running over the way's own run; the adaptive way's learned limit below,
 * on the same scale. */
static void put_timeline(FILE *out, const struct way *w)
{
    unsigned running[TIMELINE_WIDTH], limit[TIMELINE_WIDTH];
    char took[32];
    squeeze(&w->result.timeline, running, limit);
    put_seconds(took, sizeof(took), w->result.makespan);
    unsigned top = w->result.peak;
    for (int x = 0; w->adaptive && x < TIMELINE_WIDTH; x++)
        top = limit[x] > top ? limit[x] : top;
    fprintf(out, "%-14s |", w->name);
    put_bars(out, running, top);
    fprintf(out, "| 0 to %s, running up to %u\n", took, w->result.peak);
    if (!w->adaptive)
        return;
    fprintf(out, "%-14s |", "  its limit");
    put_bars(out, limit, top);
    fputs("| (learned from the refusals)\n", out);
}

int compare_demo(const struct config *cfg, FILE *out)
{
    unsigned all = cfg->demo_count ? cfg->demo_count : 1;
    struct way ways[] = {
        {.name = "sequential", .cap = 1},
        {.name = "unbounded", .cap = all},
        {.cap = cfg->jobs ? cfg->jobs : 1},
        {.name = "adaptive", .cap = all, .adaptive = true},
    };
    snprintf(ways[2].name, sizeof(ways[2].name), "fixed -j %u", ways[2].cap);
    uint64_t seed = run_seed(cfg);
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        struct poolsim_config sim = {
            .sched = run_sched_config(cfg, seed),
            .ntasks = cfg->demo_count,
            .capacity = cfg->demo_capacity.nhosts ? &cfg->demo_capacity : NULL,
            .nhosts = cfg->demo_hosts,
            .mean = cfg->demo_mean,
            .fail = cfg->demo_fail,
            .seed = seed,
        };
        sim.sched.cap = ways[i].cap;
        sim.sched.max_cap = ways[i].cap;
        sim.sched.adaptive = ways[i].adaptive;
        sim.sched.per_host = 0;
        poolsim_run(&sim, &ways[i].result);
    }

    char mean[32];
    duration_text(mean, sizeof(mean), cfg->demo_mean, DURATION_SHORT);
    fprintf(out, "%u tasks of %s on average against ", cfg->demo_count, mean);
    describe_server(out, cfg);
    fprintf(out, ", --retries %u, seed %llu; simulated time\n\n", cfg->retries, (unsigned long long)seed);
    fprintf(out, "%-14s %9s %9s %7s %6s\n", "way", "makespan", "refusals", "failed", "peak");
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        const struct poolsim_result *r = &ways[i].result;
        char took[32];
        put_seconds(took, sizeof(took), r->makespan);
        fprintf(out, "%-14s %9s %9u %7u %6u\n", ways[i].name, took, r->refusals, r->failed, r->peak);
    }
    fputs("\nrunning over each run's own time:\n", out);
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++)
        put_timeline(out, &ways[i]);
    return ferror(out) || fflush(out) != 0 ? 1 : 0;
}
