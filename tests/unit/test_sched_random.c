/*
 * The scheduler under random use: thousands of steps mixing everything a
 * user and the backends can do, with the rules checked after every step
 * against the test's own record of what happened. Seeded, so a failure names
 * its seed and step and can be replayed.
 *
 * Also the scale tests: 100,000 tasks go through without trouble.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/class.h"
#include "repopool/sched.h"

/* The test's own generator, independent of the code under test. */
static uint64_t rnd_state;

static uint64_t rnd(void)
{
    uint64_t z = (rnd_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd_below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) * (1.0 / 9007199254740992.0);
}

/* ---- the test's record of every task ---- */

struct mtask {
    uint32_t repo;
    unsigned finals;    /* times it was seen to end for good: must end at 1 */
    unsigned attempts;  /* starts seen */
    bool running;
    bool cancel_stop;   /* sched_cancel answered STOPPING */
    bool expired;       /* sched_next_expired named it */
    bool cancel_wanted; /* a cancel came while it was being stopped */
    bool waiting;       /* waits for a retry until ready_at */
    double ready_at;
    double start;       /* start of the current attempt */
    bool passed_over;   /* a later task started first while its repository was busy */
};

#define NREPOS 24
#define MAX_CAP 10

struct model {
    struct sched s;
    struct sched_config cfg;
    struct mtask *t;
    size_t n, tcap;
    uint32_t holder[NREPOS]; /* the running task on each repository */
    double now;
    double rate;
    /* Rate allowance accrued since the last start: the integral of the
     * rate. Infinite while unlimited (and at the beginning: a full bucket). */
    double credit;
    bool stopped;
    unsigned running;
    unsigned peak;
    size_t low; /* every task below it has started or ended */
    uint64_t seed;
    unsigned step;
    const char *op;
    /* Wake-ups at or before now, after a full pump: the runner would spin. */
    unsigned past_wakeups;
    char past_wakeup_example[200];
    /* First starts out of submission order though the earlier task's
     * repository was free again. */
    unsigned order_violations;
    char order_example[200];
};

#define CHECK(m, cond, ...)                                                          \
    do {                                                                             \
        if (!(cond)) {                                                               \
            print_error("seed %llu step %u after %s: ", (unsigned long long)(m)->seed, \
                        (m)->step, (m)->op);                                         \
            fail_msg(__VA_ARGS__);                                                   \
        }                                                                            \
    } while (0)

static double ceiling_for(const struct model *m, unsigned attempt)
{
    return fmin(m->cfg.backoff_max, m->cfg.backoff_base * pow(2, attempt - 1));
}

static void model_init(struct model *m, uint64_t seed)
{
    memset(m, 0, sizeof(*m));
    m->seed = seed;
    rnd_state = seed * 0x2545f4914f6cdd1dULL + 1;
    m->cfg = (struct sched_config){
        .cap = 3,
        .max_cap = MAX_CAP,
        .rate = 0,
        .retries = 3,
        .timeout = 4,
        /* Ceilings 0.3, 0.6, then 1.2 capped at 1. */
        .backoff_base = 0.3,
        .backoff_max = 1,
        .seed = seed,
    };
    assert_int_equal(sched_init(&m->s, &m->cfg), 0);
    for (int i = 0; i < NREPOS; i++)
        m->holder[i] = SCHED_NONE;
    m->credit = INFINITY;
    m->op = "init";
}

static void model_free(struct model *m)
{
    sched_free(&m->s);
    free(m->t);
}

/* ---- operations, each mirrored in the record ---- */

static void op_add(struct model *m, unsigned k)
{
    for (unsigned i = 0; i < k; i++) {
        uint32_t repo = rnd_below(NREPOS);
        uint32_t id = sched_add(&m->s, repo);
        CHECK(m, id == m->n, "sched_add gave id %u, expected %zu", id, m->n);
        if (m->n == m->tcap) {
            m->tcap = m->tcap ? m->tcap * 2 : 256;
            m->t = realloc(m->t, m->tcap * sizeof(*m->t));
            assert_non_null(m->t);
        }
        m->t[m->n++] = (struct mtask){.repo = repo};
    }
}

static void op_set_cap(struct model *m, unsigned cap)
{
    unsigned got = sched_set_cap(&m->s, cap);
    unsigned want = cap < MAX_CAP ? cap : MAX_CAP;
    CHECK(m, got == want, "set_cap(%u) gave %u, expected %u", cap, got, want);
}

