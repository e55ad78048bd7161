#include "repopool/gitops.h"

#include <git2.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <limits.h>

#include "repopool/childproc.h"
#include "repopool/credential.h"
#include "repopool/gitop_table.h"
#include "repopool/gitremote.h"
#include "repopool/quietfetch.h"
#include "repopool/template.h"

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

static void set_outcome(struct gitop_outcome *out, enum task_state status, enum rp_class cls,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_outcome(struct gitop_outcome *out, enum task_state status, enum rp_class cls,
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

static bool cancelled(const struct gitop_request *req)
{
    return req->cancel && atomic_load(req->cancel);
}

/* libgit2 keeps its last error per thread; read it before the next call. */
static const char *error_text(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* Sorts a network failure into the classes a user can act on. */
static enum rp_class class_of_message(const char *msg)
{
    /* A server that says the repository is not there means it: retrying
     * will not make it appear (git daemon, HTTP 404, hosting sites). */
    if (strcasestr(msg, "not exported") || strcasestr(msg, "repository not found") ||
        strcasestr(msg, "does not appear to be a git repository") || strcasestr(msg, "status code: 404") ||
        (strcasestr(msg, "repository '") && strcasestr(msg, "' not found")))
        return RP_CLASS_NOT_A_REPO;
    if (strcasestr(msg, "connection refused") || strstr(msg, "429") ||
        strcasestr(msg, "too many"))
        return RP_CLASS_REFUSED;
    if (strcasestr(msg, "timed out") || strcasestr(msg, "timeout"))
        return RP_CLASS_TIMEOUT;
    if (strcasestr(msg, "authentication") || strcasestr(msg, "permission denied") ||
        strcasestr(msg, "could not read username") || strcasestr(msg, "credentials"))
        return RP_CLASS_AUTH;
    return RP_CLASS_NETWORK;
}

static enum rp_class class_of_error(int err)
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
        return class_of_message(msg);
    return RP_CLASS_INTERNAL;
}

static void fail_with_error(struct gitop_outcome *out, int err, const char *doing)
{
    set_outcome(out, TASK_FAILED, class_of_error(err), "%s: %s", doing, error_text());
}

static int open_repo(const struct gitop_request *req, git_repository **repo, struct gitop_outcome *out)
{
    /* NO_SEARCH: a directory inside some other repository is not that
     * repository. */
    int err = git_repository_open_ext(repo, req->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
    if (err == 0 && git_repository_is_bare(*repo)) {
        git_repository_free(*repo);
        *repo = NULL;
        set_outcome(out, TASK_FAILED, RP_CLASS_NOT_A_REPO, "bare repository: no working tree");
        return -1;
    }
    /* libgit2 1.5.1 reports a foreign-owned repository as a missing
     * safe.directory setting (fixed upstream later): the same verdict. */
    if (err == GIT_ENOTFOUND && strstr(error_text(), "safe.directory"))
        err = GIT_EOWNER;
    if (err == GIT_ENOTFOUND) {
        set_outcome(out, TASK_FAILED, RP_CLASS_NOT_A_REPO, "not a git repository");
    } else if (err == GIT_EOWNER) {
        struct strbuf quoted;
        strbuf_init(&quoted);
        shell_quote(&quoted, req->path);
        set_outcome(out, TASK_FAILED, RP_CLASS_OWNER,
                    "dubious ownership: the repository is owned by someone else; to trust it, run: "
                    "git config --global --add safe.directory %s",
                    quoted.data ? quoted.data : "");
        strbuf_free(&quoted);
    } else if (err < 0) {
        fail_with_error(out, err, "cannot open repository");
    }
    return err < 0 ? -1 : 0;
}

static void copy_name(char *dst, size_t cap, const char *name, const char *prefix)
{
    size_t k = strlen(prefix);
    if (strncmp(name, prefix, k) == 0)
        name += k;
    snprintf(dst, cap, "%s", name);
}

/* "refs/remotes/origin/main" -> "origin/main", as git status shows it. */
static void upstream_short_name(char *dst, size_t cap, const char *refname)
{
    if (strncmp(refname, "refs/remotes/", 13) == 0)
        copy_name(dst, cap, refname, "refs/remotes/");
    else
        copy_name(dst, cap, refname, "refs/heads/");
}

static enum gitinfo_state repo_state(git_repository *repo)
{
    switch (git_repository_state(repo)) {
    case GIT_REPOSITORY_STATE_MERGE:
        return GITINFO_STATE_MERGE;
    case GIT_REPOSITORY_STATE_REVERT:
    case GIT_REPOSITORY_STATE_REVERT_SEQUENCE:
        return GITINFO_STATE_REVERT;
    case GIT_REPOSITORY_STATE_CHERRYPICK:
    case GIT_REPOSITORY_STATE_CHERRYPICK_SEQUENCE:
        return GITINFO_STATE_CHERRY_PICK;
    case GIT_REPOSITORY_STATE_BISECT:
        return GITINFO_STATE_BISECT;
    case GIT_REPOSITORY_STATE_REBASE:
    case GIT_REPOSITORY_STATE_REBASE_INTERACTIVE:
    case GIT_REPOSITORY_STATE_REBASE_MERGE:
    case GIT_REPOSITORY_STATE_APPLY_MAILBOX_OR_REBASE:
        return GITINFO_STATE_REBASE;
    case GIT_REPOSITORY_STATE_APPLY_MAILBOX:
        return GITINFO_STATE_AM;
    default:
        return GITINFO_STATE_CLEAN;
    }
}

/*
 * Fills branch, head, upstream and ahead/behind. branch_ref gets the full
 * name of the checked-out branch (empty when detached), whole however long:
 * gi->branch is only for display and may be cut.
 */
static int read_branch(git_repository *repo, struct gitinfo *gi, struct strbuf *branch_ref)
{
    strbuf_reset(branch_ref);
    git_reference *head = NULL;
    int err = git_repository_head(&head, repo);
    if (err == GIT_EUNBORNBRANCH) {
        gi->unborn = true;
        git_reference *sym = NULL;
        if (git_reference_lookup(&sym, repo, "HEAD") == 0 && git_reference_symbolic_target(sym))
            strbuf_puts(branch_ref, git_reference_symbolic_target(sym));
        git_reference_free(sym);
    } else if (err < 0) {
        return err;
    } else {
        git_oid_tostr(gi->head, sizeof(gi->head), git_reference_target(head));
        if (git_repository_head_detached(repo))
            gi->detached = true;
        else
            strbuf_puts(branch_ref, git_reference_name(head));
        git_reference_free(head);
    }
    if (strbuf_failed(branch_ref))
        return -1;
    if (branch_ref->len == 0)
        return 0;
    copy_name(gi->branch, sizeof(gi->branch), branch_ref->data, "refs/heads/");

    git_buf upstream = GIT_BUF_INIT;
    if (gitremote_upstream(repo, branch_ref->data, NULL, NULL, &upstream) == 0) {
        upstream_short_name(gi->upstream, sizeof(gi->upstream), upstream.ptr);
        git_oid up_oid, local_oid;
        if (git_reference_name_to_id(&up_oid, repo, upstream.ptr) < 0) {
            gi->upstream_gone = true;
        } else if (!gi->unborn && git_oid_fromstr(&local_oid, gi->head) == 0) {
            size_t ahead = 0, behind = 0;
            if (git_graph_ahead_behind(&ahead, &behind, repo, &local_oid, &up_oid) == 0) {
                gi->ahead = (unsigned)ahead;
                gi->behind = (unsigned)behind;
            }
        }
    }
    git_buf_dispose(&upstream);
    git_error_clear();
    return 0;
}

/* The extended flags of path's index entry (intent-to-add, skip-worktree);
 * 0 when it has none or cannot be found. */
static unsigned index_flags(git_index *index, const char *path)
{
    const git_index_entry *entry = index && path ? git_index_get_bypath(index, path, 0) : NULL;
    return entry ? entry->flags_extended : 0;
}

static const char *entry_path(const git_status_entry *e)
{
    if (e->head_to_index)
        return e->head_to_index->new_file.path;
    return e->index_to_workdir ? e->index_to_workdir->old_file.path : NULL;
}

/* Counts changes as `git status --porcelain=v2` lists them. */
static int count_changes(git_repository *repo, struct gitinfo *gi, bool with_untracked)
{
    git_status_options so;
    git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
    so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    /* git status detects renames in the index by default, and reports an
     * untracked directory as one entry. */
    so.flags = GIT_STATUS_OPT_RENAMES_HEAD_TO_INDEX;
    if (with_untracked)
        so.flags |= GIT_STATUS_OPT_INCLUDE_UNTRACKED;
    git_status_list *list = NULL;
    int err = git_status_list_new(&list, repo, &so);
    if (err < 0)
        return err;
    git_index *index = NULL;
    if (git_repository_index(&index, repo) < 0)
        index = NULL;
    const unsigned staged_bits = GIT_STATUS_INDEX_NEW | GIT_STATUS_INDEX_MODIFIED | GIT_STATUS_INDEX_DELETED |
                                 GIT_STATUS_INDEX_RENAMED | GIT_STATUS_INDEX_TYPECHANGE;
    const unsigned modified_bits = GIT_STATUS_WT_MODIFIED | GIT_STATUS_WT_DELETED | GIT_STATUS_WT_TYPECHANGE |
                                   GIT_STATUS_WT_RENAMED | GIT_STATUS_WT_UNREADABLE;
    size_t n = git_status_list_entrycount(list);
    for (size_t i = 0; i < n; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        unsigned s = e->status;
        if (s & GIT_STATUS_CONFLICTED) {
            gi->conflicted++;
            continue;
        }
        /* libgit2 1.5 knows neither flag the way git does: an intent-to-add
         * file is a worktree addition, not a staged one, and a file outside
         * a sparse checkout is absent on purpose, not deleted. */
        unsigned flags = (s & (GIT_STATUS_INDEX_NEW | GIT_STATUS_WT_DELETED)) ? index_flags(index, entry_path(e)) : 0;
        bool intent_to_add = flags & GIT_INDEX_ENTRY_INTENT_TO_ADD;
        if ((flags & GIT_INDEX_ENTRY_SKIP_WORKTREE) && (s & GIT_STATUS_WT_DELETED))
            s &= ~(unsigned)GIT_STATUS_WT_DELETED;
        if ((s & staged_bits) && !intent_to_add)
            gi->staged++;
        if ((s & modified_bits) || intent_to_add)
            gi->modified++;
        if (s & GIT_STATUS_WT_NEW)
            gi->untracked++;
    }
    git_index_free(index);
    git_status_list_free(list);
    return 0;
}

/* Runs `git` with args in the repository; output goes to out->output. */
static void run_git(const struct gitop_request *req, char *const argv[], char *const env[], struct gitop_outcome *out,
                    struct child_result *res)
{
    child_run(argv, req->path, env, NULL, &out->output, req->cancel, req->child_timeout, res);
}

/* The last line a child printed, for summaries. */
static void last_output_line(const struct gitop_outcome *out, char *dst, size_t cap)
{
    outbuf_last_line(&out->output, dst, cap);
}

/* A NULL-terminated argv that grows; strings it owns are freed with it. */
struct argv_builder {
    char **argv;
    size_t n, cap;
    bool failed;
};

static void argv_push(struct argv_builder *b, const char *arg)
{
    if (b->failed)
        return;
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        char **p = realloc(b->argv, cap * sizeof(*p));
        if (!p) {
            b->failed = true;
            return;
        }
        b->argv = p;
        b->cap = cap;
    }
    if (!(b->argv[b->n] = strdup(arg))) {
        b->failed = true;
        return;
    }
    b->argv[++b->n] = NULL;
}

static void argv_free(struct argv_builder *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->argv[i]);
    free(b->argv);
}

/*
 * `-c` options that keep git from running anything the repository
 * configures while it only reads: no fsmonitor hook, and every filter
 * driver emptied and not required (git runs a clean filter to hash a file
 * whose stat data changed; libgit2 never runs one either). Returns 0, or
 * -1 when a driver's name cannot be said on a command line (it holds '=').
 */
static int push_no_exec_config(struct argv_builder *b, git_repository *repo)
{
    static const char *const driver_keys[] = {"clean", "smudge", "process", "required"};
    argv_push(b, "-c");
    argv_push(b, "core.fsmonitor=false");
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    git_config_entry *entry;
    int rc = 0;
    if (git_repository_config_snapshot(&cfg, repo) < 0 || git_config_iterator_new(&it, cfg) < 0) {
        git_config_free(cfg);
        git_error_clear();
        return 0; /* no configuration, no drivers */
    }
    struct strbuf opt;
    strbuf_init(&opt);
    while (rc == 0 && git_config_next(&entry, it) == 0) {
        const char *name = entry->name, *dot = strrchr(name, '.');
        if (strncmp(name, "filter.", 7) != 0 || !dot || dot <= name + 7)
            continue;
        int len = (int)(dot - (name + 7));
        if (memchr(name + 7, '=', (size_t)len)) {
            rc = -1;
            break;
        }
        for (size_t k = 0; k < sizeof(driver_keys) / sizeof(driver_keys[0]); k++) {
            strbuf_reset(&opt);
            strbuf_printf(&opt, "filter.%.*s.%s=%s", len, name + 7, driver_keys[k],
                          strcmp(driver_keys[k], "required") == 0 ? "false" : "");
            argv_push(b, "-c");
            argv_push(b, opt.data);
        }
    }
    strbuf_free(&opt);
    git_config_iterator_free(it);
    git_config_free(cfg);
    git_error_clear();
    return rc;
}

/* When libgit2 cannot do it (an index extension it does not know, the
 * history of a shallow clone), git itself can: ask it, with nothing of the
 * repository's run, and say so. */
static void status_via_git(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out,
                           const char *why)
{
    struct argv_builder b = {0};
    argv_push(&b, "git");
    argv_push(&b, "--no-optional-locks");
    if (push_no_exec_config(&b, repo) < 0) {
        argv_free(&b);
        set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL,
                    "%s, and git cannot be asked safely: a filter driver's name holds '='", why);
        return;
    }
    argv_push(&b, "status");
    argv_push(&b, "--porcelain=v2");
    argv_push(&b, "--branch");
    /* As libgit2 counts them, whatever status.showUntrackedFiles says. */
    argv_push(&b, "--untracked-files=normal");
    struct child_result res = {.exit_code = -1, .spawn_error = ENOMEM};
    struct outbuf saved = out->output;
    outbuf_init(&out->output, 4u << 20); /* porcelain of a large tree */
    if (!b.failed)
        run_git(req, b.argv, NULL, out, &res);
    argv_free(&b);
    size_t n = out->output.len;
    char *text = malloc(n + 1);
    if (text)
        n = outbuf_copy(&out->output, text, n);
    bool parsed = text && res.exit_code == 0 && !outbuf_truncated(&out->output) &&
                  gitinfo_parse_porcelain_v2(text, n, &out->info) == 0;
    free(text);
    outbuf_free(&out->output);
    out->output = saved;
    if (!parsed) {
        set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "%s, nor could git%s", why,
                    res.spawn_error == ENOENT ? ": git is not installed" : "");
        return;
    }
    out->has_info = true;
    gitinfo_summary(&out->info, &out->summary);
    strbuf_printf(&out->summary, " (read by git: %s)", why);
}

