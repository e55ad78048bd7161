/*
 * The feed: sources read on their own thread and handed to the loop in
 * order, the end told once (with the reason when a list was refused), and
 * a feed stopped while its reader waits on a silent pipe ends at once.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/feed.h"

#define FORMAT(buf, ...)                                                           \
    do {                                                                           \
        int format_n_ = snprintf((buf), sizeof(buf), __VA_ARGS__);                 \
        assert_true(format_n_ >= 0 && (size_t)format_n_ < sizeof(buf));            \
    } while (0)

struct fixture {
    char dir[64];
    uv_loop_t loop;
};

/* What the loop was told. */
struct got {
    struct feed *feed;
    struct strbuf texts; /* each entry's text and a newline */
    size_t entries, batches, ends;
    size_t batch_bytes, max_batch_bytes; /* of text, in one handover */
    bool slow_start;
    struct strbuf error;
    bool stop_after_first;
};

static void on_entry(void *ctx, const struct feed_entry *e)
{
    struct got *g = ctx;
    strbuf_add(&g->texts, e->text, e->len);
    strbuf_putc(&g->texts, '\n');
    /* Resolved paths say what they found; labels why they fail. */
    if (!e->error && e->text[0] == '/' && strstr(e->text, "missing") == NULL)
        assert_true(e->id.exists);
    g->entries++;
    g->batch_bytes += e->len + 1;
    /* A loop busy elsewhere: the reader gets ahead and must wait. */
    if (g->slow_start && g->entries == 1)
        usleep(100 * 1000);
    if (g->stop_after_first)
        feed_stop(g->feed);
}

static void on_batch(void *ctx)
{
    struct got *g = ctx;
    g->batches++;
    if (g->batch_bytes > g->max_batch_bytes)
        g->max_batch_bytes = g->batch_bytes;
    g->batch_bytes = 0;
}

static void on_end(void *ctx, const char *error)
{
    struct got *g = ctx;
    g->ends++;
    if (error)
        strbuf_puts(&g->error, error);
}

static const struct feed_callbacks callbacks = {on_entry, on_batch, on_end, NULL};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->dir, "/tmp/repopool-feed-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(uv_loop_init(&f->loop), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = uv_loop_close(&f->loop);
    char cmd[128];
    FORMAT(cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0 || rc != 0)
        return -1;
    free(f);
    return 0;
}

static void got_init(struct got *g, struct feed *feed)
{
    memset(g, 0, sizeof(*g));
    g->feed = feed;
    strbuf_init(&g->texts);
    strbuf_init(&g->error);
}

static void got_free(struct got *g)
{
    strbuf_free(&g->texts);
    strbuf_free(&g->error);
}

/* Starts the feed and runs the loop until the feed has told its end. */
static void run_feed(struct fixture *f, struct feed *feed, struct got *g)
{
    struct feed_callbacks cb = callbacks;
    cb.ctx = g;
    assert_int_equal(feed_start(feed, &f->loop, &cb), 0);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(g->ends, 1);
}

static void write_file(const char *path, const char *text)
{
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(text, out);
    fclose(out);
}

static void sources_come_in_the_order_they_were_added(void **state)
{
    struct fixture *f = *state;
    char a[PATH_MAX], b[PATH_MAX], list[PATH_MAX], text[3 * PATH_MAX], want[8 * PATH_MAX];
    FORMAT(a, "%s/a", f->dir);
    FORMAT(b, "%s/b", f->dir);
    FORMAT(list, "%s/list", f->dir);
    assert_int_equal(mkdir(a, 0700), 0);
    assert_int_equal(mkdir(b, 0700), 0);
    FORMAT(text, "# a list\n%s/\n%s/missing\n\n%s/./b\n", b, f->dir, f->dir);
    write_file(list, text);

    struct feed *feed = feed_new(f->dir);
    feed_add_path(feed, a);
    feed_add_path(feed, "b/.git"); /* relative to the feed's directory */
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, list, &err), 0);
    feed_add_path(feed, "");
    feed_add_path(feed, a);
    struct got g;
    got_init(&g, feed);
    run_feed(f, feed, &g);
    /* Resolved, not yet deduplicated (that is the list's job), labels as
     * they were given. */
    FORMAT(want, "%s\n%s\n%s\n%s/missing\n%s\n\n%s\n", a, b, b, f->dir, b, a);
    assert_string_equal(g.texts.data, want);
    assert_int_equal(g.entries, 7);
    assert_true(g.batches >= 1);
    assert_int_equal(g.error.len, 0);
    got_free(&g);
    strbuf_free(&err);
    feed_free(feed);
}

static void a_list_that_cannot_be_opened_is_named(void **state)
{
    struct fixture *f = *state;
    char list[PATH_MAX];
    FORMAT(list, "%s/no-such-list", f->dir);
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, list, &err), -1);
    assert_non_null(strstr(err.data, list));
    assert_non_null(strstr(err.data, strerror(ENOENT)));
    strbuf_free(&err);
    feed_free(feed);
}

