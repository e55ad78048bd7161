#include "repopool/report.h"

#include <errno.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/time.h>

#include "repopool/gitinfo.h"
#include "repopool/json.h"
#include "repopool/sanitize.h"

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
}

int report_open_joblog(struct report *rep, const char *path, struct strbuf *err)
{
    rep->joblog = fopen(path, "we");
    if (!rep->joblog) {
        strbuf_printf(err, "repopool: --joblog %s: %s", path, strerror(errno));
        return -1;
    }
    fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n", rep->joblog);
    return 0;
}

void report_close(struct report *rep)
{
    if (rep->joblog)
        fclose(rep->joblog);
    fflush(rep->out);
    strbuf_free(&rep->buf);
}

bool report_flush(struct report *rep)
{
    if (rep->joblog)
        fflush(rep->joblog);
    return fflush(rep->out) == 0 && !ferror(rep->out);
}

/* Writes the buffer as one line, so lines never interleave. */
static void emit(struct report *rep)
{
    strbuf_putc(&rep->buf, '\n');
    fwrite(rep->buf.data, 1, rep->buf.len, rep->out);
    strbuf_reset(&rep->buf);
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

void report_start(struct report *rep, const struct sched *s, uint32_t id, const char *path, double now)
{
    if (rep->mode != REPORT_JSON)
        return;
    const struct task *t = &s->tasks[id];
    json_begin(rep, "start", now);
    json_key_int(&rep->buf, "id", id + 1);
    json_key_string(&rep->buf, "repo", path);
    json_key_string(&rep->buf, "op", rep->op);
    json_key_int(&rep->buf, "attempt", t->attempt);
    json_pool(rep, s);
    emit(rep);
}

void report_retry(struct report *rep, const struct sched *s, uint32_t id, double now, double after)
{
    if (rep->mode != REPORT_JSON)
        return;
    const struct task *t = &s->tasks[id];
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

static void format_duration(struct strbuf *sb, double seconds)
{
    if (seconds < 60)
        strbuf_printf(sb, "%7.2fs", seconds);
    else if (seconds < 3600)
        strbuf_printf(sb, "%4dm%02ds", (int)(seconds / 60), (int)seconds % 60);
    else
        strbuf_printf(sb, "%4dh%02dm", (int)(seconds / 3600), (int)(seconds / 60) % 60);
}

static void write_line(struct report *rep, const struct task *t, const char *path)
{
    strbuf_reset(&rep->buf);
    strbuf_printf(&rep->buf, "%-9s ", task_state_name(t->state));
    format_duration(&rep->buf, t->attempt ? t->end - t->start : 0);
    strbuf_puts(&rep->buf, "  ");
    sanitize_name(&rep->buf, path, strlen(path));
    if (t->summary) {
        strbuf_puts(&rep->buf, "  ");
        strbuf_puts(&rep->buf, t->summary);
    }
    emit(rep);
}

/*
 * The Command column as the backend described it. Never sanitized: that
 * would edit quoted text (a carriage return would drop what precedes it,
 * opening quote included) and change what a pasted line runs. The
 * description is built with shell_quote(), which already keeps it on one
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
    fprintf(rep->joblog, "%u\t:\t%.3f\t%10.3f\t0\t%llu\t%d\t%d\t%s\n", id + 1, started, runtime,
            received, exitval, t->term_signal, joblog_command(command));
}

void report_end(struct report *rep, const struct sched *s, uint32_t id, const char *path,
                double now, const char *command)
{
    const struct task *t = &s->tasks[id];
    double duration = t->attempt ? t->end - t->start : 0;
    if (rep->joblog)
        write_joblog(rep, t, id, command);

    if (rep->mode == REPORT_JSON) {
        json_begin(rep, "end", now);
        json_key_int(&rep->buf, "id", id + 1);
        json_key_string(&rep->buf, "repo", path);
        json_key_string(&rep->buf, "op", rep->op);
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
            git_info_json(t->git, &rep->buf);
        json_pool(rep, s);
        emit(rep);
        return;
    }
    if (rep->deferred || (rep->quiet && t->state == TASK_OK))
        return;
    write_line(rep, t, path);
}

void report_problems(struct report *rep, const struct sched *s, const struct repo_list *repos)
{
    if (rep->mode != REPORT_LINES)
        return;
    /* A retried task is listed once per end; walking from the newest end
     * keeps only its last. */
    unsigned char *seen = calloc(s->ntasks ? s->ntasks : 1, 1);
    uint32_t *list = malloc((s->nended ? s->nended : 1) * sizeof(*list));
    size_t n = 0;
    for (size_t i = s->nended; seen && list && i-- > 0;) {
        uint32_t id = s->ended[i];
        if (seen[id])
            continue;
        seen[id] = 1;
        if (task_is_final(&s->tasks[id]) && s->tasks[id].state != TASK_OK)
            list[n++] = id;
    }
    while (n-- > 0)
        write_line(rep, &s->tasks[list[n]], repos->items[s->tasks[list[n]].repo].path);
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
        fflush(rep->out);
        return;
    }
    if (rep->quiet) {
        fflush(rep->out);
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
    fflush(rep->out);
}
