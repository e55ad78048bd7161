#include "repopool/gitremote.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repopool/strbuf.h"
#include "repopool/urlhost.h"
#include "repopool/xalloc.h"

/* Lists of remotes and refspecs are short: grown one at a time. */
static void strarray_push(git_strarray *a, const char *s)
{
    a->strings = xrealloc(a->strings, (a->count + 1) * sizeof(*a->strings));
    a->strings[a->count++] = xstrdup(s);
}

void gitremote_strarray_free(git_strarray *a)
{
    for (size_t i = 0; i < a->count; i++)
        free(a->strings[i]);
    free(a->strings);
    a->strings = NULL;
    a->count = 0;
}

/* Splits "remote.NAME.url" (NAME may hold dots) into NAME; false otherwise. */
static bool remote_of_url_key(const char *key, char *name, size_t cap)
{
    size_t n = strlen(key);
    if (strncasecmp(key, "remote.", 7) != 0 || n < 12 || strcasecmp(key + n - 4, ".url") != 0)
        return false;
    size_t len = n - 7 - 4;
    if (len == 0 || len >= cap)
        return false;
    memcpy(name, key + 7, len);
    name[len] = '\0';
    return true;
}

int gitremote_names(git_repository *repo, git_strarray *out)
{
    memset(out, 0, sizeof(*out));
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    int err = git_repository_config_snapshot(&cfg, repo);
    if (err == 0)
        err = git_config_iterator_new(&it, cfg); /* every entry, no pattern */
    git_config_entry *entry;
    while (err == 0 && (err = git_config_next(&entry, it)) == 0) {
        char name[512];
        if (!remote_of_url_key(entry->name, name, sizeof(name)))
            continue;
        bool seen = false;
        for (size_t i = 0; i < out->count && !seen; i++)
            seen = strcmp(out->strings[i], name) == 0;
        if (!seen)
            strarray_push(out, name);
    }
    if (err == GIT_ITEROVER)
        err = 0;
    git_config_iterator_free(it);
    git_config_free(cfg);
    if (err < 0)
        gitremote_strarray_free(out);
    return err;
}

/* url with the longest matching url.<base>.insteadOf prefix replaced by
 * <base>, as a new string (NULL on a config error). */
static char *apply_insteadof(git_config *cfg, const char *url)
{
    git_config_iterator *it = NULL;
    size_t best = 0;
    char *base = NULL;
    int err = git_config_iterator_new(&it, cfg);
    git_config_entry *entry;
    while (err == 0 && (err = git_config_next(&entry, it)) == 0) {
        size_t n = strlen(entry->name);
        if (strncasecmp(entry->name, "url.", 4) != 0 || n < 4 + 10 ||
            strcasecmp(entry->name + n - 10, ".insteadof") != 0)
            continue;
        size_t len = strlen(entry->value);
        if (len > best && strncmp(url, entry->value, len) == 0) {
            free(base);
            base = xstrndup(entry->name + 4, n - 4 - 10);
            best = len;
        }
    }
    git_config_iterator_free(it);
    char *rewritten = NULL;
    if (err == GIT_ITEROVER && (!best || base)) {
        size_t blen = base ? strlen(base) : 0;
        rewritten = xmalloc(blen + strlen(url + best) + 1);
        memcpy(rewritten, base ? base : "", blen);
        strcpy(rewritten + blen, url + best);
    }
    free(base);
    return rewritten;
}

static int collect_refspec(const git_config_entry *entry, void *payload)
{
    strarray_push(payload, entry->value);
    return 0;
}

/* A boolean setting, or -1 when it is not set. */
static int config_bool(git_config *cfg, const char *key)
{
    int value;
    return git_config_get_bool(&value, cfg, key) == 0 ? value : -1;
}

int gitremote_open(git_repository *repo, const char *name, git_remote **out, git_strarray *refspecs,
                   git_fetch_options *fo)
{
    git_config *cfg = NULL;
    git_buf url = GIT_BUF_INIT, tagopt = GIT_BUF_INIT;
    char *rewritten = NULL;
    char key[600];
    memset(refspecs, 0, sizeof(*refspecs));
    *out = NULL;
    int err = git_repository_config_snapshot(&cfg, repo);
    if (err == 0) {
        snprintf(key, sizeof(key), "remote.%s.url", name);
        err = git_config_get_string_buf(&url, cfg, key);
    }
    if (err == 0 && !(rewritten = apply_insteadof(cfg, url.ptr)))
        err = -1;
    if (err == 0) {
        /* Read as it is: a NULL pattern takes no regular expression. */
        snprintf(key, sizeof(key), "remote.%s.fetch", name);
        err = git_config_get_multivar_foreach(cfg, key, NULL, collect_refspec, refspecs);
        if (err == GIT_ENOTFOUND)
            err = 0; /* no refspecs: only FETCH_HEAD, as with git */
    }
    if (err == 0) {
        /* git's default: tags that point into what is fetched come along. */
        fo->download_tags = GIT_REMOTE_DOWNLOAD_TAGS_AUTO;
        snprintf(key, sizeof(key), "remote.%s.tagopt", name);
        if (git_config_get_string_buf(&tagopt, cfg, key) == 0)
            fo->download_tags = strcmp(tagopt.ptr, "--no-tags") == 0 ? GIT_REMOTE_DOWNLOAD_TAGS_NONE
                                : strcmp(tagopt.ptr, "--tags") == 0 ? GIT_REMOTE_DOWNLOAD_TAGS_ALL
                                                                    : GIT_REMOTE_DOWNLOAD_TAGS_AUTO;
        snprintf(key, sizeof(key), "remote.%s.prune", name);
        int prune = config_bool(cfg, key);
        if (prune < 0)
            prune = config_bool(cfg, "fetch.prune");
        fo->prune = prune > 0 ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE;
        git_remote_create_options opts;
        git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION);
        opts.repository = repo;
        opts.name = NULL; /* anonymous: nothing is looked up, nothing written */
        opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
        err = git_remote_create_with_opts(out, rewritten, &opts);
    }
    if (err < 0)
        gitremote_strarray_free(refspecs);
    git_buf_dispose(&url);
    free(rewritten);
    git_buf_dispose(&tagopt);
    git_config_free(cfg);
    return err;
}

