/*
 * Run statistics: the running-over-time record behind the sparkline and the
 * timeline, and the throughput and ETA shown in the footer.
 */
#include "unit.h"

#include <string.h>

#include "repopool/stats.h"

static void notes_land_in_their_buckets(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 1.0);
    assert_int_equal(st.used, 0);
    stats_note(&st, 0.2, 3, 5);
    stats_note(&st, 0.7, 1, 5);
    assert_int_equal(st.used, 1);
    /* The bucket shows the most that ran during it. */
    assert_int_equal(st.running[0], 3);
    stats_note(&st, 2.5, 4, 6);
    assert_int_equal(st.used, 3);
    /* Bucket 1 saw no note: one task ran through it, as at the end of 0. */
    assert_int_equal(st.running[1], 1);
    assert_int_equal(st.limit[1], 5);
    assert_int_equal(st.running[2], 4);
    assert_int_equal(st.limit[2], 6);
}

static void a_bucket_starts_with_what_was_running(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 1.0);
    stats_note(&st, 0.5, 7, 8);
    /* At 1.0 seven were still running; they ended at 1.5. */
    stats_note(&st, 1.5, 0, 8);
    assert_int_equal(st.running[1], 7);
}

static void default_width_when_none_given(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 0);
    assert_true(st.width > 0);
    stats_note(&st, 10, 1, 1);
    assert_true(st.used <= STATS_BUCKETS);
}

static void compaction_doubles_width_and_keeps_the_max(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 1.0);
    for (unsigned i = 0; i < STATS_BUCKETS; i++)
        stats_note(&st, i + 0.5, (i * 7) % 11, 10 + i % 3);
    assert_int_equal(st.used, STATS_BUCKETS);
    unsigned short before_run[STATS_BUCKETS], before_limit[STATS_BUCKETS];
    memcpy(before_run, st.running, sizeof(before_run));
    memcpy(before_limit, st.limit, sizeof(before_limit));
    /* One second past the last bucket: the record must not grow. */
    stats_note(&st, STATS_BUCKETS + 0.5, 2, 12);
    assert_near(st.width, 2.0, 0);
    assert_int_equal(st.used, STATS_BUCKETS / 2 + 1);
    for (unsigned i = 0; i < STATS_BUCKETS / 2; i++) {
        unsigned short a = before_run[2 * i], b = before_run[2 * i + 1];
        /* A short peak is never smoothed away. */
        assert_int_equal(st.running[i], a > b ? a : b);
        /* The limit is the one at the merged bucket's end. */
        assert_int_equal(st.limit[i], before_limit[2 * i + 1]);
    }
}

static void memory_stays_fixed_over_a_long_run(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 0.25);
    unsigned peak_at_start = 9;
    stats_note(&st, 0.1, peak_at_start, 9);
    for (double t = 1; t < 1e6; t *= 1.01)
        stats_note(&st, t, 1 + (unsigned)t % 5, 6);
    assert_true(st.used <= STATS_BUCKETS);
    assert_true(st.used > STATS_BUCKETS / 2);
    /* The whole run is still covered... */
    assert_true(st.width * STATS_BUCKETS >= 1e6 / 1.01);
    /* ...and the early peak is still in the first bucket. */
    assert_int_equal(st.running[0], peak_at_start);
}

static void a_long_gap_compacts_as_often_as_needed(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 1.0);
    stats_note(&st, 0, 4, 4);
    stats_note(&st, 5000, 1, 4);
    assert_true(st.used <= STATS_BUCKETS);
    assert_true((size_t)(5000 / st.width) < STATS_BUCKETS);
    assert_int_equal(st.running[0], 4);
}

static void huge_counts_saturate(void **state)
{
    (void)state;
    struct stats st;
    stats_init(&st, 1.0);
    stats_note(&st, 0, 100000, 100000);
    assert_int_equal(st.running[0], 65535);
    assert_int_equal(st.limit[0], 65535);
}

static void throughput_is_finished_per_second(void **state)
{
    (void)state;
    assert_near(stats_throughput(0, 10), 0, 0);
    assert_near(stats_throughput(5, 0), 0, 0);
    assert_near(stats_throughput(30, 10), 3, 1e-12);
}

static void eta_follows_the_throughput(void **state)
{
    (void)state;
    /* 30 done in 10 s: 3/s, so 60 left take 20 s. */
    assert_near(stats_eta(30, 60, 10), 20, 1e-9);
    /* Nothing left: done now. */
    assert_near(stats_eta(30, 0, 10), 0, 0);
    /* Nothing finished yet: unknown. */
    assert_true(stats_eta(0, 10, 10) < 0);
    assert_true(stats_eta(10, 10, 0) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notes_land_in_their_buckets),
        cmocka_unit_test(a_bucket_starts_with_what_was_running),
        cmocka_unit_test(default_width_when_none_given),
        cmocka_unit_test(compaction_doubles_width_and_keeps_the_max),
        cmocka_unit_test(memory_stays_fixed_over_a_long_run),
        cmocka_unit_test(a_long_gap_compacts_as_often_as_needed),
        cmocka_unit_test(huge_counts_saturate),
        cmocka_unit_test(throughput_is_finished_per_second),
        cmocka_unit_test(eta_follows_the_throughput),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
