#include "repopool/demoserver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A refusal comes back after this share of the drawn duration: a server
 * refuses faster than it serves. */
#define REFUSAL_SHARE 0.1
/* At full capacity an answer takes this much longer than drawn. */
#define FULL_SLOWDOWN 0.5

static bool parse_unsigned(const char *p, char **end, unsigned *out)
{
    if (*p < '0' || *p > '9')
        return false;
    errno = 0;
    unsigned long v = strtoul(p, end, 10);
    if (errno || v < 1 || v > 1000000)
        return false;
    *out = (unsigned)v;
    return true;
}

int demo_capacity_parse(const char *text, struct demo_capacity *out, struct strbuf *err)
{
    memset(out, 0, sizeof(*out));
    bool schedule = strchr(text, '@') != NULL;
    const char *p = text;
    unsigned n = 0;
    for (;;) {
        char *end;
        unsigned capacity;
        double from = 0;
        if (!parse_unsigned(p, &end, &capacity))
            goto bad;
        if (schedule) {
            if (*end != '@')
                goto bad;
            p = end + 1;
            errno = 0;
            from = strtod(p, &end);
            if (end == p || errno || !(from >= 0 && from <= 1e6))
                goto bad;
            if ((n == 0 && from != 0) || (n > 0 && from <= out->steps[0][n - 1].from)) {
                strbuf_printf(err, "'%s': the times must rise from 0", text);
                return -1;
            }
        }
        if (n == (schedule ? DEMO_MAX_STEPS : DEMO_MAX_HOSTS)) {
            strbuf_printf(err, "'%s': at most %d %s", text, schedule ? DEMO_MAX_STEPS : DEMO_MAX_HOSTS,
                          schedule ? "steps" : "hosts");
            return -1;
        }
        if (schedule)
            out->steps[0][n] = (struct demo_step){capacity, from};
        else
            out->steps[n][0] = (struct demo_step){capacity, 0};
        n++;
        if (*end == '\0')
            break;
        if (*end != ',')
            goto bad;
        p = end + 1;
    }
    if (schedule) {
        out->nhosts = 1;
        out->nsteps[0] = n;
    } else {
        out->nhosts = n;
        for (unsigned h = 0; h < n; h++)
            out->nsteps[h] = 1;
    }
    return 0;
bad:
    strbuf_printf(err, "'%s': expected capacities K[,K...] (one per host) or a schedule K@SECONDS[,K@SECONDS...]",
                  text);
    return -1;
}

void demo_server_init(struct demo_server *s, const struct demo_capacity *capacity, unsigned nhosts, double mean,
                      double fail)
{
    memset(s, 0, sizeof(*s));
    s->capacity = capacity && capacity->nhosts ? capacity : NULL;
    s->nhosts = nhosts < 1 ? 1 : nhosts > DEMO_MAX_HOSTS ? DEMO_MAX_HOSTS : nhosts;
    s->mean = mean;
    s->fail = fail;
}

unsigned demo_server_host_of(const struct demo_server *s, size_t index)
{
    return (unsigned)(index % s->nhosts);
}

unsigned demo_server_capacity(const struct demo_server *s, unsigned host, double now)
{
    if (!s->capacity)
        return 0;
    /* One schedule for all, or one per host (hosts past the list get the
     * last one's). */
    unsigned h = s->capacity->nhosts == 1 ? 0 : host < s->capacity->nhosts ? host : s->capacity->nhosts - 1;
    unsigned capacity = s->capacity->steps[h][0].capacity;
    for (unsigned i = 1; i < s->capacity->nsteps[h] && s->capacity->steps[h][i].from <= now; i++)
        capacity = s->capacity->steps[h][i].capacity;
    return capacity;
}

void demo_server_begin(struct demo_server *s, unsigned host, double now, struct rng *rng, struct demo_attempt *out)
{
    /* Whole milliseconds: libuv timers have millisecond resolution. */
    double drawn = (double)rng_below_incl(rng, (uint64_t)(2 * s->mean * 1000 + 0.5)) / 1000;
    unsigned capacity = demo_server_capacity(s, host, now);
    *out = (struct demo_attempt){.answer = DEMO_SERVED, .host = host, .duration = drawn};
    if (capacity && s->running[host] >= capacity) {
        out->answer = DEMO_TOO_MANY;
        out->duration = drawn * REFUSAL_SHARE;
        /* About when one of its busy slots frees. */
        out->retry_after = s->mean / capacity;
    } else {
        if (capacity)
            out->duration = drawn * (1 + FULL_SLOWDOWN * (s->running[host] + 1) / capacity);
        if (s->fail > 0 && rng_uniform(rng) < s->fail)
            out->answer = DEMO_NETWORK_ERROR;
        /* A refusal takes no slot; what is served does until answered. */
        s->running[host]++;
    }
}

void demo_server_end(struct demo_server *s, const struct demo_attempt *a)
{
    if (a->answer != DEMO_TOO_MANY && s->running[a->host] > 0)
        s->running[a->host]--;
}
