#include "repopool/gitops.h"

#include <git2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/template.h"
#include "repopool/xalloc.h"

void gitop_outcome_init(struct gitop_outcome *out)
{
    memset(out, 0, sizeof(*out));
    out->status = TASK_OK;
    out->cls = RP_CLASS_NONE;
    strbuf_init(&out->summary);
    outbuf_init(&out->output, OUTBUF_DEFAULT_LIMIT);
}

void gitop_outcome_free(struct gitop_outcome *out)
{
    strbuf_free(&out->summary);
    outbuf_free(&out->output);
}

void gitop_set_outcome(struct gitop_outcome *out, enum task_state status, enum rp_class cls,
                       const char *fmt, ...)
{
    out->status = status;
    out->cls = cls;
    strbuf_reset(&out->summary);
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&out->summary, fmt, ap);
    va_end(ap);
}

bool gitop_cancelled(const struct gitop_request *req)
{
    return req->cancel && atomic_load(req->cancel);
}

/* libgit2 keeps its last error per thread; read it before the next call. */
const char *gitop_error_text(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* Overload in the words servers and clients use for it: HTTP 429 and 503
 * (libgit2: "unexpected http status code: 429"; git: "The requested URL
 * returned error: 503", "RPC failed; HTTP 429"), a refused connection. */
static bool says_overloaded(const char *msg)
{
    static const char *const words[] = {
        "status code: 429", "status code: 503", "returned error: 429", "returned error: 503",
        "HTTP 429",         "HTTP 503",         "too many requests",   "connection refused",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(msg, words[i]))
            return true;
    return false;
}

/* A connection the server ended without a word: what git daemon past
 * --max-connections and sshd past MaxStartups do to a new connection.
 * Overload, when it happens before the server sent any data; a server
 * gone mid-transfer is a network failure. */
static bool says_dropped(const char *msg)
{
    static const char *const words[] = {
        "connection reset by peer",   "hung up unexpectedly", "early eof", "unexpected eof",
        "kex_exchange_identification", "connection closed by remote host",
    };
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasestr(msg, words[i]))
            return true;
    return false;
}

/* Sorts a network failure into the classes a user can act on;
 * before_data: the server had sent no pack data when it happened. */
static enum rp_class class_of_message(const char *msg, bool before_data)
{
    /* A server that says the repository is not there means it: retrying
     * will not make it appear (git daemon, HTTP 404, hosting sites). */
    if (strcasestr(msg, "not exported") || strcasestr(msg, "repository not found") ||
        strcasestr(msg, "no such repository") ||
        strcasestr(msg, "does not appear to be a git repository") || strcasestr(msg, "status code: 404") ||
        (strcasestr(msg, "repository '") && strcasestr(msg, "' not found")))
        return RP_CLASS_NOT_A_REPO;
    /* What the local disk said, in a git child's words: no retry helps. */
    if (strcasestr(msg, "No space left on device") || strcasestr(msg, "Is a directory") ||
        strcasestr(msg, "Read-only file system") || strcasestr(msg, "Disk quota exceeded") ||
        strcasestr(msg, "Not a directory"))
        return RP_CLASS_INTERNAL;
    if (says_overloaded(msg) || (before_data && says_dropped(msg)))
        return RP_CLASS_REFUSED;
    if (strcasestr(msg, "timed out") || strcasestr(msg, "timeout"))
        return RP_CLASS_TIMEOUT;
    if (strcasestr(msg, "authentication") || strcasestr(msg, "permission denied") ||
        strcasestr(msg, "could not read username") || strcasestr(msg, "credentials"))
        return RP_CLASS_AUTH;
    return RP_CLASS_NETWORK;
}

static enum rp_class class_of_error(int err, bool before_data)
{
    switch (err) {
    case GIT_EOWNER:
        return RP_CLASS_OWNER;
    case GIT_EAUTH:
    case GIT_ECERTIFICATE:
        return RP_CLASS_AUTH;
    case GIT_ELOCKED:
        return RP_CLASS_LOCKED;
    default:
        break;
    }
    /* Only what the network said can be transient. A local failure (a
     * full disk, a directory where a file should be, no permission) is
     * GIT_ERROR_OS and stays one, never retried; libgit2 1.5 files a failed
     * connect under GIT_ERROR_OS too, by its own words. */
    const git_error *e = git_error_last();
    const char *msg = e && e->message ? e->message : "";
    if (e && (e->klass == GIT_ERROR_NET || e->klass == GIT_ERROR_SSH || e->klass == GIT_ERROR_HTTP ||
              e->klass == GIT_ERROR_SSL ||
              (e->klass == GIT_ERROR_OS && strncmp(msg, "failed to connect to ", 21) == 0)))
        return class_of_message(msg, before_data);
    return RP_CLASS_INTERNAL;
}

void gitop_fail_with_error(struct gitop_outcome *out, int err, const char *doing)
{
    gitop_set_outcome(out, TASK_FAILED, class_of_error(err, false), "%s: %s", doing, gitop_error_text());
}

void gitop_fail_with_transfer_error(struct gitop_outcome *out, int err, const char *doing, bool before_data)
{
    gitop_set_outcome(out, TASK_FAILED, class_of_error(err, before_data), "%s: %s", doing, gitop_error_text());
}

static int open_repo(const struct gitop_request *req, git_repository **repo, struct gitop_outcome *out)
{
    /* NO_SEARCH: a directory inside some other repository is not that
     * repository. */
    int err = git_repository_open_ext(repo, req->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (err == 0 && git_repository_is_bare(*repo)) {
        git_repository_free(*repo);
        *repo = NULL;
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_NOT_A_REPO, "bare repository: no working tree");
        return -1;
    }
    /* libgit2 1.5.1 reports a foreign-owned repository as a missing
     * safe.directory setting (fixed upstream later): the same verdict. */
    if (err == GIT_ENOTFOUND && strstr(gitop_error_text(), "safe.directory"))
        err = GIT_EOWNER;
    if (err == GIT_ENOTFOUND) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_NOT_A_REPO, "not a git repository");
    } else if (err == GIT_EOWNER) {
        struct strbuf quoted;
        strbuf_init(&quoted);
        template_shell_quote(&quoted, req->path);
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_OWNER,
                          "dubious ownership: the repository is owned by someone else; to trust it, run: "
                          "git config --global --add safe.directory %s",
                          quoted.data ? quoted.data : "");
        strbuf_free(&quoted);
    } else if (err < 0) {
        gitop_fail_with_error(out, err, "cannot open repository");
    }
    return err < 0 ? -1 : 0;
}

