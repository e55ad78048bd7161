/*
 * The demo in simulated time (--compare): the story the four ways tell on a
 * server with room for 8, checked against what each way must show.
 */
#include "unit.h"

#include <string.h>

#include "repopool/poolsim.h"

static struct demo_capacity capacity_of(const char *text)
{
    struct demo_capacity c;
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(demo_capacity_parse(text, &c, &err), 0);
    strbuf_free(&err);
    return c;
}

static struct poolsim_config config(const struct demo_capacity *c, unsigned cap, bool adaptive, unsigned retries)
{
    return (struct poolsim_config){
        .sched = {.cap = cap, .max_cap = 4096, .retries = retries, .seed = 7, .adaptive = adaptive},
        .ntasks = 600,
        .capacity = c,
        .nhosts = 1,
        .mean = 0.1,
        .seed = 42,
    };
}

static void the_four_ways_tell_the_story(void **state)
{
    (void)state;
    struct demo_capacity c = capacity_of("8");
    struct poolsim_result seq, unbounded, fixed, adaptive;
    struct poolsim_config cfg = config(&c, 1, false, 10);
    poolsim_run(&cfg, &seq);
    cfg = config(&c, 600, false, 10);
    poolsim_run(&cfg, &unbounded);
    cfg = config(&c, 8, false, 10);
    poolsim_run(&cfg, &fixed);
    cfg = config(&c, 600, true, 10);
    poolsim_run(&cfg, &adaptive);

    /* Sequential: 600 tasks of about 0.1 s one after another. */
    assert_int_equal(seq.peak, 1);
    assert_int_equal(seq.refusals, 0);
    assert_int_equal(seq.failed, 0);
    assert_true(seq.makespan > 50 && seq.makespan < 80);
    /* A semaphore at the server's capacity: no refusals, about 8x faster. */
    assert_int_equal(fixed.peak, 8);
    assert_int_equal(fixed.refusals, 0);
    assert_int_equal(fixed.failed, 0);
    assert_true(fixed.makespan < seq.makespan / 5);
    /* Unbounded: everything at once, refused by the hundred, some for good. */
    assert_true(unbounded.peak > 100);
    assert_true(unbounded.refusals > 1000);
    assert_true(unbounded.makespan > fixed.makespan);
    /* Adaptive, with no cap to guess: close to the fixed semaphore. */
    assert_int_equal(adaptive.failed, 0);
    assert_true(adaptive.refusals <= 60);
    assert_true(adaptive.makespan <= fixed.makespan * 1.25);
}

/* The same seed gives the same run; each attempt's work is the task's own,
 * so two ways that start tasks in another order still get the same work. */
static void runs_repeat_and_tasks_keep_their_work(void **state)
{
    (void)state;
    struct poolsim_result a, b, c;
    struct poolsim_config cfg = config(NULL, 8, false, 0);
    cfg.capacity = NULL;
    poolsim_run(&cfg, &a);
    poolsim_run(&cfg, &b);
    assert_true(a.makespan == b.makespan);
    assert_int_equal(a.attempts, 600);
    /* One at a time takes the sum of the same durations that 8 at a time
     * shared out. */
    cfg.sched.cap = 1;
    poolsim_run(&cfg, &c);
    assert_true(c.makespan > a.makespan * 7 && c.makespan < a.makespan * 9);
}

/* A capacity that changes: the learned limit follows it. */
static void adaptive_limit_follows_a_schedule(void **state)
{
    (void)state;
    struct demo_capacity c = capacity_of("8@0,3@10,12@20");
    struct poolsim_config cfg = config(&c, 64, true, 10);
    cfg.ntasks = 3000;
    struct poolsim_result r;
    poolsim_run(&cfg, &r);
    assert_int_equal(r.failed, 0);
    const struct stats *st = &r.timeline;
    unsigned at_8 = 0, at_3 = 0, at_12 = 0;
    for (size_t b = 0; b < st->used; b++) {
        double t = (b + 0.5) * st->width;
        if (t > 5 && t < 10)
            at_8 = st->limit[b] > at_8 ? st->limit[b] : at_8;
        else if (t > 15 && t < 20)
            at_3 = st->limit[b] > at_3 ? st->limit[b] : at_3;
        else if (t > 25 && t < r.makespan - 1)
            at_12 = st->limit[b] > at_12 ? st->limit[b] : at_12;
    }
    assert_in_range(at_8, 6, 10);
    assert_in_range(at_3, 2, 5);
    assert_in_range(at_12, 10, 15);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_four_ways_tell_the_story),
        cmocka_unit_test(runs_repeat_and_tasks_keep_their_work),
        cmocka_unit_test(adaptive_limit_follows_a_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
