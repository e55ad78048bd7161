/*
 * The scheduler's rules, one behaviour per test, with a fake clock: time is
 * whatever double the test passes in.
 */
#include "unit.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/class.h"
#include "repopool/sched.h"

#define MAX_IDS 1024

/* A scheduler with distinct defaults that each test overrides as needed. */
static struct sched_config config(unsigned cap)
{
    return (struct sched_config){
        .cap = cap,
        .max_cap = 64,
        .rate = 0,
        .retries = 0,
        .timeout = 0,
        .backoff_base = 0.5,
        .backoff_max = 8,
        .seed = 42,
    };
}

static void init(struct sched *s, struct sched_config cfg)
{
    assert_int_equal(sched_init(s, &cfg), 0);
}

/* Adds n tasks, each on its own repository (keys first_repo, first_repo+1...). */
static void add_tasks(struct sched *s, unsigned n, uint32_t first_repo)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_not_equal(sched_add(s, first_repo + i), SCHED_NONE);
}

/* Starts everything the scheduler allows at now, as the runner does; the
 * ids go to out (if not NULL). Returns how many started. */
static unsigned start_all(struct sched *s, double now, uint32_t *out)
{
    unsigned n = 0;
    uint32_t id;
    while ((id = sched_next_start(s, now)) != SCHED_NONE) {
        assert_true(n < MAX_IDS);
        if (out)
            out[n] = id;
        n++;
    }
    return n;
}

static enum task_state state_of(struct sched *s, uint32_t id)
{
    return (enum task_state)sched_task(s, id)->state;
}

static enum sched_end finish(struct sched *s, uint32_t id, enum task_state st, enum rp_class cls,
                             double now)
{
    double after = -1;
    return sched_finish(s, id, st, cls, 0, now, &after);
}

static enum sched_end finish_ok(struct sched *s, uint32_t id, double now)
{
    return finish(s, id, TASK_OK, RP_CLASS_NONE, now);
}

/* ---- the queue and the cap ---- */

static void first_starts_are_fifo(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(3));
    add_tasks(&s, 6, 0);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 3);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 1);
    assert_int_equal(ids[2], 2);
    /* A freed slot goes to the oldest waiting task, not any other. */
    finish_ok(&s, 1, 1);
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], 3);
    finish_ok(&s, 0, 2);
    finish_ok(&s, 2, 2);
    assert_int_equal(start_all(&s, 2, ids), 2);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 5);
    sched_free(&s);
}

static void cap_is_respected(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(4));
    add_tasks(&s, 20, 0);
    assert_int_equal(start_all(&s, 0, NULL), 4);
    assert_int_equal(sched_running(&s), 4);
    assert_int_equal(sched_queued(&s), 16);
    /* Asking again without any end changes nothing. */
    assert_int_equal(start_all(&s, 5, NULL), 0);
    sched_free(&s);
}

static void raising_cap_starts_queued_tasks_at_once(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(1));
    add_tasks(&s, 10, 0);
    assert_int_equal(start_all(&s, 0, NULL), 1);
    assert_int_equal(sched_set_cap(&s, 4), 4);
    /* Same instant: no task had to end for the new slots to fill. */
    assert_int_equal(start_all(&s, 0, NULL), 3);
    assert_int_equal(sched_running(&s), 4);
    sched_free(&s);
}

static void lowering_cap_stops_nothing_and_withholds_starts(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(4));
    add_tasks(&s, 10, 0);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 4);
    assert_int_equal(sched_set_cap(&s, 2), 2);
    /* The four running tasks keep running. */
    assert_int_equal(sched_running(&s), 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(state_of(&s, ids[i]), TASK_RUNNING);
    assert_int_equal(start_all(&s, 1, NULL), 0);
    /* 3 running, cap 2: still no start. */
    finish_ok(&s, ids[0], 1);
    assert_int_equal(start_all(&s, 1, NULL), 0);
    /* 2 running, cap 2: still no start. */
    finish_ok(&s, ids[1], 2);
    assert_int_equal(start_all(&s, 2, NULL), 0);
    /* 1 running < cap 2: exactly one start. */
    finish_ok(&s, ids[2], 3);
    assert_int_equal(start_all(&s, 3, NULL), 1);
    assert_int_equal(sched_running(&s), 2);
    sched_free(&s);
}

static void cap_zero_pauses(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(0));
    add_tasks(&s, 5, 0);
    /* Started paused: nothing runs whatever the time. */
    assert_int_equal(start_all(&s, 0, NULL), 0);
    assert_int_equal(start_all(&s, 100, NULL), 0);
    assert_int_equal(sched_set_cap(&s, 2), 2);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 100, ids), 2);
    /* Pausing mid-run lets running tasks end but starts nothing new. */
    assert_int_equal(sched_set_cap(&s, 0), 0);
    finish_ok(&s, ids[0], 101);
    finish_ok(&s, ids[1], 101);
    assert_int_equal(start_all(&s, 101, NULL), 0);
    assert_int_equal(sched_running(&s), 0);
    assert_int_equal(sched_queued(&s), 3);
    assert_false(sched_all_final(&s));
    sched_free(&s);
}

static void set_cap_clamps_to_max_cap(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(100);
    cfg.max_cap = 8;
    init(&s, cfg);
    /* The initial cap is clamped as well. */
    assert_int_equal(s.cap, 8);
    assert_int_equal(sched_set_cap(&s, 3), 3);
    assert_int_equal(sched_set_cap(&s, 1000), 8);
    assert_int_equal(s.cap, 8);
    add_tasks(&s, 20, 0);
    assert_int_equal(start_all(&s, 0, NULL), 8);
    sched_free(&s);
}

