#include "repopool/history.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repopool/sanitize.h"
#include "repopool/userfiles.h"
#include "repopool/xalloc.h"

/* A second run holding the write lock finishes its one transaction in
 * milliseconds; past this, the run goes on without recording. */
#define BUSY_TIMEOUT_MS 2000
/* Durations are looked for in this many of the latest runs of a work. */
#define DURATION_RUNS 50

struct history {
    sqlite3 *db;
    char *path;
    unsigned keep_runs;
    unsigned long keep_tasks;
};

/* A repository's path is stored once (repo), and each task names it by
 * id: a fleet run every day repeats the same paths, which would otherwise
 * be most of the database. run.tasks counts a run's tasks, so that what
 * is kept can be bounded without counting rows. */
static const char schema[] =
    "CREATE TABLE IF NOT EXISTS repo ("
    "  id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS run ("
    "  id INTEGER PRIMARY KEY,"
    "  started REAL NOT NULL, ended REAL NOT NULL,"
    "  args TEXT NOT NULL, work TEXT NOT NULL, selection TEXT NOT NULL,"
    "  ok INTEGER NOT NULL, failed INTEGER NOT NULL, skipped INTEGER NOT NULL, cancelled INTEGER NOT NULL,"
    "  exit_status INTEGER NOT NULL, tasks INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS task ("
    "  run INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  repo INTEGER NOT NULL REFERENCES repo(id), status TEXT NOT NULL, class TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL, duration REAL NOT NULL, bytes INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS run_by_work ON run(work, selection, id);"
    "CREATE INDEX IF NOT EXISTS task_by_run ON task(run);";

static int warn_db(struct history *h, struct strbuf *warn, const char *doing)
{
    strbuf_printf(warn, "repopool: history %s: %s: %s", h->path, doing, sqlite3_errmsg(h->db));
    return -1;
}

bool history_default_path(struct strbuf *out)
{
    return userfiles_path(out, "XDG_STATE_HOME", ".local/state", "history.sqlite");
}

struct history *history_open(const char *path, struct strbuf *warn)
{
    struct history *h = xcalloc(1, sizeof(*h));
    h->path = xstrdup(path);
    h->keep_runs = HISTORY_KEEP_RUNS;
    h->keep_tasks = HISTORY_KEEP_TASKS;
    userfiles_make_parents(path);
    int rc = sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_busy_timeout(h->db, BUSY_TIMEOUT_MS);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
                          NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(h->db, schema, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        if (h->db)
            warn_db(h, warn, "cannot open");
        else
            strbuf_printf(warn, "repopool: history %s: cannot open", path);
        history_close(h);
        return NULL;
    }
    return h;
}

void history_close(struct history *h)
{
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h->path);
    free(h);
}

void history_keep(struct history *h, unsigned runs, unsigned long tasks)
{
    h->keep_runs = runs;
    h->keep_tasks = tasks;
}

/* The id of path in the repo table, added when new; 0 on an error. */
static sqlite3_int64 repo_id(struct history *h, sqlite3_stmt *ins, sqlite3_stmt *sel, const char *path)
{
    sqlite3_int64 id = 0;
    sqlite3_bind_text(ins, 1, path, -1, SQLITE_STATIC);
    if (sqlite3_step(ins) == SQLITE_DONE) {
        if (sqlite3_changes(h->db) > 0) {
            id = sqlite3_last_insert_rowid(h->db);
        } else {
            sqlite3_bind_text(sel, 1, path, -1, SQLITE_STATIC);
            if (sqlite3_step(sel) == SQLITE_ROW)
                id = sqlite3_column_int64(sel, 0);
            sqlite3_reset(sel);
        }
    }
    sqlite3_reset(ins);
    return id;
}

/* Drops the oldest runs (their tasks with them, ON DELETE CASCADE) past
 * keep_runs runs or keep_tasks tasks; the newest run stays, however
 * large. */
static int drop_old_runs(struct history *h)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db,
                                "DELETE FROM run WHERE id <= (SELECT id FROM"
                                "  (SELECT id, ROW_NUMBER() OVER newest AS nth, SUM(tasks) OVER newest AS kept"
                                "   FROM run WINDOW newest AS (ORDER BY id DESC))"
                                "  WHERE nth > 1 AND (nth > ? OR kept > ?) ORDER BY id DESC LIMIT 1)",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)h->keep_runs);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)h->keep_tasks);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