static void op_advance(struct model *m, double dt)
{
    if (dt <= 0)
        return;
    if (m->rate > 0)
        m->credit += m->rate * dt;
    else
        m->credit = INFINITY;
    m->now += dt;
}

static void op_set_rate(struct model *m, double rate)
{
    sched_set_rate(&m->s, rate, m->now);
    /* From unlimited to limited the bucket starts full. */
    if (rate <= 0 || m->rate <= 0)
        m->credit = INFINITY;
    m->rate = rate > 0 ? rate : 0;
}

static void mark_final(struct model *m, uint32_t id)
{
    struct mtask *t = &m->t[id];
    CHECK(m, t->finals == 0, "task %u ended for good a second time", id);
    t->finals++;
    t->waiting = false;
}

static void op_cancel(struct model *m, uint32_t id)
{
    struct mtask *t = &m->t[id];
    enum sched_cancel_result r = sched_cancel(&m->s, id, m->now);
    if (t->finals) {
        CHECK(m, r == SCHED_CANCEL_NOOP, "cancel of ended task %u gave %d", id, r);
    } else if (!t->running) {
        CHECK(m, r == SCHED_CANCEL_ENDED, "cancel of queued task %u gave %d", id, r);
        CHECK(m, sched_task(&m->s, id)->state == TASK_CANCELLED, "cancelled task %u is %s", id,
              task_state_name(sched_task(&m->s, id)->state));
        mark_final(m, id);
    } else if (t->cancel_stop || t->expired) {
        CHECK(m, r == SCHED_CANCEL_NOOP, "second stop of task %u gave %d", id, r);
        t->cancel_wanted = true;
    } else {
        CHECK(m, r == SCHED_CANCEL_STOPPING, "cancel of running task %u gave %d", id, r);
        t->cancel_stop = true;
    }
}

static const enum rp_class transient_classes[] = {RP_CLASS_NETWORK, RP_CLASS_REFUSED,
                                                  RP_CLASS_TIMEOUT};
static const enum rp_class permanent_classes[] = {RP_CLASS_EXIT, RP_CLASS_AUTH, RP_CLASS_SIGNAL,
                                                  RP_CLASS_NOT_A_REPO};

/* The backend reports the end of task id's attempt. */
static void op_finish(struct model *m, uint32_t id)
{
    struct mtask *t = &m->t[id];
    enum task_state status;
    enum rp_class cls;
    switch (rnd_below(4)) {
    case 0:
        status = TASK_OK, cls = RP_CLASS_NONE;
        break;
    case 1:
        status = TASK_FAILED, cls = transient_classes[rnd_below(3)];
        break;
    case 2:
        status = TASK_FAILED, cls = permanent_classes[rnd_below(4)];
        break;
    default:
        status = TASK_SKIPPED, cls = RP_CLASS_DIRTY;
        break;
    }
    double after = -1;
    enum sched_end end = sched_finish(&m->s, id, status, cls, 0, m->now, &after);
    const struct task *rec = sched_task(&m->s, id);

    /* What the user must see. */
    bool may_retry;
    if (t->cancel_stop) {
        status = TASK_CANCELLED, cls = RP_CLASS_NONE, may_retry = false;
    } else if (t->expired) {
        status = TASK_FAILED, cls = RP_CLASS_TIMEOUT;
        may_retry = !m->stopped && t->attempts <= m->cfg.retries;
    } else {
        may_retry = status == TASK_FAILED && rp_class_is_transient(cls) && !m->stopped &&
                    t->attempts <= m->cfg.retries;
    }
    if (t->expired && t->cancel_wanted) {
        /* Cancelled while its timeout was enforced: ending cancelled or
         * failed are both fair (see the deterministic test for retries). */
        CHECK(m, end == SCHED_END_RETRY || rec->state == TASK_CANCELLED || rec->state == TASK_FAILED,
              "task %u cancelled during its timeout ended %s", id, task_state_name(rec->state));
    } else if (may_retry) {
        CHECK(m, end == SCHED_END_RETRY, "task %u (attempt %u, %s) was not retried", id, t->attempts,
              rp_class_name(cls));
    } else {
        CHECK(m, end == SCHED_END_FINAL, "task %u (attempt %u, %s) was retried", id, t->attempts,
              rp_class_name(cls));
        CHECK(m, rec->state == status, "task %u ended %s, expected %s", id,
              task_state_name(rec->state), task_state_name(status));
        CHECK(m, rec->cls == cls, "task %u ended with class %s, expected %s", id,
              rp_class_name(rec->cls), rp_class_name(cls));
    }

    t->running = false;
    m->running--;
    m->holder[t->repo] = SCHED_NONE;
    t->cancel_stop = t->expired = t->cancel_wanted = false;
    if (end == SCHED_END_RETRY) {
        double ceiling = ceiling_for(m, t->attempts);
        CHECK(m, rec->state == TASK_QUEUED, "retrying task %u is %s", id, task_state_name(rec->state));
        CHECK(m, after >= 0 && after <= ceiling, "task %u attempt %u waits %g, outside [0, %g]", id,
              t->attempts, after, ceiling);
        t->waiting = true;
        t->ready_at = m->now + after;
    } else {
        mark_final(m, id);
    }
}