/* ---- cancelling ---- */

static void cancel_queued_ends_at_once(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(1));
    add_tasks(&s, 3, 0);
    assert_int_equal(sched_cancel(&s, 1, 0.5), SCHED_CANCEL_ENDED);
    assert_int_equal(state_of(&s, 1), TASK_CANCELLED);
    assert_int_equal(s.counts[TASK_CANCELLED], 1);
    assert_int_equal(sched_queued(&s), 2);
    assert_near(sched_task(&s, 1)->end, 0.5, 0);
    /* Cancelling twice does not count twice. */
    assert_int_equal(sched_cancel(&s, 1, 0.6), SCHED_CANCEL_NOOP);
    assert_int_equal(s.counts[TASK_CANCELLED], 1);
    /* The cancelled task is skipped: 0 then 2 run, never 1. */
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], 0);
    finish_ok(&s, 0, 2);
    assert_int_equal(start_all(&s, 2, ids), 1);
    assert_int_equal(ids[0], 2);
    finish_ok(&s, 2, 3);
    assert_int_equal(start_all(&s, 3, NULL), 0);
    assert_true(sched_all_final(&s));
    assert_int_equal(sched_task(&s, 1)->attempt, 0);
    sched_free(&s);
}

static void cancel_running_ends_cancelled_whatever_it_reports(void **state)
{
    (void)state;
    /* Whatever the backend says when the stopped attempt ends, the user
     * asked for a cancel and sees "cancelled", with no retry. */
    static const struct {
        enum task_state status;
        enum rp_class cls;
    } reports[] = {
        {TASK_OK, RP_CLASS_NONE},
        {TASK_FAILED, RP_CLASS_SIGNAL},
        {TASK_FAILED, RP_CLASS_NETWORK},
        {TASK_SKIPPED, RP_CLASS_DIRTY},
    };
    for (size_t i = 0; i < sizeof(reports) / sizeof(reports[0]); i++) {
        struct sched s;
        struct sched_config cfg = config(1);
        cfg.retries = 5;
        init(&s, cfg);
        add_tasks(&s, 2, 0);
        assert_int_equal(start_all(&s, 0, NULL), 1);
        assert_int_equal(sched_cancel(&s, 0, 1), SCHED_CANCEL_STOPPING);
        /* Until the backend reports back, it still holds its slot. */
        assert_int_equal(state_of(&s, 0), TASK_RUNNING);
        assert_int_equal(sched_running(&s), 1);
        assert_int_equal(start_all(&s, 1, NULL), 0);
        assert_int_equal(sched_cancel(&s, 0, 1.5), SCHED_CANCEL_NOOP);
        assert_int_equal(finish(&s, 0, reports[i].status, reports[i].cls, 2), SCHED_END_FINAL);
        assert_int_equal(state_of(&s, 0), TASK_CANCELLED);
        assert_int_equal(s.counts[TASK_CANCELLED], 1);
        assert_int_equal(s.counts[TASK_OK] + s.counts[TASK_FAILED] + s.counts[TASK_SKIPPED], 0);
        /* Its slot is free again. */
        assert_int_equal(start_all(&s, 2, NULL), 1);
        sched_free(&s);
    }
}

static void cancel_waiting_retry_ends_it_for_good(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 3;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    start_all(&s, 0, NULL);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 0, 1, &after), SCHED_END_RETRY);
    assert_int_equal(sched_cancel(&s, 0, 1.1), SCHED_CANCEL_ENDED);
    assert_int_equal(state_of(&s, 0), TASK_CANCELLED);
    assert_true(sched_all_final(&s));
    /* Its retry time passes, and it still does not come back. */
    assert_int_equal(start_all(&s, 1 + after + 1, NULL), 0);
    assert_int_equal(state_of(&s, 0), TASK_CANCELLED);
    assert_int_equal(sched_task(&s, 0)->attempt, 1);
    sched_free(&s);
}

/*
 * A user cancels a task at the moment its timeout is being enforced. The
 * cancel is answered NOOP ("already being stopped"); the attempt then ends,
 * and the task must not come back for another attempt the user did not want.
 */
static void cancel_during_timeout_stop_is_not_retried(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 3;
    cfg.timeout = 10;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    start_all(&s, 0, NULL);
    assert_int_equal(sched_next_expired(&s, 10), 0);
    sched_cancel(&s, 0, 10.5);
    enum sched_end end = finish(&s, 0, TASK_FAILED, RP_CLASS_SIGNAL, 11);
    enum task_state st = state_of(&s, 0);
    bool all_final = sched_all_final(&s);
    sched_free(&s); /* before asserting, so a failure leaks nothing */
    assert_msg(end == SCHED_END_FINAL, "cancelled task came back for attempt 2 (state %s)",
               task_state_name(st));
    assert_true(all_final);
}

/* ---- retries ---- */

