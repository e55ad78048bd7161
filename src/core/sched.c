#include "repopool/sched.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/outbuf.h"
#include "sched_hosts.h"

void sched_returning_push(struct sched *s, uint32_t id)
{
    heap_push(&s->returning, (double)id, id);
}

/* --- deadlines, in start order --- */

/* The earliest deadline that still belongs to a running attempt. */
static struct deadline_entry *deadline_front(struct sched *s)
{
    struct deadline_entry *e;
    while ((e = ring_front(&s->deadlines))) {
        const struct task *t = sched_task(s, e->id);
        if (t->state == TASK_RUNNING && t->attempt == e->attempt && t->stop == TASK_STOP_NONE)
            return e;
        ring_pop(&s->deadlines);
    }
    return NULL;
}

/* --- the scheduler --- */

int sched_init(struct sched *s, const struct sched_config *cfg)
{
    memset(s, 0, sizeof(*s));
    ring_init(&s->fresh, sizeof(uint32_t));
    ring_init(&s->deadlines, sizeof(struct deadline_entry));
    s->max_cap = cfg->max_cap;
    s->cap = cfg->cap < cfg->max_cap ? cfg->cap : cfg->max_cap;
    s->retries = cfg->retries;
    s->timeout = cfg->timeout;
    s->backoff_base = cfg->backoff_base > 0 ? cfg->backoff_base : 0.5;
    s->backoff_max = cfg->backoff_max > 0 ? cfg->backoff_max : 30.0;
    s->clock_step = cfg->clock_step > 0 ? cfg->clock_step : 0;
    s->per_host = cfg->per_host;
    s->adaptive = cfg->adaptive;
    s->heaviest_first = cfg->heaviest_first;
    sched_set_rate(s, cfg->rate, 0);
    rng_seed(&s->rng, cfg->seed);
    return 0;
}

void sched_free(struct sched *s)
{
    for (size_t i = 0; i < s->ntasks; i++)
        task_clear_result(sched_task(s, (uint32_t)i));
    task_table_free(&s->tasks);
    free(s->repos);
    free(s->hosts);
    free(s->host_reopen.items);
    free(s->returning.items);
    ring_free(&s->fresh);
    free(s->heavy.items);
    free(s->retry_wait.items);
    free(s->ended);
    ring_free(&s->deadlines);
    memset(s, 0, sizeof(*s));
}

void sched_reserve(struct sched *s, size_t n)
{
    task_table_reserve(&s->tasks, n);
}

uint32_t sched_add(struct sched *s, uint32_t repo)
{
    return sched_add_weighted(s, repo, 0);
}

uint32_t sched_add_weighted(struct sched *s, uint32_t repo, double weight)
{
    if (s->ntasks >= SCHED_NONE - 1 || repo == SCHED_NONE)
        return SCHED_NONE;
    task_table_reserve(&s->tasks, s->ntasks + 1);
    if (repo >= s->nrepos) {
        /* Repository keys are dense: every slot up to this key is a free
         * repository. Only the slots in use are written, so the capacity
         * doubling ahead costs no resident memory. */
        array_reserve((void **)&s->repos, &s->repos_cap, (size_t)repo + 1, sizeof(*s->repos));
        for (size_t i = s->nrepos; i <= repo; i++)
            s->repos[i] = (struct repo_slot){SCHED_NONE, {SCHED_NONE, SCHED_NONE}, SCHED_NONE};
        s->nrepos = (size_t)repo + 1;
    }
    uint32_t id = (uint32_t)s->ntasks++;
    if (s->heaviest_first)
        heap_push(&s->heavy, isnan(weight) ? 0 : -weight, id);
    else
        ring_push(&s->fresh, &id);
    struct task *t = sched_task(s, id);
    memset(t, 0, sizeof(*t));
    t->repo = repo;
    t->next_parked = SCHED_NONE;
    t->state = TASK_QUEUED;
    t->exit_code = -1;
    s->counts[TASK_QUEUED]++;
    return id;
}

unsigned sched_set_cap(struct sched *s, unsigned cap)
{
    s->cap = cap < s->max_cap ? cap : s->max_cap;
    /* The hosts' ceilings follow: down at once, up as each host allows. */
    for (size_t h = 1; h < s->nhosts; h++) {
        limiter_set_ceiling(&s->hosts[h].limit, sched_host_ceiling(s));
        sched_unpark_host(s, (uint16_t)h, s->now_seen);
    }
    return s->cap;
}

/* Rounding in tokens += elapsed * rate can leave a bucket a hair short
 * of the token its wake-up time promised; count that as a token (a wake-up
 * "now plus a hair" would be now again, and the caller would spin). */
