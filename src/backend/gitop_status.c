/*
 * --git status: branch, upstream, ahead/behind and the counts of `git status
 * --porcelain=v2 --branch`, read through libgit2, or asked of git where
 * libgit2 cannot read them or git reads them faster. A pull checks the same
 * before it fetches, with the readers exported here (gitops.h).
 *
 * Like `git status`, a status run writes refreshed stat data back to the
 * index, so that files whose stat data went stale (a copied repository) are
 * hashed once, not at every run. libgit2 1.5's own write-back
 * (GIT_STATUS_OPT_UPDATE_INDEX) cannot be used: it fails the whole status
 * when another process holds index.lock, drops the index extensions libgit2
 * does not know (untracked cache, fsmonitor data) and invalidates the cache
 * tree of every entry it refreshes. git writes its own index, so git
 * writes it: the git that reads a repository, or a `git status` that only
 * refreshes when libgit2 had to hash files whose stat data was stale.
 */

#include "repopool/gitops.h"

#include <git2.h>
#include <git2/sys/diff.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/array.h"
#include "repopool/indexfacts.h"
#include "repopool/gitremote.h"
#include "repopool/template.h"
#include "repopool/xalloc.h"

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

enum gitinfo_state gitop_repo_state(git_repository *repo)
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
int gitop_read_branch(git_repository *repo, struct gitinfo *gi, struct strbuf *branch_ref)
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

/*
 * Files libgit2 hashed and found unchanged: their stat data in the index is
 * stale (or racily clean), and `git status` would have written it back.
 * libgit2 hashes a file only when its size matches the index; a delta with
 * the hash of its worktree side is one it hashed and found changed.
 */
static size_t rehashed_unchanged(git_status_list *list)
{
    git_diff_perfdata perf = GIT_DIFF_PERFDATA_INIT;
    if (git_status_list_get_perfdata(&perf, list) < 0) {
        git_error_clear();
        return 0;
    }
    size_t changed = 0, n = git_status_list_entrycount(list);
    for (size_t i = 0; i < n; i++) {
        const git_diff_delta *d = git_status_byindex(list, i)->index_to_workdir;
        if (d && !git_oid_is_zero(&d->new_file.id))
            changed++;
    }
    return perf.oid_calculations > changed ? perf.oid_calculations - changed : 0;
}

/* Counts changes as `git status --porcelain=v2` lists them; *rehashed (when
 * not NULL) gets rehashed_unchanged(). */
static int count_changes(git_repository *repo, struct gitinfo *gi, bool with_untracked, size_t *rehashed)
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
    if (rehashed)
        *rehashed = rehashed_unchanged(list);
    git_index_free(index);
    git_status_list_free(list);
    return 0;
}

int gitop_count_changes(git_repository *repo, struct gitinfo *gi, bool with_untracked)
{
    return count_changes(repo, gi, with_untracked, NULL);
}

/* A NULL-terminated argv that grows; strings it owns are freed with it. */
struct argv_builder {
    char **argv;
    size_t n, cap;
};