static void only_transient_classes_are_retried(void **state)
{
    (void)state;
    for (int c = 0; c < RP_CLASS_COUNT; c++) {
        struct sched s;
        struct sched_config cfg = config(1);
        cfg.retries = 2;
        init(&s, cfg);
        add_tasks(&s, 1, 0);
        start_all(&s, 0, NULL);
        double after = -1;
        enum sched_end end = sched_finish(&s, 0, TASK_FAILED, (enum rp_class)c, 0, 1, &after);
        bool transient = c == RP_CLASS_NETWORK || c == RP_CLASS_REFUSED || c == RP_CLASS_TIMEOUT;
        assert_msg(rp_class_is_transient((enum rp_class)c) == transient,
                   "class %s: transient should be %d", rp_class_name((enum rp_class)c), transient);
        if (transient) {
            assert_msg(end == SCHED_END_RETRY, "class %s was not retried", rp_class_name((enum rp_class)c));
            assert_int_equal(state_of(&s, 0), TASK_QUEUED);
            assert_false(sched_all_final(&s));
        } else {
            assert_msg(end == SCHED_END_FINAL, "class %s was retried", rp_class_name((enum rp_class)c));
            assert_int_equal(state_of(&s, 0), TASK_FAILED);
            assert_int_equal(sched_task(&s, 0)->cls, c);
        }
        sched_free(&s);
    }
}

static void ok_and_skipped_are_never_retried(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(2);
    cfg.retries = 2;
    init(&s, cfg);
    add_tasks(&s, 2, 0);
    start_all(&s, 0, NULL);
    /* A class that would be transient on a failure does not matter here. */
    assert_int_equal(finish(&s, 0, TASK_OK, RP_CLASS_NETWORK, 1), SCHED_END_FINAL);
    assert_int_equal(finish(&s, 1, TASK_SKIPPED, RP_CLASS_NETWORK, 1), SCHED_END_FINAL);
    assert_int_equal(state_of(&s, 0), TASK_OK);
    assert_int_equal(sched_task(&s, 0)->cls, RP_CLASS_NONE);
    assert_int_equal(state_of(&s, 1), TASK_SKIPPED);
    assert_true(sched_all_final(&s));
    sched_free(&s);
}

/* Runs task 0 through attempts that all fail with a network error and
 * returns how many attempts it took to end. */
static unsigned attempts_until_final(unsigned retries)
{
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = retries;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    double now = 0;
    unsigned attempts = 0;
    for (;;) {
        assert_int_equal(sched_next_start(&s, now), 0);
        attempts++;
        assert_int_equal(sched_task(&s, 0)->attempt, attempts);
        double after = -1;
        now += 1;
        if (sched_finish(&s, 0, TASK_FAILED, RP_CLASS_REFUSED, 0, now, &after) == SCHED_END_FINAL)
            break;
        assert_true(attempts <= retries);
        now += after;
    }
    assert_int_equal(state_of(&s, 0), TASK_FAILED);
    assert_int_equal(sched_task(&s, 0)->cls, RP_CLASS_REFUSED);
    sched_free(&s);
    return attempts;
}

static void retries_give_n_extra_attempts(void **state)
{
    (void)state;
    assert_int_equal(attempts_until_final(0), 1);
    assert_int_equal(attempts_until_final(1), 2);
    assert_int_equal(attempts_until_final(4), 5);
}

static void backoff_is_full_jitter_under_a_doubling_ceiling(void **state)
{
    (void)state;
    /* 300 tasks fail together, again and again: each wait is in
     * [0, base * 2^(attempt-1)] capped at backoff_max, and the waits spread
     * out over most of that range (full jitter, not a fixed delay). */
    enum { N = 300, RETRIES = 8 };
    struct sched s;
    struct sched_config cfg = config(N);
    cfg.max_cap = N;
    cfg.retries = RETRIES;
    cfg.backoff_base = 0.25;
    cfg.backoff_max = 5;
    init(&s, cfg);
    add_tasks(&s, N, 0);
    double now = 0;
    for (unsigned attempt = 1; attempt <= RETRIES; attempt++) {
        assert_int_equal(start_all(&s, now, NULL), N);
        double ceiling = fmin(cfg.backoff_max, cfg.backoff_base * pow(2, attempt - 1));
        double lo = INFINITY, hi = 0, latest = now;
        for (uint32_t id = 0; id < N; id++) {
            double after = -1;
            assert_int_equal(sched_finish(&s, id, TASK_FAILED, RP_CLASS_TIMEOUT, 0, now, &after),
                             SCHED_END_RETRY);
            assert_msg(after >= 0 && after <= ceiling, "attempt %u: wait %g outside [0, %g]", attempt,
                       after, ceiling);
            lo = fmin(lo, after);
            hi = fmax(hi, after);
            latest = fmax(latest, now + after);
        }
        assert_msg(lo < ceiling * 0.1 && hi > ceiling * 0.9,
                   "attempt %u: waits in [%g, %g] do not spread over [0, %g]", attempt, lo, hi, ceiling);
        now = latest;
    }
    /* Attempt RETRIES+1 is the last one. */
    assert_int_equal(start_all(&s, now, NULL), N);
    for (uint32_t id = 0; id < N; id++)
        assert_int_equal(finish(&s, id, TASK_FAILED, RP_CLASS_TIMEOUT, now), SCHED_END_FINAL);
    assert_int_equal(s.counts[TASK_FAILED], N);
    sched_free(&s);
}

static void retry_waits_its_delay_then_starts_before_fresh_tasks(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 1;
    cfg.backoff_base = 2;
    init(&s, cfg);
    add_tasks(&s, 3, 0);
    assert_int_equal(sched_next_start(&s, 0), 0);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 0, 1, &after), SCHED_END_RETRY);
    double ready = 1 + after;
    /* While it waits, the next fresh task takes the slot. */
    assert_int_equal(sched_next_start(&s, 1), 1);
    finish_ok(&s, 1, ready + 1);
    /* Its wait is over: it goes ahead of task 2, which was queued first. */
    assert_int_equal(sched_next_start(&s, ready + 1), 0);
    assert_int_equal(sched_task(&s, 0)->attempt, 2);
    sched_free(&s);
}