#define TOKEN_SLACK 1e-9

static void refill_tokens(struct sched *s, double now)
{
    if (s->rate > 0 && now > s->tokens_at) {
        s->tokens += (now - s->tokens_at) * s->rate;
        /* A small bucket: starts are spread out as evenly as the clock
         * allows, never bunched. */
        if (s->tokens > s->bucket - TOKEN_SLACK)
            s->tokens = s->bucket;
    }
    s->tokens_at = now;
}

void sched_set_rate(struct sched *s, double rate, double now)
{
    refill_tokens(s, now);
    bool was_unlimited = s->rate == 0;
    s->rate = rate > 0 ? rate : 0;
    /* One start, plus what a clock step earns: without the step, a rate
     * above one start per step would lose the fraction at every tick. */
    s->bucket = 1 + s->rate * s->clock_step;
    if (was_unlimited || s->tokens > s->bucket)
        s->tokens = was_unlimited ? 1 : s->bucket;
}

static void set_state(struct sched *s, uint32_t id, enum task_state state)
{
    struct task *t = sched_task(s, id);
    s->counts[t->state]--;
    s->counts[state]++;
    t->state = (uint8_t)state;
    if (state >= TASK_OK) {
        array_reserve((void **)&s->ended, &s->ended_cap, s->nended + 1, sizeof(*s->ended));
        s->ended[s->nended++] = id;
    }
}

/* Parks a task until what it waits for is free. The list is kept in id
 * order, so the earliest submitted task goes first; tasks come in nearly
 * that order, so the walk almost never leaves the tail. */
void sched_park(struct sched *s, struct park_list *l, uint32_t id, enum task_parked why)
{
    struct task *t = sched_task(s, id);
    t->parked = (uint8_t)why;
    uint32_t *link = &l->head;
    if (l->tail != SCHED_NONE && l->tail < id)
        link = &sched_task(s, l->tail)->next_parked;
    while (*link != SCHED_NONE && *link < id)
        link = &sched_task(s, *link)->next_parked;
    t->next_parked = *link;
    *link = id;
    if (t->next_parked == SCHED_NONE)
        l->tail = id;
}

uint32_t sched_unpark_first(struct sched *s, struct park_list *l)
{
    while (l->head != SCHED_NONE) {
        uint32_t id = l->head;
        struct task *t = sched_task(s, id);
        l->head = t->next_parked;
        if (l->head == SCHED_NONE)
            l->tail = SCHED_NONE;
        t->next_parked = SCHED_NONE;
        t->parked = TASK_PARKED_NO;
        if (t->state == TASK_QUEUED)
            return id;
        /* cancelled while it waited */
    }
    return SCHED_NONE;
}

/* The repository is free again: the first live task waiting for it goes
 * to the returning queue. The others stay parked, since only one of them
 * could run anyway; each waits once, not once per turn. */
static void unpark_next(struct sched *s, uint32_t repo)
{
    struct repo_slot *slot = &s->repos[repo];
    uint32_t id = sched_unpark_first(s, &slot->parked);
    if (id != SCHED_NONE) {
        sched_returning_push(s, id);
        slot->handoff = id;
    }
}

/* Takes the next queued task off the queues, or SCHED_NONE. */
static uint32_t pop_candidate(struct sched *s, double now)
{
    for (;;) {
        uint32_t id;
        if (s->returning.len)
            id = heap_pop(&s->returning).id;
        else if (s->fresh.len) {
            id = *(uint32_t *)ring_front(&s->fresh);
            ring_pop(&s->fresh);
        }
        else if (s->heavy.len)
            id = heap_pop(&s->heavy).id;
        else
            return SCHED_NONE;
        struct task *t = sched_task(s, id);
        if (t->state != TASK_QUEUED || t->waiting || t->parked)
            continue; /* cancelled, or a stale entry */
        if (s->repos[t->repo].running != SCHED_NONE) {
            sched_park(s, &s->repos[t->repo].parked, id, TASK_PARKED_REPO);
            continue;
        }
        if (t->host && s->hosts[t->host].running >= limiter_allowed(&s->hosts[t->host].limit, now)) {
            sched_park_on_host(s, id, now);
            continue;
        }
        return id;
    }
}

/* Retries whose wait is over join the returning queue. */
static void release_retries(struct sched *s, double now)
{
    while (s->retry_wait.len > 0 && s->retry_wait.items[0].key <= now) {
        struct heap_entry e = heap_pop(&s->retry_wait);
        struct task *t = sched_task(s, e.id);
        if (t->state != TASK_QUEUED || !t->waiting || t->ready_at != e.key)
            continue;
        t->waiting = 0;
        sched_returning_push(s, e.id);
    }
}