void gitop_status_run(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out)
{
    struct gitinfo *gi = &out->info;
    gi->state = repo_state(repo);
    /* libgit2 1.5 cannot walk past a shallow clone's boundary, so its
     * ahead/behind there would be wrong. */
    if (git_repository_is_shallow(repo) == 1) {
        status_via_git(req, repo, out, "libgit2 cannot count a shallow clone's history");
        return;
    }
    struct strbuf branch_ref;
    strbuf_init(&branch_ref);
    int err = read_branch(repo, gi, &branch_ref);
    strbuf_free(&branch_ref);
    if (err < 0) {
        fail_with_error(out, err, "cannot read HEAD");
        return;
    }
    err = count_changes(repo, gi, true);
    if (err < 0) {
        const git_error *e = git_error_last();
        if (e && e->klass == GIT_ERROR_INDEX) {
            char why[256];
            snprintf(why, sizeof(why), "libgit2 cannot read the index: %s", error_text());
            status_via_git(req, repo, out, why);
        } else {
            fail_with_error(out, err, "status");
        }
        return;
    }
    out->has_info = true;
    gitinfo_summary(gi, &out->summary);
}

void gitop_status_describe(const struct gitop_request *req, const char *self, struct strbuf *out)
{
    (void)self;
    strbuf_puts(out, "git -C ");
    shell_quote(out, req->path);
    strbuf_puts(out, " status");
}

