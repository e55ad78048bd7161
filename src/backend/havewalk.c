#include "repopool/havewalk.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

/* A set of object ids, open addressing; the ids are hashes already. */
struct oid_set {
    git_oid *slots;
    unsigned char *used;
    size_t nslots, len;
};

static size_t oid_slot(const struct oid_set *s, const git_oid *id)
{
    size_t h;
    memcpy(&h, id->id, sizeof(h));
    size_t mask = s->nslots - 1;
    size_t i = h & mask;
    while (s->used[i] && !git_oid_equal(&s->slots[i], id))
        i = (i + 1) & mask;
    return i;
}

/* True when id was not in the set (it is now). */
static bool oid_set_add(struct oid_set *s, const git_oid *id)
{
    if ((s->len + 1) * 2 > s->nslots) {
        struct oid_set bigger = {.nslots = s->nslots ? s->nslots * 2 : 256};
        bigger.slots = xmalloc(bigger.nslots * sizeof(*bigger.slots));
        bigger.used = xcalloc(bigger.nslots, 1);
        for (size_t i = 0; i < s->nslots; i++)
            if (s->used[i])
                oid_set_add(&bigger, &s->slots[i]);
        free(s->slots);
        free(s->used);
        *s = bigger;
    }
    size_t i = oid_slot(s, id);
    if (s->used[i])
        return false;
    s->used[i] = 1;
    s->slots[i] = *id;
    s->len++;
    return true;
}

static void oid_set_free(struct oid_set *s)
{
    free(s->slots);
    free(s->used);
}

struct dated {
    git_time_t time;
    git_oid id;
};

struct have_walk {
    git_repository *repo;
    struct dated *preferred; /* sorted newest first on the first next */
    size_t npreferred, preferred_cap, next_preferred;
    bool started;
    /* Commits to walk, newest first: the heap's key is minus the date, its
     * id an index into queued_ids. */
    struct heap newest;
    git_oid *queued_ids;
    size_t nqueued_ids, queued_ids_cap;
    struct oid_set queued, sent;
};

/* The commit's date, or false when id is not a commit we have. */
static bool commit_time(git_repository *repo, const git_oid *id, git_time_t *time)
{
    git_commit *c = NULL;
    if (git_commit_lookup(&c, repo, id) < 0) {
        git_error_clear();
        return false;
    }
    *time = git_commit_time(c);
    git_commit_free(c);
    return true;
}

static void queue_commit(struct have_walk *w, const git_oid *id)
{
    git_time_t time;
    if (oid_set_add(&w->queued, id) && commit_time(w->repo, id, &time)) {
        array_reserve((void **)&w->queued_ids, &w->queued_ids_cap, w->nqueued_ids + 1, sizeof(*w->queued_ids));
        w->queued_ids[w->nqueued_ids] = *id;
        heap_push(&w->newest, -(double)time, (uint32_t)w->nqueued_ids++);
    }
}

/* The commit a ref points at, tags peeled; false for anything else. */
static bool ref_commit(git_reference *ref, git_oid *out)
{
    git_object *obj = NULL;
    if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) < 0) {
        git_error_clear();
        return false;
    }
    git_oid_cpy(out, git_object_id(obj));
    git_object_free(obj);
    return true;
}

/* The same tips libgit2 would walk from: every ref, peeled to a commit. */
static void queue_every_ref(struct have_walk *w)
{
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    if (git_reference_iterator_glob_new(&it, w->repo, "refs/*") < 0) {
        git_error_clear();
        return;
    }
    while (git_reference_next(&ref, it) == 0) {
        git_oid id;
        if (ref_commit(ref, &id))
            queue_commit(w, &id);
        git_reference_free(ref);
    }
    git_error_clear(); /* GIT_ITEROVER */
    git_reference_iterator_free(it);
}

static int newest_first(const void *a, const void *b)
{
    const struct dated *x = a, *y = b;
    return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
}

struct have_walk *have_walk_new(git_repository *repo)
{
    struct have_walk *w = xcalloc(1, sizeof(*w));
    w->repo = repo;
    return w;
}

void have_walk_free(struct have_walk *w)
{
    if (!w)
        return;
    free(w->preferred);
    free(w->newest.items);
    free(w->queued_ids);
    oid_set_free(&w->queued);
    oid_set_free(&w->sent);
    free(w);
}

void have_walk_prefer_ref(struct have_walk *w, const char *refname)
{
    git_reference *ref = NULL;
    git_oid id;
    git_time_t time;
    if (git_reference_lookup(&ref, w->repo, refname) < 0) {
        git_error_clear();
        return;
    }
    if (ref_commit(ref, &id) && commit_time(w->repo, &id, &time)) {
        array_reserve((void **)&w->preferred, &w->preferred_cap, w->npreferred + 1, sizeof(*w->preferred));
        w->preferred[w->npreferred++] = (struct dated){time, id};
    }
    git_reference_free(ref);
}

bool have_walk_next(struct have_walk *w, git_oid *out)
{
    if (!w->started) {
        w->started = true;
        qsort(w->preferred, w->npreferred, sizeof(*w->preferred), newest_first);
        queue_every_ref(w);
    }
    while (w->next_preferred < w->npreferred) {
        const git_oid *id = &w->preferred[w->next_preferred++].id;
        if (oid_set_add(&w->sent, id)) {
            git_oid_cpy(out, id);
            return true;
        }
    }
    while (w->newest.len > 0) {
        git_oid id = w->queued_ids[heap_pop(&w->newest).id];
        git_commit *c = NULL;
        if (git_commit_lookup(&c, w->repo, &id) == 0) {
            for (unsigned i = 0; i < git_commit_parentcount(c); i++)
                queue_commit(w, git_commit_parent_id(c, i));
            git_commit_free(c);
        }
        if (oid_set_add(&w->sent, &id)) {
            git_oid_cpy(out, &id);
            return true;
        }
    }
    return false;
}
