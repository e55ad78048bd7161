#include "repopool/groups.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repopool/array.h"
#include "repopool/userfiles.h"
#include "repopool/xalloc.h"

bool groups_default_path(struct strbuf *out)
{
    return userfiles_path(out, "XDG_CONFIG_HOME", ".config", "config");
}

static const char *libgit2_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown error";
}

/* Splits "group.NAME.key" (NAME may hold dots) into NAME and key. */
static bool split_key(const char *full, const char *section, char **name, const char **key)
{
    size_t k = strlen(section);
    if (strncmp(full, section, k) != 0 || full[k] != '.')
        return false;
    const char *sub = full + k + 1;
    const char *dot = strrchr(sub, '.');
    if (!dot || dot == sub)
        return false;
    *name = xstrndup(sub, (size_t)(dot - sub));
    *key = dot + 1;
    return true;
}

static struct group *group_named(struct groups *g, size_t *cap, char *name)
{
    for (size_t i = 0; i < g->len; i++) {
        if (strcmp(g->items[i].name, name) == 0) {
            free(name);
            return &g->items[i];
        }
    }
    array_reserve((void **)&g->items, cap, g->len + 1, sizeof(*g->items));
    struct group *grp = &g->items[g->len++];
    memset(grp, 0, sizeof(*grp));
    grp->name = name;
    return grp;
}

static void push_path(char ***list, size_t *n, const char *value)
{
    git_buf path = GIT_BUF_INIT;
    /* "~/" expanded as git expands it in paths. */
    bool expanded = git_config_parse_path(&path, value) == 0;
    *list = xrealloc(*list, (*n + 1) * sizeof(**list));
    (*list)[(*n)++] = xstrdup(expanded ? path.ptr : value);
    git_buf_dispose(&path);
    git_error_clear();
}

/* A group setting; -1 with err set when its value is not one. */
static int group_setting(struct group *grp, const char *key, const char *value, const char *file, const char *full,
                         struct strbuf *err)
{
    int32_t n = 0;
    if (strcmp(key, "repo") == 0) {
        push_path(&grp->repos, &grp->nrepos, value);
        return 0;
    }
    if (strcmp(key, "scan") == 0) {
        push_path(&grp->scans, &grp->nscans, value);
        return 0;
    }
    if (strcmp(key, "timeout") == 0) {
        char *end;
        errno = 0;
        double t = strtod(value, &end);
        if (end == value || *end || errno || !(t > 0 && t <= 86400 * 7))
            goto bad;
        grp->timeout = t;
        grp->timeout_set = true;
        return 0;
    }
    unsigned *slot = strcmp(key, "jobs") == 0 ? &grp->jobs : strcmp(key, "per-host") == 0 ? &grp->per_host
                     : strcmp(key, "retries") == 0                                       ? &grp->retries
                                                                                          : NULL;
    if (!slot) {
        strbuf_printf(err, "repopool: %s: %s: unknown setting (a group has repo, scan, jobs, per-host, retries, timeout)",
                      file, full);
        return -1;
    }
    if (git_config_parse_int32(&n, value) < 0 || n < 0 || n > 100000) {
        git_error_clear();
        goto bad;
    }
    *slot = (unsigned)n;
    if (slot == &grp->jobs)
        grp->jobs_set = true;
    else if (slot == &grp->per_host)
        grp->per_host_set = true;
    else
        grp->retries_set = true;
    return 0;
bad:
    strbuf_printf(err, "repopool: %s: %s = '%s': not a valid %s", file, full, value, key);
    return -1;
}