/* ---- the runner's part: expire, then start what may start ---- */

static void check_first_start_order(struct model *m, uint32_t id)
{
    /* Every earlier task that never started must have been passed over for
     * a reason: it ended (cancelled) or its repository is busy. */
    for (size_t j = m->low; j < id; j++) {
        struct mtask *e = &m->t[j];
        if (e->attempts > 0 || e->finals > 0)
            continue;
        if (m->holder[e->repo] != SCHED_NONE) {
            e->passed_over = true;
            continue;
        }
        /* A task that never waited for its repository has no excuse. */
        CHECK(m, e->passed_over, "task %u started first before task %zu, whose repository is free",
              id, j);
        /* One that did wait, and whose repository is free again, is still
         * owed its turn; tallied so the other rules keep being checked. */
        if (m->order_violations++ == 0)
            snprintf(m->order_example, sizeof(m->order_example),
                     "seed %llu step %u: task %u started first while task %zu (repository %u, "
                     "free again after a wait) had not started",
                     (unsigned long long)m->seed, m->step, id, j, e->repo);
    }
}

static void pump(struct model *m)
{
    uint32_t id;
    while ((id = sched_next_expired(&m->s, m->now)) != SCHED_NONE) {
        CHECK(m, id < m->n, "expired id %u out of range", id);
        struct mtask *t = &m->t[id];
        CHECK(m, t->running && !t->cancel_stop && !t->expired,
              "task %u reported expired but is not running unstopped", id);
        CHECK(m, t->start + m->cfg.timeout <= m->now, "task %u expired early: started %g, now %g", id,
              t->start, m->now);
        t->expired = true;
    }
    for (;;) {
        unsigned running_before = sched_running(&m->s);
        unsigned cap = m->s.cap;
        id = sched_next_start(&m->s, m->now);
        if (id == SCHED_NONE)
            break;
        CHECK(m, !m->stopped, "task %u started after sched_stop", id);
        CHECK(m, running_before < cap, "task %u started with %u running, cap %u", id, running_before,
              cap);
        CHECK(m, id < m->n, "started id %u out of range", id);
        struct mtask *t = &m->t[id];
        CHECK(m, !t->running && t->finals == 0, "task %u started but is %s", id,
              t->running ? "running" : "ended");
        CHECK(m, !t->waiting || t->ready_at <= m->now, "retry of task %u started at %g, before %g", id,
              m->now, t->ready_at);
        CHECK(m, m->holder[t->repo] == SCHED_NONE, "task %u started while task %u holds repository %u",
              id, m->holder[t->repo], t->repo);
        if (m->rate > 0) {
            CHECK(m, m->credit >= 1 - 1e-9, "start of task %u at rate %g with allowance %g", id, m->rate,
                  m->credit);
            m->credit = 0;
        }
        if (t->attempts == 0)
            check_first_start_order(m, id);
        t->attempts++;
        CHECK(m, sched_task(&m->s, id)->attempt == t->attempts, "task %u attempt %u, expected %u", id,
              sched_task(&m->s, id)->attempt, t->attempts);
        t->running = true;
        t->waiting = false;
        t->start = m->now;
        m->holder[t->repo] = id;
        m->running++;
        if (m->running > m->peak)
            m->peak = m->running;
        while (m->low < m->n && (m->t[m->low].attempts > 0 || m->t[m->low].finals > 0))
            m->low++;
    }
}

