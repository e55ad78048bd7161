#include "repopool/usercmds.h"

#include <errno.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/groups.h"
#include "repopool/groupsel.h"
#include "repopool/history.h"
#include "repopool/pathres.h"
#include "repopool/sanitize.h"

#define EXIT_USAGE 2
/* Runs --history lists. */
#define HISTORY_LIST 20

bool usercmds_wanted(const struct config *cfg)
{
    return cfg->list_groups || cfg->add_to || cfg->remove_from || cfg->show_history;
}

static void put_name(const char *text)
{
    struct strbuf sb;
    strbuf_init(&sb);
    sanitize_name(&sb, text, strlen(text));
    fputs(sb.data ? sb.data : "", stdout);
    strbuf_free(&sb);
}

static void put_group(const struct group *grp)
{
    put_name(grp->name);
    /* The defaults a run of the group takes. */
    struct strbuf defaults;
    strbuf_init(&defaults);
    if (grp->jobs_set)
        strbuf_printf(&defaults, ", jobs %u", grp->jobs);
    if (grp->per_host_set)
        strbuf_printf(&defaults, ", per-host %u", grp->per_host);
    if (grp->retries_set)
        strbuf_printf(&defaults, ", retries %u", grp->retries);
    if (grp->timeout_set)
        strbuf_printf(&defaults, ", timeout %gs", grp->timeout);
    if (defaults.len)
        printf(" (%s)", defaults.data + 2);
    putchar('\n');
    strbuf_free(&defaults);
    for (size_t i = 0; i < grp->nrepos; i++) {
        fputs("  ", stdout);
        put_name(grp->repos[i]);
        /* A repository that has gone is worth a word: its task would fail. */
        puts(access(grp->repos[i], F_OK) == 0 ? "" : "  (missing)");
    }
    for (size_t i = 0; i < grp->nscans; i++) {
        fputs("  scan ", stdout);
        put_name(grp->scans[i]);
        putchar('\n');
    }
}

