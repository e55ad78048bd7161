#include "repopool/feed.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repopool/array.h"
#include "repopool/listparse.h"
#include "repopool/xalloc.h"

#define READ_CHUNK 65536

/* One source: a list to read (fd >= 0), or paths named directly. */
struct source {
    int fd;
    bool own_fd;  /* opened here (not standard input): closed when read */
    char *name;   /* for messages */
    char **paths;
    size_t npaths, paths_cap;
};

/* An entry in the handover buffer: this header, then the text and its NUL
 * (and the host and its NUL when host_len), padded so the next header is
 * aligned. */
struct record {
    const char *error; /* a static string, or NULL */
    uint64_t dev, ino;
    uint32_t len;
    uint16_t host_len;
    bool exists;
};

#define RECORD_ALIGN alignof(struct record)

struct feed {
    /* Set up before the thread starts; the thread's alone after. */
    struct source *sources;
    size_t nsources, sources_cap;
    char *cwd;
    int wake[2]; /* feed_stop writes, a reader blocked in poll wakes */
    bool (*host_of)(void *ctx, const char *path, char *host, size_t cap);
    void *host_ctx;

    /* Shared, under lock. */
    uv_mutex_t lock;
    uv_cond_t cond;       /* room in pending; an entry or the end there */
    struct strbuf pending;
    bool done, stop;
    bool unbounded;       /* someone waits for the end without the loop */
    struct strbuf error;  /* why a list was refused */

    /* The loop's. */
    uv_async_t async;
    struct feed_callbacks cb;
    struct strbuf taken;  /* the last batch taken from pending */
    size_t taken_at;      /* where the loop is in it */
    bool done_seen;       /* the thread was done when it was taken */
    bool stopped;         /* feed_stop was called */
    bool end_told;
    uv_thread_t thread;
    bool started;
};

struct feed *feed_new(const char *cwd)
{
    struct feed *f = xcalloc(1, sizeof(*f));
    f->cwd = cwd ? xstrdup(cwd) : NULL;
    f->wake[0] = f->wake[1] = -1;
    strbuf_init(&f->pending);
    strbuf_init(&f->error);
    strbuf_init(&f->taken);
    uv_mutex_init(&f->lock);
    uv_cond_init(&f->cond);
    return f;
}

static struct source *new_source(struct feed *f)
{
    array_reserve((void **)&f->sources, &f->sources_cap, f->nsources + 1, sizeof(*f->sources));
    struct source *s = &f->sources[f->nsources++];
    *s = (struct source){.fd = -1};
    return s;
}

void feed_resolve_hosts(struct feed *f, bool (*host_of)(void *ctx, const char *path, char *host, size_t cap),
                        void *ctx)
{
    f->host_of = host_of;
    f->host_ctx = ctx;
}

void feed_add_path(struct feed *f, const char *path)
{
    struct source *s = f->nsources && f->sources[f->nsources - 1].fd < 0 ? &f->sources[f->nsources - 1]
                                                                        : new_source(f);
    array_reserve((void **)&s->paths, &s->paths_cap, s->npaths + 1, sizeof(*s->paths));
    s->paths[s->npaths++] = xstrdup(path);
}

int feed_add_list(struct feed *f, const char *file, struct strbuf *err)
{
    bool is_stdin = strcmp(file, "-") == 0;
    int fd = is_stdin ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        strbuf_printf(err, "repopool: %s: %s", file, strerror(errno));
        return -1;
    }
    struct source *s = new_source(f);
    s->fd = fd;
    s->own_fd = !is_stdin;
    s->name = xstrdup(is_stdin ? "standard input" : file);
    return 0;
}

/* --- the thread --- */

/* Appends one entry for the loop, waiting while the buffer is full;
 * false once the feed is stopped. */
static bool hand_over(struct feed *f, const char *text, size_t len, const char *error, const struct path_id *id,
                      const char *host)
{
    size_t host_len = host ? strlen(host) : 0;
    size_t body = sizeof(struct record) + len + 1 + (host_len ? host_len + 1 : 0);
    size_t size = (body + RECORD_ALIGN - 1) / RECORD_ALIGN * RECORD_ALIGN;
    uv_mutex_lock(&f->lock);
    while (f->pending.len >= FEED_PENDING_LIMIT && !f->unbounded && !f->stop)
        uv_cond_wait(&f->cond, &f->lock);
    if (f->stop) {
        uv_mutex_unlock(&f->lock);
        return false;
    }
    bool was_empty = f->pending.len == 0;
    char *at = strbuf_extend(&f->pending, size);
    struct record rec = {
        .error = error,
        .dev = id ? (uint64_t)id->dev : 0,
        .ino = id ? (uint64_t)id->ino : 0,
        .len = (uint32_t)len,
        .host_len = (uint16_t)host_len,
        .exists = id && id->exists,
    };
    memcpy(at, &rec, sizeof(rec));
    memcpy(at + sizeof(rec), text, len);
    at[sizeof(rec) + len] = '\0';
    if (host_len)
        memcpy(at + sizeof(rec) + len + 1, host, host_len + 1);
    if (was_empty)
        uv_cond_broadcast(&f->cond); /* feed_wait */
    uv_mutex_unlock(&f->lock);
    /* The loop takes everything at once: one wake-up per empty buffer. */
    if (was_empty)
        uv_async_send(&f->async);
    return true;
}

