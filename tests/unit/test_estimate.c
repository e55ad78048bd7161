/*
 * Last durations and what follows from them: --order=longest's weights and
 * the dashboard's ETA, on a scheduler driven by a fake clock.
 */
#include "unit.h"

#include <math.h>
#include <stdbool.h>

#include "repopool/estimate.h"

static struct sched_config config(unsigned cap)
{
    return (struct sched_config){.cap = cap, .max_cap = 64, .seed = 1};
}

static void weights_are_last_durations_and_unknown_goes_first(void **state)
{
    (void)state;
    struct estimates e;
    estimates_init(&e);
    assert_true(estimates_get(&e, 0) < 0);
    estimates_set(&e, 3, 2.5);
    estimates_set(&e, 1, 0.5);
    estimates_set(&e, 2, -1); /* nothing known: ignored */
    assert_true(estimates_get(&e, 2) < 0);
    assert_true(fabs(estimates_weight(&e, 3) - 2.5) < 1e-6);
    assert_true(fabs(estimates_weight(&e, 1) - 0.5) < 1e-6);
    assert_true(isinf(estimates_weight(&e, 0)));
    assert_true(isinf(estimates_weight(&e, 99)));
    /* Set again: the mean follows. */
    estimates_set(&e, 3, 1.5);
    assert_int_equal(e.known, 2);
    assert_true(fabs(e.known_sum - 2.0) < 1e-6);
    estimates_free(&e);
}

static void eta_spreads_the_work_over_the_slots(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(4);
    assert_int_equal(sched_init(&s, &cfg), 0);
    struct estimates e;
    estimates_init(&e);
    /* Nothing known: no ETA from durations. */
    sched_add(&s, 0);
    assert_true(estimates_eta(&e, &s, 0) < 0);
    /* 16 tasks of 0.2 s and one of 3 s on 4 slots: the long one decides. */
    for (uint32_t i = 1; i < 17; i++)
        sched_add(&s, i);
    for (uint32_t i = 0; i < 16; i++)
        estimates_set(&e, i, 0.2);
    estimates_set(&e, 16, 3.0);
    assert_true(fabs(estimates_eta(&e, &s, 0) - 3.0) < 1e-6);
    /* Counted down until the next walk. */
    assert_true(fabs(estimates_eta(&e, &s, 0.25) - 2.75) < 1e-6);
    /* Many short ones: their sum over the slots decides. */
    for (uint32_t i = 17; i < 97; i++)
        sched_add(&s, i);
    for (uint32_t i = 17; i < 97; i++)
        estimates_set(&e, i, 0.2);
    double eta = estimates_eta(&e, &s, 1);
    assert_true(fabs(eta - (96 * 0.2 + 3.0) / 4) < 1e-3);
    /* A running task counts what it has done; a paused pool has none. */
    uint32_t first = sched_next_start(&s, 1);
    assert_int_equal(first, 0);
    double later = estimates_eta(&e, &s, 1.6);
    assert_true(fabs(later - (95 * 0.2 + 3.0) / 4) < 1e-3);
    sched_set_cap(&s, 0);
    assert_true(estimates_eta(&e, &s, 2.2) < 0);
    estimates_free(&e);
    sched_free(&s);
}

static void unknown_durations_count_as_the_mean(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = config(2);
    assert_int_equal(sched_init(&s, &cfg), 0);
    struct estimates e;
    estimates_init(&e);
    for (uint32_t i = 0; i < 4; i++)
        sched_add(&s, i);
    estimates_set(&e, 0, 1.0);
    estimates_set(&e, 1, 3.0);
    /* Two unknown at the mean of 2 s: 8 s of work on 2 slots. */
    assert_true(fabs(estimates_eta(&e, &s, 0) - 4.0) < 1e-6);
    estimates_free(&e);
    sched_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(weights_are_last_durations_and_unknown_goes_first),
        cmocka_unit_test(eta_spreads_the_work_over_the_slots),
        cmocka_unit_test(unknown_durations_count_as_the_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