static void a_list_that_cannot_be_read_ends_with_the_reason(void **state)
{
    struct fixture *f = *state;
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    /* A directory opens, and fails on the first read. */
    assert_int_equal(feed_add_list(feed, f->dir, &err), 0);
    struct got g;
    got_init(&g, feed);
    run_feed(f, feed, &g);
    assert_int_equal(g.entries, 0);
    char want[PATH_MAX + 64];
    FORMAT(want, "repopool: %s: %s", f->dir, strerror(EISDIR));
    assert_string_equal(g.error.data, want);
    got_free(&g);
    strbuf_free(&err);
    feed_free(feed);
}

static void a_long_list_arrives_whole_and_in_order(void **state)
{
    struct fixture *f = *state;
    enum { N = 20000 };
    char list[PATH_MAX];
    FORMAT(list, "%s/long-list", f->dir);
    struct strbuf text;
    strbuf_init(&text);
    /* Far more than one handover holds: the reader waits for the loop. */
    for (int i = 0; i < N; i++)
        strbuf_printf(&text, "%s/missing/some-rather-long-directory-name-%06d\n", f->dir, i);
    assert_true(text.len > 4 * FEED_PENDING_LIMIT);
    write_file(list, text.data);
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, list, &err), 0);
    struct got g;
    got_init(&g, feed);
    g.slow_start = true;
    run_feed(f, feed, &g);
    assert_int_equal(g.entries, N);
    assert_true(g.batches > 1);
    /* Never more waiting than the limit and one entry. */
    assert_true(g.max_batch_bytes <= FEED_PENDING_LIMIT + PATH_MAX);
    assert_string_equal(g.texts.data, text.data);
    got_free(&g);
    strbuf_free(&text);
    strbuf_free(&err);
    feed_free(feed);
}

static void waiting_for_the_end_before_the_loop_never_deadlocks(void **state)
{
    struct fixture *f = *state;
    char list[PATH_MAX];
    FORMAT(list, "%s/list", f->dir);
    struct strbuf text;
    strbuf_init(&text);
    for (int i = 0; text.len < 3 * FEED_PENDING_LIMIT; i++)
        strbuf_printf(&text, "%s/missing-%d\n", f->dir, i);
    write_file(list, text.data);
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, list, &err), 0);
    struct got g;
    got_init(&g, feed);
    struct feed_callbacks cb = callbacks;
    cb.ctx = &g;
    assert_int_equal(feed_start(feed, &f->loop, &cb), 0);
    /* As for a list typed on the terminal: the whole of it, loop or not. */
    struct feed_progress p = feed_wait(feed, true);
    assert_true(p.ended && p.entries);
    assert_null(p.error);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_string_equal(g.texts.data, text.data);
    got_free(&g);
    strbuf_free(&text);
    strbuf_free(&err);
    feed_free(feed);
}

static void an_empty_list_ends_with_nothing(void **state)
{
    struct fixture *f = *state;
    char list[PATH_MAX];
    FORMAT(list, "%s/empty", f->dir);
    write_file(list, "# nothing here\n\n   \n");
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, list, &err), 0);
    struct got g;
    got_init(&g, feed);
    struct feed_callbacks cb = callbacks;
    cb.ctx = &g;
    assert_int_equal(feed_start(feed, &f->loop, &cb), 0);
    struct feed_progress p = feed_wait(feed, false);
    assert_true(p.ended);
    assert_false(p.entries);
    assert_null(p.error);
    assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(g.entries, 0);
    assert_int_equal(g.ends, 1);
    got_free(&g);
    strbuf_free(&err);
    feed_free(feed);
}

/* A pipe that says one line and then nothing, its writer still there:
 * the reader waits in poll, and a stop wakes it. */
static void a_stop_ends_a_reader_waiting_on_a_silent_pipe(void **state)
{
    struct fixture *f = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    char fifo[PATH_MAX], line[PATH_MAX + 2];
    FORMAT(fifo, "/dev/fd/%d", fds[0]);
    FORMAT(line, "%s\n", f->dir);
    assert_int_equal(write(fds[1], line, strlen(line)), (ssize_t)strlen(line));
    struct feed *feed = feed_new(f->dir);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(feed_add_list(feed, fifo, &err), 0);
    close(fds[0]);
    struct got g;
    got_init(&g, feed);
    g.stop_after_first = true;
    run_feed(f, feed, &g);
    assert_int_equal(g.entries, 1);
    assert_int_equal(g.error.len, 0);
    close(fds[1]);
    got_free(&g);
    strbuf_free(&err);
    feed_free(feed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sources_come_in_the_order_they_were_added, setup, teardown),
        cmocka_unit_test_setup_teardown(a_list_that_cannot_be_opened_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(a_list_that_cannot_be_read_ends_with_the_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(a_long_list_arrives_whole_and_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(waiting_for_the_end_before_the_loop_never_deadlocks, setup, teardown),
        cmocka_unit_test_setup_teardown(an_empty_list_ends_with_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(a_stop_ends_a_reader_waiting_on_a_silent_pipe, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
