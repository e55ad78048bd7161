/*
 * Makes untrusted text (task output, paths, branch names, remote messages)
 * safe to put on a terminal or in a one-line report.
 *
 * The result is valid UTF-8 with no control characters: invalid bytes become
 * U+FFFD; a carriage return keeps only the text after it (what a terminal
 * would show); tabs become spaces; escape sequences (CSI, OSC, DCS, ...) are
 * removed whole; other C0, DEL, C1 and bidirectional controls are dropped.
 *
 * Pure function; safe on any thread.
 */
#ifndef REPOPOOL_SANITIZE_H
#define REPOPOOL_SANITIZE_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/strbuf.h"

/* Appends the sanitized form of one line (newlines are dropped) to out. */
void sanitize_line(struct strbuf *out, const char *in, size_t n);

/*
 * The same for a name (a path, a branch): every control character and
 * bidirectional control shows as U+FFFD instead, and a carriage return
 * hides nothing, so "evil\rlegit" cannot pass for "legit".
 */
void sanitize_name(struct strbuf *out, const char *in, size_t n);

/*
 * Decodes one UTF-8 sequence at in[0..n): stores the code point in *cp and
 * returns its length, or returns 0 when the bytes are not valid UTF-8
 * (overlong, surrogate, out of range or truncated).
 */
size_t utf8_decode(const unsigned char *in, size_t n, unsigned *cp);

/*
 * Code points beyond C0 and DEL that must never reach a terminal raw: C1
 * controls (a terminal acts on them), bidirectional formatting characters
 * (they reorder the text around them), U+2028 and U+2029 (line ends for
 * some readers). The sanitizer drops them, JSON escapes them, shell quoting
 * writes them as \xHH.
 */
bool unicode_is_hidden_control(unsigned cp);

#endif