static void retry_does_not_start_before_its_time(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 1;
    cfg.backoff_base = 4;
    cfg.seed = 7;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    sched_next_start(&s, 0);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 0, 1, &after), SCHED_END_RETRY);
    assert_true(after > 0.001); /* seed 7 gives a wait worth testing */
    assert_int_equal(sched_next_start(&s, 1 + after * 0.5), SCHED_NONE);
    assert_near(sched_next_wakeup(&s, 1 + after * 0.5), 1 + after, 0);
    assert_int_equal(sched_next_start(&s, 1 + after), 0);
    sched_free(&s);
}

static void no_retry_and_no_start_after_stop(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 5;
    init(&s, cfg);
    add_tasks(&s, 3, 0);
    start_all(&s, 0, NULL);
    sched_stop(&s);
    /* A transient failure after the stop is final: the run is ending. */
    assert_int_equal(finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 1), SCHED_END_FINAL);
    assert_int_equal(state_of(&s, 0), TASK_FAILED);
    assert_int_equal(start_all(&s, 2, NULL), 0);
    assert_int_equal(sched_cancel(&s, 1, 2), SCHED_CANCEL_ENDED);
    assert_int_equal(sched_cancel(&s, 2, 2), SCHED_CANCEL_ENDED);
    assert_true(sched_all_final(&s));
    sched_free(&s);
}

/* ---- timeouts ---- */

static void timeout_reports_expired_task_once(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(2);
    cfg.timeout = 10;
    init(&s, cfg);
    add_tasks(&s, 2, 0);
    assert_int_equal(sched_next_start(&s, 0), 0);
    assert_int_equal(sched_next_start(&s, 3), 1);
    assert_near(sched_next_wakeup(&s, 3), 10, 0);
    assert_int_equal(sched_next_expired(&s, 9.999), SCHED_NONE);
    assert_int_equal(sched_next_expired(&s, 10), 0);
    assert_int_equal(sched_next_expired(&s, 10), SCHED_NONE);
    /* Task 0 is being stopped; the next deadline is task 1's. */
    assert_near(sched_next_wakeup(&s, 10), 13, 0);
    /* However the stopped attempt says it ended, it timed out. */
    assert_int_equal(finish_ok(&s, 0, 10.5), SCHED_END_FINAL);
    assert_int_equal(state_of(&s, 0), TASK_FAILED);
    assert_int_equal(sched_task(&s, 0)->cls, RP_CLASS_TIMEOUT);
    /* A task that ends in time is never reported. */
    finish_ok(&s, 1, 12);
    assert_int_equal(sched_next_expired(&s, 100), SCHED_NONE);
    assert_true(isinf(sched_next_wakeup(&s, 100)));
    assert_int_equal(state_of(&s, 1), TASK_OK);
    sched_free(&s);
}

static void timed_out_task_is_retried_with_a_new_deadline(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.timeout = 5;
    cfg.retries = 1;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    sched_next_start(&s, 0);
    assert_int_equal(sched_next_expired(&s, 6), 0);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_SIGNAL, 0, 6, &after), SCHED_END_RETRY);
    double t = 6 + after;
    assert_int_equal(sched_next_start(&s, t), 0);
    /* The old deadline does not carry over to the new attempt. */
    assert_int_equal(sched_next_expired(&s, t + 4.9), SCHED_NONE);
    assert_near(sched_next_wakeup(&s, t + 4.9), t + 5, 0);
    assert_int_equal(sched_next_expired(&s, t + 5), 0);
    sched_free(&s);
}

static void cancelled_task_is_not_reported_expired(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.timeout = 5;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    sched_next_start(&s, 0);
    assert_int_equal(sched_cancel(&s, 0, 1), SCHED_CANCEL_STOPPING);
    /* Already being stopped: its deadline is no reason to wake up. */
    assert_int_equal(sched_next_expired(&s, 6), SCHED_NONE);
    assert_true(isinf(sched_next_wakeup(&s, 6)));
    finish_ok(&s, 0, 7);
    assert_int_equal(state_of(&s, 0), TASK_CANCELLED);
    sched_free(&s);
}

static void wakeup_is_infinite_when_only_ends_matter(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(1));
    add_tasks(&s, 3, 0);
    start_all(&s, 0, NULL);
    /* No timeout, no rate, no retry: only a task end changes anything. */
    assert_true(isinf(sched_next_wakeup(&s, 0)));
    sched_free(&s);
}

/*
 * A retry whose wait is over cannot start while the pool is full or paused;
 * only a task end or a cap change can let it start. The wake-up must not be
 * a time already past, or the runner's timer fires at once, starts nothing,
 * and asks again, spinning the CPU until a slot frees.
 */
static void wakeup_is_not_in_the_past_while_pool_is_full(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 1;
    init(&s, cfg);
    add_tasks(&s, 2, 0);
    assert_int_equal(sched_next_start(&s, 0), 0);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 0, 1, &after), SCHED_END_RETRY);
    /* Task 1 fills the only slot for a long time. */
    assert_int_equal(sched_next_start(&s, 1), 1);
    double now = 1 + after + 10;
    assert_int_equal(sched_next_start(&s, now), SCHED_NONE);
    double w = sched_next_wakeup(&s, now);
    sched_free(&s);
    assert_msg(w > now, "pool full: wake-up %g is not after now %g (a busy loop)", w, now);
}