/* ---- the rules, after every step ---- */

static bool startable(const struct model *m, const struct mtask *t)
{
    return !t->running && t->finals == 0 && !(t->waiting && t->ready_at > m->now) &&
           m->holder[t->repo] == SCHED_NONE;
}

static void check_invariants(struct model *m)
{
    struct sched *s = &m->s;
    unsigned counts[TASK_STATE_COUNT] = {0};
    unsigned running = 0, ended = 0;
    double next_deadline = INFINITY, next_retry = INFINITY;
    bool any_startable = false;
    for (size_t i = 0; i < m->n; i++) {
        const struct mtask *t = &m->t[i];
        const struct task *rec = sched_task(s, (uint32_t)i);
        CHECK(m, rec->state < TASK_STATE_COUNT, "task %zu has state %u", i, rec->state);
        counts[rec->state]++;
        if (t->finals) {
            ended++;
            CHECK(m, task_is_final(rec), "task %zu ended but is %s", i, task_state_name(rec->state));
        } else if (t->running) {
            running++;
            CHECK(m, rec->state == TASK_RUNNING, "task %zu runs but is %s", i, task_state_name(rec->state));
            if (!t->cancel_stop && !t->expired) {
                double deadline = t->start + m->cfg.timeout;
                CHECK(m, deadline > m->now, "task %zu is past its deadline %g and was not reported", i,
                      deadline);
                next_deadline = fmin(next_deadline, deadline);
            }
        } else {
            CHECK(m, rec->state == TASK_QUEUED, "task %zu waits but is %s", i, task_state_name(rec->state));
            if (t->waiting && t->ready_at > m->now)
                next_retry = fmin(next_retry, t->ready_at);
            any_startable = any_startable || startable(m, t);
        }
    }
    for (int st = 0; st < TASK_STATE_COUNT; st++)
        CHECK(m, counts[st] == s->counts[st], "counts[%s] = %u, the records say %u",
              task_state_name((enum task_state)st), s->counts[st], counts[st]);
    CHECK(m, running == sched_running(s), "%u running by the records, %u by the scheduler", running,
          sched_running(s));
    CHECK(m, ended + running + sched_queued(s) == m->n, "tasks lost: %u ended %u running %u queued of %zu",
          ended, running, sched_queued(s), m->n);
    CHECK(m, s->peak_running == m->peak, "peak_running %u, seen %u", s->peak_running, m->peak);
    CHECK(m, sched_all_final(s) == (ended == m->n), "sched_all_final is %d with %u of %zu ended",
          sched_all_final(s), ended, m->n);

    bool room = !m->stopped && running < s->cap;
    bool token = m->rate == 0 || m->credit >= 1 + 1e-9;
    /* Nothing that may start is left waiting. */
    if (room && token)
        CHECK(m, !any_startable, "a task could start (running %u, cap %u) but none did", running, s->cap);

    double w = sched_next_wakeup(s, m->now);
    CHECK(m, w <= next_deadline, "wake-up %g is after the next deadline %g", w, next_deadline);
    if (room)
        CHECK(m, w <= next_retry, "wake-up %g is after the next retry %g", w, next_retry);
    if (room && any_startable && m->rate > 0 && m->credit < 1) {
        double token_at = m->now + (1 - m->credit) / m->rate;
        CHECK(m, w <= token_at + 1e-9, "wake-up %g is after the next rate token %g", w, token_at);
    }
    /* A rate token due now but lost to rounding is another matter (see
     * test_sched.c); any other wake-up not after now would spin. */
    bool token_due = room && any_startable && m->rate > 0 && m->credit < 1 + 1e-9;
    if ((w < m->now || (w == m->now && !token_due)) && m->past_wakeups++ == 0)
        snprintf(m->past_wakeup_example, sizeof(m->past_wakeup_example),
                 "seed %llu step %u: wake-up %.17g at now %.17g (running %u, cap %u, rate %g)",
                 (unsigned long long)m->seed, m->step, w, m->now, running, s->cap, m->rate);
}

/* ---- the random walk ---- */

