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
/*
 * Appends s quoted as one shell word for a line a user may paste back (the
 * joblog's Command column): plain words as they are, other text in POSIX
 * single quotes. Control bytes (newline, carriage return, tab, ESC, DEL,
 * ...), bytes that are not valid UTF-8, C1 controls, bidirectional
 * formatting characters and U+2028/U+2029 are written as $'\xHH' pieces,
 * so the result is one line that sanitize_line() leaves unchanged. $'...'
 * is read by bash, ksh, zsh and POSIX.1-2024 sh, not by dash; a word
 * without such bytes is plain POSIX quoting that any sh reads.
 */
void template_shell_quote(struct strbuf *out, const char *s);

#endif
