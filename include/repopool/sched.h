/*
 * The scheduler: a FIFO queue of tasks (or, for --order=longest, the
 * heaviest first by a weight the caller gives), a cap on how many run at
 * once, and the rules around it (pause, start-rate limit, retries with
 * backoff, timeouts, one task per repository at a time).
 *
 * It decides, the runner acts: the runner asks which task to start, starts
 * it, and reports back when it ends. Time is passed in (seconds since the
 * run began) and never read, so every rule is testable with a fake clock.
 * Every call is O(1) amortized or O(log n).
 *
 * Loop thread only; no I/O.
 */
#ifndef REPOPOOL_SCHED_H
#define REPOPOOL_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repopool/array.h"
#include "repopool/class.h"
#include "repopool/limiter.h"
#include "repopool/rng.h"
#include "repopool/task.h"

#define SCHED_NONE UINT32_MAX

struct sched_config {
    unsigned cap;        /* initial cap; 0 starts paused */
    unsigned max_cap;    /* ceiling for sched_set_cap */
    double rate;         /* task starts per second; 0 means unlimited */
    /* The finest step of the caller's clock and timers, in seconds (0: no
     * limit). The rate's bucket holds one start plus what the rate earns in
     * one step: a caller woken once a millisecond can then honour rates
     * above 1000 a second. */
    double clock_step;
    unsigned retries;    /* extra attempts for transient failures */
    double timeout;      /* seconds per attempt; 0 means none */
    double backoff_base; /* first retry waits up to this long */
    double backoff_max;  /* no retry waits longer */
    uint64_t seed;       /* for backoff jitter */
    unsigned per_host;   /* at most this many on one host; 0: no limit */
    bool adaptive;       /* learn each host's limit from its refusals */
    /* Fresh tasks start heaviest first (sched_add_weighted; ties in
     * submission order) instead of in submission order: --order=longest,
     * with each task's last duration as its weight. */
    bool heaviest_first;
};


struct deadline_entry {
    double at;
    uint32_t id;
    uint16_t attempt;
};

/* Queued tasks waiting for one thing (a repository, a host), in id order,
 * linked through their next_parked. */
struct park_list {
    uint32_t head, tail; /* SCHED_NONE when empty */
};

struct repo_slot {
    uint32_t running;   /* the task holding it, or SCHED_NONE */
    struct park_list parked;
    uint32_t handoff;   /* unparked to go next, not started yet */
};

/* A host tasks talk to: a limit inside the cap (the ceiling is --per-host
 * or the cap; --adaptive learns below it), and the tasks waiting for room
 * on it, in id order. */
struct host_slot {
    struct limiter limit;
    unsigned running;
    struct park_list parked;
    unsigned ok, refused;
    double last_refusal; /* -1 when none */
};

struct sched {
    struct task_table tasks; /* records of tasks 0..ntasks-1 */
    size_t ntasks;
    struct repo_slot *repos;
    size_t nrepos, repos_cap;

    /* Returning tasks (retries whose wait is over, tasks that waited for
     * their repository) start before fresh ones, lowest id first, so first
     * starts keep submission order. Cancelled tasks are left in place and
     * skipped when they come up. */
    struct heap returning;  /* keyed on the id */
    struct ring fresh;      /* of uint32_t task ids */
    /* With heaviest_first, fresh tasks wait here instead, keyed on minus
     * their weight. */
    struct heap heavy;
    bool heaviest_first;
    struct heap retry_wait; /* keyed on the time the wait ends */
    /* All attempts share one timeout, so deadlines come in start order. */
    struct ring deadlines;  /* of struct deadline_entry */

    unsigned cap, max_cap;
    unsigned retries;
    double timeout;
    double backoff_base, backoff_max;
    double rate, tokens, tokens_at;
    double clock_step, bucket; /* bucket: tokens it holds at most */
    /* After a start failed for want of resources: no more than hold run
     * until a task ends. */
    bool held;
    unsigned hold;
    unsigned peak_before_start; /* to undo the last start's peak */
    bool stopping;
    struct rng rng;

    /* Hosts 1..nhosts-1 (0 is "no host"); hosts closed by a Retry-After
     * with tasks waiting, keyed on when they open. */
    struct host_slot *hosts;
    size_t nhosts, hosts_cap;
    unsigned per_host;
    bool adaptive;
    struct heap host_reopen;
    uint16_t changed_host;      /* whose limit the last end changed */
    double now_seen;            /* the latest time passed in */

    unsigned counts[TASK_STATE_COUNT];
    unsigned peak_running;
    /* Ids in the order tasks ended for good, for views that list the newest
     * first; a retried task appears again when it ends again. */
    uint32_t *ended;
    size_t nended, ended_cap;
};

enum sched_end {
    SCHED_END_FINAL, /* the task ended; report it */
    SCHED_END_RETRY, /* it waits for another attempt */
};

enum sched_cancel_result {
    SCHED_CANCEL_NOOP,     /* already ended or already being stopped */
    SCHED_CANCEL_ENDED,    /* it was queued and is now cancelled */
    SCHED_CANCEL_STOPPING, /* it runs: the runner must stop its backend */
};