static uint32_t random_running(const struct model *m)
{
    if (m->running == 0)
        return SCHED_NONE;
    unsigned k = rnd_below(m->running);
    for (size_t i = 0; i < m->n; i++)
        if (m->t[i].running && k-- == 0)
            return (uint32_t)i;
    return SCHED_NONE;
}

static void random_step(struct model *m)
{
    unsigned r = rnd_below(100);
    if (r < 8) {
        m->op = "add";
        op_add(m, 1 + rnd_below(12));
    } else if (r < 14) {
        m->op = "cap";
        op_set_cap(m, rnd_below(MAX_CAP + 4));
    } else if (r < 16) {
        m->op = "pause";
        op_set_cap(m, 0);
    } else if (r < 24) {
        m->op = "cancel";
        if (m->n)
            op_cancel(m, rnd_below((unsigned)m->n));
    } else if (r < 30) {
        m->op = "cancel running";
        uint32_t id = random_running(m);
        if (id != SCHED_NONE)
            op_cancel(m, id);
    } else if (r < 60) {
        m->op = "finish";
        uint32_t id = random_running(m);
        if (id != SCHED_NONE)
            op_finish(m, id);
    } else if (r < 75) {
        m->op = "advance";
        op_advance(m, rnd_unit() * (rnd_below(4) ? 0.5 : 5));
    } else if (r < 85) {
        m->op = "advance to wake-up";
        double w = sched_next_wakeup(&m->s, m->now);
        if (isfinite(w) && w > m->now)
            op_advance(m, w - m->now);
    } else if (r < 90) {
        m->op = "rate";
        op_set_rate(m, rnd_below(3) ? 0.5 + rnd_unit() * 19.5 : 0);
    } else {
        m->op = "nothing";
    }
    pump(m);
    check_invariants(m);
}

/* Ends the run the normal way: every task runs until it is done. */
static void drain(struct model *m)
{
    op_set_cap(m, MAX_CAP);
    pump(m); /* as the runner does after every cap change */
    for (unsigned guard = 0; !sched_all_final(&m->s); guard++) {
        CHECK(m, guard < 1000000, "the run does not end: %u queued", sched_queued(&m->s));
        m->step++;
        uint32_t id = random_running(m);
        if (id != SCHED_NONE) {
            m->op = "drain: finish";
            op_finish(m, id);
        } else {
            m->op = "drain: wait";
            double w = sched_next_wakeup(&m->s, m->now);
            CHECK(m, isfinite(w), "nothing runs, %u queued, and no wake-up is due", sched_queued(&m->s));
            /* A real clock always moves on a little before the timer
             * fires, even for a wake-up that is due now. */
            op_advance(m, w > m->now ? w - m->now : 1e-6);
        }
        pump(m);
        check_invariants(m);
    }
}

/* Ends the run as on SIGINT: stop, cancel everything, collect the ends. */
static void interrupt(struct model *m)
{
    m->op = "stop";
    sched_stop(&m->s);
    m->stopped = true;
    for (uint32_t id = 0; id < m->n; id++)
        op_cancel(m, id);
    pump(m);
    check_invariants(m);
    m->op = "stop: finish";
    uint32_t id;
    while ((id = random_running(m)) != SCHED_NONE) {
        m->step++;
        op_advance(m, rnd_unit());
        op_finish(m, id);
        pump(m);
        check_invariants(m);
    }
}

/* What a whole run came to, beyond the rules checked at every step. */
struct run_tally {
    unsigned past_wakeups, order_violations;
    char past_wakeup_example[200], order_example[200];
};

static void run_seed(uint64_t seed, unsigned steps, bool interrupted, struct run_tally *tally)
{
    struct model m;
    model_init(&m, seed);
    op_add(&m, 20);
    for (m.step = 1; m.step <= steps; m.step++)
        random_step(&m);
    if (interrupted)
        interrupt(&m);
    else
        drain(&m);
    assert_true(sched_all_final(&m.s));
    for (size_t i = 0; i < m.n; i++)
        CHECK(&m, m.t[i].finals == 1, "task %zu ended %u times", i, m.t[i].finals);
    unsigned final_sum = m.s.counts[TASK_OK] + m.s.counts[TASK_FAILED] + m.s.counts[TASK_SKIPPED] +
                         m.s.counts[TASK_CANCELLED];
    CHECK(&m, final_sum == m.n, "%u final of %zu tasks", final_sum, m.n);
    if (tally->past_wakeups == 0)
        memcpy(tally->past_wakeup_example, m.past_wakeup_example, sizeof(m.past_wakeup_example));
    if (tally->order_violations == 0)
        memcpy(tally->order_example, m.order_example, sizeof(m.order_example));
    tally->past_wakeups += m.past_wakeups;
    tally->order_violations += m.order_violations;
    model_free(&m);
}

