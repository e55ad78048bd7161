#include "repopool/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repopool/childproc.h"
#include "repopool/list.h"
#include "repopool/runner.h"
#include "repopool/template.h"
#include "repopool/xalloc.h"

struct proc_job {
    uv_poll_t exit_watch; /* the child's pidfd: readable once it exited */
    int pidfd;
    uv_pipe_t out;
    uv_timer_t timer;   /* kill escalation while it runs, then the drain */
    struct proc_backend *pb;
    struct task *task;
    struct list_link live; /* in pb->live until reported, for kill_all */
    uint32_t id;
    int pid;
    int open_handles;
    bool exited, out_closed, stopping, reported;
    int exit_status;
    int term_signal;
};

struct proc_backend {
    struct backend base;
    struct proc_options opt;
    char **env;           /* environ, adjusted; env[repo_slot] is per task */
    size_t repo_slot;
    struct list live;     /* jobs not yet reported */
    size_t jobs;          /* allocated jobs, live or closing */
    bool closed;
    bool use_sigchld;      /* no pidfds here: SIGCHLD tells of exits */
    uv_signal_t sigchld;
    struct strbuf fail_text; /* why a start failed, until the runner copied it */
    /* The loop reads one pipe at a time, so one buffer serves them all. */
    char read_buf[64 * 1024];
};

static void proc_backend_free(struct proc_backend *pb)
{
    free(pb->env);
    strbuf_free(&pb->fail_text);
    free(pb);
}

static void on_job_closed(uv_handle_t *handle)
{
    struct proc_job *job = handle->data;
    struct proc_backend *pb = job->pb;
    if (--job->open_handles > 0)
        return;
    free(job);
    if (--pb->jobs == 0 && pb->closed)
        proc_backend_free(pb);
}

static void close_output(struct proc_job *job)
{
    if (job->out_closed)
        return;
    job->out_closed = true;
    uv_close((uv_handle_t *)&job->out, on_job_closed);
}

static void signal_group(struct proc_job *job, int signum)
{
    /* The group outlives its leader while members remain, and its id cannot
     * be reused until they are gone, so this reaches only our processes. */
    uv_kill(-job->pid, signum);
}

static void report_job(struct proc_job *job)
{
    struct proc_backend *pb = job->pb;
    struct runner *r = pb->base.runner;
    struct task *t = sched_task(&r->sched, job->id);
    job->reported = true;
    uv_timer_stop(&job->timer);
    uv_close((uv_handle_t *)&job->timer, on_job_closed);
    list_remove(&job->live);
    t->backend_data = NULL;

    char last[512];
    last[0] = '\0';
    if (t->out)
        outbuf_last_line(t->out, last, sizeof(last));
    struct strbuf text;
    strbuf_init(&text);
    struct attempt_result res = {.status = TASK_OK, .cls = RP_CLASS_NONE, .exit_code = -1};
    if (job->term_signal) {
        res.status = TASK_FAILED;
        res.cls = RP_CLASS_SIGNAL;
        res.term_signal = job->term_signal;
        strbuf_printf(&text, "killed by SIG%s%s%s", sigabbrev_np(job->term_signal) ? sigabbrev_np(job->term_signal) : "?",
                      last[0] ? ": " : "", last);
    } else {
        res.exit_code = (int)job->exit_status;
        if (job->exit_status != 0) {
            res.status = TASK_FAILED;
            res.cls = RP_CLASS_EXIT;
            strbuf_printf(&text, "exit %d%s%s", res.exit_code, last[0] ? ": " : "", last);
        } else {
            strbuf_puts(&text, last);
        }
    }
    res.summary = text.data;
    res.summary_len = text.len;
    runner_attempt_done(r, job->id, &res);
    strbuf_free(&text);
}

