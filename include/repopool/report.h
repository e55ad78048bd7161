/*
 * Headless output: one line per finished task and a summary, or the JSON
 * Lines events, and optionally GNU parallel's job log. Everything a task or
 * a path supplies is sanitized (lines) or escaped (JSON) on the way out.
 *
 * Loop thread only.
 */
#ifndef REPOPOOL_REPORT_H
#define REPOPOOL_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "repopool/hostnames.h"
#include "repopool/repos.h"
#include "repopool/sched.h"
#include "repopool/strbuf.h"

enum report_mode { REPORT_LINES, REPORT_JSON };
/* What of a task's output the lines show (--output). */
enum report_output {
    REPORT_OUTPUT_LAST, /* its last line, as the line's summary */
    REPORT_OUTPUT_ALL,  /* all of it (what was kept), under the line */
    REPORT_OUTPUT_NONE, /* nothing: a summary only when it did not end ok */
};

/*
 * One output (the report's stream or the job log). Lines are kept here
 * until a flush hands them to the kernel with write(2), never through the
 * FILE's own buffer, so a write that fails is known exactly: the first one
 * is reported on stderr (once, naming the output), a partial line it left
 * in a regular file is cut off, and nothing more is written there.
 */
struct report_sink {
    struct strbuf pending;  /* whole lines not yet written */
    int error;              /* errno of the first failed write; 0 while fine */
};

struct report {
    FILE *out;
    FILE *joblog;        /* NULL unless --joblog */
    enum report_mode mode;
    bool quiet;
    enum report_output output;
    bool status_table;   /* lines wait for one table at the end (statustable.h) */
    bool deferred;       /* a live view shows tasks; lines wait for the end */
    unsigned cancelled_unstarted; /* told in one line, not one each */
    unsigned cancelled_started;   /* the same, after the dashboard */
    const char *op;      /* the JSON "op" */
    const struct host_names *hosts; /* names for "host"; NULL: none */
    double wall_t0;      /* the start of the run, in seconds since the epoch */
    struct strbuf buf;
    struct report_sink out_sink, joblog_sink;
    char *joblog_path;   /* for the message when it cannot be written */
};

void report_init(struct report *rep, FILE *out, enum report_mode mode, bool quiet, const char *op);
/* Opens the job log and writes its header; err gets a one-line message. */
int report_open_joblog(struct report *rep, const char *path, struct strbuf *err);
/* Writes what is left and closes the job log (not out). The outcome stays
 * readable through report_reader_gone and report_write_failed. */
void report_close(struct report *rep);
/* Hands buffered output to the kernel; false once the output is broken
 * (its reader went away: EPIPE). Any other failure to write is reported
 * and remembered, but the run goes on. */
bool report_flush(struct report *rep);
/* The reader of out went away (EPIPE). */
bool report_reader_gone(const struct report *rep);
/* Some output (out or the job log) could not be written. */
bool report_write_failed(const struct report *rep);

void report_cap(struct report *rep, const struct sched *s, double now, const char *by);
/* A host's limit changed (--adaptive): a "cap" event with the host. */
void report_host_limit(struct report *rep, const struct sched *s, uint16_t host, const char *name, double now);
void report_start(struct report *rep, const struct sched *s, uint32_t id, const char *path, double now);
void report_retry(struct report *rep, const struct sched *s, uint32_t id, double now, double after);
/* A task ended for good. command describes it for the job log (may be NULL
 * when there is no job log). */
void report_end(struct report *rep, const struct sched *s, uint32_t id, const char *path,
                double now, const char *command);
/* After a live view closed: the line of every task that did not end ok,
 * in the order they ended, so they stay in the scrollback. */
void report_problems(struct report *rep, const struct sched *s, const struct repo_list *repos);
void report_summary(struct report *rep, const struct sched *s, double elapsed, int interrupted_by);
/* Writes text (one line, sanitized already) as a line of the report. */
void report_line(struct report *rep, const char *text, size_t len);

#endif