static void wakeup_is_not_in_the_past_while_paused(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(1);
    cfg.retries = 1;
    init(&s, cfg);
    add_tasks(&s, 1, 0);
    assert_int_equal(sched_next_start(&s, 0), 0);
    double after = -1;
    assert_int_equal(sched_finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 0, 1, &after), SCHED_END_RETRY);
    sched_set_cap(&s, 0);
    double now = 1 + after + 10;
    assert_int_equal(sched_next_start(&s, now), SCHED_NONE);
    double w = sched_next_wakeup(&s, now);
    sched_free(&s);
    assert_msg(w > now, "paused: wake-up %g is not after now %g (a busy loop)", w, now);
}

/* ---- a start the machine could not make ---- */

static void unstart_holds_the_pool_until_a_task_ends(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(6);
    cfg.timeout = 10;
    init(&s, cfg);
    add_tasks(&s, 8, 0);
    for (uint32_t id = 0; id < 3; id++)
        assert_int_equal(sched_next_start(&s, 0), id);
    uint32_t id = sched_next_start(&s, 1);
    assert_int_equal(id, 3);
    assert_true(sched_unstart(&s, id, 1));
    const struct task *t = sched_task(&s, 3);
    assert_int_equal(t->state, TASK_QUEUED);
    assert_int_equal(t->attempt, 0);
    assert_int_equal(sched_running(&s), 3);
    assert_int_equal(s.peak_running, 3);
    /* Held at three, under the cap of six, until a task ends. */
    assert_int_equal(sched_next_start(&s, 2), SCHED_NONE);
    assert_true(isinf(sched_next_wakeup(&s, 2)) || sched_next_wakeup(&s, 2) >= 10);
    finish_ok(&s, 0, 3);
    /* Then the task that could not start goes first, as its first attempt,
     * and its timeout counts from this start, not the one undone. */
    assert_int_equal(sched_next_start(&s, 4), 3);
    assert_int_equal(t->attempt, 1);
    assert_int_equal(sched_next_expired(&s, 11.5), 1);
    assert_int_equal(sched_next_expired(&s, 11.5), 2);
    assert_int_equal(sched_next_expired(&s, 11.5), SCHED_NONE);
    assert_int_equal(sched_next_expired(&s, 14), 3);
    sched_free(&s);
}

static void unstart_refuses_when_nothing_else_runs(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(4));
    add_tasks(&s, 2, 0);
    uint32_t id = sched_next_start(&s, 0);
    /* Nothing would ever lift the hold: the start must fail instead. */
    assert_false(sched_unstart(&s, id, 0));
    assert_int_equal(sched_task(&s, id)->state, TASK_RUNNING);
    sched_free(&s);
}

/* ---- rate limit ---- */

/* Drives a rate-limited pool as the runner does (waking when told) and
 * records start times; returns how many started up to time `until`. */
static unsigned run_rate_limited(struct sched *s, double until, double *starts, unsigned max)
{
    unsigned n = 0;
    double now = 0;
    unsigned idle_wakeups = 0;
    while (now <= until && n < max) {
        uint32_t id;
        unsigned before = n;
        while ((id = sched_next_start(s, now)) != SCHED_NONE) {
            assert_true(n < max);
            starts[n++] = now;
            /* Tasks end at once: only the rate holds starts back. */
            finish_ok(s, id, now);
        }
        double w = sched_next_wakeup(s, now);
        if (isinf(w))
            break;
        if (n == before && w <= now)
            idle_wakeups++;
        assert_msg(idle_wakeups < 10, "wake-up at %.17g starts nothing, again and again", now);
        now = w;
    }
    return n;
}

static void rate_limit_spreads_starts(void **state)
{
    (void)state;
    enum { N = 200 };
    struct sched s;
    struct sched_config cfg = config(50);
    cfg.rate = 4;
    init(&s, cfg);
    add_tasks(&s, N, 0);
    double starts[N];
    unsigned n = run_rate_limited(&s, 10, starts, N);
    /* Token bucket of one: over any window [t0, t1], at most
     * 1 + rate * (t1 - t0) starts; the tightest windows run from one start
     * to another. */
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i; j < n; j++) {
            unsigned in_window = j - i + 1;
            assert_msg(in_window <= 1 + cfg.rate * (starts[j] - starts[i]) + 1e-9,
                       "%u starts in [%g, %g] at rate %g", in_window, starts[i], starts[j], cfg.rate);
        }
    /* And the limit is not stricter than asked: about 4 a second. */
    assert_in_range(n, 40, 41);
    sched_free(&s);
}

/* A caller whose clock moves in 1 ms steps (the runner's) still gets a
 * rate far above 1000 a second, and no more than it asked for. */
static void rate_above_the_clock_step_is_honoured(void **state)
{
    (void)state;
    static const double rates[] = {1500, 20000, 1e6};
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++) {
        enum { N = 30000 };
        struct sched s;
        struct sched_config cfg = config(64);
        cfg.rate = rates[r];
        cfg.clock_step = 0.001;
        init(&s, cfg);
        add_tasks(&s, N, 0);
        unsigned n = 0;
        double now = 0;
        /* Ten milliseconds of a clock that ticks once a millisecond, the
         * caller waking at every tick as the runner would. */
        for (int tick = 0; tick <= 10; tick++, now = tick * 0.001) {
            uint32_t id;
            while ((id = sched_next_start(&s, now)) != SCHED_NONE) {
                n++;
                finish_ok(&s, id, now);
            }
        }
        double want = 1 + rates[r] * 0.010;
        if (want > N)
            want = N;
        assert_msg(n <= want + 1e-9 && n >= 0.97 * want, "rate %g: %u starts in 10 ms, expected %g", rates[r], n,
                   want);
        sched_free(&s);
    }
}

