/*
 * The budget over every task's kept output: what the dashboard holds when
 * thousands of tasks print a lot. The tasks here are plain records with
 * real output buffers, driven by hand: output arrives (capture), tasks
 * end, some are retried.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/outbudget.h"
#include "repopool/rng.h"

#define PER_TASK 4096u /* each task's own limit (the runner's is 64 KiB) */

struct pool {
    struct outbudget b;
    struct task_table t; /* as the scheduler keeps them */
    size_t n;
    uint64_t *end_seq; /* when each task last ended, in ends */
    uint64_t ends;
};

static struct pool *pool_new(size_t n, uint64_t limit)
{
    struct pool *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    outbudget_init(&p->b, limit);
    task_table_reserve(&p->t, n);
    for (size_t i = 0; i < n; i++)
        memset(task_at(&p->t, (uint32_t)i), 0, sizeof(struct task));
    p->end_seq = calloc(n, sizeof(*p->end_seq));
    assert_non_null(p->end_seq);
    p->n = n;
    return p;
}

static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (task_at(&p->t, (uint32_t)(i))->out) {
            outbuf_free(task_at(&p->t, (uint32_t)(i))->out);
            free(task_at(&p->t, (uint32_t)(i))->out);
        }
    }
    outbudget_free(&p->b);
    task_table_free(&p->t);
    free(p->end_seq);
    free(p);
}

static void start(struct pool *p, uint32_t id)
{
    task_at(&p->t, (uint32_t)(id))->state = TASK_RUNNING;
    task_at(&p->t, (uint32_t)(id))->attempt++;
}

/* As runner_capture does it. */
static void capture(struct pool *p, uint32_t id, size_t n)
{
    struct task *t = task_at(&p->t, (uint32_t)(id));
    if (!t->out) {
        t->out = malloc(sizeof(*t->out));
        assert_non_null(t->out);
        outbuf_init(t->out, PER_TASK);
    }
    char buf[1024];
    memset(buf, 'x', sizeof(buf));
    size_t before = t->out->cap;
    while (n > 0) {
        size_t k = n < sizeof(buf) ? n : sizeof(buf);
        outbuf_append(t->out, buf, k);
        n -= k;
    }
    outbudget_resized(&p->b, before, t->out->cap);
    outbudget_enforce(&p->b, &p->t);
}

/* As sched_finish or sched_cancel, then report_task_end when the output
 * is kept. */
static void end_as(struct pool *p, uint32_t id, enum task_state st)
{
    task_at(&p->t, (uint32_t)(id))->state = (uint8_t)st;
    p->end_seq[id] = ++p->ends;
    task_at(&p->t, (uint32_t)(id))->end = (double)p->ends / 1000;
    if (task_at(&p->t, (uint32_t)(id))->out)
        outbudget_ended(&p->b, &p->t, id);
}

static void end(struct pool *p, uint32_t id)
{
    end_as(p, id, TASK_OK);
}

/* Queued again by hand (r in the dashboard): not started yet. */
static void requeue(struct pool *p, uint32_t id)
{
    task_at(&p->t, (uint32_t)(id))->state = TASK_QUEUED;
}

static uint64_t held(const struct pool *p)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < p->n; i++)
        sum += task_at(&p->t, (uint32_t)(i))->out ? task_at(&p->t, (uint32_t)(i))->out->cap : 0;
    return sum;
}

static bool kept(const struct task *t)
{
    return t->out && t->out->cap > 0;
}

static void a_new_budget_is_64_mib_and_empty(void **state)
{
    (void)state;
    struct outbudget b;
    outbudget_init(&b, 0);
    assert_int_equal(outbudget_limit(&b), 64ull * 1024 * 1024);
    assert_int_equal(OUTBUDGET_DEFAULT_LIMIT, 64ull * 1024 * 1024);
    assert_int_equal(outbudget_enforce(&b, NULL), 0);
    outbudget_resized(&b, 0, 1000);
    outbudget_resized(&b, 1000, 400);
    assert_int_equal(b.held, 400);
    outbudget_free(&b);
    outbudget_free(&b);
}

