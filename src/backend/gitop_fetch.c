/*
 * --git fetch: every remote, or --remote's, through libgit2 (credentials
 * tried once each, new tips checked for complete snapshots), or through a
 * `git fetch` child where libgit2 1.5 would not do what git does. A pull
 * fetches its upstream's remote with gitop_fetch.
 */

#include "repopool/gitops.h"

#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/credential.h"
#include "repopool/fetchwire.h"
#include "repopool/gitremote.h"
#include "repopool/gitnews.h"
#include "repopool/havewalk.h"
#include "repopool/template.h"
#include "repopool/xalloc.h"

static int fetch_with_git(const struct gitop_request *req, git_repository *repo, const char *only,
                          struct gitop_outcome *out);

/* A ref a fetch moved, so it can be checked and, if need be, put back. */
struct moved_ref {
    char *name;
    git_oid from, to;
};

struct fetch_ctx {
    const struct gitop_request *req;
    struct gitop_outcome *out;
    bool tried_agent, tried_helper, tried_username;
    struct gitnews *news; /* what the fetch brought, over all remotes */
    struct moved_ref *moved; /* this remote's, in this fetch */
    size_t nmoved, moved_cap;
    const char *merge_ref;     /* a pull's upstream branch on the remote, or NULL */
    bool merge_ref_advertised; /* the remote has it */
    /* The remote being fetched, its refspecs, and the haves we send it. */
    git_remote *remote;
    git_refspec **refspecs;
    size_t nrefspecs;
    struct have_walk *haves;
    bool got_pack; /* pack data arrived from this remote */
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

/* The local refs the wanted ids will update start the have walk: the
 * server's new commits most likely build on what they point at now. */
static void on_wants(void *payload, const git_oid *ids, size_t n)
{
    struct fetch_ctx *fc = payload;
    const git_remote_head **heads = NULL;
    size_t nheads = 0;
    if (git_remote_ls(&heads, &nheads, fc->remote) < 0) {
        git_error_clear();
        return;
    }
    for (size_t h = 0; h < nheads; h++) {
        bool wanted = false;
        for (size_t i = 0; i < n && !wanted; i++)
            wanted = git_oid_equal(&heads[h]->oid, &ids[i]);
        for (size_t r = 0; wanted && r < fc->nrefspecs; r++) {
            git_buf local = GIT_BUF_INIT;
            if (git_refspec_src_matches(fc->refspecs[r], heads[h]->name) &&
                git_refspec_transform(&local, fc->refspecs[r], heads[h]->name) == 0)
                have_walk_prefer_ref(fc->haves, local.ptr);
            git_buf_dispose(&local);
        }
    }
}

static bool next_have(void *payload, git_oid *out)
{
    struct fetch_ctx *fc = payload;
    return have_walk_next(fc->haves, out);
}

static int make_transport(git_transport **out, git_remote *owner, void *payload)
{
    struct fetchwire_hooks hooks = {on_heard, on_wants, next_have, payload};
    return fetchwire_transport(out, owner, &hooks);
}

/* The remote's fetch refspecs, parsed, for on_wants. */
static void parse_refspecs(struct fetch_ctx *fc, const git_strarray *specs)
{
    fc->refspecs = xcalloc(specs->count, sizeof(*fc->refspecs));
    fc->nrefspecs = 0;
    for (size_t i = 0; i < specs->count; i++) {
        if (git_refspec_parse(&fc->refspecs[fc->nrefspecs], specs->strings[i], 1) == 0)
            fc->nrefspecs++;
        else
            git_error_clear();
    }
}

static void free_refspecs(struct fetch_ctx *fc)
{
    for (size_t i = 0; i < fc->nrefspecs; i++)
        git_refspec_free(fc->refspecs[i]);
    free(fc->refspecs);
    fc->refspecs = NULL;
    fc->nrefspecs = 0;
}

static int on_sideband(const char *str, int len, void *payload)
{
    struct fetch_ctx *fc = payload;
    if (len > 0)
        outbuf_append(&fc->out->output, str, (size_t)len);
    return gitop_cancelled(fc->req) ? -1 : 0;
}

static int on_transfer(const git_indexer_progress *stats, void *payload)
{
    struct fetch_ctx *fc = payload;
    if (stats->received_bytes > 0)
        fc->got_pack = true;
    struct gitop_progress *p = fc->req->progress;
    if (p) {
        atomic_store(&p->objects, stats->received_objects);
        atomic_store(&p->total_objects, stats->total_objects);
        atomic_store(&p->bytes, stats->received_bytes);
        note_progress(fc->req);
    }
    return gitop_cancelled(fc->req) ? -1 : 0;
}

static int on_update_tips(const char *refname, const git_oid *a, const git_oid *b, void *payload)
{
    struct fetch_ctx *fc = payload;
    array_reserve((void **)&fc->moved, &fc->moved_cap, fc->nmoved + 1, sizeof(*fc->moved));
    fc->moved[fc->nmoved++] = (struct moved_ref){xstrdup(refname), *a, *b};
    return gitop_cancelled(fc->req) ? -1 : 0;
}

static void forget_moved(struct fetch_ctx *fc)
{
    for (size_t i = 0; i < fc->nmoved; i++)
        free(fc->moved[i].name);
    fc->nmoved = 0;
}

/* Is every tree and blob under tree present? Entries equal to base's (a
 * tree known to be complete) are, so only what differs is looked at: a
 * fetch of a few commits checks a few paths, not the whole snapshot. */
static bool tree_complete(git_repository *repo, git_odb *odb, const git_tree *tree, const git_tree *base)
{
    size_t n = git_tree_entrycount(tree);
    bool complete = true;
    for (size_t i = 0; i < n && complete; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const git_tree_entry *old = base ? git_tree_entry_byname(base, git_tree_entry_name(e)) : NULL;
        if (old && git_oid_equal(git_tree_entry_id(old), git_tree_entry_id(e)))
            continue;
        if (git_tree_entry_type(e) == GIT_OBJECT_BLOB) {
            complete = git_odb_exists(odb, git_tree_entry_id(e));
        } else if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
            git_tree *sub = NULL, *sub_base = NULL;
            complete = git_tree_lookup(&sub, repo, git_tree_entry_id(e)) == 0;
            if (complete && old && git_tree_entry_type(old) == GIT_OBJECT_TREE &&
                git_tree_lookup(&sub_base, repo, git_tree_entry_id(old)) < 0)
                sub_base = NULL;
            if (complete)
                complete = tree_complete(repo, odb, sub, sub_base);
            git_tree_free(sub_base);
            git_tree_free(sub);
        }
        /* A submodule's commit lives in another repository. */
    }
    return complete;
}

