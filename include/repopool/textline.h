/*
 * Walking a buffer line by line, for the small text protocols repopool
 * reads (credential answers, git porcelain) and the log view.
 *
 * Pure; safe on any thread.
 */
#ifndef REPOPOOL_TEXTLINE_H
#define REPOPOOL_TEXTLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* Sets *line and *len to the next line of text[0..n) from *pos (without
 * its newline) and moves *pos past it; false when no line is left. A last
 * line without a newline counts. */
static inline bool text_next_line(const char *text, size_t n, size_t *pos, const char **line, size_t *len)
{
    if (*pos >= n)
        return false;
    *line = text + *pos;
    const char *nl = memchr(*line, '\n', n - *pos);
    *len = nl ? (size_t)(nl - *line) : n - *pos;
    *pos += *len + 1;
    return true;
}

#endif