struct refspec_match {
    const char *merge;  /* the upstream branch on the remote */
    git_buf *out;       /* its remote-tracking ref, once found */
    bool found;
};

static int match_fetch_refspec(const git_config_entry *entry, void *payload)
{
    struct refspec_match *m = payload;
    git_refspec *spec = NULL;
    if (m->found || git_refspec_parse(&spec, entry->value, true) < 0)
        return 0;
    if (git_refspec_src_matches(spec, m->merge) && git_refspec_transform(m->out, spec, m->merge) == 0)
        m->found = true;
    git_refspec_free(spec);
    return 0;
}

int gitremote_upstream(git_repository *repo, const char *branch_ref, git_buf *remote_out, git_buf *merge_out,
                       git_buf *out)
{
    git_config *cfg = NULL;
    git_buf remote = GIT_BUF_INIT, merge = GIT_BUF_INIT;
    struct strbuf key;
    strbuf_init(&key);
    const char *branch = strncmp(branch_ref, "refs/heads/", 11) == 0 ? branch_ref + 11 : branch_ref;
    int err = git_repository_config_snapshot(&cfg, repo);
    if (err == 0) {
        strbuf_printf(&key, "branch.%s.remote", branch);
        err = git_config_get_string_buf(&remote, cfg, key.data);
    }
    if (err == 0) {
        strbuf_reset(&key);
        strbuf_printf(&key, "branch.%s.merge", branch);
        err = git_config_get_string_buf(&merge, cfg, key.data);
    }
    if (err == 0 && strcmp(remote.ptr, ".") == 0) {
        err = git_buf_set(out, merge.ptr, merge.size);
    } else if (err == 0) {
        struct refspec_match m = {merge.ptr, out, false};
        strbuf_reset(&key);
        strbuf_printf(&key, "remote.%s.fetch", remote.ptr);
        /* No regular expression: the multivar is read as it is. */
        git_config_get_multivar_foreach(cfg, key.data, NULL, match_fetch_refspec, &m);
        err = m.found ? 0 : GIT_ENOTFOUND;
    }
    if (err == 0 && remote_out)
        err = git_buf_set(remote_out, remote.ptr, remote.size);
    if (err == 0 && merge_out)
        err = git_buf_set(merge_out, merge.ptr, merge.size);
    strbuf_free(&key);
    git_buf_dispose(&remote);
    git_buf_dispose(&merge);
    git_config_free(cfg);
    return err;
}

/* The remote a task talks to: the one named, else the current branch's
 * upstream remote (with_upstream), else origin, else the first. */
static void pick_remote(git_repository *repo, git_config *cfg, const char *named, bool with_upstream,
                        git_buf *out)
{
    if (named) {
        git_buf_set(out, named, strlen(named));
        return;
    }
    git_reference *head = NULL;
    if (with_upstream && git_repository_head(&head, repo) == 0 && git_reference_is_branch(head)) {
        struct strbuf key;
        strbuf_init(&key);
        strbuf_printf(&key, "branch.%s.remote", git_reference_shorthand(head));
        int err = git_config_get_string_buf(out, cfg, key.data);
        strbuf_free(&key);
        git_reference_free(head);
        if (err == 0 && strcmp(out->ptr, ".") != 0)
            return;
    } else {
        git_reference_free(head);
    }
    git_strarray names = {0};
    gitremote_names(repo, &names);
    const char *pick = names.count ? names.strings[0] : "origin";
    for (size_t i = 0; i < names.count; i++)
        if (strcmp(names.strings[i], "origin") == 0)
            pick = "origin";
    git_buf_set(out, pick, strlen(pick));
    gitremote_strarray_free(&names);
}

bool gitremote_host(const char *path, const char *remote, bool with_upstream, char *host, size_t cap)
{
    git_repository *repo = NULL;
    git_config *cfg = NULL;
    git_buf name = GIT_BUF_INIT, url = GIT_BUF_INIT;
    char *rewritten = NULL;
    bool found = false;
    if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
        git_repository_config_snapshot(&cfg, repo) == 0) {
        pick_remote(repo, cfg, remote, with_upstream, &name);
        struct strbuf key;
        strbuf_init(&key);
        strbuf_printf(&key, "remote.%s.url", name.ptr ? name.ptr : "origin");
        if (git_config_get_string_buf(&url, cfg, key.data) == 0 && (rewritten = apply_insteadof(cfg, url.ptr)))
            found = url_host(rewritten, host, cap);
        strbuf_free(&key);
    }
    free(rewritten);
    git_buf_dispose(&name);
    git_buf_dispose(&url);
    git_config_free(cfg);
    git_repository_free(repo);
    git_error_clear();
    return found;
}
