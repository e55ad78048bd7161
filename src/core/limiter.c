#include "repopool/limiter.h"

#include <math.h>

void limiter_init(struct limiter *l, unsigned ceiling, bool adaptive)
{
    *l = (struct limiter){
        .ceiling = ceiling,
        .adaptive = adaptive,
        .slow_start = adaptive,
        .last_cut = -INFINITY,
        .closed_until = -INFINITY,
    };
    l->limit = adaptive && ceiling > LIMITER_INITIAL ? LIMITER_INITIAL : ceiling;
    if (l->limit < 1)
        l->limit = 1;
}

static unsigned whole(const struct limiter *l)
{
    unsigned n = (unsigned)l->limit;
    return n < l->ceiling ? n : l->ceiling;
}

unsigned limiter_allowed(const struct limiter *l, double now)
{
    return now < l->closed_until ? 0 : whole(l);
}

unsigned limiter_limit(const struct limiter *l)
{
    return whole(l);
}

void limiter_set_ceiling(struct limiter *l, unsigned ceiling)
{
    l->ceiling = ceiling;
    if (!l->adaptive || l->limit > ceiling)
        l->limit = ceiling;
    if (l->limit < 1)
        l->limit = 1;
}

bool limiter_ended(struct limiter *l, enum limiter_outcome outcome, unsigned in_use, double started,
                   double now, double retry_after)
{
    unsigned before = whole(l);
    if (outcome == LIMITER_REFUSED && retry_after > 0 && now + retry_after > l->closed_until)
        l->closed_until = now + retry_after;
    if (l->adaptive && outcome == LIMITER_REFUSED && started >= l->last_cut) {
        l->limit *= LIMITER_BACKOFF;
        if (l->limit < 1)
            l->limit = 1;
        l->slow_start = false;
        l->last_cut = now;
    } else if (l->adaptive && outcome == LIMITER_OK && in_use * 2.0 >= l->limit && l->limit < l->ceiling) {
        l->limit += l->slow_start ? 1.0 : 1.0 / l->limit;
        if (l->limit > l->ceiling)
            l->limit = l->ceiling;
    }
    return whole(l) != before;
}
