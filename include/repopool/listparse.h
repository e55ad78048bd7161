/*
 * The repository-list format (--repos-from), parsed as the bytes arrive:
 * one path a line; blank lines and lines whose first non-blank character
 * is '#' are skipped (blanks are spaces and tabs; a CR before the newline
 * is dropped). A line that cannot be a path still makes an entry, with
 * the reason, so its task fails and says why: a NUL byte among its first
 * PATH_MAX bytes (labelled by its text up to the NUL), else PATH_MAX bytes
 * or more (labelled by its first 64 bytes).
 *
 * Memory does not grow with a line's length: only its first PATH_MAX + 1
 * bytes are kept and the rest is looked at and dropped. A line that runs
 * on for more than LISTPARSE_LINE_LIMIT bytes means the input is not a
 * list of paths at all (/dev/zero, a binary file, an endless pipe).
 *
 * Plain data, no I/O; one thread at a time.
 */
#ifndef REPOPOOL_LISTPARSE_H
#define REPOPOOL_LISTPARSE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LISTPARSE_LINE_LIMIT ((uint64_t)1 << 30)
#define LISTPARSE_LINE_LIMIT_TEXT "1 GiB"
/* A path is shorter than PATH_MAX; one more byte for the CR of CRLF. */
#define LISTPARSE_KEEP (PATH_MAX + 1)

/* One entry: a path (error NULL, text NUL-terminated), or the label of a
 * line that is not one and why. */
struct list_line {
    const char *text;
    size_t len;
    const char *error;
};

typedef void list_line_fn(void *ctx, const struct list_line *line);

struct listparse {
    uintmax_t lineno;  /* lines ended so far */
    uint64_t total;    /* bytes of the current line so far */
    size_t nkept;      /* of them kept */
    uint8_t kind;      /* what the current line is so far */
    bool pending_cr;   /* its last byte was a CR after blanks only */
    char kept[LISTPARSE_KEEP + 1];
};

void listparse_init(struct listparse *lp);

/* Parses data[0..n), calling fn for each entry of a line that ended.
 * Returns 0, or -1 once a line has run on for more than
 * LISTPARSE_LINE_LIMIT bytes (it is line lp->lineno + 1); nothing more may
 * be fed then. */
int listparse_feed(struct listparse *lp, const char *data, size_t n, list_line_fn *fn, void *ctx);

/* The input ended: its last line, if it had no newline, is an entry too. */
void listparse_end(struct listparse *lp, list_line_fn *fn, void *ctx);

#endif