struct reader {
    struct feed *f;
    struct strbuf path;
    bool stopped;
};

static void take_path(struct reader *rd, const char *given)
{
    size_t label_len;
    const char *refusal = pathres_refusal(given, &label_len);
    if (refusal) {
        rd->stopped = !hand_over(rd->f, given, label_len, refusal, NULL, NULL);
        return;
    }
    struct path_id id;
    pathres_resolve(rd->f->cwd, given, &rd->path, &id);
    /* Hosts are resolved here, off the loop: it reads the repository's
     * config. */
    char host[256];
    bool has_host = id.exists && rd->f->host_of && rd->f->host_of(rd->f->host_ctx, rd->path.data, host, sizeof(host));
    rd->stopped = !hand_over(rd->f, rd->path.data, rd->path.len, NULL, &id, has_host ? host : NULL);
}

static void take_line(void *ctx, const struct list_line *line)
{
    struct reader *rd = ctx;
    if (rd->stopped)
        return;
    if (line->error)
        rd->stopped = !hand_over(rd->f, line->text, line->len, line->error, NULL, NULL);
    else
        take_path(rd, line->text);
}

/* Waits until fd has something to read or the feed is stopped. A regular
 * file is always readable, so this costs one poll per chunk; a pipe or
 * a FIFO that stays silent can still be left when the run is stopped. */
static bool wait_readable(struct feed *f, int fd)
{
    struct pollfd fds[2] = {{.fd = fd, .events = POLLIN}, {.fd = f->wake[0], .events = POLLIN}};
    for (;;) {
        int n = poll(fds, 2, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || fds[1].revents)
            return false;
        if (fds[0].revents)
            return true;
    }
}

/* Reads one list to its end; false when the feed stopped or the list was
 * refused (the reason is in f->error). */
static bool read_list(struct reader *rd, struct source *s, char *chunk, struct listparse *lp)
{
    struct feed *f = rd->f;
    listparse_init(lp);
    for (;;) {
        if (!wait_readable(f, s->fd))
            return false;
        ssize_t n = read(s->fd, chunk, READ_CHUNK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            int err = errno;
            uv_mutex_lock(&f->lock);
            strbuf_printf(&f->error, "repopool: %s: %s", s->name, strerror(err));
            uv_mutex_unlock(&f->lock);
            return false;
        }
        if (n == 0) {
            listparse_end(lp, take_line, rd);
            return !rd->stopped;
        }
        if (listparse_feed(lp, chunk, (size_t)n, take_line, rd) < 0) {
            uv_mutex_lock(&f->lock);
            strbuf_printf(&f->error,
                          "repopool: %s: line %ju: no newline in its first " LISTPARSE_LINE_LIMIT_TEXT
                          ", not a list of paths", s->name, lp->lineno + 1);
            uv_mutex_unlock(&f->lock);
            return false;
        }
        if (rd->stopped)
            return false;
    }
}