/* The tree of the commit at oid (tags peeled), or NULL. */
static git_tree *commit_tree(git_repository *repo, const git_oid *oid)
{
    git_object *obj = NULL, *peeled = NULL;
    git_tree *tree = NULL;
    if (git_object_lookup(&obj, repo, oid, GIT_OBJECT_ANY) == 0 &&
        git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0 && git_commit_tree(&tree, (git_commit *)peeled) < 0)
        tree = NULL;
    git_object_free(peeled);
    git_object_free(obj);
    return tree;
}

/* Does every tree and blob of the snapshot at to exist here? Measured
 * against the ref's old snapshot (complete: a fetch that set it checked
 * it), or for a new ref against HEAD's (checked out, so complete). Objects
 * that are not commits count as complete. */
static bool snapshot_complete(git_repository *repo, git_odb *odb, const struct moved_ref *m)
{
    git_object *obj = NULL;
    if (git_object_lookup(&obj, repo, &m->to, GIT_OBJECT_ANY) < 0) {
        git_error_clear();
        return false;
    }
    git_object *peeled = NULL;
    bool is_commit = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0;
    git_object_free(peeled);
    git_object_free(obj);
    if (!is_commit) {
        git_error_clear();
        return true;
    }
    git_tree *tree = commit_tree(repo, &m->to);
    git_tree *base = NULL;
    if (!git_oid_is_zero(&m->from)) {
        base = commit_tree(repo, &m->from);
    } else {
        git_oid head;
        if (git_reference_name_to_id(&head, repo, "HEAD") == 0)
            base = commit_tree(repo, &head);
    }
    bool complete = tree && tree_complete(repo, odb, tree, base);
    git_tree_free(base);
    git_tree_free(tree);
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
            complete = snapshot_complete(repo, odb, &fc->moved[i]);
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
    if (gitop_cancelled(fc->req))
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
            gitop_set_outcome(fc->out, TASK_FAILED, RP_CLASS_USAGE, "no remote named '%s'", name);
        else
            gitop_fail_with_error(fc->out, err, name);
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
    fc->remote = remote;
    fc->got_pack = false;
    fc->haves = have_walk_new(repo);
    parse_refspecs(fc, &refspecs);
    err = git_remote_fetch(remote, &refspecs, &fo, reflog);
    free_refspecs(fc);
    have_walk_free(fc->haves);
    fc->haves = NULL;
    fc->remote = NULL;
    if (p)
        atomic_store(&p->transferring, false);
    if (err == 0 && fc->merge_ref)
        fc->merge_ref_advertised = remote_has_ref(remote, fc->merge_ref);
    git_remote_free(remote);
    gitremote_strarray_free(&refspecs);
    if (err < 0) {
        if (gitop_cancelled(fc->req))
            gitop_set_outcome(fc->out, TASK_FAILED, RP_CLASS_NONE, "stopped");
        else
            gitop_fail_with_transfer_error(fc->out, err, name, !fc->got_pack);
        return -1;
    }
    bool repaired;
    if (verify_moved_refs(fc, repo, name, &repaired) < 0)
        return -1;
    if (repaired) {
        static const char note[] = "repopool: the object store was incomplete; git fetch repaired it\n";
        outbuf_append(&fc->out->output, note, sizeof(note) - 1);
    }
    for (size_t i = 0; i < fc->nmoved; i++)
        gitnews_ref_moved(fc->news, &fc->out->output, fc->moved[i].name, &fc->moved[i].from, &fc->moved[i].to);
    return 0;
}

