/*
 * Run history in a real SQLite database in a temporary directory: what a
 * run records, what --rerun-failed and --order=longest read back, two
 * writers at once, and databases that cannot be used.
 */
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repopool/history.h"

struct rows {
    const struct history_task *tasks;
    size_t n, next;
};

static bool next_row(void *ctx, struct history_task *t)
{
    struct rows *r = ctx;
    if (r->next == r->n)
        return false;
    *t = r->tasks[r->next++];
    return true;
}

static char dir[] = "/tmp/repopool-history-XXXXXX";

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/repopool-history-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", dir, dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void db_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static int record(struct history *h, const char *work, const char *selection, const struct history_task *tasks,
                  size_t n)
{
    struct history_run run = {.started = 1000, .ended = 1010, .args = "repopool", .work = work,
                              .selection = selection, .ok = 1, .failed = 1};
    struct rows rows = {tasks, n, 0};
    struct strbuf warn;
    strbuf_init(&warn);
    int rc = history_record(h, &run, next_row, &rows, &warn);
    strbuf_free(&warn);
    return rc;
}

static void collect(void *ctx, const char *repo)
{
    struct strbuf *sb = ctx;
    strbuf_printf(sb, "%s;", repo);
}

static void the_last_runs_failures_come_back(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "state/repopool/history.sqlite"); /* directories made */
    struct strbuf warn, got;
    strbuf_init(&warn);
    strbuf_init(&got);
    struct history *h = history_open(path, &warn);
    assert_non_null(h);
    const struct history_task first[] = {
        {"/r/a", "ok", "none", 1, 0.5, 0}, {"/r/b", "failed", "network", 3, 1.0, 0}, {"/r/c", "failed", "auth", 1, 0.1, 0},
    };
    const struct history_task second[] = {
        {"/r/a", "ok", "none", 1, 0.4, 0}, {"/r/b", "ok", "none", 1, 2.0, 0}, {"/r/c", "cancelled", "none", 0, 0, 0},
    };
    assert_int_equal(record(h, "git fetch", "sel1", first, 3), 0);
    assert_int_equal(record(h, "git status", "sel1", first, 1), 0);
    assert_int_equal(history_failed_last(h, "git fetch", "sel1", collect, &got, &warn), 1);
    assert_string_equal(got.data, "/r/b;/r/c;");
    assert_int_equal(record(h, "git fetch", "sel1", second, 3), 0);
    strbuf_reset(&got);
    assert_int_equal(history_failed_last(h, "git fetch", "sel1", collect, &got, &warn), 1);
    assert_string_equal(got.data, "/r/c;");
    /* Another selection has no runs. */
    strbuf_reset(&got);
    assert_int_equal(history_failed_last(h, "git fetch", "sel2", collect, &got, &warn), 0);
    assert_int_equal(got.len, 0);
    history_close(h);
    strbuf_free(&warn);
    strbuf_free(&got);
}

static void sum_durations(void *ctx, const char *repo, double seconds)
{
    struct strbuf *sb = ctx;
    strbuf_printf(sb, "%s=%.1f;", repo, seconds);
}

static void durations_are_the_newest_ok_ones(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "d.sqlite");
    struct strbuf warn, got;
    strbuf_init(&warn);
    strbuf_init(&got);
    struct history *h = history_open(path, &warn);
    assert_non_null(h);
    const struct history_task one[] = {{"/x", "ok", "none", 1, 3.0, 0}, {"/y", "ok", "none", 1, 1.0, 0}};
    const struct history_task two[] = {{"/x", "ok", "none", 1, 5.0, 0}, {"/y", "failed", "exit", 1, 9.0, 0}};
    record(h, "command: make", "s", one, 2);
    record(h, "command: make", "s", two, 2);
    assert_int_equal(history_last_durations(h, "command: make", sum_durations, &got, &warn), 0);
    assert_non_null(strstr(got.data, "/x=5.0;"));
    assert_non_null(strstr(got.data, "/y=1.0;"));
    history_close(h);
    strbuf_free(&warn);
    strbuf_free(&got);
}