static void close_source(struct source *s)
{
    if (s->own_fd && s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    s->own_fd = false;
}

static void feed_main(void *arg)
{
    struct feed *f = arg;
    struct reader rd = {.f = f};
    strbuf_init(&rd.path);
    char *chunk = xmalloc(READ_CHUNK);
    struct listparse *lp = xmalloc(sizeof(*lp));
    bool going = true;
    for (size_t i = 0; i < f->nsources && going; i++) {
        struct source *s = &f->sources[i];
        if (s->fd >= 0) {
            going = read_list(&rd, s, chunk, lp);
            /* Closed as soon as it is read: a list is not held open for
             * the rest of a long run. */
            close_source(s);
        } else {
            for (size_t k = 0; k < s->npaths && !rd.stopped; k++)
                take_path(&rd, s->paths[k]);
            going = !rd.stopped;
        }
    }
    free(lp);
    free(chunk);
    strbuf_free(&rd.path);
    /* Sent under the lock: once the loop has seen done it closes the
     * handle, and the loop may be gone before this thread is joined, so
     * the thread must not touch the handle after that. */
    uv_mutex_lock(&f->lock);
    f->done = true;
    uv_cond_broadcast(&f->cond);
    uv_async_send(&f->async);
    uv_mutex_unlock(&f->lock);
}

/* --- the loop --- */

/* Takes what the thread has handed over into taken; false when there is
 * nothing to take (yet). */
static bool take_batch(struct feed *f)
{
    uv_mutex_lock(&f->lock);
    bool any = f->pending.len > 0 || f->done;
    if (any) {
        /* Swapped, so the thread goes on into an empty buffer while the
         * loop adds what it took, and neither copies. */
        struct strbuf swap = f->pending;
        f->pending = f->taken;
        f->taken = swap;
        strbuf_reset(&f->pending);
        f->taken_at = 0;
        f->done_seen = f->done;
        uv_cond_broadcast(&f->cond); /* room again */
    }
    uv_mutex_unlock(&f->lock);
    return any;
}

static void tell_end(struct feed *f)
{
    f->end_told = true;
    uv_close((uv_handle_t *)&f->async, NULL);
    /* The thread wrote the error before it said it was done. */
    f->cb.end(f->cb.ctx, f->error.len ? f->error.data : NULL);
}

/*
 * Hands entries to the loop, at most FEED_TURN_ENTRIES a turn: a full
 * buffer takes a millisecond or two to add, and between turns the loop
 * flushes the report (so the first start event goes out at once), hears
 * signals and keys, and redraws.
 */
static void on_async(uv_async_t *async)
{
    struct feed *f = async->data;
    size_t budget = FEED_TURN_ENTRIES, since = 0;
    for (;;) {
        if (f->taken_at == f->taken.len) {
            strbuf_reset(&f->taken);
            f->taken_at = 0;
            if (f->done_seen) {
                if (since > 0)
                    f->cb.batch_done(f->cb.ctx);
                tell_end(f);
                return;
            }
            if (!take_batch(f))
                break; /* the thread wakes the loop when it hands more over */
            continue;
        }
        if (f->stopped) { /* what was read but not handed over is dropped */
            f->taken_at = f->taken.len;
            continue;
        }
        if (budget-- == 0) {
            uv_async_send(async); /* more in the next turn */
            break;
        }
        struct record rec;
        memcpy(&rec, f->taken.data + f->taken_at, sizeof(rec));
        struct feed_entry e = {
            .text = f->taken.data + f->taken_at + sizeof(rec),
            .len = rec.len,
            .error = rec.error,
            .id = {rec.exists, (dev_t)rec.dev, (ino_t)rec.ino},
            .host = rec.host_len ? f->taken.data + f->taken_at + sizeof(rec) + rec.len + 1 : NULL,
        };
        f->cb.entry(f->cb.ctx, &e);
        size_t body = sizeof(rec) + rec.len + 1 + (rec.host_len ? rec.host_len + 1u : 0);
        f->taken_at += (body + RECORD_ALIGN - 1) / RECORD_ALIGN * RECORD_ALIGN;
        /* Tasks start as their entries come, not a whole buffer later. */
        if (++since == FEED_BATCH_ENTRIES) {
            since = 0;
            f->cb.batch_done(f->cb.ctx);
        }
    }
    if (since > 0)
        f->cb.batch_done(f->cb.ctx);
}

int feed_start(struct feed *f, uv_loop_t *loop, const struct feed_callbacks *cb)
{
    f->cb = *cb;
    if (pipe2(f->wake, O_CLOEXEC) < 0)
        return -errno;
    int rc = uv_async_init(loop, &f->async, on_async);
    if (rc < 0)
        return rc;
    f->async.data = f;
    /* The thread takes no signal: the loop's handlers hear them all, and
     * its reads and stats are never interrupted. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = uv_thread_create(&f->thread, feed_main, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc < 0) {
        uv_close((uv_handle_t *)&f->async, NULL);
        return rc;
    }
    f->started = true;
    return 0;
}

struct feed_progress feed_wait(struct feed *f, bool until_end)
{
    uv_mutex_lock(&f->lock);
    /* Nothing drains the buffer before the loop runs: a reader that
     * waited for room would wait for ever. */
    if (until_end) {
        f->unbounded = true;
        uv_cond_broadcast(&f->cond);
    }
    while (!f->done && (until_end || f->pending.len == 0))
        uv_cond_wait(&f->cond, &f->lock);
    struct feed_progress p = {
        .entries = f->pending.len > 0,
        .ended = f->done,
        .error = f->done && f->error.len ? f->error.data : NULL,
    };
    uv_mutex_unlock(&f->lock);
    return p;
}

void feed_stop(struct feed *f)
{
    f->stopped = true;
    uv_mutex_lock(&f->lock);
    bool was = f->stop;
    f->stop = true;
    uv_cond_broadcast(&f->cond);
    uv_mutex_unlock(&f->lock);
    if (!was && f->wake[1] >= 0) {
        ssize_t n;
        do
            n = write(f->wake[1], "x", 1);
        while (n < 0 && errno == EINTR);
    }
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    if (f->started)
        uv_thread_join(&f->thread);
    for (size_t i = 0; i < f->nsources; i++) {
        struct source *s = &f->sources[i];
        close_source(s);
        for (size_t k = 0; k < s->npaths; k++)
            free(s->paths[k]);
        free(s->paths);
        free(s->name);
    }
    free(f->sources);
    for (int i = 0; i < 2; i++)
        if (f->wake[i] >= 0)
            close(f->wake[i]);
    uv_cond_destroy(&f->cond);
    uv_mutex_destroy(&f->lock);
    strbuf_free(&f->pending);
    strbuf_free(&f->taken);
    strbuf_free(&f->error);
    free(f->cwd);
    free(f);
}
