/*
 * The scheduler's hosts with a fake clock: a limit per host inside the
 * cap (--per-host), limits learned from refusals (--adaptive), and a
 * host closed by a Retry-After.
 */
#include "unit.h"

#include <math.h>
#include <string.h>

#include "repopool/class.h"
#include "repopool/sched.h"

static void init(struct sched *s, unsigned cap, unsigned per_host, bool adaptive, unsigned retries)
{
    struct sched_config cfg = {.cap = cap, .max_cap = 64, .retries = retries, .backoff_base = 0.01,
                               .backoff_max = 0.01, .seed = 1, .per_host = per_host, .adaptive = adaptive};
    assert_int_equal(sched_init(s, &cfg), 0);
}

/* n tasks on their own repositories; task i on hosts[i % nhosts]. */
static void add_on_hosts(struct sched *s, unsigned n, const uint16_t *hosts, unsigned nhosts)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t id = sched_add(s, i);
        sched_set_host(s, id, hosts[i % nhosts]);
    }
}

static unsigned start_all(struct sched *s, double now, uint32_t *out)
{
    unsigned n = 0;
    uint32_t id;
    while ((id = sched_next_start(s, now)) != SCHED_NONE)
        out[n++] = id;
    return n;
}

static void each_host_has_its_own_limit_inside_the_cap(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 10, 2, false, 0);
    uint16_t hosts[2] = {sched_add_host(&s), sched_add_host(&s)};
    assert_int_equal(hosts[0], 1);
    add_on_hosts(&s, 12, hosts, 2);
    uint32_t ids[16];
    /* Two on each host, in submission order: 0, 1, 2, 3. */
    assert_int_equal(start_all(&s, 0, ids), 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(ids[i], i);
    /* A task on host 1 ends: the next of host 1 (task 4) goes, not 5. */
    sched_finish(&s, 0, TASK_OK, RP_CLASS_NONE, 0, 1, NULL);
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], 4);
    /* The cap still rules over the hosts. */
    sched_set_cap(&s, 3);
    sched_finish(&s, 1, TASK_OK, RP_CLASS_NONE, 0, 2, NULL);
    assert_int_equal(start_all(&s, 2, ids), 0);
    sched_free(&s);
}

static void tasks_without_a_host_are_not_held_by_one(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 8, 1, false, 0);
    uint16_t hosts[2] = {sched_add_host(&s), 0};
    add_on_hosts(&s, 6, hosts, 2);
    uint32_t ids[8];
    /* One on the host, all three without one. */
    assert_int_equal(start_all(&s, 0, ids), 4);
    sched_free(&s);
}

static void a_refusal_cuts_the_hosts_limit_and_says_so(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 64, 0, true, 5);
    uint16_t host = sched_add_host(&s);
    add_on_hosts(&s, 100, &host, 1);
    uint32_t ids[64];
    /* Adaptive: it starts at 4, not at the cap. */
    assert_int_equal(start_all(&s, 0, ids), 4);
    assert_int_equal(sched_host_limit(&s, host), 4);
    /* Successes raise it while at least half of it is in use: the ends
     * with 4 and 3 running do (6), those with 2 and 1 do not. */
    for (unsigned i = 0; i < 4; i++)
        sched_finish(&s, ids[i], TASK_OK, RP_CLASS_NONE, 0, 0.1, NULL);
    assert_int_equal(sched_take_host_change(&s), host);
    assert_int_equal(sched_take_host_change(&s), 0);
    assert_int_equal(start_all(&s, 0.1, ids), 6);
    /* A refusal: 6 * 0.7 = 4.2, and it is retried later. */
    double after = 0;
    assert_int_equal(sched_finish(&s, ids[0], TASK_FAILED, RP_CLASS_REFUSED, 0, 0.2, &after), SCHED_END_RETRY);
    assert_int_equal(sched_take_host_change(&s), host);
    assert_int_equal(sched_host_limit(&s, host), 4);
    /* Five still run, over the new limit: nothing starts. */
    assert_int_equal(start_all(&s, 0.3, ids), 0);
    assert_int_equal(s.hosts[host].refused, 1);
    sched_free(&s);
}

/* A task the host refused while it served others waits for one of them to
 * end, not out its backoff; refused by a host serving no one, it backs
 * off. */