static void run_seeds(bool interrupted, struct run_tally *tally)
{
    memset(tally, 0, sizeof(*tally));
    if (interrupted)
        for (uint64_t seed = 101; seed <= 106; seed++)
            run_seed(seed, 2000, true, tally);
    else
        for (uint64_t seed = 1; seed <= 8; seed++)
            run_seed(seed, 4000, false, tally);
}

static void random_runs_keep_every_rule(void **state)
{
    (void)state;
    struct run_tally tally;
    run_seeds(false, &tally);
}

static void random_runs_interrupted_end_every_task_once(void **state)
{
    (void)state;
    struct run_tally tally;
    run_seeds(true, &tally);
}

/* The same runs, for the rules whose breaches are tallied rather than
 * stopping the run at once (so the rules above stay checked throughout). */
static void random_runs_never_ask_for_a_wakeup_in_the_past(void **state)
{
    (void)state;
    struct run_tally tally;
    run_seeds(false, &tally);
    assert_msg(tally.past_wakeups == 0,
               "%u times, after starting all it could, sched_next_wakeup returned a time not after "
               "now (the runner would spin); first: %s",
               tally.past_wakeups, tally.past_wakeup_example);
}

static void random_runs_first_start_in_submission_order(void **state)
{
    (void)state;
    struct run_tally tally;
    run_seeds(false, &tally);
    assert_msg(tally.order_violations == 0, "%u first starts out of submission order; first: %s",
               tally.order_violations, tally.order_example);
}

/* ---- scale ---- */

/* Runs n tasks on repository keys key(i) to completion at cap 8, as the
 * runner would: start what may start, end what runs. */
static void run_many(uint32_t n, uint32_t nkeys, double timeout)
{
    struct sched s;
    struct sched_config cfg = {.cap = 8, .max_cap = 256, .timeout = timeout, .seed = 1};
    assert_int_equal(sched_init(&s, &cfg), 0);
    for (uint32_t i = 0; i < n; i++)
        assert_int_equal(sched_add(&s, i % nkeys), i);
    uint32_t running[8];
    double now = 0;
    uint32_t next_first = 0;
    while (!sched_all_final(&s)) {
        unsigned k = 0;
        uint32_t id;
        while ((id = sched_next_start(&s, now)) != SCHED_NONE) {
            assert_true(k < 8);
            /* With distinct keys, strictly in submission order. */
            if (nkeys >= n)
                assert_int_equal(id, next_first++);
            running[k++] = id;
        }
        assert_true(k > 0);
        assert_int_equal(sched_next_expired(&s, now), SCHED_NONE);
        now += 0.001;
        for (unsigned i = 0; i < k; i++)
            assert_int_equal(sched_finish(&s, running[i], TASK_OK, RP_CLASS_NONE, 0, now, NULL),
                             SCHED_END_FINAL);
    }
    assert_int_equal(s.counts[TASK_OK], n);
    assert_int_equal(s.peak_running, 8);
    sched_free(&s);
}

static void scale_100000_tasks_complete(void **state)
{
    (void)state;
    run_many(100000, 100000, 0);
}

static void scale_100000_tasks_with_timeouts_complete(void **state)
{
    (void)state;
    run_many(100000, 100000, 30);
}

static void scale_100000_tasks_sharing_repositories_complete(void **state)
{
    (void)state;
    /* 1,000 repositories with 100 tasks each: parking at scale. */
    run_many(100000, 1000, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_runs_keep_every_rule),
        cmocka_unit_test(random_runs_interrupted_end_every_task_once),
        cmocka_unit_test(random_runs_never_ask_for_a_wakeup_in_the_past),
        cmocka_unit_test(random_runs_first_start_in_submission_order),
        cmocka_unit_test(scale_100000_tasks_complete),
        cmocka_unit_test(scale_100000_tasks_with_timeouts_complete),
        cmocka_unit_test(scale_100000_tasks_sharing_repositories_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
