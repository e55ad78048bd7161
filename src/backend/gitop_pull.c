/*
 * --git pull: fetch, then fast-forward only, or a refusal that leaves the
 * repository as it was.
 */

#include "repopool/gitops.h"

#include <git2.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/gitremote.h"
#include "repopool/template.h"

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
    gitop_run_git(req, argv, env, out, &res);
    if (res.spawn_error) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot run git: %s", strerror(res.spawn_error));
    } else if (res.stopped) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_TIMEOUT, "git merge stopped");
    } else if (res.exit_code != 0 || res.term_signal) {
        /* It failed here, not on the network: no retry would help. */
        gitop_read_git_failure(out, line, sizeof(line));
        bool clean;
        enum rp_class cls = class_of_refusal(line, res.term_signal ? RP_CLASS_SIGNAL : RP_CLASS_EXIT, &clean);
        gitop_set_outcome(out, clean ? TASK_SKIPPED : TASK_FAILED, cls, "git merge --ff-only: %s", line);
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
        gitop_set_outcome(out, TASK_OK, RP_CLASS_NONE, "fast-forwarded %s..%s", a, b);
    }
}

/* A git step after which the pull goes on only if it exited 0. */
static void run_git_step(const struct gitop_request *req, char *const argv[], struct gitop_outcome *out)
{
    struct child_result res;
    gitop_run_git(req, argv, NULL, out, &res);
    if (res.exit_code != 0) {
        char line[400];
        gitop_read_git_failure(out, line, sizeof(line));
        gitop_set_outcome(out, TASK_FAILED, res.term_signal ? RP_CLASS_SIGNAL : RP_CLASS_EXIT, "git %s %s: %s",
                          argv[1], argv[2], line);
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
            gitop_fail_with_error(out, err, "cannot compare with the upstream");
        return err < 0 ? -1 : 0;
    }
    char range[2 * GIT_OID_HEXSZ + 4], a[GIT_OID_HEXSZ + 1], b[GIT_OID_HEXSZ + 1];
    snprintf(range, sizeof(range), "%s...%s", git_oid_tostr(a, sizeof(a), local), git_oid_tostr(b, sizeof(b), up));
    char *argv[] = {"git", "rev-list", "--left-right", "--count", range, NULL};
    struct child_result res;
    size_t n;
    char *text = gitop_git_text(req, argv, 4096, &n, &res);
    bool counted = text && res.exit_code == 0 && sscanf(text, "%zu %zu", ahead, behind) == 2;
    free(text);
    if (!counted) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot compare with the upstream (git rev-list)");
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
    gi->state = gitop_repo_state(repo);
    /* Every refusal that needs no network comes first, and touches nothing. */
    if (gi->state != GITINFO_STATE_CLEAN) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "%s in progress", gitinfo_state_name(gi->state));
        goto done;
    }
    int err = gitop_read_branch(repo, gi, &branch_ref);
    if (err < 0) {
        gitop_fail_with_error(out, err, "cannot read HEAD");
        goto done;
    }
    const char *lock = lock_held(repo, branch_ref.data);
    if (lock) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_LOCKED, "%s.lock is held: another git process is at work",
                          lock);
        goto done;
    }
    if (gi->detached) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_DETACHED, "HEAD is detached at %.7s", gi->head);
        goto done;
    }
    if (gi->unborn) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "%s has no commits yet", gi->branch);
        goto done;
    }
    if (!gi->upstream[0]) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "%s has no upstream branch", gi->branch);
        goto done;
    }
    if ((err = gitop_count_changes(repo, gi, false)) < 0) {
        /* An index libgit2 cannot read (a sparse index, say): git can. */
        const git_error *e = git_error_last();
        if (!e || e->klass != GIT_ERROR_INDEX) {
            gitop_fail_with_error(out, err, "status");
            goto done;
        }
        struct gitinfo keep = *gi;
        gitop_status_via_git(req, repo, out, "libgit2 cannot read the index");
        if (out->status != TASK_OK)
            goto done;
        keep.staged = gi->staged, keep.modified = gi->modified, keep.conflicted = gi->conflicted;
        *gi = keep;
        out->has_info = false;
    }
    if (gi->staged || gi->modified || gi->conflicted) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "uncommitted changes: %u staged, %u modified%s",
                          gi->staged, gi->modified, gi->conflicted ? ", conflicts" : "");
        goto done;
    }
    git_oid local;
    if ((err = git_oid_fromstr(&local, gi->head)) < 0 ||
        (err = gitremote_upstream(repo, branch_ref.data, &remote, &merge_ref, &upstream_ref)) < 0) {
        gitop_fail_with_error(out, err, "cannot resolve the upstream");
        goto done;
    }

    /* An upstream in this repository ('.') needs no fetch. */
    bool local_upstream = strcmp(remote.ptr, ".") == 0;
    struct gitop_fetch_summary sum = {.merge_ref = merge_ref.ptr};
    if (!local_upstream && gitop_fetch(req, repo, remote.ptr, out, &sum) < 0)
        goto done;
    /* As git pull: a branch the remote no longer has is not merged, even
     * if a stale remote-tracking ref for it is still here. */
    if (!local_upstream && !sum.merge_ref_advertised) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "upstream %s is not on the remote", gi->upstream);
        goto done;
    }
    if (gitop_cancelled(req)) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_NONE, "stopped");
        goto done;
    }

    git_oid up;
    size_t ahead = 0, behind = 0;
    struct strbuf in_the_way;
    strbuf_init(&in_the_way);
    if (git_reference_name_to_id(&up, repo, upstream_ref.ptr) < 0) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_NO_UPSTREAM, "upstream %s is gone", gi->upstream);
        goto done;
    }
    if (ahead_behind(req, repo, &local, &up, &ahead, &behind, out) < 0)
        goto done;
    gi->ahead = (unsigned)ahead;
    gi->behind = (unsigned)behind;
    if (ahead && behind) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_DIVERGED, "diverged from %s: ahead %zu, behind %zu",
                          gi->upstream, ahead, behind);
    } else if (!behind) {
        gitop_set_outcome(out, TASK_OK, RP_CLASS_NONE, ahead ? "up to date (ahead %zu)" : "up to date", ahead);
    } else if (files_in_the_way(repo, &local, &up, &in_the_way)) {
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_DIRTY, "untracked or ignored files in the way: %s",
                          in_the_way.data ? in_the_way.data : "");
    } else if ((lock = lock_held(repo, branch_ref.data))) {
        /* Taken while we fetched. */
        gitop_set_outcome(out, TASK_SKIPPED, RP_CLASS_LOCKED, "%s.lock is held: another git process is at work",
                          lock);
    } else {
        /* The commit id, not the ref: what was just compared is merged. */
        fast_forward_by_git(req, repo, &local, &up, out);
        /* What git pull runs after its merge when submodule.recurse is on. */
        if (out->status == TASK_OK && gitop_config_bool(repo, "submodule.recurse")) {
            char *update[] = {"git", "submodule", "update", "--recursive", "--checkout", NULL};
            run_git_step(req, update, out);
        }
        if (out->status == TASK_OK) {
            gi->behind = 0;
            gitnews_pull(repo, &local, &up, behind, &out->output, &out->summary);
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
    template_shell_quote(out, self);
    strbuf_puts(out, req->fetch_with_git ? " --no-tui --fetch-with=git --git pull " : " --no-tui --git pull ");
    template_shell_quote(out, req->path);
}