/* --groups: every group (or those of -G), then the named commands. */
static int list_groups(const struct config *cfg, const struct groups *g)
{
    if (g->len == 0 && g->ncommands == 0) {
        fprintf(stderr, "repopool: no groups: %s has none\n", g->path);
        return 0;
    }
    for (size_t k = 0; k < cfg->ngroups; k++) {
        if (!groups_find(g, cfg->groups[k])) {
            fprintf(stderr, "repopool: %s: no group '%s'\n", g->path, cfg->groups[k]);
            return EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < g->len; i++) {
        bool chosen = cfg->ngroups == 0;
        for (size_t k = 0; k < cfg->ngroups; k++)
            chosen |= strcmp(g->items[i].name, cfg->groups[k]) == 0;
        if (chosen)
            put_group(&g->items[i]);
    }
    if (cfg->ngroups == 0 && g->ncommands) {
        puts("commands");
        for (size_t i = 0; i < g->ncommands; i++) {
            fputs("  ", stdout);
            put_name(g->commands[i].name);
            fputs(" = ", stdout);
            put_name(g->commands[i].run);
            putchar('\n');
        }
    }
    return 0;
}

/* How a path is written into the config: absolute, and "~/..." under
 * $HOME, as a user would write it by hand (and as git expands it). */
static void path_for_config(const char *given, struct strbuf *out)
{
    char *cwd = pathres_cwd();
    struct path_id id;
    pathres_resolve(cwd, given, out, &id);
    free(cwd);
    const char *home = getenv("HOME");
    size_t n = home ? strlen(home) : 0;
    while (n > 1 && home[n - 1] == '/')
        n--;
    if (n > 1 && strncmp(out->data, home, n) == 0 && out->data[n] == '/') {
        struct strbuf short_form;
        strbuf_init(&short_form);
        strbuf_printf(&short_form, "~%s", out->data + n);
        strbuf_reset(out);
        strbuf_puts(out, short_form.data);
        strbuf_free(&short_form);
    }
}

/* --add-to: the path must be a directory (a repository, or one to be). */
static int add_one(const char *file, const char *group, const char *given, struct strbuf *written,
                   struct strbuf *err)
{
    struct stat st;
    const char *why = stat(given, &st) < 0 ? strerror(errno) : !S_ISDIR(st.st_mode) ? "not a directory" : NULL;
    if (why) {
        strbuf_printf(err, "repopool: --add-to %s: ", group);
        sanitize_name(err, given, strlen(given));
        strbuf_printf(err, ": %s", why);
        return -1;
    }
    path_for_config(given, written);
    return groups_add_repo(file, group, written->data, err);
}

/* --remove-from: the entry for the directory the path names (written as
 * its full path or as "~/..."), else the entry written exactly so. */
static int remove_one(const char *file, const char *group, const char *given, struct strbuf *removed,
                      struct strbuf *err)
{
    char *cwd = pathres_cwd();
    struct path_id id;
    pathres_resolve(cwd, given, removed, &id);
    free(cwd);
    if (groups_remove_repo(file, group, removed->data, err) == 0)
        return 0;
    /* Said of the directory, unless the text itself was listed. */
    struct strbuf again;
    strbuf_init(&again);
    int rc = strcmp(given, removed->data) != 0 ? groups_remove_repo(file, group, given, &again) : -1;
    if (rc == 0) {
        strbuf_reset(err);
        strbuf_reset(removed);
        strbuf_puts(removed, given);
    }
    strbuf_free(&again);
    return rc;
}

/* --add-to / --remove-from: each path in turn; the first problem stops. */
static int edit_group(const struct config *cfg, const char *file, struct strbuf *err)
{
    bool add = cfg->add_to != NULL;
    const char *group = add ? cfg->add_to : cfg->remove_from;
    struct strbuf path;
    strbuf_init(&path);
    int status = 0;
    for (size_t i = 0; i < cfg->nrepos && status == 0; i++) {
        strbuf_reset(&path);
        if ((add ? add_one : remove_one)(file, group, cfg->repos[i], &path, err) < 0) {
            status = EXIT_USAGE;
            break;
        }
        printf("%s %s: ", add ? "added to" : "removed from", group);
        put_name(path.data);
        putchar('\n');
    }
    strbuf_free(&path);
    return status;
}

static int group_command(const struct config *cfg)
{
    struct strbuf file, err;
    strbuf_init(&file);
    strbuf_init(&err);
    int status = EXIT_USAGE;
    if (groupsel_config_path(&file, &err) == 0) {
        git_libgit2_init();
        struct groups g;
        if (cfg->list_groups) {
            status = groups_load(file.data, &g, &err) < 0 ? EXIT_USAGE : list_groups(cfg, &g);
            groups_free(&g);
        } else {
            status = edit_group(cfg, file.data, &err);
        }
        git_libgit2_shutdown();
    }
    if (err.len)
        fprintf(stderr, "%s\n", err.data);
    strbuf_free(&file);
    strbuf_free(&err);
    return status;
}

/* --history[=RUN]. A history that does not exist yet is not made. */
static int show_history(const struct config *cfg)
{
    struct strbuf path, warn;
    strbuf_init(&path);
    strbuf_init(&warn);
    int status = 0;
    if (!history_default_path(&path)) {
        strbuf_puts(&warn, "repopool: no history: neither $XDG_STATE_HOME nor $HOME is set");
        status = 1;
    } else if (access(path.data, F_OK) < 0) {
        if (cfg->history_run) {
            strbuf_printf(&warn, "repopool: --history=%lld: no such run (no runs recorded in %s)", cfg->history_run,
                          path.data);
            status = EXIT_USAGE;
        }
    } else {
        struct history *h = history_open(path.data, &warn);
        if (!h)
            status = 1;
        else if (cfg->history_run)
            switch (history_show_run(h, cfg->history_run, stdout, &warn)) {
            case 0:
                break;
            case -2: /* no such run */
                status = EXIT_USAGE;
                break;
            default:
                status = 1;
            }
        else
            status = history_list_runs(h, stdout, HISTORY_LIST, &warn) < 0 ? 1 : 0;
        history_close(h);
    }
    if (warn.len)
        fprintf(stderr, "%s\n", warn.data);
    strbuf_free(&path);
    strbuf_free(&warn);
    return status;
}

int usercmds_run(const struct config *cfg)
{
    int status = cfg->show_history ? show_history(cfg) : group_command(cfg);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (status == 0)
            status = 1;
    }
    return status;
}