/* --- fetch --- */

static int fetch_with_git(const struct gitop_request *req, git_repository *repo, const char *only,
                          struct gitop_outcome *out);

/* A ref a fetch moved, so it can be checked and, if need be, put back. */
struct moved_ref {
    char *name;
    git_oid from, to;
};

struct fetch_summary {
    unsigned remotes, updated_refs;
    const char *merge_ref;     /* in: a pull's upstream branch on the remote */
    bool merge_ref_advertised; /* out: the remote had it */
};

struct fetch_ctx {
    const struct gitop_request *req;
    struct gitop_outcome *out;
    bool tried_agent, tried_helper, tried_username;
    unsigned updated_refs;
    struct moved_ref *moved; /* this remote's, in this fetch */
    size_t nmoved, moved_cap;
    const char *merge_ref;     /* a pull's upstream branch on the remote, or NULL */
    bool merge_ref_advertised; /* the remote has it */
};

static void note_progress(const struct gitop_request *req)
{
    if (req->note_progress)
        req->note_progress(req->ctx);
}

/* Any bytes from the server, a keepalive included, are a sign of life. */
static void on_heard(void *payload)
{
    struct fetch_ctx *fc = payload;
    note_progress(fc->req);
}

static int make_transport(git_transport **out, git_remote *owner, void *payload)
{
    return quietfetch_transport(out, owner, on_heard, payload);
}

static int on_sideband(const char *str, int len, void *payload)
{
    struct fetch_ctx *fc = payload;
    if (len > 0)
        outbuf_append(&fc->out->output, str, (size_t)len);
    return cancelled(fc->req) ? -1 : 0;
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
    struct fetch_ctx *fc = payload;
    struct gitop_progress *p = fc->req->progress;
    if (p) {
        atomic_store(&p->objects, stats->received_objects);
        atomic_store(&p->total_objects, stats->total_objects);
        atomic_store(&p->bytes, stats->received_bytes);
        note_progress(fc->req);
    }
    return cancelled(fc->req) ? -1 : 0;
}