/* Runs `git` with args in the repository; output goes to out->output. */
void gitop_run_git(const struct gitop_request *req, char *const argv[], char *const env[],
                   struct gitop_outcome *out, struct child_result *res)
{
    child_run(argv, req->path, env, NULL, &out->output, req->cancel, req->child_timeout, res);
}

char *gitop_git_text(const struct gitop_request *req, char *const argv[], size_t limit, size_t *len,
                     struct child_result *res)
{
    struct outbuf captured;
    outbuf_init(&captured, limit);
    child_run(argv, req->path, NULL, NULL, &captured, req->cancel, req->child_timeout, res);
    char *text = NULL;
    if (!outbuf_truncated(&captured)) {
        text = xmalloc(captured.len + 1);
        *len = outbuf_copy(&captured, text, captured.len);
        text[*len] = '\0';
    }
    outbuf_free(&captured);
    return text;
}

/* The last line a child printed, for summaries. */
void gitop_last_output_line(const struct gitop_outcome *out, char *dst, size_t cap)
{
    outbuf_last_line(&out->output, dst, cap);
}

/* What a failed git child said: the class from all of its output (the
 * telling line is rarely the last), and its first "fatal:" or "error:"
 * line for the summary, with the line after it when it ends in a colon
 * (git names the first file in the way there). */
/* A line of git's that says how far it got, not what went wrong. */
static bool is_progress_line(const char *p, int len)
{
    return strncmp(p, "From ", 5) == 0 || memchr(p, '%', (size_t)len) || memchr(p, '\r', (size_t)len) ||
           (len > 1 && p[0] == ' ' && (p[1] == ' ' || p[1] == '*' || p[1] == '-' || p[1] == '+' || p[1] == '!' ||
                                       p[1] == '='));
}

enum rp_class gitop_read_git_failure(const struct gitop_outcome *out, char *line, size_t cap)
{
    size_t n = out->output.len;
    char *text = xmalloc(n + 1);
    line[0] = '\0';
    n = outbuf_copy(&out->output, text, n);
    text[n] = '\0';
    const char *before = NULL; /* the last line with something on it */
    int before_len = 0;
    for (char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        int len = (int)strcspn(p, "\n");
        if (strncmp(p, "fatal:", 6) == 0 || strncmp(p, "error:", 6) == 0) {
            const char *next = p[len] ? p + len + 1 : "";
            next += strspn(next, " \t");
            int next_len = len > 0 && p[len - 1] == ':' ? (int)strcspn(next, "\n") : 0;
            /* The reason often comes first ("ssh: connect to host ...:
             * Connection refused", "remote: Repository not found."), and
             * git's fatal line is only its consequence. */
            if (before)
                snprintf(line, cap, "%.*s (%.*s%s%.*s)", before_len, before, len, p, next_len ? " " : "", next_len,
                         next);
            else
                snprintf(line, cap, "%.*s%s%.*s", len, p, next_len ? " " : "", next_len, next);
            break;
        }
        if (len > 0 && !is_progress_line(p, len)) {
            before = p;
            before_len = len;
        }
    }
    if (!line[0])
        gitop_last_output_line(out, line, cap);
    /* git says nothing of its progress without a terminal; what the
     * server said comes as "remote:" lines, refs as "From", and a pack cut
     * short as index-pack's "early EOF". */
    bool before_data = !strstr(text, "remote:") && strncmp(text, "From ", 5) != 0 && !strstr(text, "\nFrom ") &&
                       !strcasestr(text, "early eof") && !strstr(text, "index-pack");
    enum rp_class cls = class_of_message(text, before_data);
    free(text);
    return cls;
}

bool gitop_config_bool(git_repository *repo, const char *key)
{
    git_config *cfg = NULL;
    int value = 0;
    if (git_repository_config_snapshot(&cfg, repo) == 0)
        git_config_get_bool(&value, cfg, key);
    git_config_free(cfg);
    git_error_clear();
    return value;
}

void gitop_run(const struct gitop_request *req, struct gitop_outcome *out)
{
    git_repository *repo = NULL;
    if (open_repo(req, &repo, out) < 0)
        return;
    req->op->run(req, repo, out);
    git_repository_free(repo);
}