/*
 * Waking exactly when the scheduler asked, as a fake clock does, must find
 * the rate token there: otherwise the scheduler names "now" as its next
 * wake-up again and again without ever starting the task.
 */
static void rate_wakeup_always_brings_a_token(void **state)
{
    (void)state;
    static const double rates[] = {0.7, 3, 7, 10.8185, 13.37};
    static const double offsets[] = {0, 580.08179109586081, 12345.678};
    for (size_t r = 0; r < sizeof(rates) / sizeof(rates[0]); r++)
        for (size_t o = 0; o < sizeof(offsets) / sizeof(offsets[0]); o++) {
            struct sched s;
            struct sched_config cfg = config(0);
            cfg.rate = rates[r];
            init(&s, cfg);
            add_tasks(&s, 300, 0);
            double now = offsets[o];
            sched_set_cap(&s, 50);
            unsigned started = 0;
            double tokens = 0;
            for (; started < 300; started++) {
                uint32_t id = sched_next_start(&s, now);
                if (id == SCHED_NONE) {
                    tokens = s.tokens;
                    break;
                }
                finish_ok(&s, id, now);
                double w = sched_next_wakeup(&s, now);
                assert_true(w > now);
                now = w;
            }
            sched_free(&s);
            assert_msg(started == 300,
                       "rate %g: the wake-up at %.17g brought no token (start %u, tokens %.17g)",
                       rates[r], now, started, tokens);
        }
}

static void rate_can_change_at_runtime(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(50);
    cfg.rate = 1;
    init(&s, cfg);
    add_tasks(&s, 40, 0);
    /* Rate 1: one start now, the next one a second later. */
    assert_int_equal(start_all(&s, 0, NULL), 1);
    assert_int_equal(start_all(&s, 0.5, NULL), 0);
    assert_near(sched_next_wakeup(&s, 0.5), 1, 1e-9);
    assert_int_equal(start_all(&s, 1, NULL), 1);
    /* Rate 10: the next start comes 0.1 s after the last. */
    sched_set_rate(&s, 10, 1);
    assert_int_equal(start_all(&s, 1.05, NULL), 0);
    assert_near(sched_next_wakeup(&s, 1.05), 1.1, 1e-9);
    assert_int_equal(start_all(&s, 1.1 + 1e-9, NULL), 1);
    /* Unlimited: everything left starts at once, up to the cap. */
    sched_set_rate(&s, 0, 1.2);
    assert_int_equal(start_all(&s, 1.2, NULL), 37);
    assert_true(isinf(sched_next_wakeup(&s, 1.2)));
    sched_free(&s);
}

static void rate_limit_does_not_bank_tokens_while_paused(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(0);
    cfg.rate = 2;
    init(&s, cfg);
    add_tasks(&s, 10, 0);
    /* A long pause must not let a burst through afterwards. */
    sched_set_cap(&s, 10);
    assert_int_equal(start_all(&s, 1000, NULL), 1);
    assert_int_equal(start_all(&s, 1000.25, NULL), 0);
    assert_int_equal(start_all(&s, 1000.5, NULL), 1);
    sched_free(&s);
}

/* ---- one task per repository ---- */

static void busy_repository_waits_without_holding_back_others(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(3));
    uint32_t a = sched_add(&s, 7);
    uint32_t b = sched_add(&s, 7);
    uint32_t c = sched_add(&s, 8);
    uint32_t d = sched_add(&s, 9);
    uint32_t ids[MAX_IDS];
    /* b shares a's repository: c and d take the slots instead. */
    assert_int_equal(start_all(&s, 0, ids), 3);
    assert_int_equal(ids[0], a);
    assert_int_equal(ids[1], c);
    assert_int_equal(ids[2], d);
    assert_int_equal(state_of(&s, b), TASK_QUEUED);
    /* Once a ends, b starts. */
    finish_ok(&s, a, 1);
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], b);
    sched_free(&s);
}

static void freed_repository_task_starts_before_later_ones(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(2));
    uint32_t a = sched_add(&s, 1);
    uint32_t b = sched_add(&s, 1);
    uint32_t c = sched_add(&s, 2);
    uint32_t d = sched_add(&s, 3);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 2);
    assert_int_equal(ids[0], a);
    assert_int_equal(ids[1], c);
    /* b was queued before d, and its repository is free now. */
    finish_ok(&s, a, 1);
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], b);
    finish_ok(&s, c, 2);
    assert_int_equal(start_all(&s, 2, ids), 1);
    assert_int_equal(ids[0], d);
    sched_free(&s);
}

static void same_repository_never_runs_twice(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(8));
    for (int i = 0; i < 5; i++)
        sched_add(&s, 4);
    /* Five tasks on one repository run one after another. */
    for (uint32_t want = 0; want < 5; want++) {
        uint32_t ids[MAX_IDS];
        assert_int_equal(start_all(&s, want, ids), 1);
        assert_int_equal(ids[0], want);
        finish_ok(&s, want, want + 0.5);
    }
    assert_true(sched_all_final(&s));
    assert_int_equal(s.peak_running, 1);
    sched_free(&s);
}

static void cancelled_holder_frees_its_repository_when_it_ends(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(2));
    uint32_t a = sched_add(&s, 1);
    uint32_t b = sched_add(&s, 1);
    assert_int_equal(start_all(&s, 0, NULL), 1);
    assert_int_equal(sched_cancel(&s, a, 1), SCHED_CANCEL_STOPPING);
    /* Still stopping: the repository is still in use. */
    assert_int_equal(start_all(&s, 1, NULL), 0);
    finish_ok(&s, a, 2);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 2, ids), 1);
    assert_int_equal(ids[0], b);
    sched_free(&s);
}