static int on_update_tips(const char *refname, const git_oid *a, const git_oid *b, void *payload)
{
    struct fetch_ctx *fc = payload;
    fc->updated_refs++;
    if (fc->nmoved == fc->moved_cap) {
        size_t cap = fc->moved_cap ? fc->moved_cap * 2 : 16;
        struct moved_ref *p = realloc(fc->moved, cap * sizeof(*p));
        if (!p)
            return -1;
        fc->moved = p;
        fc->moved_cap = cap;
    }
    char *name = strdup(refname);
    if (!name)
        return -1;
    fc->moved[fc->nmoved++] = (struct moved_ref){name, *a, *b};
    return cancelled(fc->req) ? -1 : 0;
}

static void forget_moved(struct fetch_ctx *fc)
{
    for (size_t i = 0; i < fc->nmoved; i++)
        free(fc->moved[i].name);
    fc->nmoved = 0;
}

static int blob_present(const char *root, const git_tree_entry *entry, void *payload)
{
    (void)root;
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
        return 0;
    return git_odb_exists(payload, git_tree_entry_id(entry)) ? 0 : -1;
}

/* Does every tree and blob of the commit at oid exist here? (Tags are
 * peeled; anything else counts as complete.) */
static bool snapshot_complete(git_repository *repo, git_odb *odb, const git_oid *oid)
{
    git_object *obj = NULL, *peeled = NULL;
    git_tree *tree = NULL;
    bool complete = true;
    if (git_object_lookup(&obj, repo, oid, GIT_OBJECT_ANY) < 0) {
        complete = false;
    } else if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0) {
        complete = git_commit_tree(&tree, (git_commit *)peeled) == 0 &&
                   git_tree_walk(tree, GIT_TREEWALK_PRE, blob_present, odb) == 0;
    }
    git_tree_free(tree);
    git_object_free(peeled);
    git_object_free(obj);
    git_error_clear();
    return complete;
}

/*
 * libgit2 trusts that whatever a ref of ours points at is complete, so over
 * an object store left incomplete (an interrupted fetch writes loose
 * objects, commits first) it can skip objects it never had and move refs
 * to snapshots that cannot be checked out. git checks; we check the new
 * tips' snapshots, and when one is incomplete put the refs back and let
 * `git fetch` repair the store. Returns 0, or -1 with the outcome set.
 */
static int verify_moved_refs(struct fetch_ctx *fc, git_repository *repo, const char *remote, bool *repaired)
{
    git_odb *odb = NULL;
    *repaired = false;
    if (fc->nmoved == 0 || git_repository_odb(&odb, repo) < 0)
        return 0;
    bool complete = true;
    for (size_t i = 0; i < fc->nmoved && complete; i++)
        if (!git_oid_is_zero(&fc->moved[i].to))
            complete = snapshot_complete(repo, odb, &fc->moved[i].to);
    git_odb_free(odb);
    if (complete)
        return 0;
    for (size_t i = 0; i < fc->nmoved; i++) {
        git_reference *ref = NULL;
        if (git_oid_is_zero(&fc->moved[i].from)) {
            if (git_reference_lookup(&ref, repo, fc->moved[i].name) == 0)
                git_reference_delete(ref);
        } else {
            git_reference_create(&ref, repo, fc->moved[i].name, &fc->moved[i].from, 1,
                                 "fetch: put back over an incomplete object store (repopool)");
        }
        git_reference_free(ref);
    }
    *repaired = true;
    return fetch_with_git(fc->req, repo, remote, fc->out);
}

/* Asks git's credential helpers, as `git fetch` would, without a prompt. */
static int credential_from_helpers(struct fetch_ctx *fc, git_credential **out, const char *url,
                                   const char *username)
{
    struct strbuf request, user, pass;
    strbuf_init(&request);
    strbuf_init(&user);
    strbuf_init(&pass);
    int rc = -1;
    if (credential_request(&request, url, username) == 0) {
        char *argv[] = {"git", "credential", "fill", NULL};
        struct outbuf answer;
        outbuf_init(&answer, 16384);
        struct child_result res;
        child_run(argv, fc->req->path, NULL, request.data, &answer, fc->req->cancel, 30, &res);
        char text[16384];
        size_t n = outbuf_copy(&answer, text, sizeof(text));
        if (res.exit_code == 0 && credential_parse(text, n, &user, &pass) == 0)
            rc = git_credential_userpass_plaintext_new(out, user.data ? user.data : "", pass.data);
        /* The password must not outlive its use. */
        explicit_bzero(text, sizeof(text));
        if (answer.data)
            explicit_bzero(answer.data, answer.cap);
        outbuf_free(&answer);
    }
    if (pass.data)
        explicit_bzero(pass.data, pass.cap); /* all of it: an earlier value may be longer */
    strbuf_free(&request);
    strbuf_free(&user);
    strbuf_free(&pass);
    return rc;
}

/* Each method is tried once; then the fetch fails as "auth". libgit2 calls
 * back after every rejection, so without this bookkeeping it would loop. */
static int on_credentials(git_credential **out, const char *url, const char *username_from_url,
                          unsigned int allowed, void *payload)
{
    struct fetch_ctx *fc = payload;
    if (cancelled(fc->req))
        return GIT_EUSER;
    const char *user = username_from_url && *username_from_url ? username_from_url : NULL;
    if ((allowed & GIT_CREDENTIAL_USERNAME) && !fc->tried_username) {
        fc->tried_username = true;
        return git_credential_username_new(out, user ? user : "git");
    }
    if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !fc->tried_agent) {
        fc->tried_agent = true;
        if (git_credential_ssh_key_from_agent(out, user ? user : "git") == 0)
            return 0;
    }
    if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !fc->tried_helper) {
        fc->tried_helper = true;
        if (credential_from_helpers(fc, out, url, user) == 0)
            return 0;
    }
    git_error_set_str(GIT_ERROR_CALLBACK,
                      "authentication failed (tried ssh-agent and git credential helpers, once each)");
    return GIT_EAUTH;
}

/* Did the remote list refname when the fetch connected? */
static bool remote_has_ref(git_remote *remote, const char *refname)
{
    const git_remote_head **heads = NULL;
    size_t n = 0;
    if (git_remote_ls(&heads, &n, remote) < 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(heads[i]->name, refname) == 0)
            return true;
    return false;
}

