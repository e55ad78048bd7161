/*
 * The adaptive limiter's rules, with a fake clock, and a simulated host
 * whose capacity the limit must find and follow.
 */
#include "unit.h"

#include <math.h>

#include "repopool/limiter.h"

static void without_adaptive_the_limit_is_the_ceiling(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 16, false);
    assert_int_equal(limiter_allowed(&l, 0), 16);
    assert_false(limiter_ended(&l, LIMITER_REFUSED, 16, 0, 1, 0));
    assert_false(limiter_ended(&l, LIMITER_OK, 16, 0, 1, 0));
    assert_int_equal(limiter_allowed(&l, 1), 16);
    limiter_set_ceiling(&l, 20);
    assert_int_equal(limiter_allowed(&l, 1), 20);
    limiter_set_ceiling(&l, 0);
    assert_int_equal(limiter_allowed(&l, 1), 0);
}

static void it_starts_low_and_doubles_while_in_use(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 64, true);
    assert_int_equal(limiter_allowed(&l, 0), 4);
    /* Slow start: one more per success while at least half is in use. */
    for (int i = 0; i < 4; i++)
        assert_true(limiter_ended(&l, LIMITER_OK, 4, 0, 0.1, 0));
    assert_int_equal(limiter_allowed(&l, 0.1), 8);
    /* A success with less than half in use says nothing about the host. */
    assert_false(limiter_ended(&l, LIMITER_OK, 3, 0, 0.2, 0));
    assert_int_equal(limiter_allowed(&l, 0.2), 8);

    struct limiter small;
    limiter_init(&small, 2, true);
    assert_int_equal(limiter_allowed(&small, 0), 2);
}

static void a_refusal_cuts_once_per_window(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 64, true);
    for (int i = 0; i < 16; i++)
        limiter_ended(&l, LIMITER_OK, 20, 0, 0.5, 0);
    assert_int_equal(limiter_allowed(&l, 0.5), 20);
    /* Started at 0.4, refused at 1.0: cut to 14. */
    assert_true(limiter_ended(&l, LIMITER_REFUSED, 20, 0.4, 1.0, 0));
    assert_int_equal(limiter_allowed(&l, 1.0), 14);
    /* Others started before that cut were refused under the old limit. */
    assert_false(limiter_ended(&l, LIMITER_REFUSED, 19, 0.6, 1.1, 0));
    assert_false(limiter_ended(&l, LIMITER_REFUSED, 18, 0.99, 1.2, 0));
    assert_int_equal(limiter_allowed(&l, 1.2), 14);
    /* One started after it was refused too: the host is still full. */
    assert_true(limiter_ended(&l, LIMITER_REFUSED, 14, 1.05, 1.3, 0));
    assert_int_equal(limiter_allowed(&l, 1.3), 9);
}

static void after_a_cut_it_grows_by_one_per_limit_of_successes(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 64, true);
    for (int i = 0; i < 6; i++)
        limiter_ended(&l, LIMITER_OK, 10, 0, 0.1, 0);
    assert_int_equal(limiter_allowed(&l, 0.1), 10);
    limiter_ended(&l, LIMITER_REFUSED, 10, 0.05, 0.2, 0); /* 7 */
    assert_int_equal(limiter_allowed(&l, 0.2), 7);
    for (int i = 0; i < 6; i++)
        limiter_ended(&l, LIMITER_OK, 7, 0.3, 0.4, 0);
    assert_int_equal(limiter_allowed(&l, 0.4), 7);
    for (int i = 0; i < 2; i++)
        limiter_ended(&l, LIMITER_OK, 7, 0.3, 0.4, 0);
    assert_int_equal(limiter_allowed(&l, 0.4), 8);
}

static void never_above_the_ceiling_nor_below_one(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 6, true);
    for (int i = 0; i < 50; i++)
        limiter_ended(&l, LIMITER_OK, 6, 0, 0.1, 0);
    assert_int_equal(limiter_allowed(&l, 0.1), 6);
    /* Lowered: at once. Raised: only as the host allows. */
    limiter_set_ceiling(&l, 3);
    assert_int_equal(limiter_allowed(&l, 0.1), 3);
    limiter_set_ceiling(&l, 30);
    assert_int_equal(limiter_allowed(&l, 0.1), 3);
    for (int t = 1; t < 20; t++)
        limiter_ended(&l, LIMITER_REFUSED, 1, t, t + 0.5, 0);
    assert_int_equal(limiter_allowed(&l, 30), 1);
}