static void maybe_report(struct proc_job *job)
{
    if (job->exited && job->out_closed && !job->reported)
        report_job(job);
}

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct proc_job *job = handle->data;
    (void)suggested;
    *buf = uv_buf_init(job->pb->read_buf, sizeof(job->pb->read_buf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct proc_job *job = stream->data;
    if (nread > 0) {
        struct runner *r = job->pb->base.runner;
        runner_capture(r, sched_task(&r->sched, job->id), buf->base, (size_t)nread);
    } else if (nread < 0) {
        /* EOF, or an error that ends the stream just the same. */
        close_output(job);
        maybe_report(job);
    }
}

static void on_timer(uv_timer_t *timer)
{
    struct proc_job *job = timer->data;
    if (!job->exited) {
        /* It ignored SIGTERM for the whole grace period. */
        signal_group(job, SIGKILL);
        return;
    }
    /* It exited, but something it started still holds the pipe. */
    close_output(job);
    maybe_report(job);
}

static void on_exit_watch_closed(uv_handle_t *handle)
{
    struct proc_job *job = handle->data;
    /* libuv never owns a polled descriptor: it is ours to close, now. */
    close(job->pidfd);
    on_job_closed(handle);
}

/* The child is gone (status from waitpid): drain, then report. */
static void child_exited(struct proc_job *job, int wstatus)
{
    job->exited = true;
    if (WIFEXITED(wstatus))
        job->exit_status = WEXITSTATUS(wstatus);
    else if (WIFSIGNALED(wstatus))
        job->term_signal = WTERMSIG(wstatus);
    else
        job->exit_status = -1; /* could not be reaped: say so, not "ok" */
    if (job->stopping)
        signal_group(job, SIGKILL); /* what is left of a stopped task goes too */
    if (job->out_closed) {
        maybe_report(job);
    } else {
        uv_timer_stop(&job->timer);
        uv_timer_start(&job->timer, on_timer, (uint64_t)(job->pb->opt.drain_grace * 1000), 0);
    }
}

static void on_child_exit(uv_poll_t *watch, int status, int events)
{
    struct proc_job *job = watch->data;
    (void)events;
    int wstatus = 0;
    pid_t got = waitpid(job->pid, &wstatus, WNOHANG);
    if (status == 0 && got == 0)
        return; /* woken early: it has not exited yet */
    uv_close((uv_handle_t *)watch, on_exit_watch_closed);
    child_exited(job, got == job->pid ? wstatus : -1);
}

/* Where pidfds do not exist (kernels before 5.3, valgrind 3.19), SIGCHLD
 * says that some child exited: ask each of ours. */
static void on_sigchld(uv_signal_t *handle, int signum)
{
    struct proc_backend *pb = handle->data;
    (void)signum;
    LIST_FOR_EACH_SAFE(&pb->live, it, next) { /* reporting unlinks it */
        struct proc_job *job = LIST_ENTRY(it, struct proc_job, live);
        int wstatus;
        if (!job->exited && waitpid(job->pid, &wstatus, WNOHANG) == job->pid)
            child_exited(job, wstatus);
    }
}

static void spawn_failure(struct attempt_result *fail, int err, const char *file, struct strbuf *text)
{
    *fail = (struct attempt_result){.status = TASK_FAILED, .cls = RP_CLASS_EXIT, .exit_code = -1};
    if (err == UV_ENOENT) {
        fail->exit_code = 127; /* what a shell says for a missing command */
        strbuf_printf(text, "command not found: %s", file);
    } else if (err == UV_EACCES) {
        fail->exit_code = 126;
        strbuf_printf(text, "permission denied: %s", file);
    } else {
        fail->cls = RP_CLASS_INTERNAL;
        strbuf_printf(text, "cannot start %s: %s", file, uv_strerror(err));
    }
    fail->summary = text->data;
    fail->summary_len = text->len;
}

/* The command of one task: the template with the path put in, or
 * sh -c SCRIPT. */
static char **command_argv(const struct proc_backend *pb, const char *path)
{
    size_t argc = pb->opt.shell ? 3 : pb->opt.argc;
    char **argv = xcalloc(argc + 1, sizeof(*argv));
    if (pb->opt.shell) {
        argv[0] = xstrdup("/bin/sh");
        argv[1] = xstrdup("-c");
        argv[2] = xstrdup(pb->opt.argv[0]);
        return argv;
    }
    for (size_t i = 0; i < argc; i++) {
        struct strbuf arg;
        strbuf_init(&arg);
        template_expand(&arg, pb->opt.argv[i], path);
        argv[i] = strbuf_detach(&arg);
    }
    return argv;
}

static void free_argv(char **argv)
{
    for (size_t i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

static int proc_start(struct backend *b, uint32_t id, struct task *t, const char *path,
                      struct attempt_result *fail)
{
    struct proc_backend *pb = (struct proc_backend *)b;
    strbuf_reset(&pb->fail_text);
    char **argv = command_argv(pb, path);
    struct strbuf env_repo;
    strbuf_init(&env_repo);
    strbuf_printf(&env_repo, "REPOPOOL_REPO=%s", path);

    /* Every descriptor the attempt needs, before anything runs: a start
     * that fails for want of one must leave nothing behind, as it may be
     * tried again. reserve keeps a slot for the pidfd. */
    int fds[2] = {-1, -1}, reserve = -1;
    int rc = uv_pipe(fds, 0, 0); /* both ends close-on-exec */
    if (rc < 0)
        goto fail;
    if (!pb->use_sigchld && (reserve = fcntl(fds[0], F_DUPFD_CLOEXEC, 0)) < 0) {
        rc = -errno;
        goto fail;
    }

    pid_t pid = -1;
    pb->env[pb->repo_slot] = env_repo.data;
    /* posix_spawn, not uv_spawn: libuv 1.44 forks, copying the page
     * tables of the whole task table on every spawn. */
    rc = -spawn_session(argv, pb->env, path, -1, fds[1], &pid);
    pb->env[pb->repo_slot] = NULL;
    close(fds[1]);
    fds[1] = -1;
    if (rc < 0) {
        spawn_failure(fail, rc, argv[0], &pb->fail_text);
        goto out;
    }
    int pidfd = -1;
    if (!pb->use_sigchld) {
        close(reserve);
        reserve = -1;
        if ((pidfd = pidfd_open(pid, 0)) < 0) {
            /* No way to hear of its exit: stop it, reap it, report. */
            rc = -errno;
            kill(-pid, SIGKILL);
            waitpid(pid, NULL, 0);
            goto fail;
        }
    }

    struct proc_job *job = xcalloc(1, sizeof(*job));
    job->pb = pb;
    job->id = id;
    job->pid = pid;
    job->pidfd = pidfd;
    job->task = t;
    job->exit_watch.data = job->out.data = job->timer.data = job;
    job->open_handles = 2;
    pb->jobs++;
    if (!pb->use_sigchld) {
        uv_poll_init(b->loop, &job->exit_watch, job->pidfd);
        uv_poll_start(&job->exit_watch, UV_READABLE, on_child_exit);
        job->open_handles++;
    }
    uv_pipe_init(b->loop, &job->out, 0);
    uv_pipe_open(&job->out, fds[0]);
    uv_timer_init(b->loop, &job->timer);
    uv_read_start((uv_stream_t *)&job->out, on_alloc, on_read);
    t->backend_data = job;
    list_push(&pb->live, &job->live);
    fds[0] = -1;
    goto out;

fail:
    *fail = (struct attempt_result){.status = TASK_FAILED, .cls = RP_CLASS_INTERNAL, .exit_code = -1};
    strbuf_printf(&pb->fail_text, "cannot start: %s", uv_strerror(rc));
    fail->summary = pb->fail_text.data;
    fail->summary_len = pb->fail_text.len;
out:
    for (int i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (reserve >= 0)
        close(reserve);
    free_argv(argv);
    strbuf_free(&env_repo);
    return rc;
}

static void stop_job(struct proc_job *job, int signum)
{
    job->stopping = true;
    signal_group(job, signum);
    if (job->exited) {
        close_output(job);
        maybe_report(job);
    } else if (signum != SIGKILL) {
        uv_timer_start(&job->timer, on_timer, (uint64_t)(job->pb->opt.kill_grace * 1000), 0);
    }
}

static void proc_cancel(struct backend *b, uint32_t id, struct task *t)
{
    (void)b;
    (void)id;
    if (t->backend_data)
        stop_job(t->backend_data, SIGTERM);
}

static void proc_kill_all(struct backend *b)
{
    struct proc_backend *pb = (struct proc_backend *)b;
    LIST_FOR_EACH_SAFE(&pb->live, it, next) /* stop_job may unlink it */
        stop_job(LIST_ENTRY(it, struct proc_job, live), SIGKILL);
}

static void on_sigchld_closed(uv_handle_t *handle)
{
    struct proc_backend *pb = handle->data;
    if (--pb->jobs == 0)
        proc_backend_free(pb);
}

static void proc_close(struct backend *b)
{
    struct proc_backend *pb = (struct proc_backend *)b;
    pb->closed = true;
    if (pb->use_sigchld) {
        pb->jobs++; /* the signal handle counts as one more thing to close */
        uv_close((uv_handle_t *)&pb->sigchld, on_sigchld_closed);
    }
    if (pb->jobs == 0)
        proc_backend_free(pb);
}

static void proc_describe(struct backend *b, const char *path, struct strbuf *out)
{
    struct proc_backend *pb = (struct proc_backend *)b;
    strbuf_puts(out, "cd ");
    template_shell_quote(out, path);
    strbuf_puts(out, " &&");
    if (pb->opt.shell)
        strbuf_puts(out, " sh -c");
    for (size_t i = 0; i < pb->opt.argc; i++) {
        struct strbuf arg;
        strbuf_init(&arg);
        if (pb->opt.shell)
            strbuf_puts(&arg, pb->opt.argv[i]);
        else
            template_expand(&arg, pb->opt.argv[i], path);
        strbuf_putc(out, ' ');
        template_shell_quote(out, arg.data ? arg.data : "");
        strbuf_free(&arg);
    }
}

static const struct backend_ops proc_ops = {
    .dir_check = BACKEND_DIR_LAZY, /* posix_spawn's chdir fails on a file */
    .start = proc_start,
    .cancel = proc_cancel,
    .kill_all = proc_kill_all,
    .close = proc_close,
    .describe = proc_describe,
};

struct backend *proc_backend_new(struct runner *r, uv_loop_t *loop, const struct proc_options *opt)
{
    struct proc_backend *pb = xcalloc(1, sizeof(*pb));
    list_init(&pb->live);
    pb->env = child_environ(1, &pb->repo_slot);
    pb->base.ops = &proc_ops;
    pb->base.runner = r;
    pb->base.loop = loop;
    pb->opt = *opt;
    int probe = pidfd_open(getpid(), 0);
    if (probe >= 0) {
        close(probe);
    } else {
        /* Watch SIGCHLD from before the first spawn, so no exit is missed. */
        pb->use_sigchld = true;
        uv_signal_init(loop, &pb->sigchld);
        pb->sigchld.data = pb;
        uv_signal_start(&pb->sigchld, on_sigchld, SIGCHLD);
    }
    return &pb->base;
}
