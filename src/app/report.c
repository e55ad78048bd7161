#include "repopool/report.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "repopool/duration.h"
#include "repopool/gitinfo.h"
#include "repopool/json.h"
#include "repopool/sanitize.h"
#include "repopool/xalloc.h"

static double wall_clock(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

void report_init(struct report *rep, FILE *out, enum report_mode mode, bool quiet, const char *op)
{
    memset(rep, 0, sizeof(*rep));
    rep->out = out;
    rep->mode = mode;
    rep->quiet = quiet;
    rep->op = op;
    rep->wall_t0 = wall_clock();
    strbuf_init(&rep->buf);
    strbuf_init(&rep->out_sink.pending);
    strbuf_init(&rep->joblog_sink.pending);
}

int report_open_joblog(struct report *rep, const char *path, struct strbuf *err)
{
    rep->joblog = fopen(path, "we");
    if (!rep->joblog) {
        strbuf_printf(err, "repopool: --joblog %s: %s", path, strerror(errno));
        return -1;
    }
    rep->joblog_path = xstrdup(path);
    strbuf_puts(&rep->joblog_sink.pending,
                "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n");
    return 0;
}

/* Pending lines are written out once there are this many bytes of them,
 * whether or not the loop is about to wait. */
#define SINK_FLUSH_AT (64 * 1024)

static void sink_failed(struct report *rep, struct report_sink *sink, int err)
{
    if (sink->error)
        return;
    sink->error = err;
    /* Standard output's reader went away (`| head`): not worth a word,
     * the exit status says it (141). */
    if (sink == &rep->out_sink && err == EPIPE)
        return;
    struct strbuf msg;
    strbuf_init(&msg);
    if (sink == &rep->out_sink) {
        strbuf_puts(&msg, "repopool: cannot write to standard output: ");
    } else {
        const char *path = rep->joblog_path ? rep->joblog_path : "";
        strbuf_puts(&msg, "repopool: cannot write the job log ");
        sanitize_name(&msg, path, strlen(path));
        strbuf_puts(&msg, ": ");
    }
    strbuf_puts(&msg, strerror(err));
    fprintf(stderr, "%s\n", msg.data);
    fflush(stderr);
    strbuf_free(&msg);
}

/*
 * A write failed after written bytes of data reached fd. What went before
 * them ends with a whole line; cut off the part of a line after it, so a
 * reader of the file (JSON Lines, the job log) sees only whole lines. Only
 * a regular file can be cut, and only when those bytes are its end (no
 * other writer, such as stderr on the same file, came after them): what a
 * pipe, a terminal or a device took cannot be taken back.
 */
static void drop_partial_line(int fd, const char *data, size_t written)
{
    size_t whole = written;
    while (whole > 0 && data[whole - 1] != '\n')
        whole--;
    size_t partial = written - whole;
    struct stat st;
    if (partial == 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
        return;
    off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < 0 || at != st.st_size || (uintmax_t)at < partial)
        return;
    off_t cut = at - (off_t)partial;
    if (ftruncate(fd, cut) == 0)
        lseek(fd, cut, SEEK_SET); /* a later writer sharing the offset leaves no hole */
}

/* Writes the pending lines of sink to fp's descriptor. */
static void sink_flush(struct report *rep, struct report_sink *sink, FILE *fp)
{
    struct strbuf *p = &sink->pending;
    if (sink->error || !fp || p->len == 0) {
        strbuf_reset(p);
        return;
    }
    int fd = fileno(fp);
    int err = 0;
    size_t done = 0;
    if (fd < 0) {
        /* A stream without a descriptor (a test's memory stream). */
        errno = 0;
        done = fwrite(p->data, 1, p->len, fp);
        if (done < p->len || fflush(fp) != 0)
            err = errno ? errno : EIO;
    } else {
        while (done < p->len) {
            ssize_t n = write(fd, p->data + done, p->len - done);
            if (n > 0) {
                done += (size_t)n;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                /* Someone made the descriptor non-blocking: wait as a
                 * blocking write would. */
                struct pollfd pfd = {.fd = fd, .events = POLLOUT};
                poll(&pfd, 1, -1);
            } else {
                err = n < 0 ? errno : EIO;
                break;
            }
        }
        if (err)
            drop_partial_line(fd, p->data, done);
    }
    strbuf_reset(p);
    if (err)
        sink_failed(rep, sink, err);
}

void report_close(struct report *rep)
{
    sink_flush(rep, &rep->out_sink, rep->out);
    sink_flush(rep, &rep->joblog_sink, rep->joblog);
    if (rep->joblog) {
        /* close() is where some file systems (NFS) report a failed write. */
        if (fclose(rep->joblog) != 0)
            sink_failed(rep, &rep->joblog_sink, errno);
        rep->joblog = NULL;
    }
    fflush(rep->out);
    strbuf_free(&rep->buf);
    strbuf_free(&rep->out_sink.pending);
    strbuf_free(&rep->joblog_sink.pending);
    free(rep->joblog_path);
    rep->joblog_path = NULL;
}

bool report_flush(struct report *rep)
{
    sink_flush(rep, &rep->joblog_sink, rep->joblog);
    sink_flush(rep, &rep->out_sink, rep->out);
    return !report_reader_gone(rep);
}

bool report_reader_gone(const struct report *rep)
{
    return rep->out_sink.error == EPIPE;
}

bool report_write_failed(const struct report *rep)
{
    return rep->out_sink.error || rep->joblog_sink.error;
}

/* Queues the buffer as one line, so lines never interleave and only whole
 * lines are ever written. */
static void emit(struct report *rep)
{
    strbuf_putc(&rep->buf, '\n');
    if (!rep->out_sink.error)
        strbuf_add(&rep->out_sink.pending, rep->buf.data, rep->buf.len);
    strbuf_reset(&rep->buf);
    if (rep->out_sink.pending.len >= SINK_FLUSH_AT)
        sink_flush(rep, &rep->out_sink, rep->out);
}

void report_line(struct report *rep, const char *text, size_t len)
{
    strbuf_reset(&rep->buf);
    strbuf_add(&rep->buf, text, len);
    emit(rep);
}

static void json_begin(struct report *rep, const char *event, double now)
{
    strbuf_reset(&rep->buf);
    strbuf_putc(&rep->buf, '{');
    json_key_string(&rep->buf, "event", event);
    json_key_seconds(&rep->buf, "t", now);
}

static void json_pool(struct report *rep, const struct sched *s)
{
    json_key_int(&rep->buf, "running", sched_running(s));
    json_key_int(&rep->buf, "queued", sched_queued(s));
    json_key_int(&rep->buf, "cap", s->cap);
    strbuf_putc(&rep->buf, '}');
}

void report_cap(struct report *rep, const struct sched *s, double now, const char *by)
{
    if (rep->mode != REPORT_JSON)
        return;
    json_begin(rep, "cap", now);
    json_key_int(&rep->buf, "cap", s->cap);
    json_key_string(&rep->buf, "by", by);
    strbuf_putc(&rep->buf, '}');
    emit(rep);
}

void report_host_limit(struct report *rep, const struct sched *s, uint16_t host, const char *name, double now)
{
    if (rep->mode != REPORT_JSON)
        return;
    json_begin(rep, "cap", now);
    json_key_int(&rep->buf, "cap", sched_host_limit(s, host));
    json_key_string(&rep->buf, "by", "adaptive");
    json_key_string(&rep->buf, "host", name);
    strbuf_putc(&rep->buf, '}');
    emit(rep);
}

/* "host", for a task that talks to one. */
static void json_host(struct report *rep, const struct task *t)
{
    const char *name = rep->hosts ? host_names_get(rep->hosts, t->host) : NULL;
    if (name)
        json_key_string(&rep->buf, "host", name);
}

void report_start(struct report *rep, const struct sched *s, uint32_t id, const char *path, double now)
{
    if (rep->mode != REPORT_JSON)
        return;
    const struct task *t = sched_task(s, id);
    json_begin(rep, "start", now);
    json_key_int(&rep->buf, "id", id + 1);
    json_key_string(&rep->buf, "repo", path);
    json_key_string(&rep->buf, "op", rep->op);
    json_host(rep, t);
    json_key_int(&rep->buf, "attempt", t->attempt);
    json_pool(rep, s);
    emit(rep);
}

void report_retry(struct report *rep, const struct sched *s, uint32_t id, double now, double after)
{
    if (rep->mode != REPORT_JSON)
        return;
    const struct task *t = sched_task(s, id);
    json_begin(rep, "retry", now);
    json_key_int(&rep->buf, "id", id + 1);
    json_key_int(&rep->buf, "attempt", t->attempt + 1);
    json_key_seconds(&rep->buf, "after", after);
    json_key_string(&rep->buf, "class", rp_class_name(t->cls));
    json_key_string(&rep->buf, "summary", t->summary);
    strbuf_putc(&rep->buf, '}');
    emit(rep);
}

/* The exit code reported for a task: its process's, or what it stands for. */
static int exit_value(const struct task *t)
{
    if (t->exit_code >= 0)
        return t->exit_code;
    return t->state == TASK_OK ? 0 : -1;
}

/* A stopped run cancels every queued task: they are counted, and told in
 * one line with the summary, not one line each. */
static bool counted_as_queued_cancel(struct report *rep, const struct task *t)
{
    if (t->state != TASK_CANCELLED || t->attempt > 0)
        return false;
    rep->cancelled_unstarted++;
    return true;
}

/* The task's kept output, each line sanitized and indented under its
 * result line, in one piece: tasks' outputs never interleave. */
static void write_output(struct report *rep, const struct task *t)
{
    if (!t->out || t->out->len == 0)
        return;
    if (outbuf_truncated(t->out)) {
        strbuf_reset(&rep->buf);
        strbuf_printf(&rep->buf, "    [repopool: the first %llu bytes are left out; it keeps the last %zu]",
                      (unsigned long long)(t->out->total - t->out->len), t->out->limit);
        emit(rep);
    }
    char *text = xmalloc(t->out->len);
    size_t n = outbuf_copy(t->out, text, t->out->len);
    size_t at = 0;
    /* What was kept begins wherever the limit cut: from the first whole
     * line on, if there is one. */
    const char *first_nl = outbuf_truncated(t->out) ? memchr(text, '\n', n) : NULL;
    if (first_nl && (size_t)(first_nl - text) + 1 < n)
        at = (size_t)(first_nl - text) + 1;
    while (at < n) {
        const char *nl = memchr(text + at, '\n', n - at);
        size_t len = nl ? (size_t)(nl - (text + at)) : n - at;
        strbuf_reset(&rep->buf);
        strbuf_puts(&rep->buf, "    ");
        sanitize_line(&rep->buf, text + at, len);
        emit(rep);
        at += len + 1;
    }
    free(text);
}

static void write_line(struct report *rep, const struct task *t, const char *path)
{
    strbuf_reset(&rep->buf);
    strbuf_printf(&rep->buf, "%-9s ", task_state_name(t->state));
    char duration[32];
    duration_text(duration, sizeof(duration), t->attempt ? t->end - t->start : 0, DURATION_ALIGNED);
    strbuf_puts(&rep->buf, duration);
    strbuf_puts(&rep->buf, "  ");
    sanitize_name(&rep->buf, path, strlen(path));
    if (t->summary && (rep->output != REPORT_OUTPUT_NONE || t->state != TASK_OK)) {
        strbuf_puts(&rep->buf, "  ");
        strbuf_puts(&rep->buf, t->summary);
    }
    emit(rep);
    if (rep->output == REPORT_OUTPUT_ALL)
        write_output(rep, t);
}

/*
 * The Command column as the backend described it. Never sanitized: that
 * would edit quoted text (a carriage return would drop what precedes it,
 * opening quote included) and change what a pasted line runs. The
 * description is built with template_shell_quote(), which already keeps it on one
 * line; should a control byte get in anyway, the column says so instead of
 * splitting the log or showing a different command.
 */
static const char *joblog_command(const char *command)
{
    if (!command)
        return "";
    for (const unsigned char *c = (const unsigned char *)command; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return "# (command not shown: it holds control characters)";
    return command;
}

static void write_joblog(struct report *rep, const struct task *t, uint32_t id, const char *command)
{
    /* The columns and their formats are GNU parallel's, so its tools and
     * --resume-failed style scripts read this log. */
    int exitval = t->term_signal ? 0 : exit_value(t) < 0 ? 1 : exit_value(t);
    double started = t->attempt ? rep->wall_t0 + t->start : rep->wall_t0 + t->end;
    double runtime = t->attempt ? t->end - t->start : 0;
    unsigned long long received = t->out ? (unsigned long long)t->out->total : 0;
    struct report_sink *sink = &rep->joblog_sink;
    if (sink->error)
        return;
    strbuf_printf(&sink->pending, "%u\t:\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t%s\n", id + 1, started, runtime,
                  received, exitval, t->term_signal, joblog_command(command));
    if (sink->pending.len >= SINK_FLUSH_AT)
        sink_flush(rep, sink, rep->joblog);
}

void report_end(struct report *rep, const struct sched *s, uint32_t id, const char *path,
                double now, const char *command)
{
    const struct task *t = sched_task(s, id);
    double duration = t->attempt ? t->end - t->start : 0;
    if (rep->joblog)
        write_joblog(rep, t, id, command);

    if (rep->mode == REPORT_JSON) {
        json_begin(rep, "end", now);
        json_key_int(&rep->buf, "id", id + 1);
        json_key_string(&rep->buf, "repo", path);
        json_key_string(&rep->buf, "op", rep->op);
        json_host(rep, t);
        json_key_int(&rep->buf, "attempt", t->attempt);
        json_key_string(&rep->buf, "status", task_state_name(t->state));
        json_key_string(&rep->buf, "class", rp_class_name(t->cls));
        if (exit_value(t) >= 0)
            json_key_int(&rep->buf, "exit", exit_value(t));
        else
            json_key_null(&rep->buf, "exit");
        json_key_seconds(&rep->buf, "duration", duration);
        json_key_string(&rep->buf, "summary", t->summary);
        if (t->git)
            gitinfo_json(t->git, &rep->buf);
        json_pool(rep, s);
        emit(rep);
        return;
    }
    if (rep->deferred || rep->status_table || (rep->quiet && t->state == TASK_OK))
        return;
    if (!counted_as_queued_cancel(rep, t))
        write_line(rep, t, path);
}

void report_problems(struct report *rep, const struct sched *s, const struct repo_list *repos)
{
    if (rep->mode != REPORT_LINES)
        return;
    /* Each task's last end, newest first; listed oldest first below. */
    unsigned char *seen = xmalloc(s->ntasks);
    uint32_t *list = xmalloc(s->nended * sizeof(*list));
    size_t n = 0;
    struct sched_ended_walk w;
    uint32_t id;
    sched_ended_walk_init(&w, s, seen);
    while (sched_ended_next(&w, &id)) {
        const struct task *t = sched_task(s, id);
        if (t->state == TASK_OK || counted_as_queued_cancel(rep, t))
            continue;
        /* Quitting the dashboard cancels what runs: told in one line with
         * the queued ones, not one line each (a task the user cancelled
         * before keeps its line). */
        if (t->state == TASK_CANCELLED && t->stop == TASK_STOP_RUN)
            rep->cancelled_started++;
        else
            list[n++] = id;
    }
    struct strbuf path;
    strbuf_init(&path);
    while (n-- > 0) {
        const struct task *t = sched_task(s, list[n]);
        write_line(rep, t, repos_path(repos, t->repo, &path));
    }
    strbuf_free(&path);
    free(seen);
    free(list);
}

void report_summary(struct report *rep, const struct sched *s, double elapsed, int interrupted_by)
{
    unsigned total = (unsigned)s->ntasks;
    if (rep->mode == REPORT_JSON) {
        json_begin(rep, "summary", elapsed);
        json_key_int(&rep->buf, "total", total);
        json_key_int(&rep->buf, "ok", s->counts[TASK_OK]);
        json_key_int(&rep->buf, "failed", s->counts[TASK_FAILED]);
        json_key_int(&rep->buf, "skipped", s->counts[TASK_SKIPPED]);
        json_key_int(&rep->buf, "cancelled", s->counts[TASK_CANCELLED]);
        json_key_int(&rep->buf, "peak_running", s->peak_running);
        json_key_seconds(&rep->buf, "elapsed", elapsed);
        if (interrupted_by)
            json_key_string(&rep->buf, "interrupted", sigabbrev_np(interrupted_by));
        strbuf_putc(&rep->buf, '}');
        emit(rep);
        report_flush(rep);
        return;
    }
    unsigned cancelled = rep->cancelled_unstarted + rep->cancelled_started;
    if (cancelled) {
        strbuf_reset(&rep->buf);
        if (rep->cancelled_started)
            strbuf_printf(&rep->buf, "repopool: %u task%s cancelled: %u running, %u queued", cancelled,
                          cancelled == 1 ? "" : "s", rep->cancelled_started, rep->cancelled_unstarted);
        else
            strbuf_printf(&rep->buf, "repopool: %u queued task%s cancelled", cancelled, cancelled == 1 ? "" : "s");
        emit(rep);
    }
    if (rep->quiet) {
        report_flush(rep);
        return;
    }
    strbuf_reset(&rep->buf);
    strbuf_printf(&rep->buf, "repopool: %u task%s in %.2fs: %u ok", total, total == 1 ? "" : "s",
                  elapsed, s->counts[TASK_OK]);
    static const enum task_state others[] = {TASK_FAILED, TASK_SKIPPED, TASK_CANCELLED};
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        if (s->counts[others[i]])
            strbuf_printf(&rep->buf, ", %u %s", s->counts[others[i]], task_state_name(others[i]));
    strbuf_printf(&rep->buf, "; peak %u running", s->peak_running);
    if (interrupted_by)
        strbuf_printf(&rep->buf, "; interrupted by SIG%s", sigabbrev_np(interrupted_by));
    emit(rep);
    report_flush(rep);
}