/* ---- counters ---- */

static void peak_running_is_the_most_ever_running(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(3));
    add_tasks(&s, 20, 0);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 3);
    assert_int_equal(s.peak_running, 3);
    sched_set_cap(&s, 5);
    assert_int_equal(start_all(&s, 1, ids), 2);
    assert_int_equal(s.peak_running, 5);
    sched_set_cap(&s, 1);
    for (uint32_t id = 0; id < 5; id++)
        finish_ok(&s, id, 2);
    assert_int_equal(start_all(&s, 2, NULL), 1);
    assert_int_equal(s.peak_running, 5);
    sched_free(&s);
}

static void counts_follow_every_state(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(4);
    cfg.retries = 1;
    init(&s, cfg);
    add_tasks(&s, 8, 0);
    start_all(&s, 0, NULL); /* 0..3 run */
    finish_ok(&s, 0, 1);
    finish(&s, 1, TASK_FAILED, RP_CLASS_EXIT, 1);
    finish(&s, 2, TASK_SKIPPED, RP_CLASS_DIRTY, 1);
    finish(&s, 3, TASK_FAILED, RP_CLASS_NETWORK, 1); /* waits for a retry */
    sched_cancel(&s, 7, 1);
    start_all(&s, 1, NULL); /* 4..6 run */
    assert_int_equal(s.counts[TASK_OK], 1);
    assert_int_equal(s.counts[TASK_FAILED], 1);
    assert_int_equal(s.counts[TASK_SKIPPED], 1);
    assert_int_equal(s.counts[TASK_CANCELLED], 1);
    assert_int_equal(s.counts[TASK_RUNNING], 3);
    assert_int_equal(s.counts[TASK_QUEUED], 1); /* 3, waiting */
    unsigned sum = 0;
    for (int st = 0; st < TASK_STATE_COUNT; st++)
        sum += s.counts[st];
    assert_int_equal(sum, 8);
    assert_false(sched_all_final(&s));
    sched_free(&s);
}

static void all_final_once_everything_ended(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(2));
    /* An empty pool has nothing left to do. */
    assert_true(sched_all_final(&s));
    add_tasks(&s, 3, 0);
    assert_false(sched_all_final(&s));
    start_all(&s, 0, NULL);
    sched_cancel(&s, 2, 0);
    assert_false(sched_all_final(&s));
    finish_ok(&s, 0, 1);
    assert_false(sched_all_final(&s));
    finish(&s, 1, TASK_FAILED, RP_CLASS_EXIT, 1);
    assert_true(sched_all_final(&s));
    sched_free(&s);
}

/* Walks the ended tasks as a view lists them; returns how many. */
static size_t walk_ended(struct sched *s, uint32_t *out)
{
    unsigned char seen[16];
    memset(seen, 0xff, sizeof(seen)); /* the walk clears its scratch itself */
    struct sched_ended_walk w;
    uint32_t id;
    size_t n = 0;
    sched_ended_walk_init(&w, s, seen);
    while (sched_ended_next(&w, &id))
        out[n++] = id;
    return n;
}

static void ended_walk_lists_each_last_end_newest_first(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(5));
    add_tasks(&s, 5, 0);
    uint32_t got[16];
    assert_int_equal(walk_ended(&s, got), 0);
    start_all(&s, 0, NULL);
    finish(&s, 2, TASK_FAILED, RP_CLASS_EXIT, 1);
    finish_ok(&s, 0, 1);
    finish(&s, 1, TASK_FAILED, RP_CLASS_EXIT, 2);
    /* Retried by hand: queued again, it is not listed until it ends again. */
    assert_true(sched_requeue(&s, 1));
    finish_ok(&s, 3, 3);
    assert_int_equal(walk_ended(&s, got), 3);
    assert_int_equal(got[0], 3);
    assert_int_equal(got[1], 0);
    assert_int_equal(got[2], 2);
    assert_int_equal(sched_next_start(&s, 3), 1);
    finish_ok(&s, 1, 4);
    /* Its second end counts, once; task 4 still runs. */
    assert_int_equal(walk_ended(&s, got), 4);
    assert_int_equal(got[0], 1);
    assert_int_equal(got[1], 3);
    assert_int_equal(got[2], 0);
    assert_int_equal(got[3], 2);
    sched_free(&s);
}

static void ids_count_from_zero_in_submission_order(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(1));
    for (uint32_t i = 0; i < 100; i++)
        assert_int_equal(sched_add(&s, i % 7), i);
    /* SCHED_NONE is not a repository key. */
    assert_int_equal(sched_add(&s, SCHED_NONE), SCHED_NONE);
    sched_free(&s);
}

/* A list still being read adds tasks while others run, and a backend
 * holds its running task's record: adding must never move a record. */
static void records_stay_put_while_tasks_are_added(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(2));
    add_tasks(&s, 2, 0);
    uint32_t ids[2];
    assert_int_equal(start_all(&s, 0, ids), 2);
    struct task *held[2] = {sched_task(&s, ids[0]), sched_task(&s, ids[1])};
    for (unsigned i = 0; i < 5 * TASK_CHUNK; i++)
        assert_int_equal(sched_add(&s, 2 + i), 2 + i);
    assert_ptr_equal(sched_task(&s, ids[0]), held[0]);
    assert_ptr_equal(sched_task(&s, ids[1]), held[1]);
    assert_int_equal(held[0]->state, TASK_RUNNING);
    /* The tasks added later queue behind and start as the first end. */
    assert_int_equal(finish_ok(&s, ids[0], 1), SCHED_END_FINAL);
    assert_int_equal(sched_next_start(&s, 1), 2);
    assert_int_equal(sched_queued(&s), 5 * TASK_CHUNK - 1);
    assert_int_equal(sched_task(&s, 5 * TASK_CHUNK + 1)->repo, 5 * TASK_CHUNK + 1);
    sched_free(&s);
}

