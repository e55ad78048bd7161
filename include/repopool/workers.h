/*
 * repopool's own worker threads, for blocking work such as libgit2 calls.
 *
 * The scheduler, not this pool, decides how many items run: every submitted
 * item gets a thread at once, an idle one or a new one, so N items
 * submitted together run on N threads together and the cap is real up to
 * --max-jobs (libuv's own 4-thread pool, shared with file and DNS
 * work, would silently cap it).
 *
 * Items go to the threads through a mutex-protected queue; finished items
 * and progress notes come back through another queue and one uv_async_t.
 * Async sends coalesce, so the loop side drains the whole queue each time.
 *
 * workers_init, workers_submit, workers_close and the callbacks they name
 * run on the loop thread; work_item.run and workers_note_progress on a
 * worker thread.
 */
#ifndef REPOPOOL_WORKERS_H
#define REPOPOOL_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct work_item {
    void (*run)(struct work_item *item);  /* on a worker thread */
    void (*done)(struct work_item *item); /* on the loop thread, after run */
    struct work_item *next;
};

struct workers {
    uv_loop_t *loop;
    uv_async_t async;
    uv_mutex_t lock;
    uv_cond_t wake;
    struct work_item *todo_head, *todo_tail; /* waiting for a thread */
    struct work_item *done_head, *done_tail; /* run, waiting for the loop */
    bool progress_noted;
    uv_thread_t *threads;
    size_t nthreads, threads_cap;
    size_t idle; /* threads waiting with no item promised to them */
    bool stopping;
    /* Called on the loop thread after a worker noted progress. */
    void (*on_progress)(void *ctx);
    void *ctx;
};

int workers_init(struct workers *w, uv_loop_t *loop, void (*on_progress)(void *ctx), void *ctx);
/* Queues an item; returns 0, or a negative libuv error when no thread
 * could be started for it (then it is not queued). */
int workers_submit(struct workers *w, struct work_item *item);
/* From a worker: something changed that the loop may want to show. */
void workers_note_progress(struct workers *w);
/* Lets every thread finish its item, joins them, then closes the async
 * handle; closed gets it with close_data in its data field. Call it only
 * when no item is queued or running. */
void workers_close(struct workers *w, uv_close_cb closed, void *close_data);

#endif
