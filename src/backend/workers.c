#include "repopool/workers.h"

#include <stdlib.h>

#include "repopool/array.h"

/* Appends item to a singly linked queue; the caller holds the lock. */
static void queue_push(struct work_item **head, struct work_item **tail, struct work_item *item)
{
    item->next = NULL;
    if (*tail)
        (*tail)->next = item;
    else
        *head = item;
    *tail = item;
}

static void worker_main(void *arg)
{
    struct workers *w = arg;
    uv_mutex_lock(&w->lock);
    for (;;) {
        while (!w->todo_head && !w->stopping)
            uv_cond_wait(&w->wake, &w->lock);
        if (w->stopping)
            break;
        struct work_item *item = w->todo_head;
        w->todo_head = item->next;
        if (!w->todo_head)
            w->todo_tail = NULL;
        uv_mutex_unlock(&w->lock);

        item->run(item);

        uv_mutex_lock(&w->lock);
        queue_push(&w->done_head, &w->done_tail, item);
        w->idle++;
        uv_async_send(&w->async);
    }
    uv_mutex_unlock(&w->lock);
}

static void on_async(uv_async_t *async)
{
    struct workers *w = async->data;
    uv_mutex_lock(&w->lock);
    struct work_item *done = w->done_head;
    w->done_head = w->done_tail = NULL;
    bool progress = w->progress_noted;
    w->progress_noted = false;
    uv_mutex_unlock(&w->lock);

    if (progress && w->on_progress)
        w->on_progress(w->ctx);
    while (done) {
        struct work_item *next = done->next;
        done->done(done);
        done = next;
    }
}

int workers_init(struct workers *w, uv_loop_t *loop, void (*on_progress)(void *ctx), void *ctx)
{
    *w = (struct workers){.loop = loop, .on_progress = on_progress, .ctx = ctx};
    int rc = uv_mutex_init(&w->lock);
    if (rc < 0)
        return rc;
    if ((rc = uv_cond_init(&w->wake)) < 0) {
        uv_mutex_destroy(&w->lock);
        return rc;
    }
    if ((rc = uv_async_init(loop, &w->async, on_async)) < 0) {
        uv_cond_destroy(&w->wake);
        uv_mutex_destroy(&w->lock);
        return rc;
    }
    w->async.data = w;
    return 0;
}

int workers_submit(struct workers *w, struct work_item *item)
{
    uv_mutex_lock(&w->lock);
    /* Every queued item has a thread of its own waiting for it: an idle
     * one, taken off the idle count here, or a new one. Counting a thread
     * idle only until an item is promised to it (not until it wakes and
     * takes one) is what lets a burst of N items start N threads. */
    if (w->idle > 0) {
        w->idle--;
    } else {
        array_reserve((void **)&w->threads, &w->threads_cap, w->nthreads + 1, sizeof(*w->threads));
        /* The default 8 MiB each adds up over a few hundred threads;
         * libgit2 with zlib and TLS is comfortable in 4 MiB. */
        uv_thread_options_t opt = {.flags = UV_THREAD_HAS_STACK_SIZE, .stack_size = 4u << 20};
        int rc = uv_thread_create_ex(&w->threads[w->nthreads], &opt, worker_main, w);
        if (rc < 0) {
            uv_mutex_unlock(&w->lock);
            return rc;
        }
        w->nthreads++;
    }
    queue_push(&w->todo_head, &w->todo_tail, item);
    uv_cond_signal(&w->wake);
    uv_mutex_unlock(&w->lock);
    return 0;
}

void workers_note_progress(struct workers *w)
{
    uv_mutex_lock(&w->lock);
    bool first = !w->progress_noted;
    w->progress_noted = true;
    uv_mutex_unlock(&w->lock);
    if (first)
        uv_async_send(&w->async);
}

void workers_close(struct workers *w, uv_close_cb closed, void *close_data)
{
    uv_mutex_lock(&w->lock);
    w->stopping = true;
    uv_cond_broadcast(&w->wake);
    uv_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->nthreads; i++)
        uv_thread_join(&w->threads[i]);
    free(w->threads);
    w->threads = NULL;
    w->nthreads = 0;
    uv_cond_destroy(&w->wake);
    uv_mutex_destroy(&w->lock);
    /* Only now: no thread is left to send on it. */
    w->async.data = close_data;
    uv_close((uv_handle_t *)&w->async, closed);
}