static int fetch_with_libgit2(const struct gitop_request *req, git_repository *repo, const char *only,
                              struct gitop_outcome *out, struct gitop_fetch_summary *sum)
{
    struct fetch_ctx fc = {.req = req, .out = out, .merge_ref = sum->merge_ref, .news = &sum->news};
    if (only) {
        sum->remotes = 1;
        int rc = fetch_one_remote(&fc, repo, only);
        sum->merge_ref_advertised = fc.merge_ref_advertised;
        forget_moved(&fc);
        free(fc.moved);
        return rc;
    }
    git_strarray names = {0};
    int err = gitremote_names(repo, &names);
    if (err < 0) {
        gitop_fail_with_error(out, err, "cannot list remotes");
        return -1;
    }
    int rc = 0;
    sum->remotes = (unsigned)names.count;
    for (size_t i = 0; i < names.count && rc == 0; i++)
        rc = fetch_one_remote(&fc, repo, names.strings[i]);
    gitremote_strarray_free(&names);
    forget_moved(&fc);
    free(fc.moved);
    return rc;
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
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_USAGE, "no remote named '%s'", only);
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
    gitop_run_git(req, argv, NULL, out, &res);
    if (res.spawn_error) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_INTERNAL, "cannot run git: %s", strerror(res.spawn_error));
        return -1;
    }
    if (res.stopped) {
        gitop_set_outcome(out, TASK_FAILED, RP_CLASS_TIMEOUT, "git fetch stopped");
        return -1;
    }
    if (res.exit_code != 0) {
        char line[400];
        enum rp_class cls = gitop_read_git_failure(out, line, sizeof(line));
        gitop_set_outcome(out, TASK_FAILED, res.term_signal ? RP_CLASS_SIGNAL : cls, "git fetch: exit %d: %s",
                          res.exit_code, line);
        return -1;
    }
    return 0;
}

/* Whether a fetch goes to `git fetch`: when asked, and where libgit2 1.5
 * would not do what git does: a shallow clone (it would ask for the whole
 * history and leave .git/shallow wrong) and submodule.recurse (git fetches
 * the submodules too). */
static bool fetch_by_git(const struct gitop_request *req, git_repository *repo)
{
    return req->fetch_with_git || git_repository_is_shallow(repo) == 1 ||
           gitop_config_bool(repo, "submodule.recurse");
}

/* `git fetch` marks in FETCH_HEAD what the current branch would merge,
 * when the remote had it (git pull's "no such ref was fetched"). */
static int stop_at_merge(const char *ref, const char *url, const git_oid *oid, unsigned int is_merge, void *payload)
{
    (void)ref;
    (void)url;
    (void)oid;
    (void)payload;
    return is_merge ? 1 : 0; /* a non-zero return stops the walk, and is returned */
}

static bool fetch_head_has_merge(git_repository *repo)
{
    bool found = git_repository_fetchhead_foreach(repo, stop_at_merge, NULL) == 1;
    git_error_clear();
    return found;
}

/* Fetches (every remote, or only), leaving the outcome's summary alone on
 * success; returns 0, or -1 with the outcome describing the failure. With
 * sum->merge_ref set (a pull), says whether the remote had that branch. */
int gitop_fetch(const struct gitop_request *req, git_repository *repo, const char *only,
                struct gitop_outcome *out, struct gitop_fetch_summary *sum)
{
    sum->remotes = 0;
    sum->news = (struct gitnews){0};
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
    struct gitop_fetch_summary sum = {0};
    if (gitop_fetch(req, repo, req->remote, out, &sum) < 0)
        return;
    if (fetch_by_git(req, repo)) {
        char last[400];
        gitop_last_output_line(out, last, sizeof(last));
        gitop_set_outcome(out, TASK_OK, RP_CLASS_NONE, "%s", last[0] ? last : "fetched");
    } else if (sum.remotes == 0) {
        gitop_set_outcome(out, TASK_OK, RP_CLASS_NONE, "no remotes to fetch");
    } else {
        gitop_set_outcome(out, TASK_OK, RP_CLASS_NONE, "%s", "");
        gitnews_fetch_summary(&sum.news, sum.remotes, req->progress ? atomic_load(&req->progress->bytes) : 0,
                              &out->summary);
    }
}

void gitop_fetch_describe(const struct gitop_request *req, const char *self, struct strbuf *out)
{
    (void)self;
    strbuf_puts(out, "git -C ");
    template_shell_quote(out, req->path);
    strbuf_puts(out, " fetch");
    if (req->remote) {
        strbuf_putc(out, ' ');
        template_shell_quote(out, req->remote);
    } else {
        strbuf_puts(out, " --all");
    }
}