static int fetch_one_remote(struct fetch_ctx *fc, git_repository *repo, const char *name)
{
    git_remote *remote = NULL;
    git_strarray refspecs;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    int err = gitremote_open(repo, name, &remote, &refspecs, &fo);
    if (err < 0) {
        if (err == GIT_ENOTFOUND)
            set_outcome(fc->out, TASK_FAILED, RP_CLASS_USAGE, "no remote named '%s'", name);
        else
            fail_with_error(fc->out, err, name);
        return -1;
    }
    fo.callbacks.sideband_progress = on_sideband;
    fo.callbacks.transfer_progress = on_transfer;
    fo.callbacks.update_tips = on_update_tips;
    fo.callbacks.credentials = on_credentials;
    fo.callbacks.transport = make_transport;
    fo.callbacks.payload = fc;
    /* No certificate_check callback: libgit2's own verdict, known_hosts
     * included, stands. */
    fc->tried_agent = fc->tried_helper = fc->tried_username = false;
    forget_moved(fc);
    char reflog[300];
    snprintf(reflog, sizeof(reflog), "fetch %s (repopool)", name);
    struct gitop_progress *p = fc->req->progress;
    if (p) {
        /* The clock of silence starts now, before the watchdog may look. */
        note_progress(fc->req);
        atomic_store(&p->transferring, true);
    }
    err = git_remote_fetch(remote, &refspecs, &fo, reflog);
    if (p)
        atomic_store(&p->transferring, false);
    if (err == 0 && fc->merge_ref)
        fc->merge_ref_advertised = remote_has_ref(remote, fc->merge_ref);
    git_remote_free(remote);
    gitremote_strarray_free(&refspecs);
    if (err < 0) {
        if (cancelled(fc->req))
            set_outcome(fc->out, TASK_FAILED, RP_CLASS_NONE, "stopped");
        else
            fail_with_error(fc->out, err, name);
        return -1;
    }
    bool repaired;
    if (verify_moved_refs(fc, repo, name, &repaired) < 0)
        return -1;
    if (repaired) {
        static const char note[] = "repopool: the object store was incomplete; git fetch repaired it\n";
        outbuf_append(&fc->out->output, note, sizeof(note) - 1);
    }
    return 0;
}

static int fetch_with_libgit2(const struct gitop_request *req, git_repository *repo, const char *only,
                              struct gitop_outcome *out, struct fetch_summary *sum)
{
    struct fetch_ctx fc = {.req = req, .out = out, .merge_ref = sum->merge_ref};
    if (only) {
        sum->remotes = 1;
        int rc = fetch_one_remote(&fc, repo, only);
        sum->updated_refs = fc.updated_refs;
        sum->merge_ref_advertised = fc.merge_ref_advertised;
        forget_moved(&fc);
        free(fc.moved);
        return rc;
    }
    git_strarray names = {0};
    int err = gitremote_names(repo, &names);
    if (err < 0) {
        fail_with_error(out, err, "cannot list remotes");
        return -1;
    }
    int rc = 0;
    sum->remotes = (unsigned)names.count;
    for (size_t i = 0; i < names.count && rc == 0; i++)
        rc = fetch_one_remote(&fc, repo, names.strings[i]);
    gitremote_strarray_free(&names);
    sum->updated_refs = fc.updated_refs;
    forget_moved(&fc);
    free(fc.moved);
    return rc;
}

/* What a failed git child said: the class from all of its output (the
 * telling line is rarely the last), and its first "fatal:" or "error:"
 * line for the summary, with the line after it when it ends in a colon
 * (git names the first file in the way there). */
static enum rp_class read_git_failure(const struct gitop_outcome *out, char *line, size_t cap)
{
    size_t n = out->output.len;
    char *text = malloc(n + 1);
    line[0] = '\0';
    if (!text)
        return RP_CLASS_NETWORK;
    n = outbuf_copy(&out->output, text, n);
    text[n] = '\0';
    for (char *p = text; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
        if (strncmp(p, "fatal:", 6) == 0 || strncmp(p, "error:", 6) == 0) {
            int len = (int)strcspn(p, "\n");
            const char *next = p[len] ? p + len + 1 : "";
            next += strspn(next, " \t");
            int next_len = len > 0 && p[len - 1] == ':' ? (int)strcspn(next, "\n") : 0;
            snprintf(line, cap, "%.*s%s%.*s", len, p, next_len ? " " : "", next_len, next);
            break;
        }
    }
    if (!line[0])
        last_output_line(out, line, cap);
    enum rp_class cls = class_of_message(text);
    free(text);
    return cls;
}

static int fetch_with_git(const struct gitop_request *req, git_repository *repo, const char *only,
                          struct gitop_outcome *out)
{
    /* git says "does not appear to be a git repository" for an unknown
     * remote, as for an unreachable one: ask libgit2 which it is first. */
    git_remote *remote = NULL;
    git_strarray refspecs;
    git_fetch_options fo;
    git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
    if (only && gitremote_open(repo, only, &remote, &refspecs, &fo) == GIT_ENOTFOUND) {
        set_outcome(out, TASK_FAILED, RP_CLASS_USAGE, "no remote named '%s'", only);
        return -1;
    }
    if (remote) {
        git_remote_free(remote);
        gitremote_strarray_free(&refspecs);
    }
    /* A fetch runs nothing of the repository's: not even the
     * reference-transaction hook git would run as it moves refs. */
    char *argv[] = {"git", "-c", "core.hooksPath=/dev/null", "fetch", only ? (char *)only : "--all", NULL};
    struct child_result res;
    run_git(req, argv, NULL, out, &res);
    if (res.spawn_error) {
        set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot run git: %s", strerror(res.spawn_error));
        return -1;
    }
    if (res.stopped) {
        set_outcome(out, TASK_FAILED, RP_CLASS_TIMEOUT, "git fetch stopped");
        return -1;
    }
    if (res.exit_code != 0) {
        char line[400];
        enum rp_class cls = read_git_failure(out, line, sizeof(line));
        set_outcome(out, TASK_FAILED, res.term_signal ? RP_CLASS_SIGNAL : cls, "git fetch: exit %d: %s",
                    res.exit_code, line);
        return -1;
    }
    return 0;
}

static bool config_bool(git_repository *repo, const char *key)
{
    git_config *cfg = NULL;
    int value = 0;
    if (git_repository_config_snapshot(&cfg, repo) == 0)
        git_config_get_bool(&value, cfg, key);
    git_config_free(cfg);
    git_error_clear();
    return value;
}