static void within_the_budget_nothing_is_dropped(void **state)
{
    (void)state;
    struct pool *p = pool_new(10, 10 * PER_TASK);
    for (uint32_t i = 0; i < 10; i++) {
        start(p, i);
        capture(p, i, 100000);
        end(p, i);
    }
    assert_int_equal(p->b.held, 10 * PER_TASK);
    assert_int_equal(p->b.held, held(p));
    for (uint32_t i = 0; i < 10; i++) {
        assert_true(kept(task_at(&p->t, (uint32_t)(i))));
        assert_int_equal(task_at(&p->t, (uint32_t)(i))->out_dropped, 0);
    }
    assert_int_equal(p->b.dropped, 0);
    pool_free(p);
}

static void the_oldest_end_goes_first_not_the_lowest_id(void **state)
{
    (void)state;
    /* Room for three full outputs. */
    struct pool *p = pool_new(5, 3 * PER_TASK);
    for (uint32_t i = 0; i < 5; i++)
        start(p, i);
    /* They end in the order 3, 1, 4, 0, 2. */
    static const uint32_t order[] = {3, 1, 4, 0, 2};
    for (size_t k = 0; k < 5; k++) {
        capture(p, order[k], PER_TASK);
        end(p, order[k]);
    }
    /* Only the last three to end are kept. */
    assert_int_equal(p->b.held, 3 * PER_TASK);
    assert_false(kept(task_at(&p->t, (uint32_t)(3))));
    assert_false(kept(task_at(&p->t, (uint32_t)(1))));
    assert_true(kept(task_at(&p->t, (uint32_t)(4))));
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    assert_true(kept(task_at(&p->t, (uint32_t)(2))));
    assert_int_equal(task_at(&p->t, (uint32_t)(3))->out_dropped, 1);
    assert_int_equal(task_at(&p->t, (uint32_t)(1))->out_dropped, 1);
    assert_int_equal(task_at(&p->t, (uint32_t)(4))->out_dropped, 0);
    /* What it printed is still counted, and the record stays. */
    assert_non_null(task_at(&p->t, (uint32_t)(3))->out);
    assert_int_equal(task_at(&p->t, (uint32_t)(3))->out->total, PER_TASK);
    assert_int_equal(task_at(&p->t, (uint32_t)(3))->out->len, 0);
    assert_int_equal(p->b.dropped, 2);
    pool_free(p);
}

static void running_output_counts_but_is_never_dropped(void **state)
{
    (void)state;
    struct pool *p = pool_new(6, 2 * PER_TASK);
    /* Two finished tasks fill the budget. */
    for (uint32_t i = 0; i < 2; i++) {
        start(p, i);
        capture(p, i, PER_TASK);
        end(p, i);
    }
    /* Four running ones print: the finished outputs go, oldest first... */
    for (uint32_t i = 2; i < 6; i++)
        start(p, i);
    capture(p, 2, PER_TASK);
    assert_false(kept(task_at(&p->t, (uint32_t)(0))));
    assert_true(kept(task_at(&p->t, (uint32_t)(1))));
    capture(p, 3, PER_TASK);
    assert_false(kept(task_at(&p->t, (uint32_t)(1))));
    /* ...and past that, running output is over the budget but stays. */
    capture(p, 4, PER_TASK);
    capture(p, 5, PER_TASK);
    assert_int_equal(p->b.held, 4 * PER_TASK);
    for (uint32_t i = 2; i < 6; i++)
        assert_true(kept(task_at(&p->t, (uint32_t)(i))));
    /* When they end, each end brings the total back within the budget:
     * the one that ended first goes first. */
    end(p, 4);
    assert_false(kept(task_at(&p->t, (uint32_t)(4))));
    end(p, 2);
    assert_false(kept(task_at(&p->t, (uint32_t)(2))));
    end(p, 5);
    end(p, 3);
    assert_true(kept(task_at(&p->t, (uint32_t)(5))));
    assert_true(kept(task_at(&p->t, (uint32_t)(3))));
    assert_int_equal(p->b.held, 2 * PER_TASK);
    assert_int_equal(p->b.held, held(p));
    pool_free(p);
}