int history_record(struct history *h, const struct history_run *run,
                   bool (*next)(void *ctx, struct history_task *task), void *ctx, struct strbuf *warn)
{
    sqlite3_stmt *ins_run = NULL, *ins_task = NULL, *ins_repo = NULL, *sel_repo = NULL;
    /* IMMEDIATE: take the write lock (or wait for it) before any work. */
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return warn_db(h, warn, "cannot record the run");
    int rc = sqlite3_prepare_v2(h->db,
                                "INSERT INTO run (started, ended, args, work, selection, ok, failed, skipped,"
                                " cancelled, exit_status) VALUES (?,?,?,?,?,?,?,?,?,?)",
                                -1, &ins_run, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_double(ins_run, 1, run->started);
        sqlite3_bind_double(ins_run, 2, run->ended);
        sqlite3_bind_text(ins_run, 3, run->args, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_run, 4, run->work, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_run, 5, run->selection, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins_run, 6, (int)run->ok);
        sqlite3_bind_int(ins_run, 7, (int)run->failed);
        sqlite3_bind_int(ins_run, 8, (int)run->skipped);
        sqlite3_bind_int(ins_run, 9, (int)run->cancelled);
        sqlite3_bind_int(ins_run, 10, run->exit_status);
        rc = sqlite3_step(ins_run) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_int64 id = sqlite3_last_insert_rowid(h->db);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h->db,
                                "INSERT INTO task (run, repo, status, class, attempts, duration, bytes)"
                                " VALUES (?,?,?,?,?,?,?)",
                                -1, &ins_task, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO repo (path) VALUES (?)", -1, &ins_repo, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(h->db, "SELECT id FROM repo WHERE path = ?", -1, &sel_repo, NULL);
    struct history_task t;
    sqlite3_int64 ntasks = 0;
    while (rc == SQLITE_OK && next(ctx, &t)) {
        sqlite3_int64 repo = repo_id(h, ins_repo, sel_repo, t.repo);
        if (repo == 0) {
            rc = SQLITE_ERROR;
            break;
        }
        sqlite3_bind_int64(ins_task, 1, id);
        sqlite3_bind_int64(ins_task, 2, repo);
        sqlite3_bind_text(ins_task, 3, t.status, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins_task, 4, t.cls, -1, SQLITE_STATIC);
        sqlite3_bind_int(ins_task, 5, (int)t.attempts);
        sqlite3_bind_double(ins_task, 6, t.duration);
        sqlite3_bind_int64(ins_task, 7, (sqlite3_int64)t.bytes);
        rc = sqlite3_step(ins_task) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_reset(ins_task);
        ntasks++;
    }
    sqlite3_finalize(ins_run);
    sqlite3_finalize(ins_task);
    sqlite3_finalize(ins_repo);
    sqlite3_finalize(sel_repo);
    if (rc == SQLITE_OK) {
        char update[96];
        snprintf(update, sizeof(update), "UPDATE run SET tasks = %lld WHERE id = %lld", (long long)ntasks,
                 (long long)id);
        rc = sqlite3_exec(h->db, update, NULL, NULL, NULL);
    }
    /* A daily tool's state must not grow for ever. */
    if (rc == SQLITE_OK)
        rc = drop_old_runs(h);
    if (rc == SQLITE_OK && sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    warn_db(h, warn, "cannot record the run");
    sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int history_failed_last(struct history *h, const char *work, const char *selection,
                        void (*fn)(void *ctx, const char *repo), void *ctx, struct strbuf *warn)
{
    sqlite3_stmt *st = NULL;
    int found = 0;
    int rc = sqlite3_prepare_v2(h->db,
                                "SELECT id FROM run WHERE work = ? AND selection = ? ORDER BY id DESC LIMIT 1", -1,
                                &st, NULL);
    sqlite3_int64 run = 0;
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, work, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, selection, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            run = sqlite3_column_int64(st, 0);
            found = 1;
            rc = SQLITE_OK;
        } else if (rc == SQLITE_DONE) {
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc == SQLITE_OK && found)
        rc = sqlite3_prepare_v2(h->db,
                                "SELECT r.path FROM task t JOIN repo r ON r.id = t.repo"
                                " WHERE t.run = ? AND t.status <> 'ok' ORDER BY t.rowid",
                                -1, &st, NULL);
    if (rc == SQLITE_OK && found) {
        sqlite3_bind_int64(st, 1, run);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            fn(ctx, (const char *)sqlite3_column_text(st, 0));
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? found : warn_db(h, warn, "cannot read the last run");
}

int history_last_durations(struct history *h, const char *work,
                           void (*fn)(void *ctx, const char *repo, double seconds), void *ctx, struct strbuf *warn)
{
    sqlite3_stmt *st = NULL;
    /* The newest ok end of each repository among the latest runs of this
     * work: SQLite gives the bare column (duration) of the row that holds
     * MAX(rowid). Bounded to those runs, so the read costs the same
     * however long the history. */
    int rc = sqlite3_prepare_v2(h->db,
                                "SELECT r.path, t.duration, MAX(t.rowid) FROM task t JOIN repo r ON r.id = t.repo"
                                " WHERE t.status = 'ok' AND t.run IN"
                                "  (SELECT id FROM run WHERE work = ? ORDER BY id DESC LIMIT ?)"
                                " GROUP BY t.repo",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, work, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, DURATION_RUNS);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            fn(ctx, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1));
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : warn_db(h, warn, "cannot read past durations");
}

static void format_when(double epoch, char *buf, size_t cap)
{
    time_t t = (time_t)epoch;
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

/* The columns put_run_line reads, in its order. */
#define RUN_COLUMNS "id, started, ended, work, ok, failed, skipped, cancelled, exit_status, args"

/* One run as a line: id, when, how long, what, counts, exit status and
 * the command line; everything from the database is sanitized, since a
 * path or an argument may hold anything. */
static void put_run_line(struct strbuf *line, sqlite3_stmt *st)
{
    char when[32];
    format_when(sqlite3_column_double(st, 1), when, sizeof(when));
    const char *work = (const char *)sqlite3_column_text(st, 3);
    const char *args = (const char *)sqlite3_column_text(st, 9);
    strbuf_reset(line);
    strbuf_printf(line, "%6lld  %s  %7.2fs  ", (long long)sqlite3_column_int64(st, 0), when,
                  sqlite3_column_double(st, 2) - sqlite3_column_double(st, 1));
    sanitize_name(line, work, strlen(work));
    strbuf_printf(line, ": %d ok, %d failed, %d skipped, %d cancelled; exit %d; ", sqlite3_column_int(st, 4),
                  sqlite3_column_int(st, 5), sqlite3_column_int(st, 6), sqlite3_column_int(st, 7),
                  sqlite3_column_int(st, 8));
    sanitize_name(line, args, strlen(args));
}

int history_list_runs(struct history *h, FILE *out, unsigned limit, struct strbuf *warn)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h->db, "SELECT " RUN_COLUMNS " FROM run ORDER BY id DESC LIMIT ?", -1, &st, NULL);
    struct strbuf line;
    strbuf_init(&line);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int(st, 1, (int)limit);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            put_run_line(&line, st);
            fprintf(out, "%s\n", line.data);
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    strbuf_free(&line);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : warn_db(h, warn, "cannot list runs");
}

int history_show_run(struct history *h, int64_t run, FILE *out, struct strbuf *warn)
{
    sqlite3_stmt *st = NULL;
    struct strbuf line;
    strbuf_init(&line);
    int rc = sqlite3_prepare_v2(h->db, "SELECT " RUN_COLUMNS " FROM run WHERE id = ?", -1, &st, NULL);
    bool exists = false;
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run);
        rc = sqlite3_step(st);
        exists = rc == SQLITE_ROW;
        if (exists)
            put_run_line(&line, st);
        rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (rc != SQLITE_OK) {
        strbuf_free(&line);
        return warn_db(h, warn, "cannot read the run");
    }
    if (!exists) {
        strbuf_free(&line);
        strbuf_printf(warn, "repopool: --history=%lld: no such run in %s", (long long)run, h->path);
        return -2;
    }
    /* The run, then the tasks that did not end ok. */
    fprintf(out, "%s\n", line.data);
    rc = sqlite3_prepare_v2(h->db,
                            "SELECT r.path, t.status, t.class, t.attempts, t.duration FROM task t"
                            " JOIN repo r ON r.id = t.repo WHERE t.run = ? AND t.status <> 'ok' ORDER BY t.rowid",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *repo = (const char *)sqlite3_column_text(st, 0);
            strbuf_reset(&line);
            strbuf_printf(&line, "  %-9s %-12s %2d  %7.2fs  ", (const char *)sqlite3_column_text(st, 1),
                          (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3),
                          sqlite3_column_double(st, 4));
            sanitize_name(&line, repo, strlen(repo));
            fprintf(out, "%s\n", line.data);
        }
        rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
    }
    strbuf_free(&line);
    sqlite3_finalize(st);
    return rc == SQLITE_OK ? 0 : warn_db(h, warn, "cannot read the run");
}