/* Whether one more task may run: under the cap, and under the hold a
 * start that failed for want of resources put on the pool. */
static bool has_room(const struct sched *s)
{
    unsigned running = sched_running(s);
    return running < s->cap && (!s->held || running < s->hold);
}

uint32_t sched_next_start(struct sched *s, double now)
{
    s->now_seen = now;
    if (s->stopping || !has_room(s))
        return SCHED_NONE;
    release_retries(s, now);
    sched_release_hosts(s, now);
    refill_tokens(s, now);
    if (s->rate > 0 && s->tokens < 1 - TOKEN_SLACK)
        return SCHED_NONE;
    uint32_t id = pop_candidate(s, now);
    if (id == SCHED_NONE)
        return SCHED_NONE;

    struct task *t = sched_task(s, id);
    if (s->timeout > 0)
        ring_push(&s->deadlines, &(struct deadline_entry){now + s->timeout, id, (uint16_t)(t->attempt + 1)});
    if (s->rate > 0)
        s->tokens -= 1;
    set_state(s, id, TASK_RUNNING);
    if (t->attempt < UINT16_MAX)
        t->attempt++;
    if (t->attempt == 1)
        t->first_start = now;
    t->start = now;
    t->stop = TASK_STOP_NONE;
    t->exit_code = -1;
    t->term_signal = 0;
    t->cls = RP_CLASS_NONE;
    s->repos[t->repo].running = id;
    s->repos[t->repo].handoff = SCHED_NONE;
    if (t->host)
        s->hosts[t->host].running++;
    s->peak_before_start = s->peak_running;
    if (sched_running(s) > s->peak_running)
        s->peak_running = sched_running(s);
    return id;
}

bool sched_unstart(struct sched *s, uint32_t id, double now)
{
    struct task *t = sched_task(s, id);
    if (t->state != TASK_RUNNING || sched_running(s) < 2)
        return false;
    sched_returning_push(s, id);
    set_state(s, id, TASK_QUEUED);
    t->attempt--;
    t->start = 0;
    s->repos[t->repo].running = SCHED_NONE;
    s->repos[t->repo].handoff = id;
    if (t->host)
        s->hosts[t->host].running--;
    s->peak_running = s->peak_before_start;
    /* Its deadline was the last one pushed. */
    if (s->timeout > 0 && s->deadlines.len > 0)
        ring_pop_back(&s->deadlines);
    if (s->rate > 0) {
        refill_tokens(s, now);
        s->tokens += 1;
    }
    s->held = true;
    s->hold = sched_running(s);
    return true;
}

uint32_t sched_next_expired(struct sched *s, double now)
{
    struct deadline_entry *e = deadline_front(s);
    if (!e || e->at > now)
        return SCHED_NONE;
    uint32_t id = e->id;
    sched_task(s, id)->stop = TASK_STOP_TIMEOUT;
    deadline_front(s); /* drops the entry: the task is stopping now */
    return id;
}

static bool has_queued_ready(const struct sched *s)
{
    /* Entries may be stale, so this can only over-report; an extra wake-up
     * that starts nothing is harmless. */
    return s->returning.len > 0 || s->fresh.len > 0 || s->heavy.len > 0;
}

double sched_next_wakeup(struct sched *s, double now)
{
    double at = INFINITY;
    struct deadline_entry *e = deadline_front(s);
    if (e)
        at = e->at;
    if (s->stopping)
        return at;
    /* A retry's wait ending matters only when it could start; a full or
     * paused pool is pumped again when a task ends or the cap changes. */
    if (s->retry_wait.len > 0 && has_room(s)) {
        release_retries(s, now);
        if (s->retry_wait.len > 0 && s->retry_wait.items[0].key < at)
            at = s->retry_wait.items[0].key;
    }
    if (s->host_reopen.len > 0 && has_room(s) && s->host_reopen.items[0].key < at)
        at = s->host_reopen.items[0].key;
    if (s->rate > 0 && has_room(s) && has_queued_ready(s)) {
        refill_tokens(s, now);
        if (s->tokens < 1 - TOKEN_SLACK) {
            double token_at = now + (1 - s->tokens) / s->rate;
            if (token_at < at)
                at = token_at;
        }
    }
    return at;
}

static double backoff_delay(struct sched *s, unsigned failed_attempts)
{
    double ceiling = s->backoff_base;
    for (unsigned i = 1; i < failed_attempts && ceiling < s->backoff_max; i++)
        ceiling *= 2;
    if (ceiling > s->backoff_max)
        ceiling = s->backoff_max;
    /* Full jitter: retries of many tasks that failed together spread out. */
    return rng_uniform(&s->rng) * ceiling;
}