/* Whether a fetch goes to `git fetch`: when asked, and where libgit2 1.5
 * would not do what git does: a shallow clone (it would ask for the whole
 * history and leave .git/shallow wrong) and submodule.recurse (git fetches
 * the submodules too). */
static bool fetch_by_git(const struct gitop_request *req, git_repository *repo)
{
    return req->fetch_with_git || git_repository_is_shallow(repo) == 1 || config_bool(repo, "submodule.recurse");
}

/* `git fetch` marks in FETCH_HEAD what the current branch would merge,
 * when the remote had it (git pull's "no such ref was fetched"). */
static bool fetch_head_has_merge(git_repository *repo)
{
    char path[PATH_MAX], line[4096];
    snprintf(path, sizeof(path), "%sFETCH_HEAD", git_repository_path(repo));
    FILE *f = fopen(path, "re");
    bool found = false;
    while (f && !found && fgets(line, sizeof(line), f)) {
        const char *tab = strchr(line, '\t');
        found = tab && tab[1] == '\t'; /* an empty not-for-merge field */
    }
    if (f)
        fclose(f);
    return found;
}

/* Fetches (every remote, or only), leaving the outcome's summary alone on
 * success; returns 0, or -1 with the outcome describing the failure. With
 * sum->merge_ref set (a pull), says whether the remote had that branch. */
static int fetch(const struct gitop_request *req, git_repository *repo, const char *only,
                 struct gitop_outcome *out, struct fetch_summary *sum)
{
    sum->remotes = sum->updated_refs = 0;
    sum->merge_ref_advertised = false;
    if (fetch_by_git(req, repo)) {
        sum->remotes = 1;
        int rc = fetch_with_git(req, repo, only, out);
        sum->merge_ref_advertised = rc == 0 && sum->merge_ref && fetch_head_has_merge(repo);
        return rc;
    }
    return fetch_with_libgit2(req, repo, only, out, sum);
}

void gitop_fetch_run(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out)
{
    struct fetch_summary sum = {0};
    if (fetch(req, repo, req->remote, out, &sum) < 0)
        return;
    unsigned nremotes = sum.remotes, updated = sum.updated_refs;
    if (fetch_by_git(req, repo)) {
        char last[400];
        last_output_line(out, last, sizeof(last));
        set_outcome(out, TASK_OK, RP_CLASS_NONE, "%s", last[0] ? last : "fetched");
    } else if (nremotes == 0) {
        set_outcome(out, TASK_OK, RP_CLASS_NONE, "no remotes to fetch");
    } else {
        unsigned long long bytes = req->progress ? atomic_load(&req->progress->bytes) : 0;
        set_outcome(out, TASK_OK, RP_CLASS_NONE, "%u remote%s: %s", nremotes, nremotes == 1 ? "" : "s",
                    updated ? "" : "up to date");
        if (updated)
            strbuf_printf(&out->summary, "%u ref%s updated, %llu bytes", updated, updated == 1 ? "" : "s", bytes);
    }
}

void gitop_fetch_describe(const struct gitop_request *req, const char *self, struct strbuf *out)
{
    (void)self;
    strbuf_puts(out, "git -C ");
    shell_quote(out, req->path);
    strbuf_puts(out, " fetch");
    if (req->remote) {
        strbuf_putc(out, ' ');
        shell_quote(out, req->remote);
    } else {
        strbuf_puts(out, " --all");
    }
}

/* --- pull: fetch, then fast-forward only --- */

/* The first lock a fast-forward would need that another git process holds
 * (index, HEAD, ORIG_HEAD, the branch), or NULL. git takes the ref locks
 * only after it has written the worktree, so they are checked first. */
static const char *lock_held(git_repository *repo, const char *branch_ref)
{
    const char *names[] = {"index", "HEAD", "ORIG_HEAD", branch_ref};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!names[i] || !names[i][0])
            continue;
        /* Refs live in the common directory, shared by every worktree. */
        const char *dir = strncmp(names[i], "refs/", 5) == 0 ? git_repository_commondir(repo)
                                                             : git_repository_path(repo);
        struct strbuf path;
        strbuf_init(&path);
        strbuf_printf(&path, "%s%s.lock", dir, names[i]);
        struct stat st;
        bool held = path.data && lstat(path.data, &st) == 0;
        strbuf_free(&path);
        if (held)
            return names[i];
    }
    return NULL;
}

/* What git printed when it would not fast-forward, as a class; *clean
 * says whether git refused before it wrote anything (it takes the index
 * lock and checks what is in the way first; a ref lock comes only after
 * the worktree was written). */
static enum rp_class class_of_refusal(const char *line, enum rp_class otherwise, bool *clean)
{
    *clean = true;
    if (strstr(line, "index.lock"))
        return RP_CLASS_LOCKED;
    if (strstr(line, "would be overwritten") || strstr(line, "would be removed"))
        return RP_CLASS_DIRTY;
    if (strstr(line, "Not possible to fast-forward"))
        return RP_CLASS_DIVERGED;
    *clean = false;
    return strstr(line, ".lock") ? RP_CLASS_LOCKED : otherwise;
}

/* Is there anything under dir (a path of the worktree, relative rel) that
 * the index does not track? */
static bool untracked_under(git_index *index, const char *dir, struct strbuf *rel)
{
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    size_t keep = rel->len;
    struct dirent *e;
    while (!found && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        strbuf_printf(rel, "/%s", e->d_name);
        struct strbuf full;
        strbuf_init(&full);
        strbuf_printf(&full, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(full.data, &st) == 0 && S_ISDIR(st.st_mode))
            found = untracked_under(index, full.data, rel);
        else
            found = !git_index_get_bypath(index, rel->data, 0);
        strbuf_free(&full);
        if (!found)
            rel->len = keep, rel->data[keep] = '\0';
    }
    closedir(d);
    return found;
}

/*
 * git counts ignored files as expendable: a fast-forward that brings a
 * tracked file where one sits, or a file where a directory holds one,
 * deletes it without a word. repopool refuses instead, and refuses
 * untracked files in the way too, before anything is written. Returns
 * true, with the first such path in *first, when something is in the way.
 */
