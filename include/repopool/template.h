/*
 * Command templates: '{}' in an argument stands for the repository path.
 * The path is data: it is substituted into an argv element, never parsed by
 * a shell, so spaces, quotes, '$(...)' and backticks in it do nothing.
 *
 * Pure functions; safe on any thread.
 */
#ifndef REPOPOOL_TEMPLATE_H
#define REPOPOOL_TEMPLATE_H

#include <stdbool.h>

#include "repopool/strbuf.h"

/* True when arg contains a '{}' to replace. */
bool template_has_placeholder(const char *arg);
/* Appends arg with every '{}' replaced by path. */
void template_expand(struct strbuf *out, const char *arg, const char *path);
/* Appends s quoted for a POSIX shell (for logs a user may paste back). */
void shell_quote(struct strbuf *out, const char *s);

#endif