static void argv_push(struct argv_builder *b, const char *arg)
{
    array_reserve((void **)&b->argv, &b->cap, b->n + 2, sizeof(*b->argv));
    b->argv[b->n] = xstrdup(arg);
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
 * configures while it reads: no fsmonitor hook, no hooks at all (a git that
 * writes the index runs post-index-change; /dev/null/NAME is never a file),
 * and every filter driver emptied and not required (git runs a clean
 * filter to hash a file whose stat data changed; libgit2 never runs one
 * either). Returns 0, or -1 when a driver's name cannot be said on a
 * command line (it holds '=').
 */
static int push_no_exec_config(struct argv_builder *b, git_repository *repo)
{
    static const char *const driver_keys[] = {"clean", "smudge", "process", "required"};
    argv_push(b, "-c");
    argv_push(b, "core.fsmonitor=false");
    argv_push(b, "-c");
    argv_push(b, "core.hooksPath=/dev/null");
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

/* Whether git may take index.lock for a write it could do without: not when
 * the user said GIT_OPTIONAL_LOCKS=0, as git itself reads it (any of git's
 * false words; a value git would refuse counts as false here). */
static bool optional_locks_allowed(void)
{
    const char *v = getenv("GIT_OPTIONAL_LOCKS");
    int on = 1;
    if (v && git_config_parse_bool(&on, v) < 0) {
        git_error_clear();
        on = 0;
    }
    return on;
}

/* Whether the repository has a post-index-change hook, where git would
 * look for it: core.hooksPath (relative to the working tree, where git
 * runs), or hooks/ in the common directory. */
static bool has_index_change_hook(git_repository *repo)
{
    git_config *cfg = NULL;
    git_buf dir = GIT_BUF_INIT;
    struct strbuf path;
    strbuf_init(&path);
    if (git_repository_config_snapshot(&cfg, repo) == 0 && git_config_get_path(&dir, cfg, "core.hooksPath") == 0)
        strbuf_printf(&path, "%s%s/post-index-change", dir.ptr[0] == '/' ? "" : git_repository_workdir(repo),
                      dir.ptr);
    else
        strbuf_printf(&path, "%shooks/post-index-change", git_repository_commondir(repo));
    bool found = access(path.data, X_OK) == 0;
    strbuf_free(&path);
    git_buf_dispose(&dir);
    git_config_free(cfg);
    git_error_clear();
    return found;
}

/* Whether a `git status` asked here may write the index back: only where
 * the write changes stat data and nothing else, and git would run nothing
 * for it. With fsmonitor data, a git told not to run the fsmonitor hook
 * drops it; a split index may get new shared index files; a
 * post-index-change hook expects to hear of every write, and must not run. */
static bool git_may_write_index(git_repository *repo, const struct index_facts *f)
{
    return optional_locks_allowed() && !f->fsmonitor && !f->split && !has_index_change_hook(repo);
}

/* `git status` with args after the options that keep git from running
 * anything of the repository; --no-optional-locks unless may_write. Returns
 * what it printed (to free()), NULL when it could not be asked or failed. */
static char *run_git_status(const struct gitop_request *req, git_repository *repo, bool may_write,
                            const char *const *args, size_t *len, struct child_result *res, bool *unsafe)
{
    struct argv_builder b = {0};
    argv_push(&b, "git");
    if (!may_write)
        argv_push(&b, "--no-optional-locks");
    *unsafe = push_no_exec_config(&b, repo) < 0;
    if (*unsafe) {
        argv_free(&b);
        return NULL;
    }
    argv_push(&b, "status");
    for (const char *const *a = args; *a; a++)
        argv_push(&b, *a);
    /* Room for the porcelain of a large tree. */
    char *text = gitop_git_text(req, b.argv, 4u << 20, len, res);
    argv_free(&b);
    if (text && res->exit_code != 0) {
        free(text);
        text = NULL;
    }
    return text;
}

/*
 * Asks git for the status; it writes refreshed stat data back (as `git
 * status` does: only when it can take index.lock at once) when may_write.
 * Returns true when the outcome is set. When git is only asked because it
 * is faster (optional) and gives no answer (not installed, a failure, more
 * output than is kept), returns false with the outcome untouched: libgit2
 * can still answer.
 */
static bool status_by_git(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out,
                          const char *why, bool may_write, bool optional)
{
    /* --untracked-files: as libgit2 counts them, whatever
     * status.showUntrackedFiles says. */
    static const char *const args[] = {"--porcelain=v2", "--branch", "--untracked-files=normal", NULL};
    struct child_result res = {.exit_code = -1};
    bool unsafe = false;
    size_t n = 0;
    char *text = run_git_status(req, repo, may_write, args, &n, &res, &unsafe);
    struct gitinfo info = {.state = out->info.state};
    bool parsed = text && gitinfo_parse_porcelain_v2(text, n, &info) == 0;
    free(text);
    if (!parsed && optional && !gitop_cancelled(req))
        return false;
    if (unsafe) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL,
                          "%s, and git cannot be asked safely: a filter driver's name holds '='", why);
    } else if (!parsed) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "%s, nor could git%s", why,
                          res.spawn_error == ENOENT ? ": git is not installed" : "");
    } else {
        out->info = info;
        out->has_info = true;
        gitinfo_summary(&out->info, &out->summary);
        strbuf_printf(&out->summary, " (read by git: %s)", why);
    }
    return true;
}