static bool files_in_the_way(git_repository *repo, const git_oid *from, const git_oid *to, struct strbuf *first)
{
    git_commit *a = NULL, *b = NULL;
    git_tree *ta = NULL, *tb = NULL;
    git_diff *diff = NULL;
    git_index *index = NULL;
    bool in_the_way = false;
    const char *workdir = git_repository_workdir(repo);
    if (!workdir || git_commit_lookup(&a, repo, from) < 0 || git_commit_lookup(&b, repo, to) < 0 ||
        git_commit_tree(&ta, a) < 0 || git_commit_tree(&tb, b) < 0 ||
        git_diff_tree_to_tree(&diff, repo, ta, tb, NULL) < 0 || git_repository_index(&index, repo) < 0)
        goto done; /* git merge will look as well */
    struct strbuf path;
    strbuf_init(&path);
    for (size_t i = 0; i < git_diff_num_deltas(diff) && !in_the_way; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        if (d->status != GIT_DELTA_ADDED && d->status != GIT_DELTA_TYPECHANGE)
            continue;
        const char *name = d->new_file.path;
        /* Each leading directory, then the path itself: a file where a
         * directory must go is in the way; so is a directory where a file
         * must go, if it holds anything untracked. */
        const char *end = name;
        for (;;) {
            const char *next = strchr(end, '/');
            size_t len = next ? (size_t)(next - name) : strlen(name);
            strbuf_reset(&path);
            strbuf_printf(&path, "%s%.*s", workdir, (int)len, name);
            struct stat st;
            if (lstat(path.data, &st) < 0)
                break; /* nothing there, nor deeper */
            struct strbuf rel;
            strbuf_init(&rel);
            strbuf_printf(&rel, "%.*s", (int)len, name);
            if (S_ISDIR(st.st_mode))
                in_the_way = !next && untracked_under(index, path.data, &rel);
            else
                in_the_way = !git_index_get_bypath(index, rel.data, 0);
            if (in_the_way)
                strbuf_puts(first, rel.data);
            strbuf_free(&rel);
            if (in_the_way || !next || !S_ISDIR(st.st_mode))
                break;
            end = next + 1;
        }
    }
    strbuf_free(&path);
done:
    git_error_clear();
    git_index_free(index);
    git_diff_free(diff);
    git_tree_free(ta);
    git_tree_free(tb);
    git_commit_free(a);
    git_commit_free(b);
    return in_the_way;
}

/*
 * The fast-forward itself is git's own: `git merge --ff-only COMMIT`, as
 * `git pull --ff-only` runs it after its fetch, with git pull's reflog
 * message. git checks everything in the way before it writes, and does
 * what libgit2's checkout cannot: filter drivers, sparse checkouts in any
 * layout, submodule.recurse, the post-merge hook.
 */
static void fast_forward_by_git(const struct gitop_request *req, git_repository *repo, const git_oid *from,
                                const git_oid *to, struct gitop_outcome *out)
{
    char target[GIT_OID_HEXSZ + 1], a[8], b[8], line[400];
    git_oid_tostr(target, sizeof(target), to);
    char *argv[] = {"git", "merge", "--ff-only", "--quiet", target, NULL};
    char *env[] = {"GIT_REFLOG_ACTION=pull --ff-only", NULL};
    /* git merge writes ORIG_HEAD before it looks for what is in the way;
     * a refusal puts it back, so that it leaves nothing changed. */
    char orig_path[PATH_MAX], orig[128];
    snprintf(orig_path, sizeof(orig_path), "%sORIG_HEAD", git_repository_path(repo));
    FILE *f = fopen(orig_path, "rbe");
    bool existed = f != NULL;
    size_t orig_len = f ? fread(orig, 1, sizeof(orig), f) : 0;
    if (f)
        fclose(f);
    struct child_result res;
    run_git(req, argv, env, out, &res);
    if (res.spawn_error) {
        set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot run git: %s", strerror(res.spawn_error));
    } else if (res.stopped) {
        set_outcome(out, TASK_FAILED, RP_CLASS_TIMEOUT, "git merge stopped");
    } else if (res.exit_code != 0 || res.term_signal) {
        /* It failed here, not on the network: no retry would help. */
        read_git_failure(out, line, sizeof(line));
        bool clean;
        enum rp_class cls = class_of_refusal(line, res.term_signal ? RP_CLASS_SIGNAL : RP_CLASS_EXIT, &clean);
        set_outcome(out, clean ? TASK_SKIPPED : TASK_FAILED, cls, "git merge --ff-only: %s", line);
        if (clean && !existed) {
            unlink(orig_path);
        } else if (clean && orig_len < sizeof(orig) && (f = fopen(orig_path, "wbe"))) {
            fwrite(orig, 1, orig_len, f);
            fclose(f);
        }
    } else {
        git_oid_tostr(a, sizeof(a), from);
        git_oid_tostr(b, sizeof(b), to);
        git_oid_tostr(out->info.head, sizeof(out->info.head), to);
        set_outcome(out, TASK_OK, RP_CLASS_NONE, "fast-forwarded %s..%s", a, b);
    }
}

/* A git step after which the pull goes on only if it exited 0. */
static void run_git_step(const struct gitop_request *req, char *const argv[], struct gitop_outcome *out)
{
    struct child_result res;
    run_git(req, argv, NULL, out, &res);
    if (res.exit_code != 0) {
        char line[400];
        read_git_failure(out, line, sizeof(line));
        set_outcome(out, TASK_FAILED, res.term_signal ? RP_CLASS_SIGNAL : RP_CLASS_EXIT, "git %s %s: %s", argv[1],
                    argv[2], line);
    }
}

/* libgit2 1.5 cannot walk past a shallow clone's boundary: there git
 * counts. Returns 0, or -1 with the outcome set. */
static int ahead_behind(const struct gitop_request *req, git_repository *repo, const git_oid *local,
                        const git_oid *up, size_t *ahead, size_t *behind, struct gitop_outcome *out)
{
    if (git_repository_is_shallow(repo) != 1) {
        int err = git_graph_ahead_behind(ahead, behind, repo, local, up);
        if (err < 0)
            fail_with_error(out, err, "cannot compare with the upstream");
        return err < 0 ? -1 : 0;
    }
    char range[2 * GIT_OID_HEXSZ + 4], a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
    snprintf(range, sizeof(range), "%s...%s", git_oid_tostr(a, sizeof(a), local), git_oid_tostr(b, sizeof(b), up));
    char *argv[] = {"git", "rev-list", "--left-right", "--count", range, NULL};
    struct child_result res;
    struct outbuf saved = out->output;
    outbuf_init(&out->output, 4096);
    run_git(req, argv, NULL, out, &res);
    char text[128] = "";
    outbuf_copy(&out->output, text, sizeof(text) - 1);
    outbuf_free(&out->output);
    out->output = saved;
    if (res.exit_code != 0 || sscanf(text, "%zu %zu", ahead, behind) != 2) {
        set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot compare with the upstream (git rev-list)");
        return -1;
    }
    return 0;
}

