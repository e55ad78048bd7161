#include "repopool/estimate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"

void estimates_init(struct estimates *e)
{
    memset(e, 0, sizeof(*e));
    e->eta_at = -1;
}

void estimates_free(struct estimates *e)
{
    free(e->seconds);
    estimates_init(e);
}

void estimates_set(struct estimates *e, uint32_t repo, double seconds)
{
    if (!(seconds >= 0) || repo == UINT32_MAX)
        return;
    if (repo >= e->n) {
        array_reserve((void **)&e->seconds, &e->cap, (size_t)repo + 1, sizeof(*e->seconds));
        for (size_t i = e->n; i <= repo; i++)
            e->seconds[i] = -1;
        e->n = (size_t)repo + 1;
    }
    if (e->seconds[repo] >= 0) {
        e->known_sum -= e->seconds[repo];
        e->known--;
    }
    e->seconds[repo] = (float)seconds;
    e->known_sum += seconds;
    e->known++;
}

double estimates_get(const struct estimates *e, uint32_t repo)
{
    return repo < e->n ? e->seconds[repo] : -1;
}

double estimates_weight(const struct estimates *e, uint32_t repo)
{
    double s = estimates_get(e, repo);
    return s >= 0 ? s : INFINITY;
}

/* The walk itself: see estimates_eta. */
static double eta_now(const struct estimates *e, const struct sched *s, double now)
{
    double mean = e->known_sum / e->known;
    double work = 0, longest = 0;
    unsigned unfinished = 0;
    for (uint32_t id = 0; id < s->ntasks; id++) {
        const struct task *t = sched_task(s, id);
        if (task_is_final(t))
            continue;
        unfinished++;
        double left = estimates_get(e, t->repo);
        if (left < 0)
            left = mean;
        if (t->state == TASK_RUNNING) {
            /* One that runs over its last time is taken to end soon. */
            left -= now - t->start;
            if (left < 0)
                left = 0;
        }
        work += left;
        if (left > longest)
            longest = left;
    }
    unsigned slots = s->cap < unfinished ? s->cap : unfinished;
    if (unfinished == 0)
        return 0;
    double spread = work / slots;
    return spread > longest ? spread : longest;
}

double estimates_eta(struct estimates *e, const struct sched *s, double now)
{
    if (e->known == 0 || s->cap == 0)
        return -1;
    if (e->eta_at < 0 || now < e->eta_at || now - e->eta_at >= ESTIMATES_WALK_EVERY) {
        e->eta = eta_now(e, s, now);
        e->eta_at = now;
    }
    double left = e->eta - (now - e->eta_at);
    return left > 0 ? left : 0;
}
