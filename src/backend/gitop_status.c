/*
 * --git status: branch, upstream, ahead/behind and the counts of `git status
 * --porcelain=v2 --branch`, read through libgit2, or asked of git where
 * libgit2 cannot read them. A pull checks the same before it fetches, with
 * the readers exported here (gitops.h).
 */

#include "repopool/gitops.h"

#include <git2.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
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

/* Counts changes as `git status --porcelain=v2` lists them. */
int gitop_count_changes(git_repository *repo, struct gitinfo *gi, bool with_untracked)
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
void gitop_status_via_git(const struct gitop_request *req, git_repository *repo, struct gitop_outcome *out,
                          const char *why)
{
    struct argv_builder b = {0};
    argv_push(&b, "git");
    argv_push(&b, "--no-optional-locks");
    if (push_no_exec_config(&b, repo) < 0) {
        argv_free(&b);
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL,
                          "%s, and git cannot be asked safely: a filter driver's name holds '='", why);
        return;
    }
    argv_push(&b, "status");
    argv_push(&b, "--porcelain=v2");
    argv_push(&b, "--branch");
    /* As libgit2 counts them, whatever status.showUntrackedFiles says. */
    argv_push(&b, "--untracked-files=normal");
    struct child_result res = {.exit_code = -1};
    size_t n = 0;
    /* Room for the porcelain of a large tree. */
    char *text = gitop_git_text(req, b.argv, 4u << 20, &n, &res);
    argv_free(&b);
    bool parsed = text && res.exit_code == 0 && gitinfo_parse_porcelain_v2(text, n, &out->info) == 0;
    free(text);
    if (!parsed) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "%s, nor could git%s", why,
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
    gi->state = gitop_repo_state(repo);
    /* libgit2 1.5 cannot walk past a shallow clone's boundary, so its
     * ahead/behind there would be wrong. */
    if (git_repository_is_shallow(repo) == 1) {
        gitop_status_via_git(req, repo, out, "libgit2 cannot count a shallow clone's history");
        return;
    }
    struct strbuf branch_ref;
    strbuf_init(&branch_ref);
    int err = gitop_read_branch(repo, gi, &branch_ref);
    strbuf_free(&branch_ref);
    if (err < 0) {
        gitop_fail_with_error(out, err, "cannot read HEAD");
        return;
    }
    err = gitop_count_changes(repo, gi, true);
    if (err < 0) {
        const git_error *e = git_error_last();
        if (e && e->klass == GIT_ERROR_INDEX) {
            char why[256];
            snprintf(why, sizeof(why), "libgit2 cannot read the index: %s", gitop_error_text());
            gitop_status_via_git(req, repo, out, why);
        } else {
            gitop_fail_with_error(out, err, "status");
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
    template_shell_quote(out, req->path);
    strbuf_puts(out, " status");
}
