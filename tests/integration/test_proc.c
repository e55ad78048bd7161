/*
 * Integration tests of the command backend with real processes: a private
 * libuv loop, the real runner and proc backend, temporary directories as
 * repositories. They check what a user would notice (output, exit codes,
 * timeouts, nothing left running) and what a long run would suffer from
 * (leaked descriptors, zombies, handles left open).
 *
 * No assertion depends on timing: slow machines only make the tests slower.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "repopool/outbuf.h"
#include "repopool/proc.h"
#include "repopool/repos.h"
#include "repopool/report.h"
#include "repopool/runner.h"
#include "repopool/sched.h"

#define MAX_DIRS 32
#define MAX_FDS 1024

/* --- small helpers --- */

static char base_dir[PATH_MAX];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    /* Make an unreadable directory removable again. */
    chmod(path, 0700);
    remove(path);
    return 0;
}

/* dst = dir/name; a path that does not fit fails the test. */
static void join_path(char *dst, size_t size, const char *dir, const char *name)
{
    int n = snprintf(dst, size, "%s/%s", dir, name);
    assert_true(n > 0 && (size_t)n < size);
}

static void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Makes a fresh directory under base_dir and returns its path (static
 * storage per slot, so the caller may keep several). */
static const char *make_dir(const char *name)
{
    static char paths[MAX_DIRS][PATH_MAX];
    static unsigned next;
    char *p = paths[next++ % MAX_DIRS];
    join_path(p, PATH_MAX, base_dir, name);
    assert_int_equal(mkdir(p, 0755), 0);
    return p;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[PATH_MAX];
    join_path(path, sizeof(path), dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
}

/* The descriptors open in this process, as a bitmap over [0, MAX_FDS). */
static int list_fds(bool open_fds[MAX_FDS])
{
    memset(open_fds, 0, MAX_FDS * sizeof(bool));
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int self = dirfd(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        int fd = atoi(e->d_name);
        if (fd == self)
            continue;
        if (fd >= 0 && fd < MAX_FDS)
            open_fds[fd] = true;
        n++;
    }
    closedir(d);
    return n;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* True while a process that is not a zombie belongs to group pgid. */
static bool group_has_live_member(pid_t pgid)
{
    DIR *d = opendir("/proc");
    assert_non_null(d);
    bool live = false;
    struct dirent *e;
    while (!live && (e = readdir(d)) != NULL) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        char path[sizeof(e->d_name) + 16], buf[512];
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* pid (comm) state ppid pgrp ...; comm may hold anything, so
         * parse from the last ')'. */
        char *p = strrchr(buf, ')');
        char state;
        int ppid, pgrp;
        if (p && sscanf(p + 1, " %c %d %d", &state, &ppid, &pgrp) == 3 && pgrp == pgid &&
            state != 'Z' && state != 'X')
            live = true;
    }
    closedir(d);
    return live;
}

/*
 * Waits until group pgid is gone entirely: kill(-pgid, 0) fails with ESRCH.
 * A killed grandchild may still be on its way out when the run ends (its
 * SIGKILL pending, its descriptors closed), and killed orphans are reaped by
 * init, which may take a moment: so this polls, with a deadline that only
 * guards against hanging. A process that survives its SIGKILL or was never
 * sent one keeps the group alive past the deadline.
 */
static void assert_group_gone(pid_t pgid)
{
    assert_true(pgid > 1);
    bool live = true;
    for (int i = 0; i < 200 && live; i++) {
        live = group_has_live_member(pgid);
        if (live)
            sleep_ms(50);
    }
    assert_false(live);
    for (int i = 0; i < 400; i++) {
        if (kill(-pgid, 0) < 0 && errno == ESRCH)
            return;
        sleep_ms(50);
    }
    assert_int_equal(kill(-pgid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

/* --- one run of the real runner and proc backend --- */

struct run {
    uv_loop_t loop;
    struct repo_list repos;
    struct report rep;
    struct runner runner;
    FILE *out;
    int status;
    int nfds_before;
    bool fds_before[MAX_FDS];
};

static struct sched_config default_config(unsigned cap)
{
    return (struct sched_config){.cap = cap, .max_cap = 256, .seed = 1};
}

static void run_init(struct run *r, const char *const *paths, size_t n,
                     const struct sched_config *cfg)
{
    memset(r, 0, sizeof(*r));
    r->nfds_before = list_fds(r->fds_before);
    repos_init(&r->repos);
    for (size_t i = 0; i < n; i++)
        repos_add_path(&r->repos, paths[i]);
    r->out = fopen("/dev/null", "we");
    assert_non_null(r->out);
    report_init(&r->rep, r->out, REPORT_JSON, false, "command");
    assert_int_equal(uv_loop_init(&r->loop), 0);
    assert_int_equal(runner_init(&r->runner, &r->loop, cfg, &r->repos, &r->rep), 0);
    r->runner.keep_output = true;
}

static void run_exec(struct run *r, char **argv, bool shell, double kill_grace,
                     double drain_grace)
{
    size_t argc = 0;
    while (argv[argc])
        argc++;
    struct proc_options opt = {
        .argv = argv,
        .argc = argc,
        .shell = shell,
        .kill_grace = kill_grace,
        .drain_grace = drain_grace,
    };
    struct backend *b = proc_backend_new(&r->runner, &r->loop, &opt);
    assert_non_null(b);
    r->status = runner_run(&r->runner, b);
}

/* Frees the run and checks it left nothing behind: no handle open on the
 * loop, no zombie, no descriptor. */
static void run_free(struct run *r)
{
    runner_free(&r->runner);
    assert_int_equal(uv_loop_close(&r->loop), 0);
    report_close(&r->rep);
    fclose(r->out);
    repos_free(&r->repos);

    int st;
    errno = 0;
    pid_t w = waitpid(-1, &st, WNOHANG);
    if (w < 0)
        assert_int_equal(errno, ECHILD);
    else
        assert_int_equal(w, 0); /* a child that was never reaped */

    bool after[MAX_FDS];
    int nfds_after = list_fds(after);
    for (int fd = 0; fd < MAX_FDS; fd++) {
        if (after[fd] && !r->fds_before[fd])
            print_error("descriptor %d leaked\n", fd);
    }
    assert_int_equal(nfds_after, r->nfds_before);
    assert_memory_equal(after, r->fds_before, sizeof(after));
}

static struct task *task_of(struct run *r, uint32_t id)
{
    assert_true(id < r->runner.sched.ntasks);
    return sched_task(&r->runner.sched, id);
}

/* The captured output of task id as a NUL-terminated string (static). */
static const char *output_of(struct run *r, uint32_t id)
{
    static char buf[OUTBUF_DEFAULT_LIMIT + 1];
    struct task *t = task_of(r, id);
    if (!t->out)
        return "";
    size_t n = outbuf_copy(t->out, buf, sizeof(buf) - 1);
    buf[n] = '\0';
    return buf;
}

static pid_t first_line_pid(struct run *r, uint32_t id)
{
    long pid = strtol(output_of(r, id), NULL, 10);
    assert_true(pid > 1);
    return (pid_t)pid;
}

static void assert_summary(struct task *t, const char *expected)
{
    assert_non_null(t->summary);
    assert_string_equal(t->summary, expected);
}

static void assert_summary_prefix(struct task *t, const char *prefix)
{
    assert_non_null(t->summary);
    if (strncmp(t->summary, prefix, strlen(prefix)) != 0)
        fail_msg("summary '%s' does not start with '%s'", t->summary, prefix);
}

/* --- fixtures --- */

static int setup(void **state)
{
    (void)state;
    snprintf(base_dir, sizeof(base_dir), "%s/repopool-it-XXXXXX",
             getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(base_dir))
        return -1;
    /* Resolve it, so paths compare equal to what repopool reports. */
    char real[PATH_MAX];
    if (!realpath(base_dir, real))
        return -1;
    snprintf(base_dir, sizeof(base_dir), "%s", real);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove_tree(base_dir);
    return 0;
}

/* libuv opens a few process-wide descriptors the first time signals and
 * processes are used and keeps them; one run first keeps them out of the
 * per-test descriptor counts. */
static int group_setup(void **state)
{
    if (setup(state) < 0)
        return -1;
    const char *dir = base_dir;
    struct sched_config cfg = default_config(1);
    struct run r;
    memset(&r, 0, sizeof(r));
    repos_init(&r.repos);
    repos_add_path(&r.repos, dir);
    r.out = fopen("/dev/null", "we");
    report_init(&r.rep, r.out, REPORT_JSON, false, "command");
    uv_loop_init(&r.loop);
    runner_init(&r.runner, &r.loop, &cfg, &r.repos, &r.rep);
    char *argv[] = {"true", NULL};
    struct proc_options opt = {.argv = argv, .argc = 1, .kill_grace = 1, .drain_grace = 0.2};
    int status = runner_run(&r.runner, proc_backend_new(&r.runner, &r.loop, &opt));
    runner_free(&r.runner);
    int rc = uv_loop_close(&r.loop);
    report_close(&r.rep);
    fclose(r.out);
    repos_free(&r.repos);
    teardown(state);
    return status == 0 && rc == 0 ? 0 : -1;
}

/* --- tests --- */

/* stdout and stderr go to one pipe, so the output keeps the order in which
 * the task wrote it, whichever stream it used. */
static void test_output_merged_in_order(void **state)
{
    (void)state;
    const char *dirs[] = {make_dir("repo")};
    struct sched_config cfg = default_config(5);
    struct run r;
    run_init(&r, dirs, 1, &cfg);
    char *argv[] = {"sh", "-c",
                    "echo one; echo two >&2; echo three; echo four >&2; printf five >&2", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 0);
    struct task *t = task_of(&r, 0);
    assert_int_equal(t->state, TASK_OK);
    assert_int_equal(t->cls, RP_CLASS_NONE);
    assert_int_equal(t->exit_code, 0);
    assert_int_equal(t->term_signal, 0);
    assert_string_equal(output_of(&r, 0), "one\ntwo\nthree\nfour\nfive");
    assert_int_equal(t->out->total, strlen("one\ntwo\nthree\nfour\nfive"));
    assert_summary(t, "five");
    run_free(&r);
}

/* The task runs in its repository with REPOPOOL_REPO naming it (overriding
 * any inherited value), GIT_TERMINAL_PROMPT=0, stdin from /dev/null, and
 * none of the runner's descriptors. */
static void test_environment_cwd_stdin(void **state)
{
    (void)state;
    const char *dir = make_dir("repo with space");
    const char *dirs[] = {dir};
    setenv("REPOPOOL_REPO", "/inherited/value", 1);
    setenv("GIT_TERMINAL_PROMPT", "1", 1);
    struct sched_config cfg = default_config(5);
    struct run r;
    run_init(&r, dirs, 1, &cfg);
    char *argv[] = {"sh", "-c",
                    "pwd -P; printf '%s\\n' \"$REPOPOOL_REPO\"; echo \"prompt=$GIT_TERMINAL_PROMPT\"; "
                    "readlink /proc/$$/fd/0; cat; echo after-cat; ls /proc/$$/fd",
                    NULL};
    run_exec(&r, argv, false, 1.0, 0.2);
    unsetenv("REPOPOOL_REPO");
    unsetenv("GIT_TERMINAL_PROMPT");

    assert_int_equal(r.status, 0);
    assert_int_equal(task_of(&r, 0)->state, TASK_OK);
    char expected[4 * PATH_MAX];
    snprintf(expected, sizeof(expected), "%s\n%s\nprompt=0\n/dev/null\nafter-cat\n", dir, dir);
    const char *out = output_of(&r, 0);
    assert_true(strlen(out) >= strlen(expected));
    assert_memory_equal(out, expected, strlen(expected));

    /* The child's descriptors beyond 0-2 may only be ones this process had
     * before the run (inherited from whoever started the test). */
    const char *p = out + strlen(expected);
    while (*p) {
        int fd = atoi(p);
        if (fd > 2) {
            if (fd >= MAX_FDS || !r.fds_before[fd])
                fail_msg("the child inherited descriptor %d from the runner", fd);
        }
        p = strchr(p, '\n');
        if (!p)
            break;
        p++;
    }
    run_free(&r);
}

static void test_exit_codes(void **state)
{
    (void)state;
    const char *a = make_dir("zero"), *b = make_dir("three"), *c = make_dir("forty-two");
    write_file(a, "code", "0", 0644);
    write_file(b, "code", "3", 0644);
    write_file(c, "code", "42", 0644);
    const char *dirs[] = {a, b, c};
    struct sched_config cfg = default_config(3);
    struct run r;
    run_init(&r, dirs, 3, &cfg);
    char *argv[] = {"sh", "-c", "c=$(cat code); echo \"said $c\"; exit $c", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 1);
    struct task *t = task_of(&r, 0);
    assert_int_equal(t->state, TASK_OK);
    assert_int_equal(t->cls, RP_CLASS_NONE);
    assert_int_equal(t->exit_code, 0);
    assert_summary(t, "said 0");

    t = task_of(&r, 1);
    assert_int_equal(t->state, TASK_FAILED);
    assert_int_equal(t->cls, RP_CLASS_EXIT);
    assert_int_equal(t->exit_code, 3);
    assert_int_equal(t->term_signal, 0);
    assert_summary_prefix(t, "exit 3");
    assert_summary(t, "exit 3: said 3");

    t = task_of(&r, 2);
    assert_int_equal(t->state, TASK_FAILED);
    assert_int_equal(t->cls, RP_CLASS_EXIT);
    assert_int_equal(t->exit_code, 42);
    assert_summary_prefix(t, "exit 42");
    assert_int_equal(r.runner.sched.counts[TASK_OK], 1);
    assert_int_equal(r.runner.sched.counts[TASK_FAILED], 2);
    run_free(&r);
}

/* Many quick tasks through a small cap: all ok, exit status 0, the cap
 * never exceeded. */
static void test_many_tasks_all_ok(void **state)
{
    (void)state;
    enum { N = 24 };
    const char *dirs[N];
    char name[32];
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "r%02d", i);
        dirs[i] = make_dir(name);
    }
    struct sched_config cfg = default_config(4);
    struct run r;
    run_init(&r, dirs, N, &cfg);
    char *argv[] = {"sh", "-c", "echo \"$REPOPOOL_REPO\"", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 0);
    assert_int_equal(r.runner.sched.counts[TASK_OK], N);
    assert_true(r.runner.sched.peak_running <= 4);
    assert_true(r.runner.sched.peak_running >= 1);
    for (uint32_t i = 0; i < N; i++) {
        struct task *t = task_of(&r, i);
        assert_int_equal(t->state, TASK_OK);
        assert_int_equal(t->attempt, 1);
        assert_summary(t, dirs[i]);
    }
    run_free(&r);
}

static void test_command_not_found(void **state)
{
    (void)state;
    const char *dir = make_dir("repo");
    write_file(base_dir, "not-executable", "#!/bin/sh\nexit 0\n", 0644);
    char noexec[PATH_MAX];
    join_path(noexec, sizeof(noexec), base_dir, "not-executable");
    const char *dirs[] = {dir};

    char *commands[][2] = {
        {"repopool-no-such-command-4711", NULL},
        {"/nonexistent/dir/repopool-no-such-command", NULL},
        {noexec, NULL},
    };
    const int expected_exit[] = {127, 127, 126};
    for (size_t i = 0; i < 3; i++) {
        struct sched_config cfg = default_config(5);
        struct run r;
        run_init(&r, dirs, 1, &cfg);
        run_exec(&r, commands[i], false, 1.0, 0.2);
        assert_int_equal(r.status, 1);
        struct task *t = task_of(&r, 0);
        assert_int_equal(t->state, TASK_FAILED);
        assert_int_equal(t->cls, RP_CLASS_EXIT);
        assert_int_equal(t->exit_code, expected_exit[i]);
        assert_int_equal(t->term_signal, 0);
        assert_non_null(t->summary);
        assert_non_null(strstr(t->summary, expected_exit[i] == 127 ? "not found" : "permission denied"));
        run_free(&r);
    }
}

/*
 * A task that ignores SIGTERM past its time limit: SIGTERM to the group,
 * then SIGKILL after the grace period. It ends failed with class timeout,
 * and nothing of its process group survives, the grandchild sleep
 * included (it sleeps far longer than the test waits for it to go). Its neighbour obeys SIGTERM and ends the same way, killed by
 * SIGTERM.
 */
static void test_timeout_kills_whole_group(void **state)
{
    (void)state;
    const char *stubborn = make_dir("stubborn"), *polite = make_dir("polite");
    write_file(stubborn, "ignore-term", "", 0644);
    const char *dirs[] = {stubborn, polite};
    struct sched_config cfg = default_config(2);
    cfg.timeout = 0.5;
    struct run r;
    run_init(&r, dirs, 2, &cfg);
    char *argv[] = {"sh", "-c", "if [ -e ignore-term ]; then trap '' TERM; fi; echo $$; sleep 120; echo slept",
                    NULL};
    run_exec(&r, argv, false, 0.5, 0.2);

    assert_int_equal(r.status, 1);
    for (uint32_t i = 0; i < 2; i++) {
        struct task *t = task_of(&r, i);
        assert_int_equal(t->state, TASK_FAILED);
        assert_int_equal(t->cls, RP_CLASS_TIMEOUT);
        assert_int_equal(t->exit_code, -1);
        assert_summary_prefix(t, "timed out");
        assert_int_equal(t->attempt, 1);
        assert_null(strstr(output_of(&r, i), "slept"));
    }
    assert_int_equal(task_of(&r, 0)->term_signal, SIGKILL);
    assert_int_equal(task_of(&r, 1)->term_signal, SIGTERM);
    pid_t pgids[2] = {first_line_pid(&r, 0), first_line_pid(&r, 1)};
    run_free(&r);
    assert_group_gone(pgids[0]);
    assert_group_gone(pgids[1]);
}

/* 100 MB of output costs no more than the limit, and every byte counts. */
static void test_big_output_is_bounded(void **state)
{
    (void)state;
    const char *dirs[] = {make_dir("repo")};
    struct sched_config cfg = default_config(1);
    struct run r;
    run_init(&r, dirs, 1, &cfg);
    char *argv[] = {"head", "-c", "100000000", "/dev/zero", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 0);
    struct task *t = task_of(&r, 0);
    assert_int_equal(t->state, TASK_OK);
    assert_non_null(t->out);
    assert_int_equal(t->out->limit, r.runner.output_limit);
    assert_true(t->out->cap <= t->out->limit);
    assert_true(t->out->len <= t->out->cap);
    assert_int_equal(t->out->total, 100000000u);
    assert_true(outbuf_truncated(t->out));
    run_free(&r);
}

/*
 * The task exits but a background grandchild keeps the output pipe open:
 * the run must not wait for it. Proof without a clock: when the run is
 * over, the grandchild is still alive.
 */
static void test_grandchild_holding_pipe_does_not_hang(void **state)
{
    (void)state;
    const char *dirs[] = {make_dir("repo")};
    struct sched_config cfg = default_config(1);
    struct run r;
    run_init(&r, dirs, 1, &cfg);
    char *argv[] = {"sh", "-c", "sleep 30 & echo $$; echo done", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 0);
    struct task *t = task_of(&r, 0);
    assert_int_equal(t->state, TASK_OK);
    assert_int_equal(t->exit_code, 0);
    assert_summary(t, "done");
    pid_t pgid = first_line_pid(&r, 0);
    bool sleeper_alive = group_has_live_member(pgid);
    /* Clean up before asserting, so a failure leaves nothing running. */
    kill(-pgid, SIGKILL);
    run_free(&r);
    assert_true(sleeper_alive);
    assert_group_gone(pgid);
}

/* A path that is not a usable directory fails its task only. */
static void test_unusable_paths_fail_alone(void **state)
{
    (void)state;
    const char *good = make_dir("good");
    write_file(base_dir, "a-file", "x", 0644);
    char file[PATH_MAX], missing[PATH_MAX];
    join_path(file, sizeof(file), base_dir, "a-file");
    join_path(missing, sizeof(missing), base_dir, "missing");
    const char *dirs[] = {file, good, missing};
    struct sched_config cfg = default_config(5);
    struct run r;
    run_init(&r, dirs, 3, &cfg);
    char *argv[] = {"sh", "-c", "echo ran", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 1);
    struct task *t = task_of(&r, 0);
    assert_int_equal(t->state, TASK_FAILED);
    assert_int_equal(t->cls, RP_CLASS_NOT_A_REPO);
    assert_summary(t, "not a directory");
    assert_null(t->out);
    t = task_of(&r, 1);
    assert_int_equal(t->state, TASK_OK);
    assert_summary(t, "ran");
    t = task_of(&r, 2);
    assert_int_equal(t->state, TASK_FAILED);
    assert_int_equal(t->cls, RP_CLASS_NOT_A_REPO);
    assert_summary(t, strerror(ENOENT));
    run_free(&r);
}

/* --shell: the script text is used as it is ('{}' stays literal) and the
 * path arrives only in $REPOPOOL_REPO. */
static void test_shell_mode(void **state)
{
    (void)state;
    const char *dir = make_dir("it's $(touch PWNED) `touch PWNED`");
    const char *dirs[] = {dir};
    struct sched_config cfg = default_config(1);
    struct run r;
    run_init(&r, dirs, 1, &cfg);
    char *argv[] = {"echo \"{}\"; printf '%s\\n' \"$REPOPOOL_REPO\"", NULL};
    run_exec(&r, argv, true, 1.0, 0.2);

    assert_int_equal(r.status, 0);
    char expected[2 * PATH_MAX];
    snprintf(expected, sizeof(expected), "{}\n%s\n", dir);
    assert_string_equal(output_of(&r, 0), expected);
    char pwned[PATH_MAX];
    join_path(pwned, sizeof(pwned), dir, "PWNED");
    assert_int_equal(access(pwned, F_OK), -1);
    run_free(&r);
}

struct interrupt_ctx {
    uv_timer_t timer;
    struct run *run;
    uint32_t wait_for; /* tasks 0 .. wait_for - 1 must have printed */
    int signum;
};

static void on_interrupt_timer(uv_timer_t *timer)
{
    struct interrupt_ctx *ctx = timer->data;
    for (uint32_t i = 0; i < ctx->wait_for; i++)
        if (!sched_task(&ctx->run->runner.sched, i)->out)
            return;
    uv_close((uv_handle_t *)timer, NULL);
    raise(ctx->signum);
}

/* SIGINT or SIGTERM while tasks run: running ones are stopped, queued ones
 * never start, every task ends cancelled and the status says which signal. */
static void interrupt_run(int signum)
{
    const char *a = make_dir("a"), *b = make_dir("b"), *c = make_dir("c");
    const char *dirs[] = {a, b, c};
    struct sched_config cfg = default_config(2);
    struct run r;
    run_init(&r, dirs, 3, &cfg);

    struct interrupt_ctx ctx = {.run = &r, .wait_for = 2, .signum = signum};
    uv_timer_init(&r.loop, &ctx.timer);
    ctx.timer.data = &ctx;
    uv_timer_start(&ctx.timer, on_interrupt_timer, 10, 10);

    char *argv[] = {"sh", "-c", "echo $$; exec sleep 120", NULL};
    run_exec(&r, argv, false, 1.0, 0.2);

    assert_int_equal(r.status, 128 + signum);
    assert_int_equal(r.runner.sched.counts[TASK_CANCELLED], 3);
    for (uint32_t i = 0; i < 2; i++) {
        struct task *t = task_of(&r, i);
        assert_int_equal(t->state, TASK_CANCELLED);
        assert_int_equal(t->attempt, 1);
        assert_int_equal(t->term_signal, SIGTERM);
        assert_summary(t, "cancelled");
    }
    assert_int_equal(task_of(&r, 2)->state, TASK_CANCELLED);
    assert_int_equal(task_of(&r, 2)->attempt, 0);
    pid_t pgids[2] = {first_line_pid(&r, 0), first_line_pid(&r, 1)};
    run_free(&r);
    assert_group_gone(pgids[0]);
    assert_group_gone(pgids[1]);
}

static void test_sigint_cancels(void **state)
{
    (void)state;
    interrupt_run(SIGINT);
}

static void test_sigterm_cancels(void **state)
{
    (void)state;
    interrupt_run(SIGTERM);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_output_merged_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_environment_cwd_stdin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_tasks_all_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_kills_whole_group, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_output_is_bounded, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grandchild_holding_pipe_does_not_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_paths_fail_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shell_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigint_cancels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigterm_cancels, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