/* When libgit2 cannot do it (an index extension it does not know, the
 * history of a shallow clone), git itself can: ask it, with nothing of the
 * repository's run, and say so. It writes nothing: a pull checks before it
 * changes anything. */
void gitop_status_via_git(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out,
                          const char *why)
{
    status_by_git(req, repo, out, why, false, false);
}

/* libgit2 found stale stat data: have git refresh the index and write it, as
 * a `git status` would, and nothing else (no untracked files, no
 * submodules). Its result is not needed, and a failure (index.lock held)
 * leaves the index as it was: the next run tries again. */
static void refresh_index_by_git(const struct gitop_request *req, git_repository *repo)
{
    static const char *const args[] = {"--porcelain", "--untracked-files=no", "--ignore-submodules=all", NULL};
    struct child_result res = {.exit_code = -1};
    bool unsafe = false;
    size_t n = 0;
    free(run_git_status(req, repo, true, args, &n, &res, &unsafe));
}

/* How many files of the index are checked for stale stat data before
 * libgit2 reads a repository: enough to see a copied or touched tree, where
 * all of them are stale, for the cost of as many lstat calls. */
#define STALE_SAMPLE 16

/* Whether the index holds stat data st no longer matches where libgit2
 * would hash the file to know: same size, type and executable bit (or the
 * file is modified, no hash needed), but another time, inode or owner (what
 * libgit2 1.5 compares). */
static bool stat_stale(const git_index_entry *e, const struct stat *st, bool trust_ctime)
{
    if ((e->mode & 0170000) != (st->st_mode & 0170000) || e->file_size != (uint32_t)st->st_size ||
        (S_ISREG(st->st_mode) && !(e->mode & 0100) != !(st->st_mode & S_IXUSR)))
        return false;
    return e->mtime.seconds != (int32_t)st->st_mtim.tv_sec || e->mtime.nanoseconds != (uint32_t)st->st_mtim.tv_nsec ||
           (trust_ctime && (e->ctime.seconds != (int32_t)st->st_ctim.tv_sec ||
                            e->ctime.nanoseconds != (uint32_t)st->st_ctim.tv_nsec)) ||
           e->ino != (uint32_t)st->st_ino || e->uid != (uint32_t)st->st_uid || e->gid != (uint32_t)st->st_gid;
}

/* Whether a sample of the index's files (spread over it) has stale stat
 * data: then libgit2 would hash most of the tree, and git, which hashes
 * them too, also writes the result back in the same pass. */
static bool index_looks_stale(git_repository *repo)
{
    git_index *index = NULL;
    const char *workdir = git_repository_workdir(repo);
    if (!workdir || git_repository_index(&index, repo) < 0) {
        git_error_clear();
        return false;
    }
    int trust_ctime = 1;
    git_config *cfg = NULL;
    if (git_repository_config_snapshot(&cfg, repo) == 0)
        git_config_get_bool(&trust_ctime, cfg, "core.trustctime");
    git_config_free(cfg);
    git_error_clear();
    size_t n = git_index_entrycount(index), step = n > STALE_SAMPLE ? n / STALE_SAMPLE : 1;
    bool stale = false;
    struct strbuf path;
    strbuf_init(&path);
    for (size_t i = 0; i < n && !stale; i += step) {
        const git_index_entry *e = git_index_get_byindex(index, i);
        struct stat st;
        if (!e || git_index_entry_stage(e) != 0 || (e->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE))
            continue;
        strbuf_reset(&path);
        strbuf_printf(&path, "%s%s", workdir, e->path);
        stale = lstat(path.data, &st) == 0 && stat_stale(e, &st, trust_ctime);
    }
    strbuf_free(&path);
    git_index_free(index);
    return stale;
}