static void a_retried_task_counts_from_its_last_end(void **state)
{
    (void)state;
    struct pool *p = pool_new(4, 2 * PER_TASK);
    start(p, 0);
    capture(p, 0, PER_TASK);
    end(p, 0); /* first end of task 0 */
    start(p, 1);
    capture(p, 1, PER_TASK);
    end(p, 1);
    /* Task 0 is retried and ends again, after task 1. */
    start(p, 0);
    capture(p, 0, 10);
    end(p, 0);
    /* A third output: the oldest standing end is task 1's, not task 0's
     * first one. */
    start(p, 2);
    capture(p, 2, PER_TASK);
    end(p, 2);
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    assert_false(kept(task_at(&p->t, (uint32_t)(1))));
    assert_true(kept(task_at(&p->t, (uint32_t)(2))));
    /* A fourth: now task 0 goes. */
    start(p, 3);
    capture(p, 3, PER_TASK);
    end(p, 3);
    assert_false(kept(task_at(&p->t, (uint32_t)(0))));
    assert_true(kept(task_at(&p->t, (uint32_t)(2))));
    assert_true(kept(task_at(&p->t, (uint32_t)(3))));
    pool_free(p);
}

static void a_task_queued_again_keeps_its_output_until_it_ends(void **state)
{
    (void)state;
    struct pool *p = pool_new(3, PER_TASK);
    start(p, 0);
    capture(p, 0, PER_TASK);
    end(p, 0);
    requeue(p, 0);
    /* Over the budget while task 0 waits to run again: not finished, so
     * its output stays. */
    start(p, 1);
    capture(p, 1, PER_TASK);
    end(p, 1);
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    assert_false(kept(task_at(&p->t, (uint32_t)(1))));
    /* Cancelled before it ran: it ended again, last, and is droppable
     * from there. */
    end_as(p, 0, TASK_CANCELLED);
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    start(p, 2);
    capture(p, 2, PER_TASK);
    end(p, 2);
    assert_false(kept(task_at(&p->t, (uint32_t)(0))));
    assert_true(kept(task_at(&p->t, (uint32_t)(2))));
    assert_int_equal(task_at(&p->t, (uint32_t)(0))->out_dropped, 1);
    assert_int_equal(p->b.held, held(p));
    pool_free(p);
}

static void a_task_that_ended_twice_counts_from_its_last_end(void **state)
{
    (void)state;
    struct pool *p = pool_new(3, 2 * PER_TASK);
    start(p, 0);
    capture(p, 0, PER_TASK);
    end(p, 0);
    start(p, 1);
    capture(p, 1, PER_TASK);
    end(p, 1);
    /* Queued again and cancelled before it ran: the same attempt ends a
     * second time, now after task 1. */
    requeue(p, 0);
    end_as(p, 0, TASK_CANCELLED);
    start(p, 2);
    capture(p, 2, PER_TASK);
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    assert_false(kept(task_at(&p->t, (uint32_t)(1))));
    assert_true(kept(task_at(&p->t, (uint32_t)(2))));
    pool_free(p);
}

static void output_after_a_drop_is_kept_and_counted_again(void **state)
{
    (void)state;
    struct pool *p = pool_new(3, PER_TASK);
    start(p, 0);
    capture(p, 0, PER_TASK);
    end(p, 0);
    start(p, 1);
    capture(p, 1, PER_TASK);
    end(p, 1);
    assert_false(kept(task_at(&p->t, (uint32_t)(0))));
    assert_int_equal(task_at(&p->t, (uint32_t)(0))->out_dropped, 1);
    /* Retried: it prints again; the mark stays (its first output is gone). */
    start(p, 0);
    capture(p, 0, 300);
    assert_true(kept(task_at(&p->t, (uint32_t)(0))));
    assert_int_equal(task_at(&p->t, (uint32_t)(0))->out->total, PER_TASK + 300);
    assert_int_equal(task_at(&p->t, (uint32_t)(0))->out->len, 300);
    assert_int_equal(task_at(&p->t, (uint32_t)(0))->out_dropped, 1);
    assert_int_equal(p->b.held, held(p));
    pool_free(p);
}