void gitop_pull_run(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out)
{
    struct gitinfo *gi = &out->info;
    struct strbuf branch_ref;
    git_buf remote = GIT_BUF_INIT, merge_ref = GIT_BUF_INIT, upstream_ref = GIT_BUF_INIT;
    strbuf_init(&branch_ref);
    gi->state = repo_state(repo);
    /* Every refusal that needs no network comes first, and touches nothing. */
    if (gi->state != GITINFO_STATE_CLEAN) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "%s in progress", gitinfo_state_name(gi->state));
        goto done;
    }
    int err = read_branch(repo, gi, &branch_ref);
    if (err < 0) {
        fail_with_error(out, err, "cannot read HEAD");
        goto done;
    }
    const char *lock = lock_held(repo, branch_ref.data);
    if (lock) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_LOCKED, "%s.lock is held: another git process is at work", lock);
        goto done;
    }
    if (gi->detached) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_DETACHED, "HEAD is detached at %.7s", gi->head);
        goto done;
    }
    if (gi->unborn) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "%s has no commits yet", gi->branch);
        goto done;
    }
    if (!gi->upstream[0]) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "%s has no upstream branch", gi->branch);
        goto done;
    }
    if ((err = count_changes(repo, gi, false)) < 0) {
        /* An index libgit2 cannot read (a sparse index, say): git can. */
        const git_error *e = git_error_last();
        if (!e || e->klass != GIT_ERROR_INDEX) {
            fail_with_error(out, err, "status");
            goto done;
        }
        struct gitinfo keep = *gi;
        status_via_git(req, repo, out, "libgit2 cannot read the index");
        if (out->status != TASK_OK)
            goto done;
        keep.staged = gi->staged, keep.modified = gi->modified, keep.conflicted = gi->conflicted;
        *gi = keep;
        out->has_info = false;
    }
    if (gi->staged || gi->modified || gi->conflicted) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "uncommitted changes: %u staged, %u modified%s", gi->staged,
                    gi->modified, gi->conflicted ? ", conflicts" : "");
        goto done;
    }
    git_oid local;
    if ((err = git_oid_fromstr(&local, gi->head)) < 0 ||
        (err = gitremote_upstream(repo, branch_ref.data, &remote, &merge_ref, &upstream_ref)) < 0) {
        fail_with_error(out, err, "cannot resolve the upstream");
        goto done;
    }

    /* An upstream in this repository ('.') needs no fetch. */
    bool local_upstream = strcmp(remote.ptr, ".") == 0;
    struct fetch_summary sum = {.merge_ref = merge_ref.ptr};
    if (!local_upstream && fetch(req, repo, remote.ptr, out, &sum) < 0)
        goto done;
    /* As git pull: a branch the remote no longer has is not merged, even
     * if a stale remote-tracking ref for it is still here. */
    if (!local_upstream && !sum.merge_ref_advertised) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "upstream %s is not on the remote", gi->upstream);
        goto done;
    }
    if (cancelled(req)) {
        set_outcome(out, TASK_FAILED, RP_CLASS_NONE, "stopped");
        goto done;
    }

    git_oid up;
    size_t ahead = 0, behind = 0;
    struct strbuf in_the_way;
    strbuf_init(&in_the_way);
    if (git_reference_name_to_id(&up, repo, upstream_ref.ptr) < 0) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "upstream %s is gone", gi->upstream);
        goto done;
    }
    if (ahead_behind(req, repo, &local, &up, &ahead, &behind, out) < 0)
        goto done;
    gi->ahead = (unsigned)ahead;
    gi->behind = (unsigned)behind;
    if (ahead && behind) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_DIVERGED, "diverged from %s: ahead %zu, behind %zu", gi->upstream,
                    ahead, behind);
    } else if (!behind) {
        set_outcome(out, TASK_OK, RP_CLASS_NONE, ahead ? "up to date (ahead %zu)" : "up to date", ahead);
    } else if (files_in_the_way(repo, &local, &up, &in_the_way)) {
        set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "untracked or ignored files in the way: %s",
                    in_the_way.data ? in_the_way.data : "");
    } else if ((lock = lock_held(repo, branch_ref.data))) {
        /* Taken while we fetched. */
        set_outcome(out, TASK_SKIPPED, RP_CLASS_LOCKED, "%s.lock is held: another git process is at work", lock);
    } else {
        /* The commit id, not the ref: what was just compared is merged. */
        fast_forward_by_git(req, repo, &local, &up, out);
        /* What git pull runs after its merge when submodule.recurse is on. */
        if (out->status == TASK_OK && config_bool(repo, "submodule.recurse")) {
            char *update[] = {"git", "submodule", "update", "--recursive", "--checkout", NULL};
            run_git_step(req, update, out);
        }
        if (out->status == TASK_OK) {
            gi->behind = 0;
            strbuf_printf(&out->summary, " (%zu commit%s)", behind, behind == 1 ? "" : "s");
        }
    }
    strbuf_free(&in_the_way);
    out->has_info = true;
done:
    strbuf_free(&branch_ref);
    git_buf_dispose(&remote);
    git_buf_dispose(&merge_ref);
    git_buf_dispose(&upstream_ref);
}

/* No git command refuses as a pull here does (a dirty worktree git would
 * carry along), so a pull is replayed by repopool itself. */
void gitop_pull_describe(const struct gitop_request *req, const char *self, struct strbuf *out)
{
    shell_quote(out, self);
    strbuf_puts(out, req->fetch_with_git ? " --no-tui --fetch-with=git --git pull " : " --no-tui --git pull ");
    shell_quote(out, req->path);
}

void gitop_run(const struct gitop_request *req, struct gitop_outcome *out)
{
    git_repository *repo = NULL;
    if (open_repo(req, &repo, out) < 0)
        return;
    req->op->run(req, repo, out);
    git_repository_free(repo);
}