/*
 * Index entries above which git is asked instead of libgit2 when it may
 * be: git lstats in threads by relative path and skips unchanged trees with
 * the cache tree, libgit2 1.5 lstats one file after another by absolute path
 * and reads every tree of HEAD. Measured on 2 shared cores, repopool
 * through libgit2 against repopool through git: 64 repositories at -j 8
 * take 62 against 98 ms at 200 files each, about as long at 500, and
 * 10-30 % longer through libgit2 from 700 on (which also varies much more
 * there); their CPU time crosses at about 1,000 to 1,500 files, a single
 * repository's wall time at about 2,500. To measure again, build with
 * -DGIT_FASTER_ABOVE=0 (always git) and -DGIT_FASTER_ABOVE=UINT32_MAX
 * (never) and time both.
 */
#ifndef GIT_FASTER_ABOVE
#define GIT_FASTER_ABOVE 1000
#endif

enum reader {
    READ_BY_LIBGIT2,
    READ_BY_GIT_FASTER, /* git is faster; libgit2 can answer too */
    READ_BY_GIT_ONLY,   /* libgit2 cannot read the index */
};

/* Who should read this repository; why (for the summary) says why git. */
static enum reader choose_reader(git_repository *repo, const struct index_facts *f, char *why, size_t cap)
{
    if (f->mandatory[0]) {
        snprintf(why, cap, "libgit2 cannot read the index's '%s' extension", f->mandatory);
        return READ_BY_GIT_ONLY;
    }
    /* A `git status` of a repository with submodules runs git in each, with
     * their own configuration: libgit2 reads them without running anything. */
    if (f->gitlinks)
        return READ_BY_LIBGIT2;
    if (f->entries > GIT_FASTER_ABOVE) {
        snprintf(why, cap, "%u files", f->entries);
        return READ_BY_GIT_FASTER;
    }
    if (index_looks_stale(repo)) {
        snprintf(why, cap, "stale stat data in the index");
        return READ_BY_GIT_FASTER;
    }
    return READ_BY_LIBGIT2;
}

void gitop_status_run(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out)
{
    struct gitinfo *gi = &out->info;
    gi->state = gitop_repo_state(repo);
    struct index_facts facts;
    if (index_facts_read(git_repository_path(repo), &facts) < 0)
        memset(&facts, 0, sizeof(facts));
    /* libgit2 1.5 cannot walk past a shallow clone's boundary, so its
     * ahead/behind there would be wrong. */
    if (git_repository_is_shallow(repo) == 1) {
        status_by_git(req, repo, out, "libgit2 cannot count a shallow clone's history",
                      git_may_write_index(repo, &facts), false);
        return;
    }
    char why[256];
    enum reader reader = choose_reader(repo, &facts, why, sizeof(why));
    if (reader != READ_BY_LIBGIT2 &&
        status_by_git(req, repo, out, why, git_may_write_index(repo, &facts), reader == READ_BY_GIT_FASTER))
        return;
    struct strbuf branch_ref;
    strbuf_init(&branch_ref);
    int err = gitop_read_branch(repo, gi, &branch_ref);
    strbuf_free(&branch_ref);
    if (err < 0) {
        gitop_fail_with_error(out, err, "cannot read HEAD");
        return;
    }
    size_t rehashed = 0;
    err = count_changes(repo, gi, true, &rehashed);
    if (err < 0) {
        const git_error *e = git_error_last();
        if (e && e->klass == GIT_ERROR_INDEX) {
            snprintf(why, sizeof(why), "libgit2 cannot read the index: %s", gitop_error_text());
            status_by_git(req, repo, out, why, git_may_write_index(repo, &facts), false);
        } else {
            gitop_fail_with_error(out, err, "status");
        }
        return;
    }
    if (rehashed > 0 && git_may_write_index(repo, &facts))
        refresh_index_by_git(req, repo);
    out->has_info = true;
    gitinfo_summary(gi, &out->summary);
}

void gitop_status_describe(const struct gitop_request *req, const char *self, struct strbuf *out)
{
    (void)self;
    strbuf_puts(out, "git -C ");
    template_shell_quote(out, req->path);
    strbuf_puts(out, " status");
}
