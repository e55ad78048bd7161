/*
 * Groups of repositories and named commands, from a config file in git's
 * syntax ($XDG_CONFIG_HOME/repopool/config, else ~/.config/repopool/config),
 * read and written with libgit2's config API:
 *
 *   [group "work"]
 *       repo = ~/src/api          # one repository (repeatable)
 *       scan = ~/src/work         # every repository under it (repeatable)
 *       jobs = 4                  # defaults for this group's runs:
 *       per-host = 2              #   jobs, per-host, retries, timeout
 *       retries = 3
 *       timeout = 600
 *   [command "gc"]
 *       run = git gc --auto       # repopool -c gc -G work
 *
 * Paths may start with "~/". A file that does not exist has no groups; one
 * git cannot parse is one line naming file, line and problem.
 *
 * Before the loop starts; not thread-safe.
 */
#ifndef REPOPOOL_GROUPS_H
#define REPOPOOL_GROUPS_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/strbuf.h"

struct group {
    char *name;
    char **repos, **scans; /* paths, "~/" expanded */
    size_t nrepos, nscans;
    /* Defaults for a run of this group; *_set says which were given. */
    unsigned jobs, per_host, retries;
    double timeout;
    bool jobs_set, per_host_set, retries_set, timeout_set;
};

struct named_command {
    char *name, *run;
};

struct groups {
    char *path; /* the file they came from */
    struct group *items;
    size_t len;
    struct named_command *commands;
    size_t ncommands;
};

/* The default file: $XDG_CONFIG_HOME/repopool/config or
 * ~/.config/repopool/config; false when neither variable is set. */
bool groups_default_path(struct strbuf *out);

/* Reads path. Returns 0 (no file: no groups), or -1 with the one-line
 * problem in err. */
int groups_load(const char *path, struct groups *out, struct strbuf *err);
void groups_free(struct groups *g);

const struct group *groups_find(const struct groups *g, const char *name);
const struct named_command *groups_command(const struct groups *g, const char *name);

/* Adds path to the group's repositories (creating the group and the file
 * as needed; nothing when it is listed as written already), or removes it
 * (the entry written as path, or as "~/..." that expands to it); comments
 * and layout of the file are kept. Returns 0, or -1 with the problem in
 * err. Removing a path the group does not list is an error. */
int groups_add_repo(const char *file, const char *group, const char *path, struct strbuf *err);
int groups_remove_repo(const char *file, const char *group, const char *path, struct strbuf *err);

#endif
