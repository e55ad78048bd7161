#include "repopool/poolsim.h"

#include <math.h>
#include <stdlib.h>

#include "repopool/xalloc.h"

/* The attempt a task has under way; answers come off a heap by time. */
struct sim_attempt {
    struct demo_attempt answer;
    double ends;
};

struct sim {
    const struct poolsim_config *cfg;
    struct sched sched;
    struct demo_server server;
    struct sim_attempt *attempts; /* by task id */
    struct heap answers;          /* keyed on when an answer comes */
    struct poolsim_result *out;
};

/* One generator per task and attempt, so a task's work does not depend on
 * the order tasks start in (splitmix64 scrambles the nearby seeds). */
static void attempt_rng(struct rng *rng, uint64_t seed, uint32_t id, unsigned attempt)
{
    rng_seed(rng, seed ^ ((uint64_t)id << 20) ^ attempt);
    rng_next(rng);
}

static void begin(struct sim *sim, uint32_t id, double now)
{
    struct task *t = sched_task(&sim->sched, id);
    struct sim_attempt *a = &sim->attempts[id];
    struct rng rng;
    attempt_rng(&rng, sim->cfg->seed, id, t->attempt);
    demo_server_begin(&sim->server, demo_server_host_of(&sim->server, id), now, &rng, &a->answer);
    /* Whole milliseconds, as the live demo's timers. */
    a->ends = now + round(a->answer.duration * 1000) / 1000;
    heap_push(&sim->answers, a->ends, id);
    sim->out->attempts++;
}

/* The attempt of id ends at now: answered, or stopped by its timeout. */
static void finish(struct sim *sim, uint32_t id, double now)
{
    struct sim_attempt *a = &sim->attempts[id];
    demo_server_end(&sim->server, &a->answer);
    a->ends = -1;
    enum task_state status = TASK_OK;
    enum rp_class cls = RP_CLASS_NONE;
    double server_wait = 0, after;
    if (a->answer.answer == DEMO_TOO_MANY) {
        status = TASK_FAILED;
        cls = RP_CLASS_REFUSED;
        server_wait = a->answer.retry_after;
        sim->out->refusals++;
    } else if (a->answer.answer == DEMO_NETWORK_ERROR) {
        status = TASK_FAILED;
        cls = RP_CLASS_NETWORK;
    }
    if (sched_finish(&sim->sched, id, status, cls, server_wait, now, &after) == SCHED_END_FINAL)
        sim->out->makespan = now;
}

/* The next answer still due (answers of attempts a timeout stopped are
 * dropped as they come up); INFINITY when none is. */
static double next_answer(struct sim *sim)
{
    while (sim->answers.len > 0) {
        struct heap_entry e = sim->answers.items[0];
        if (sim->attempts[e.id].ends == e.key)
            return e.key;
        heap_pop(&sim->answers);
    }
    return INFINITY;
}

static void set_up(struct sim *sim, const struct poolsim_config *cfg, struct poolsim_result *out)
{
    *sim = (struct sim){.cfg = cfg, .out = out};
    *out = (struct poolsim_result){0};
    stats_init(&out->timeline, 0.05);
    sched_init(&sim->sched, &cfg->sched);
    demo_server_init(&sim->server, cfg->capacity, cfg->nhosts, cfg->mean, cfg->fail);
    sim->attempts = xcalloc(cfg->ntasks + 1, sizeof(*sim->attempts));
    sched_reserve(&sim->sched, cfg->ntasks);
    uint16_t hosts[DEMO_MAX_HOSTS];
    for (unsigned h = 0; h < cfg->nhosts && h < DEMO_MAX_HOSTS; h++)
        hosts[h] = sched_add_host(&sim->sched);
    for (size_t i = 0; i < cfg->ntasks; i++) {
        uint32_t id = sched_add(&sim->sched, (uint32_t)i);
        sim->attempts[id].ends = -1;
        if (cfg->nhosts)
            sched_set_host(&sim->sched, id, hosts[demo_server_host_of(&sim->server, i)]);
    }
}

void poolsim_run(const struct poolsim_config *cfg, struct poolsim_result *out)
{
    struct sim sim;
    set_up(&sim, cfg, out);
    struct sched *s = &sim.sched;
    double now = 0;
    while (!sched_all_final(s)) {
        uint32_t id;
        while ((id = sched_next_expired(s, now)) != SCHED_NONE)
            finish(&sim, id, now);
        while ((id = sched_next_start(s, now)) != SCHED_NONE)
            begin(&sim, id, now);
        stats_note(&out->timeline, now, sched_running(s), sched_limit(s, now));

        double answer = next_answer(&sim);
        double wake = sched_next_wakeup(s, now);
        double next = answer < wake ? answer : wake;
        if (isinf(next))
            break; /* nothing can happen any more: a paused pool */
        /* A wake-up due now that started nothing: step on, as the runner's
         * timers do (at least 1 ms). */
        now = next > now || answer <= now ? next : now + 0.001;
        while (next_answer(&sim) <= now)
            finish(&sim, heap_pop(&sim.answers).id, now);
    }
    out->peak = s->peak_running;
    out->failed = (unsigned)cfg->ntasks - s->counts[TASK_OK];
    free(sim.answers.items);
    free(sim.attempts);
    sched_free(s);
}
