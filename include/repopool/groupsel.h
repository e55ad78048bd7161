/*
 * A parsed command line with its groups and named command applied: the
 * repositories and scans of each -G group join the command line's (after
 * them, in the order the groups were named), a group's jobs, per-host,
 * retries and timeout fill in what the command line did not give (the
 * first group named that sets one wins), and -c NAME becomes the shell
 * command its [command "NAME"] runs. The config file is read only when
 * -G or -c asks for it, so a broken file gets in no other run's way.
 *
 * Before the loop starts; not thread-safe (libgit2 is initialised for the
 * read and shut down again by groupsel_free).
 */
#ifndef REPOPOOL_GROUPSEL_H
#define REPOPOOL_GROUPSEL_H

#include <stdbool.h>

#include "repopool/cli.h"
#include "repopool/groups.h"
#include "repopool/strbuf.h"

struct groupsel {
    struct config cfg;   /* the run's configuration: the given one, applied */
    struct groups groups;
    bool loaded;         /* groups came from the file (libgit2 initialised) */
    char *command[2];    /* -c's script, as cfg.command */
};

/* Applies given's groups and named command into gs->cfg. Returns 0, or -1
 * with one line in err naming the file and the problem (exit status 2). */
int groupsel_apply(const struct config *given, struct groupsel *gs, struct strbuf *err);
void groupsel_free(struct groupsel *gs);

/* The config file's path into out; -1 with a message in err when neither
 * $XDG_CONFIG_HOME nor $HOME says where it is. */
int groupsel_config_path(struct strbuf *out, struct strbuf *err);

#endif
