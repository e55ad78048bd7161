/*
 * Where repopool keeps the user's files, by the XDG base directories: the
 * config file in $XDG_CONFIG_HOME (~/.config), the run history in
 * $XDG_STATE_HOME (~/.local/state), each under "repopool/".
 *
 * Before the loop starts (or on the loop thread).
 */
#ifndef REPOPOOL_USERFILES_H
#define REPOPOOL_USERFILES_H

#include <stdbool.h>

#include "repopool/strbuf.h"

/* $var/repopool/name when var holds an absolute path, else
 * $HOME/home_dir/repopool/name; false when neither is set. */
bool userfiles_path(struct strbuf *out, const char *var, const char *home_dir, const char *name);

/* Makes the directories that will hold path, as mkdir -p, mode 0700. */
void userfiles_make_parents(const char *path);

#endif