static void two_writers_at_once_lose_nothing(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "both.sqlite");
    struct strbuf warn;
    strbuf_init(&warn);
    history_close(history_open(path, &warn)); /* created before the race */
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            struct history *h = history_open(path, &warn);
            int bad = !h;
            static const struct history_task t[] = {{"/r", "failed", "exit", 1, 0.1, 0}};
            for (int i = 0; i < 50 && h; i++)
                bad |= record(h, k ? "w1" : "w0", "s", t, 1) != 0;
            history_close(h);
            _exit(bad);
        }
    }
    for (int k = 0; k < 2; k++) {
        int status;
        waitpid(kids[k], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    struct history *h = history_open(path, &warn);
    assert_non_null(h);
    char out[64 * 1024];
    FILE *f = fmemopen(out, sizeof(out), "w");
    assert_int_equal(history_list_runs(h, f, 1000, &warn), 0);
    fclose(f);
    size_t lines = 0;
    for (char *p = out; (p = strchr(p, '\n')); p++)
        lines++;
    assert_int_equal(lines, 100);
    history_close(h);
    strbuf_free(&warn);
}

static void unusable_databases_warn_once(void **state)
{
    (void)state;
    char path[256];
    struct strbuf warn;
    strbuf_init(&warn);
    /* Not a database. */
    db_path(path, sizeof(path), "corrupt.sqlite");
    FILE *f = fopen(path, "w");
    fputs("this is not a database, but a text file long enough to have a header..........\n", f);
    fclose(f);
    assert_null(history_open(path, &warn));
    assert_non_null(strstr(warn.data, "corrupt.sqlite"));
    assert_null(strchr(warn.data, '\n'));
    /* In a directory nobody may write (root may: then it just works). */
    strbuf_reset(&warn);
    char ro[256];
    db_path(ro, sizeof(ro), "ro");
    mkdir(ro, 0500);
    db_path(path, sizeof(path), "ro/h.sqlite");
    struct history *h = history_open(path, &warn);
    if (geteuid() != 0) {
        assert_null(h);
        assert_non_null(strstr(warn.data, "ro/h.sqlite"));
    }
    history_close(h);
    /* A run that does not exist. */
    strbuf_reset(&warn);
    db_path(path, sizeof(path), "d2.sqlite");
    h = history_open(path, &warn);
    assert_non_null(h);
    assert_int_equal(history_show_run(h, 42, stdout, &warn), -2);
    assert_non_null(strstr(warn.data, "no such run"));
    history_close(h);
    strbuf_free(&warn);
}

static void a_run_shows_its_line_and_its_failures(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "show.sqlite");
    struct strbuf warn;
    strbuf_init(&warn);
    struct history *h = history_open(path, &warn);
    assert_non_null(h);
    const struct history_task tasks[] = {
        {"/r/ok", "ok", "none", 1, 0.5, 0}, {"/r/\x1b[31mred", "failed", "network", 3, 1.25, 0},
    };
    assert_int_equal(record(h, "git fetch", "s", tasks, 2), 0);
    char out[4096];
    FILE *f = fmemopen(out, sizeof(out), "w");
    assert_int_equal(history_show_run(h, 1, f, &warn), 0);
    fclose(f);
    /* The run (its work, counts, exit and command line), then the one
     * failure, its escape sequence made harmless. */
    assert_non_null(strstr(out, "git fetch: 1 ok, 1 failed, 0 skipped, 0 cancelled; exit 0; repopool\n"));
    assert_non_null(strstr(out, "failed    network       3     1.25s  /r/"));
    assert_null(strchr(out, '\x1b'));
    assert_null(strstr(out, "/r/ok"));
    history_close(h);
    strbuf_free(&warn);
}

static void only_the_latest_runs_are_kept(void **state)
{
    (void)state;
    char path[256];
    db_path(path, sizeof(path), "keep.sqlite");
    struct strbuf warn, got;
    strbuf_init(&warn);
    strbuf_init(&got);
    struct history *h = history_open(path, &warn);
    assert_non_null(h);
    const struct history_task old[] = {{"/old", "ok", "none", 1, 7.0, 0}, {"/new", "ok", "none", 1, 7.0, 0}};
    const struct history_task one[] = {{"/new", "ok", "none", 1, 1.0, 0}};
    const struct history_task big[] = {{"/a", "ok", "none", 1, 1.0, 0}, {"/b", "ok", "none", 1, 1.0, 0},
                                       {"/c", "ok", "none", 1, 1.0, 0}, {"/d", "ok", "none", 1, 1.0, 0}};
    /* By runs: 3 kept, so the first of four goes, and its tasks with it. */
    history_keep(h, 3, 100);
    assert_int_equal(record(h, "w", "s", old, 2), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(record(h, "w", "s", one, 1), 0);
    assert_int_equal(history_show_run(h, 1, stdout, &warn), -2);
    strbuf_reset(&warn);
    assert_int_equal(history_last_durations(h, "w", sum_durations, &got, &warn), 0);
    assert_string_equal(got.data, "/new=1.0;");
    /* By tasks: 5 kept, so a run of 4 leaves room for one more run of 1;
     * a run larger than that alone is kept all the same. */
    history_keep(h, 100, 5);
    assert_int_equal(record(h, "w", "s", big, 4), 0);
    assert_int_equal(history_show_run(h, 3, stdout, &warn), -2);
    strbuf_reset(&warn);
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(history_show_run(h, 4, null, &warn), 0);
    history_keep(h, 100, 2);
    assert_int_equal(record(h, "w", "s", big, 4), 0);
    assert_int_equal(history_show_run(h, 5, null, &warn), -2);
    strbuf_reset(&warn);
    assert_int_equal(history_show_run(h, 6, null, &warn), 0);
    fclose(null);
    history_close(h);
    strbuf_free(&warn);
    strbuf_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_last_runs_failures_come_back, setup, teardown),
        cmocka_unit_test_setup_teardown(durations_are_the_newest_ok_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(two_writers_at_once_lose_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(unusable_databases_warn_once, setup, teardown),
        cmocka_unit_test_setup_teardown(a_run_shows_its_line_and_its_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(only_the_latest_runs_are_kept, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
