#include "repopool/groupsel.h"

#include <errno.h>
#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "repopool/sanitize.h"
#include "repopool/xalloc.h"

int groupsel_config_path(struct strbuf *out, struct strbuf *err)
{
    if (groups_default_path(out))
        return 0;
    strbuf_puts(err, "repopool: no config file: neither $XDG_CONFIG_HOME nor $HOME is set");
    return -1;
}

/* Appends n strings to a list of the run's configuration; the strings stay
 * where they are (in argv, or in the groups). */
static void append(char ***list, size_t *len, char *const *more, size_t n)
{
    if (n == 0)
        return;
    *list = xrealloc(*list, (*len + n) * sizeof(**list));
    memcpy(*list + *len, more, n * sizeof(**list));
    *len += n;
}

/* A group's scan entry must be a directory, said as the config's problem
 * rather than as a --scan the user never typed. */
static int check_scans(const struct groups *g, const struct group *grp, struct strbuf *err)
{
    for (size_t i = 0; i < grp->nscans; i++) {
        struct stat st;
        const char *why = stat(grp->scans[i], &st) < 0 ? strerror(errno)
                          : !S_ISDIR(st.st_mode)        ? "not a directory"
                                                        : NULL;
        if (why) {
            strbuf_printf(err, "repopool: %s: group '%s': scan = ", g->path, grp->name);
            sanitize_name(err, grp->scans[i], strlen(grp->scans[i]));
            strbuf_printf(err, ": %s", why);
            return -1;
        }
    }
    return 0;
}

/* The group's defaults for what neither the command line nor an earlier
 * group set. */
static int take_defaults(struct config *cfg, const struct group *grp, bool taken[4], const char *file,
                         struct strbuf *err)
{
    if (grp->jobs_set && !cfg->jobs_given && !taken[0]) {
        if (grp->jobs > cfg->max_jobs) {
            strbuf_printf(err, "repopool: %s: group.%s.jobs = %u: above --max-jobs (%u)", file, grp->name,
                          grp->jobs, cfg->max_jobs);
            return -1;
        }
        cfg->jobs = grp->jobs;
        taken[0] = true;
    }
    if (grp->per_host_set && !cfg->per_host_given && !taken[1]) {
        cfg->per_host = grp->per_host;
        taken[1] = true;
    }
    if (grp->retries_set && !cfg->retries_given && !taken[2]) {
        cfg->retries = grp->retries;
        taken[2] = true;
    }
    if (grp->timeout_set && !cfg->timeout_given && !taken[3]) {
        cfg->timeout = grp->timeout;
        taken[3] = true;
    }
    return 0;
}

int groupsel_apply(const struct config *given, struct groupsel *gs, struct strbuf *err)
{
    memset(gs, 0, sizeof(*gs));
    gs->cfg = *given;
    /* The lists are the run's own from here on, freed by groupsel_free. */
    gs->cfg.repos = gs->cfg.scan_dirs = NULL;
    gs->cfg.nrepos = gs->cfg.nscan_dirs = 0;
    append(&gs->cfg.repos, &gs->cfg.nrepos, given->repos, given->nrepos);
    append(&gs->cfg.scan_dirs, &gs->cfg.nscan_dirs, given->scan_dirs, given->nscan_dirs);
    if (!given->ngroups && !given->named_command)
        return 0;

    struct strbuf path;
    strbuf_init(&path);
    int rc = groupsel_config_path(&path, err);
    if (rc == 0) {
        git_libgit2_init();
        gs->loaded = true;
        rc = groups_load(path.data, &gs->groups, err);
    }
    strbuf_free(&path);
    if (rc < 0)
        return -1;
    const char *file = gs->groups.path;
    bool taken[4] = {false, false, false, false};
    for (size_t i = 0; i < given->ngroups; i++) {
        const struct group *grp = groups_find(&gs->groups, given->groups[i]);
        if (!grp) {
            strbuf_printf(err, "repopool: %s: no group '%s' (see --groups)", file, given->groups[i]);
            return -1;
        }
        if (check_scans(&gs->groups, grp, err) < 0 || take_defaults(&gs->cfg, grp, taken, file, err) < 0)
            return -1;
        append(&gs->cfg.repos, &gs->cfg.nrepos, grp->repos, grp->nrepos);
        append(&gs->cfg.scan_dirs, &gs->cfg.nscan_dirs, grp->scans, grp->nscans);
    }
    if (given->named_command) {
        const struct named_command *cmd = groups_command(&gs->groups, given->named_command);
        if (!cmd) {
            strbuf_printf(err, "repopool: %s: no command '%s' (a [command \"%s\"] section with run = ...)", file,
                          given->named_command, given->named_command);
            return -1;
        }
        /* A script, as git's aliases with '!' are: run as --shell runs one. */
        gs->command[0] = cmd->run;
        gs->cfg.command = gs->command;
        gs->cfg.ncommand = 1;
        gs->cfg.shell = true;
        gs->cfg.work = WORK_COMMAND;
    }
    return 0;
}

void groupsel_free(struct groupsel *gs)
{
    free(gs->cfg.repos);
    free(gs->cfg.scan_dirs);
    groups_free(&gs->groups);
    if (gs->loaded)
        git_libgit2_shutdown();
    memset(gs, 0, sizeof(*gs));
}