int sched_init(struct sched *s, const struct sched_config *cfg);
void sched_free(struct sched *s);

/* Makes room for n tasks in all (records never move anyway: task.h). */
void sched_reserve(struct sched *s, size_t n);

/* Adds a queued task for repository key repo; returns its id, or
 * SCHED_NONE past the id space. Ids count from 0 in submission order. */
uint32_t sched_add(struct sched *s, uint32_t repo);
/* The same, with the weight heaviest_first orders fresh tasks by (the
 * caller's estimate of how long it takes; INFINITY goes before any
 * other). Without heaviest_first the weight is ignored. */
uint32_t sched_add_weighted(struct sched *s, uint32_t repo, double weight);

/* A new host (ids from 1; 0 when there is no room for more). */
uint16_t sched_add_host(struct sched *s);
/* The host a queued task talks to, before it first starts. */
void sched_set_host(struct sched *s, uint32_t id, uint16_t host);
/* How many tasks may run on host: its limit, whether a Retry-After keeps
 * it closed or not. */
unsigned sched_host_limit(const struct sched *s, uint16_t host);
/* How many tasks may run at now: the cap, or the sum of the hosts' limits
 * when that is lower (0 for a host a Retry-After keeps closed). */
unsigned sched_limit(const struct sched *s, double now);
/* The host whose limit the last sched_finish changed (then reset), or 0. */
uint16_t sched_take_host_change(struct sched *s);

/* The record of task id; it stays where it is while tasks are added. */
static inline struct task *sched_task(const struct sched *s, uint32_t id)
{
    return task_at(&s->tasks, id);
}

/* Clamps to [0, max_cap] and returns the cap now in force. Raising it lets
 * queued tasks start at the next sched_next_start; lowering it stops
 * nothing, it only withholds starts until running < cap. */
unsigned sched_set_cap(struct sched *s, unsigned cap);
void sched_set_rate(struct sched *s, double rate, double now);

/*
 * Undoes the start of id, which must be the last sched_next_start made:
 * the backend could not start it for want of resources (descriptors,
 * processes, memory). It goes back to the head of the queue, keeping its
 * attempt count, and the pool is held at the number still running until a
 * task ends. Returns false when nothing is running (a hold would wait for
 * ever) or memory is short; the caller then lets the start fail.
 */
bool sched_unstart(struct sched *s, uint32_t id, double now);

/* The next task to start now, marked running; SCHED_NONE if none may. */
uint32_t sched_next_start(struct sched *s, double now);
/* A running task whose time is up, marked as stopping for a timeout; the
 * runner stops its backend. SCHED_NONE if there is none. */
uint32_t sched_next_expired(struct sched *s, double now);
/* When the scheduler next wants to be asked again on its own account (a
 * retry wait ends, a deadline passes, a rate token arrives); INFINITY if
 * only task ends or cap changes can change anything. */
double sched_next_wakeup(struct sched *s, double now);

/* An attempt ended with status (TASK_OK, TASK_FAILED or TASK_SKIPPED) and
 * class; the server asked for a pause of server_wait seconds (its
 * Retry-After, 0 for none), which closes the task's host that long. A stop
 * requested earlier overrides status: cancel gives cancelled, timeout gives
 * failed with class timeout. Transient failures wait for a retry, no sooner
 * than server_wait, while attempts remain; *retry_after then says how long. */
enum sched_end sched_finish(struct sched *s, uint32_t id, enum task_state status, enum rp_class cls,
                            double server_wait, double now, double *retry_after);

enum sched_cancel_result sched_cancel(struct sched *s, uint32_t id, double now);

/* Queues a failed or cancelled task again, ahead of fresh ones; its
 * attempts keep counting. False when the task cannot be retried (it did
 * not fail, or the scheduler is stopping). */
bool sched_requeue(struct sched *s, uint32_t id);

/* No more starts and no more retries; the runner then cancels each task. */
void sched_stop(struct sched *s);

static inline unsigned sched_running(const struct sched *s)
{
    return s->counts[TASK_RUNNING];
}

static inline unsigned sched_queued(const struct sched *s)
{
    return s->counts[TASK_QUEUED];
}

static inline bool sched_all_final(const struct sched *s)
{
    return s->counts[TASK_QUEUED] == 0 && s->counts[TASK_RUNNING] == 0;
}

/*
 * Walks the tasks that ended for good, each once, from the latest end back.
 * A retried task ended more than once and only its last end counts; one
 * queued again is left out until it ends again. seen is scratch memory of
 * s->ntasks bytes that the walk clears and marks, so a view that walks on
 * every redraw can keep it and allocate nothing:
 *
 *     struct sched_ended_walk w;
 *     uint32_t id;
 *     sched_ended_walk_init(&w, s, seen);
 *     while (sched_ended_next(&w, &id))
 *         ...
 */
struct sched_ended_walk {
    const struct sched *s;
    unsigned char *seen;
    size_t i; /* the ends not walked yet: ended[0..i) */
};

void sched_ended_walk_init(struct sched_ended_walk *w, const struct sched *s, unsigned char *seen);
bool sched_ended_next(struct sched_ended_walk *w, uint32_t *id);

#endif