/* ---- --order=longest ---- */

static void heaviest_first_starts_the_longest_and_unknown_first(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(2);
    cfg.heaviest_first = true;
    init(&s, cfg);
    /* Weights as --order=longest gives them: last durations, INFINITY for
     * a repository never seen; equal weights keep submission order. */
    static const double weights[] = {0.2, 3.0, 0.2, INFINITY, 1.0, 3.0};
    for (uint32_t i = 0; i < 6; i++)
        assert_int_equal(sched_add_weighted(&s, i, weights[i]), i);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 2);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 1);
    /* A task added later that weighs more goes before lighter ones. */
    assert_int_equal(sched_add_weighted(&s, 6, 2.0), 6);
    finish_ok(&s, 3, 1);
    finish_ok(&s, 1, 1);
    assert_int_equal(start_all(&s, 1, ids), 2);
    assert_int_equal(ids[0], 5);
    assert_int_equal(ids[1], 6);
    finish_ok(&s, 5, 2);
    finish_ok(&s, 6, 2);
    assert_int_equal(start_all(&s, 2, ids), 2);
    assert_int_equal(ids[0], 4);
    assert_int_equal(ids[1], 0);
    /* A retry still goes before fresh tasks. */
    s.retries = 1;
    finish(&s, 0, TASK_FAILED, RP_CLASS_NETWORK, 3);
    finish_ok(&s, 4, 3);
    assert_int_equal(start_all(&s, 40, ids), 2);
    assert_int_equal(ids[0], 0);
    assert_int_equal(ids[1], 2);
    sched_free(&s);
}

static void weights_are_ignored_in_submission_order(void **state)
{
    (void)state;
    struct sched s;
    init(&s, config(3));
    sched_add_weighted(&s, 0, 1.0);
    sched_add_weighted(&s, 1, 9.0);
    sched_add_weighted(&s, 2, INFINITY);
    uint32_t ids[MAX_IDS];
    assert_int_equal(start_all(&s, 0, ids), 3);
    for (uint32_t i = 0; i < 3; i++)
        assert_int_equal(ids[i], i);
    sched_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(first_starts_are_fifo),
        cmocka_unit_test(heaviest_first_starts_the_longest_and_unknown_first),
        cmocka_unit_test(weights_are_ignored_in_submission_order),
        cmocka_unit_test(cap_is_respected),
        cmocka_unit_test(raising_cap_starts_queued_tasks_at_once),
        cmocka_unit_test(lowering_cap_stops_nothing_and_withholds_starts),
        cmocka_unit_test(cap_zero_pauses),
        cmocka_unit_test(set_cap_clamps_to_max_cap),
        cmocka_unit_test(cancel_queued_ends_at_once),
        cmocka_unit_test(cancel_running_ends_cancelled_whatever_it_reports),
        cmocka_unit_test(cancel_waiting_retry_ends_it_for_good),
        cmocka_unit_test(cancel_during_timeout_stop_is_not_retried),
        cmocka_unit_test(only_transient_classes_are_retried),
        cmocka_unit_test(ok_and_skipped_are_never_retried),
        cmocka_unit_test(retries_give_n_extra_attempts),
        cmocka_unit_test(backoff_is_full_jitter_under_a_doubling_ceiling),
        cmocka_unit_test(retry_waits_its_delay_then_starts_before_fresh_tasks),
        cmocka_unit_test(retry_does_not_start_before_its_time),
        cmocka_unit_test(no_retry_and_no_start_after_stop),
        cmocka_unit_test(timeout_reports_expired_task_once),
        cmocka_unit_test(timed_out_task_is_retried_with_a_new_deadline),
        cmocka_unit_test(cancelled_task_is_not_reported_expired),
        cmocka_unit_test(wakeup_is_infinite_when_only_ends_matter),
        cmocka_unit_test(wakeup_is_not_in_the_past_while_pool_is_full),
        cmocka_unit_test(wakeup_is_not_in_the_past_while_paused),
        cmocka_unit_test(rate_limit_spreads_starts),
        cmocka_unit_test(rate_above_the_clock_step_is_honoured),
        cmocka_unit_test(unstart_holds_the_pool_until_a_task_ends),
        cmocka_unit_test(unstart_refuses_when_nothing_else_runs),
        cmocka_unit_test(rate_wakeup_always_brings_a_token),
        cmocka_unit_test(rate_can_change_at_runtime),
        cmocka_unit_test(rate_limit_does_not_bank_tokens_while_paused),
        cmocka_unit_test(busy_repository_waits_without_holding_back_others),
        cmocka_unit_test(freed_repository_task_starts_before_later_ones),
        cmocka_unit_test(same_repository_never_runs_twice),
        cmocka_unit_test(cancelled_holder_frees_its_repository_when_it_ends),
        cmocka_unit_test(peak_running_is_the_most_ever_running),
        cmocka_unit_test(counts_follow_every_state),
        cmocka_unit_test(all_final_once_everything_ended),
        cmocka_unit_test(ended_walk_lists_each_last_end_newest_first),
        cmocka_unit_test(ids_count_from_zero_in_submission_order),
        cmocka_unit_test(records_stay_put_while_tasks_are_added),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
