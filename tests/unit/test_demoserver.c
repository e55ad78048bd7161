/*
 * The simulated server of --demo: what --demo-capacity accepts, capacity
 * schedules, and how a full host answers.
 */
#include "unit.h"

#include <string.h>

#include "repopool/demoserver.h"

static int parse(const char *text, struct demo_capacity *c, struct strbuf *err)
{
    strbuf_reset(err);
    return demo_capacity_parse(text, c, err);
}

static void capacities_per_host_and_schedules_parse(void **state)
{
    (void)state;
    struct demo_capacity c;
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(parse("8", &c, &err), 0);
    assert_int_equal(c.nhosts, 1);
    assert_int_equal(c.steps[0][0].capacity, 8);
    assert_int_equal(parse("2,6", &c, &err), 0);
    assert_int_equal(c.nhosts, 2);
    assert_int_equal(c.steps[1][0].capacity, 6);
    assert_int_equal(parse("8@0,3@10,12@20.5", &c, &err), 0);
    assert_int_equal(c.nhosts, 1);
    assert_int_equal(c.nsteps[0], 3);
    assert_true(c.steps[0][2].from == 20.5);
    static const char *const bad[] = {"", "0", "x", "8,", "8@1", "8@0,3@0", "8@0,3", "2,6@1", "-1", "8@0,3@-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i], &c, &err), -1);
        assert_non_null(strstr(err.data, bad[i]));
    }
    strbuf_free(&err);
}

static void a_schedule_changes_capacity_over_time(void **state)
{
    (void)state;
    struct demo_capacity c;
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(demo_capacity_parse("8@0,3@10,12@20", &c, &err), 0);
    struct demo_server s;
    demo_server_init(&s, &c, 2, 0.1, 0);
    assert_int_equal(demo_server_capacity(&s, 0, 0), 8);
    assert_int_equal(demo_server_capacity(&s, 1, 9.99), 8);
    assert_int_equal(demo_server_capacity(&s, 0, 10), 3);
    assert_int_equal(demo_server_capacity(&s, 1, 25), 12);
    demo_server_init(&s, NULL, 1, 0.1, 0);
    assert_int_equal(demo_server_capacity(&s, 0, 5), 0);
    strbuf_free(&err);
}

static void a_full_host_refuses_quickly_with_retry_after(void **state)
{
    (void)state;
    struct demo_capacity c;
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(demo_capacity_parse("2,1", &c, &err), 0);
    struct demo_server s;
    demo_server_init(&s, &c, 2, 0.2, 0);
    assert_int_equal(demo_server_host_of(&s, 0), 0);
    assert_int_equal(demo_server_host_of(&s, 3), 1);
    struct rng rng;
    rng_seed(&rng, 1);
    struct demo_attempt a[3], other;
    for (int i = 0; i < 3; i++)
        demo_server_begin(&s, 0, 0, &rng, &a[i]);
    assert_int_equal(a[0].answer, DEMO_SERVED);
    assert_int_equal(a[1].answer, DEMO_SERVED);
    assert_int_equal(a[2].answer, DEMO_TOO_MANY);
    assert_true(a[2].retry_after == 0.1);
    assert_true(a[2].duration <= 0.4 * 0.1 + 1e-9);
    /* Served answers take longer as the host fills: at most 1.5x of 0.4 s. */
    assert_true(a[1].duration <= 0.4 * 1.5 + 1e-9);
    /* The other host has its own room. */
    demo_server_begin(&s, 1, 0, &rng, &other);
    assert_int_equal(other.answer, DEMO_SERVED);
    /* A refusal took no slot; an answered attempt frees its own. */
    demo_server_end(&s, &a[2]);
    demo_server_end(&s, &a[0]);
    demo_server_begin(&s, 0, 0, &rng, &a[0]);
    assert_int_equal(a[0].answer, DEMO_SERVED);
    strbuf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capacities_per_host_and_schedules_parse),
        cmocka_unit_test(a_schedule_changes_capacity_over_time),
        cmocka_unit_test(a_full_host_refuses_quickly_with_retry_after),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