static void retry_after_closes_the_host_until_then(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 8, false);
    /* Closed, but the limit stays what it was. */
    assert_false(limiter_ended(&l, LIMITER_REFUSED, 8, 0, 1.0, 2.5));
    assert_int_equal(limiter_allowed(&l, 1.0), 0);
    assert_int_equal(limiter_limit(&l), 8);
    assert_int_equal(limiter_allowed(&l, 3.4), 0);
    assert_int_equal(limiter_allowed(&l, 3.5), 8);
    /* A shorter pause does not reopen it early. */
    limiter_ended(&l, LIMITER_REFUSED, 8, 0, 4.0, 3.0);
    limiter_ended(&l, LIMITER_REFUSED, 8, 0, 4.5, 0.5);
    assert_int_equal(limiter_allowed(&l, 6.9), 0);
    assert_int_equal(limiter_allowed(&l, 7.0), 8);
}

static void other_failures_change_nothing(void **state)
{
    (void)state;
    struct limiter l;
    limiter_init(&l, 64, true);
    for (int i = 0; i < 10; i++)
        assert_false(limiter_ended(&l, LIMITER_OTHER, 4, 0, 1, 5));
    assert_int_equal(limiter_allowed(&l, 1), 4);
}

/* --- a simulated host --- */

#define STEP 0.01
#define MAX_RUNNING 256

struct sim {
    struct limiter l;
    double end[MAX_RUNNING], start[MAX_RUNNING];
    bool refused[MAX_RUNNING];
    unsigned running, refusals, done;
};

/*
 * Advances the simulation to until: tasks of duration seconds start while
 * the limiter allows; one that starts with the host at capacity is
 * refused a step later.
 */
static void simulate(struct sim *s, double from, double until, unsigned (*capacity)(double), double duration)
{
    for (double now = from; now < until; now += STEP) {
        for (unsigned i = 0; i < s->running;) {
            if (s->end[i] > now) {
                i++;
                continue;
            }
            limiter_ended(&s->l, s->refused[i] ? LIMITER_REFUSED : LIMITER_OK, s->running, s->start[i], now, 0);
            s->done += !s->refused[i];
            s->running--;
            s->end[i] = s->end[s->running];
            s->start[i] = s->start[s->running];
            s->refused[i] = s->refused[s->running];
        }
        unsigned serving = 0;
        for (unsigned i = 0; i < s->running; i++)
            serving += !s->refused[i];
        while (s->running < limiter_allowed(&s->l, now) && s->running < MAX_RUNNING) {
            bool refuse = serving >= capacity(now);
            s->refusals += refuse;
            serving += !refuse;
            s->start[s->running] = now;
            s->end[s->running] = now + (refuse ? STEP : duration);
            s->refused[s->running++] = refuse;
        }
    }
}

static unsigned capacity_8(double now)
{
    (void)now;
    return 8;
}

static unsigned capacity_8_3_12(double now)
{
    return now < 10 ? 8 : now < 20 ? 3 : 12;
}

static void it_finds_the_hosts_capacity(void **state)
{
    (void)state;
    struct sim s = {0};
    limiter_init(&s.l, 64, true);
    simulate(&s, 0, 30, capacity_8, 0.1);
    /* About 8 at a time: 30 s of 0.1 s tasks is 2,400 at full use. */
    assert_true(s.done > 2400 * 0.8);
    /* Refusals stay rare: about one per additive-increase cycle. */
    assert_true(s.refusals < 0.05 * s.done);
    unsigned at = limiter_allowed(&s.l, 30);
    assert_true(at >= 6 && at <= 9);
}

static void it_follows_a_changing_capacity_within_five_seconds(void **state)
{
    (void)state;
    struct sim s = {0};
    limiter_init(&s.l, 64, true);
    simulate(&s, 0, 10, capacity_8_3_12, 0.1);
    simulate(&s, 10, 15, capacity_8_3_12, 0.1);
    unsigned at = limiter_allowed(&s.l, 15);
    assert_true(at >= 2 && at <= 4);
    simulate(&s, 15, 20, capacity_8_3_12, 0.1);
    simulate(&s, 20, 25, capacity_8_3_12, 0.1);
    at = limiter_allowed(&s.l, 25);
    assert_true(at >= 9 && at <= 13);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_adaptive_the_limit_is_the_ceiling),
        cmocka_unit_test(it_starts_low_and_doubles_while_in_use),
        cmocka_unit_test(a_refusal_cuts_once_per_window),
        cmocka_unit_test(after_a_cut_it_grows_by_one_per_limit_of_successes),
        cmocka_unit_test(never_above_the_ceiling_nor_below_one),
        cmocka_unit_test(retry_after_closes_the_host_until_then),
        cmocka_unit_test(other_failures_change_nothing),
        cmocka_unit_test(it_finds_the_hosts_capacity),
        cmocka_unit_test(it_follows_a_changing_capacity_within_five_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