enum sched_end sched_finish(struct sched *s, uint32_t id, enum task_state status, enum rp_class cls,
                            double server_wait, double now, double *retry_after)
{
    struct task *t = sched_task(s, id);
    if (t->state != TASK_RUNNING)
        return SCHED_END_FINAL;
    /* An end frees what a start lacked: try the full cap again. */
    s->held = false;
    if (s->repos[t->repo].running == id) {
        s->repos[t->repo].running = SCHED_NONE;
        unpark_next(s, t->repo);
    }
    if (task_stop_cancels(t)) {
        status = TASK_CANCELLED;
        cls = RP_CLASS_NONE;
    } else if (t->stop == TASK_STOP_TIMEOUT) {
        status = TASK_FAILED;
        cls = RP_CLASS_TIMEOUT;
    } else if (status == TASK_OK) {
        cls = RP_CLASS_NONE;
    }
    t->cls = (uint8_t)cls;
    s->now_seen = now;
    if (t->host)
        sched_host_attempt_ended(s, t, status, cls, server_wait, now);

    if (status == TASK_FAILED && rp_class_is_transient(cls) && !s->stopping &&
        t->attempt <= s->retries) {
        double delay = backoff_delay(s, t->attempt);
        /* With --adaptive, a host that refused while it still serves others
         * has room again when one of them ends: the task waits for that
         * (parked on its host), not out a backoff meant for a host that
         * answers no one. A host serving no one gets the backoff. */
        if (s->adaptive && cls == RP_CLASS_REFUSED && t->host && s->hosts[t->host].running > 0)
            delay = 0;
        if (delay < server_wait)
            delay = server_wait;
        heap_push(&s->retry_wait, now + delay, id);
        t->end = now; /* of this attempt; the task has not ended */
        t->waiting = 1;
        t->ready_at = now + delay;
        set_state(s, id, TASK_QUEUED);
        if (retry_after)
            *retry_after = delay;
        return SCHED_END_RETRY;
    }
    set_state(s, id, status);
    t->end = now;
    return SCHED_END_FINAL;
}

enum sched_cancel_result sched_cancel(struct sched *s, uint32_t id, double now)
{
    struct task *t = sched_task(s, id);
    if (t->state == TASK_QUEUED) {
        /* Its queue or heap entry is skipped when it comes up. */
        t->waiting = 0;
        t->cls = RP_CLASS_NONE;
        t->stop = s->stopping ? TASK_STOP_RUN : TASK_STOP_CANCEL; /* who cancelled it, for the report */
        set_state(s, id, TASK_CANCELLED);
        t->end = now;
        /* It was to go next on its repository: the next in line goes. */
        struct repo_slot *slot = &s->repos[t->repo];
        if (slot->handoff == id) {
            slot->handoff = SCHED_NONE;
            if (slot->running == SCHED_NONE)
                unpark_next(s, t->repo);
        }
        return SCHED_CANCEL_ENDED;
    }
    enum task_stop stop = s->stopping ? TASK_STOP_RUN : TASK_STOP_CANCEL;
    if (t->state == TASK_RUNNING && t->stop == TASK_STOP_NONE) {
        t->stop = stop;
        return SCHED_CANCEL_STOPPING;
    }
    if (t->state == TASK_RUNNING && t->stop == TASK_STOP_TIMEOUT) {
        /* Already being stopped; but it now ends cancelled, not retried. */
        t->stop = stop;
    }
    return SCHED_CANCEL_NOOP;
}

bool sched_requeue(struct sched *s, uint32_t id)
{
    struct task *t = sched_task(s, id);
    if (s->stopping || (t->state != TASK_FAILED && t->state != TASK_CANCELLED))
        return false;
    /* A task cancelled while it waited for its repository is still in that
     * repository's list, and gets its turn from there. */
    if (!t->parked)
        sched_returning_push(s, id);
    t->waiting = 0;
    set_state(s, id, TASK_QUEUED);
    return true;
}

void sched_stop(struct sched *s)
{
    s->stopping = true;
}

void sched_ended_walk_init(struct sched_ended_walk *w, const struct sched *s, unsigned char *seen)
{
    w->s = s;
    w->seen = seen;
    w->i = s->nended;
    if (s->ntasks)
        memset(seen, 0, s->ntasks);
}

bool sched_ended_next(struct sched_ended_walk *w, uint32_t *id)
{
    while (w->i > 0) {
        uint32_t e = w->s->ended[--w->i];
        if (w->seen[e] || !task_is_final(sched_task(w->s, e)))
            continue;
        w->seen[e] = 1;
        *id = e;
        return true;
    }
    return false;
}