int groups_load(const char *path, struct groups *out, struct strbuf *err)
{
    memset(out, 0, sizeof(*out));
    out->path = xstrdup(path);
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    /* A file of its own, at the highest level: nothing else is read. */
    int rc = git_config_new(&cfg);
    if (rc == 0)
        rc = git_config_add_file_ondisk(cfg, path, GIT_CONFIG_LEVEL_APP, NULL, 0);
    if (rc == 0)
        rc = git_config_iterator_new(&it, cfg);
    if (rc < 0) {
        /* libgit2 names the file and the line: "... (in FILE:3, column 0)". */
        strbuf_printf(err, "repopool: %s: %s", path, libgit2_message());
        git_config_free(cfg);
        git_error_clear();
        return -1;
    }
    size_t groups_cap = 0, commands_cap = 0;
    git_config_entry *e;
    while (rc == 0 && (rc = git_config_next(&e, it)) == 0) {
        char *name;
        const char *key;
        if (split_key(e->name, "group", &name, &key)) {
            rc = group_setting(group_named(out, &groups_cap, name), key, e->value, path, e->name, err);
        } else if (split_key(e->name, "command", &name, &key) && strcmp(key, "run") == 0) {
            array_reserve((void **)&out->commands, &commands_cap, out->ncommands + 1, sizeof(*out->commands));
            out->commands[out->ncommands++] = (struct named_command){name, xstrdup(e->value)};
        } else {
            strbuf_printf(err, "repopool: %s: %s: unknown setting (expected group.NAME.* or command.NAME.run)", path,
                          e->name);
            rc = -1;
        }
    }
    git_config_iterator_free(it);
    git_config_free(cfg);
    git_error_clear();
    return rc == GIT_ITEROVER ? 0 : -1;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void groups_free(struct groups *g)
{
    for (size_t i = 0; i < g->len; i++) {
        free(g->items[i].name);
        free_list(g->items[i].repos, g->items[i].nrepos);
        free_list(g->items[i].scans, g->items[i].nscans);
    }
    free(g->items);
    for (size_t i = 0; i < g->ncommands; i++) {
        free(g->commands[i].name);
        free(g->commands[i].run);
    }
    free(g->commands);
    free(g->path);
    memset(g, 0, sizeof(*g));
}

const struct group *groups_find(const struct groups *g, const char *name)
{
    for (size_t i = 0; i < g->len; i++)
        if (strcmp(g->items[i].name, name) == 0)
            return &g->items[i];
    return NULL;
}

const struct named_command *groups_command(const struct groups *g, const char *name)
{
    const struct named_command *found = NULL;
    /* The last one wins, as with any single-valued git setting. */
    for (size_t i = 0; i < g->ncommands; i++)
        if (strcmp(g->commands[i].name, name) == 0)
            found = &g->commands[i];
    return found;
}

/* A regular expression that matches exactly text. */
static void exact_regex(struct strbuf *re, const char *text)
{
    strbuf_putc(re, '^');
    for (const char *p = text; *p; p++) {
        if (strchr("\\^$.|?*+()[]{}", *p))
            strbuf_putc(re, '\\');
        strbuf_putc(re, *p);
    }
    strbuf_putc(re, '$');
}

static int open_for_writing(const char *file, git_config **cfg, struct strbuf *err)
{
    userfiles_make_parents(file);
    if (git_config_open_ondisk(cfg, file) < 0) {
        strbuf_printf(err, "repopool: %s: %s", file, libgit2_message());
        git_error_clear();
        return -1;
    }
    return 0;
}

/* Whether the group lists path already. */
static bool group_lists(git_config *cfg, const char *key, const char *path)
{
    struct strbuf re;
    strbuf_init(&re);
    exact_regex(&re, path);
    git_config_iterator *it = NULL;
    git_config_entry *e;
    bool found = git_config_multivar_iterator_new(&it, cfg, key, re.data) == 0 && git_config_next(&e, it) == 0;
    git_config_iterator_free(it);
    git_error_clear();
    strbuf_free(&re);
    return found;
}

int groups_add_repo(const char *file, const char *group, const char *path, struct strbuf *err)
{
    git_config *cfg = NULL;
    if (open_for_writing(file, &cfg, err) < 0)
        return -1;
    struct strbuf key;
    strbuf_init(&key);
    strbuf_printf(&key, "group.%s.repo", group);
    int rc = 0;
    /* A regular expression no value matches: the value is added. */
    if (!group_lists(cfg, key.data, path) && git_config_set_multivar(cfg, key.data, "^\\b\\B$", path) < 0) {
        strbuf_printf(err, "repopool: %s: cannot add to group '%s': %s", file, group, libgit2_message());
        git_error_clear();
        rc = -1;
    }
    strbuf_free(&key);
    git_config_free(cfg);
    return rc;
}

/* The value as written of the group's entry for path: written so, or so
 * once "~/" is expanded; NULL when the group does not list it. */
static char *listed_as(git_config *cfg, const char *key, const char *path)
{
    git_config_iterator *it = NULL;
    git_config_entry *e;
    char *found = NULL;
    if (git_config_multivar_iterator_new(&it, cfg, key, NULL) == 0) {
        while (!found && git_config_next(&e, it) == 0) {
            git_buf expanded = GIT_BUF_INIT;
            if (strcmp(e->value, path) == 0 ||
                (git_config_parse_path(&expanded, e->value) == 0 && strcmp(expanded.ptr, path) == 0))
                found = xstrdup(e->value);
            git_buf_dispose(&expanded);
        }
    }
    git_config_iterator_free(it);
    git_error_clear();
    return found;
}

int groups_remove_repo(const char *file, const char *group, const char *path, struct strbuf *err)
{
    git_config *cfg = NULL;
    if (open_for_writing(file, &cfg, err) < 0)
        return -1;
    struct strbuf key, re;
    strbuf_init(&key);
    strbuf_init(&re);
    strbuf_printf(&key, "group.%s.repo", group);
    char *value = listed_as(cfg, key.data, path);
    int rc = GIT_ENOTFOUND;
    /* libgit2 1.5 deletes nothing without a word when nothing matches. */
    if (value) {
        exact_regex(&re, value);
        rc = git_config_delete_multivar(cfg, key.data, re.data);
    }
    if (rc == GIT_ENOTFOUND)
        strbuf_printf(err, "repopool: %s: group '%s' does not list %s", file, group, path);
    else if (rc < 0)
        strbuf_printf(err, "repopool: %s: cannot remove from group '%s': %s", file, group, libgit2_message());
    git_error_clear();
    free(value);
    strbuf_free(&key);
    strbuf_free(&re);
    git_config_free(cfg);
    return rc < 0 ? -1 : 0;
}