static void a_refused_task_waits_for_room_not_a_backoff(void **state)
{
    (void)state;
    struct sched s;
    struct sched_config cfg = {.cap = 8, .max_cap = 64, .retries = 5, .backoff_base = 5, .backoff_max = 5,
                               .seed = 1, .adaptive = true};
    assert_int_equal(sched_init(&s, &cfg), 0);
    uint16_t host = sched_add_host(&s);
    add_on_hosts(&s, 6, &host, 1);
    uint32_t ids[8];
    assert_int_equal(start_all(&s, 0, ids), 4);
    double after = -1;
    assert_int_equal(sched_finish(&s, ids[0], TASK_FAILED, RP_CLASS_REFUSED, 0, 0.5, &after), SCHED_END_RETRY);
    assert_true(after == 0);
    /* Cut to 2 with 3 running: nothing starts until one has ended (and
     * its success raised the limit to 3). */
    assert_int_equal(sched_host_limit(&s, host), 2);
    assert_int_equal(start_all(&s, 0.5, ids + 4), 0);
    sched_finish(&s, ids[1], TASK_OK, RP_CLASS_NONE, 0, 0.6, NULL);
    /* The refused task goes first, 4.4 s before its backoff would end. */
    assert_int_equal(start_all(&s, 0.6, ids + 4), 1);
    assert_int_equal(ids[4], ids[0]);
    /* Refused again with no one else served: it backs off. */
    sched_finish(&s, ids[2], TASK_OK, RP_CLASS_NONE, 0, 0.7, NULL);
    sched_finish(&s, ids[3], TASK_OK, RP_CLASS_NONE, 0, 0.8, NULL);
    assert_int_equal(sched_finish(&s, ids[0], TASK_FAILED, RP_CLASS_REFUSED, 0, 1.0, &after), SCHED_END_RETRY);
    assert_true(after > 0);
    sched_free(&s);
}

static void retry_after_closes_the_host_until_then(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 4, 0, false, 3);
    uint16_t host = sched_add_host(&s);
    add_on_hosts(&s, 10, &host, 1);
    uint32_t ids[8];
    assert_int_equal(start_all(&s, 0, ids), 4);
    double after = 0;
    assert_int_equal(sched_finish(&s, ids[0], TASK_FAILED, RP_CLASS_REFUSED, 2.0, 1.0, &after), SCHED_END_RETRY);
    /* The retry waits at least as long as the server asked. */
    assert_true(after >= 2.0);
    /* A slot is free, but the host is closed until 3.0. */
    assert_int_equal(start_all(&s, 1.5, ids), 0);
    assert_true(fabs(sched_next_wakeup(&s, 1.5) - 3.0) < 1e-9);
    assert_int_equal(start_all(&s, 3.0, ids), 1);
    sched_free(&s);
}

static void a_cancelled_waiting_task_gives_its_turn_away(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 8, 1, false, 0);
    uint16_t host = sched_add_host(&s);
    add_on_hosts(&s, 3, &host, 1);
    uint32_t ids[4];
    assert_int_equal(start_all(&s, 0, ids), 1);
    assert_int_equal(start_all(&s, 0, ids), 0); /* 1 and 2 wait on the host */
    assert_int_equal(sched_cancel(&s, 1, 0.5), SCHED_CANCEL_ENDED);
    sched_finish(&s, 0, TASK_OK, RP_CLASS_NONE, 0, 1, NULL);
    assert_int_equal(start_all(&s, 1, ids), 1);
    assert_int_equal(ids[0], 2);
    sched_free(&s);
}

static void raising_the_cap_raises_a_fixed_hosts_limit(void **state)
{
    (void)state;
    struct sched s;
    init(&s, 2, 0, false, 0);
    uint16_t host = sched_add_host(&s);
    add_on_hosts(&s, 6, &host, 1);
    uint32_t ids[8];
    assert_int_equal(start_all(&s, 0, ids), 2);
    sched_set_cap(&s, 5);
    assert_int_equal(start_all(&s, 0, ids), 3);
    sched_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_host_has_its_own_limit_inside_the_cap),
        cmocka_unit_test(tasks_without_a_host_are_not_held_by_one),
        cmocka_unit_test(a_refusal_cuts_the_hosts_limit_and_says_so),
        cmocka_unit_test(a_refused_task_waits_for_room_not_a_backoff),
        cmocka_unit_test(retry_after_closes_the_host_until_then),
        cmocka_unit_test(a_cancelled_waiting_task_gives_its_turn_away),
        cmocka_unit_test(raising_the_cap_raises_a_fixed_hosts_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