/*
 * Thousands of random steps (output arrives, tasks start, end, are
 * retried), checking after each that the count is exact, that the budget
 * holds whenever some finished output could still go, and that no kept
 * output ended before one that was dropped.
 */
static void random_runs_keep_every_rule(void **state)
{
    (void)state;
    enum { N = 400, STEPS = 40000 };
    struct rng rng;
    rng_seed(&rng, 42);
    struct pool *p = pool_new(N, 24 * PER_TASK);
    uint64_t dropped_seq = 0; /* the latest end among dropped outputs */
    bool *was_kept = calloc(N, sizeof(*was_kept));
    assert_non_null(was_kept);
    uint32_t next = 0;
    for (int step = 0; step < STEPS; step++) {
        uint32_t id = (uint32_t)(rng_next(&rng) % N);
        struct task *t = task_at(&p->t, (uint32_t)(id));
        switch (rng_next(&rng) % 6) {
        case 0:
            if (next < N)
                start(p, next++);
            break;
        case 1:
            if (t->state == TASK_RUNNING)
                capture(p, id, (size_t)(rng_next(&rng) % (2 * PER_TASK)));
            break;
        case 2:
            if (t->state == TASK_RUNNING)
                end(p, id);
            break;
        case 3:
            if (t->state == TASK_OK && rng_next(&rng) % 4 == 0)
                requeue(p, id); /* a retry, by hand */
            break;
        case 4:
            if (t->state == TASK_QUEUED && t->attempt > 0)
                start(p, id);
            break;
        case 5:
            if (t->state == TASK_QUEUED && t->attempt > 0 && rng_next(&rng) % 4 == 0)
                end_as(p, id, TASK_CANCELLED);
            break;
        }
        assert_int_equal(p->b.held, held(p));
        uint64_t oldest_kept = UINT64_MAX;
        bool finished_output = false;
        for (uint32_t i = 0; i < N; i++) {
            const struct task *u = task_at(&p->t, (uint32_t)(i));
            bool now_kept = kept(u);
            assert_msg(task_is_final(u) || !was_kept[i] || now_kept,
                       "step %d: task %u lost its output while running or queued", step, i);
            if (task_is_final(u) && was_kept[i] && !now_kept && p->end_seq[i] > dropped_seq)
                dropped_seq = p->end_seq[i];
            was_kept[i] = now_kept;
            if (task_is_final(u) && now_kept) {
                finished_output = true;
                if (p->end_seq[i] < oldest_kept)
                    oldest_kept = p->end_seq[i];
            }
        }
        assert_msg(!finished_output || p->b.held <= outbudget_limit(&p->b),
                   "step %d: %llu bytes held over the budget while finished output could go", step,
                   (unsigned long long)p->b.held);
        assert_msg(oldest_kept == UINT64_MAX || oldest_kept > dropped_seq,
                   "step %d: an output that ended at %llu is kept, one that ended at %llu was dropped", step,
                   (unsigned long long)oldest_kept, (unsigned long long)dropped_seq);
        /* Amortized O(1): the FIFO never holds more ends than there were. */
        assert_true(p->b.ends.len <= p->ends);
    }
    assert_true(p->b.dropped > 100);
    free(was_kept);
    pool_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_budget_is_64_mib_and_empty),
        cmocka_unit_test(within_the_budget_nothing_is_dropped),
        cmocka_unit_test(the_oldest_end_goes_first_not_the_lowest_id),
        cmocka_unit_test(running_output_counts_but_is_never_dropped),
        cmocka_unit_test(a_retried_task_counts_from_its_last_end),
        cmocka_unit_test(a_task_queued_again_keeps_its_output_until_it_ends),
        cmocka_unit_test(a_task_that_ended_twice_counts_from_its_last_end),
        cmocka_unit_test(output_after_a_drop_is_kept_and_counted_again),
        cmocka_unit_test(random_runs_keep_every_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
