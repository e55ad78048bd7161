#include "repopool/listparse.h"

#include <string.h>

enum line_kind {
    LINE_NONE,    /* no byte of it yet */
    LINE_BLANK,   /* nothing but blanks so far (a blank line if it ends so) */
    LINE_COMMENT, /* the first non-blank character is '#' */
    LINE_PATH,    /* anything else: an entry */
};

void listparse_init(struct listparse *lp)
{
    lp->lineno = 0;
    lp->total = 0;
    lp->nkept = 0;
    lp->kind = LINE_NONE;
    lp->pending_cr = false;
}

/* Classifies bytes while the line is still blank: blanks are spaces and
 * tabs, and a CR counts as blank only as the line's last byte (CRLF). */
static void classify(struct listparse *lp, const char *p, size_t n)
{
    for (size_t i = 0; i < n && lp->kind == LINE_BLANK; i++) {
        char c = p[i];
        if (lp->pending_cr)
            lp->kind = LINE_PATH;
        else if (c == '\r')
            lp->pending_cr = true;
        else if (c != ' ' && c != '\t')
            lp->kind = c == '#' ? LINE_COMMENT : LINE_PATH;
    }
}

/* The entry of a line that is not blank or a comment: kept holds its
 * first bytes, total its length (without the newline). */
static void emit(struct listparse *lp, list_line_fn *fn, void *ctx)
{
    char *kept = lp->kept;
    size_t n = lp->total < LISTPARSE_KEEP ? (size_t)lp->total : LISTPARSE_KEEP;
    bool whole = lp->total <= LISTPARSE_KEEP;
    if (whole && n > 0 && kept[n - 1] == '\r')
        n--;
    const char *nul = memchr(kept, '\0', n < PATH_MAX ? n : PATH_MAX);
    struct list_line line;
    if (nul)
        line = (struct list_line){kept, (size_t)(nul - kept), "not a path: the line holds a NUL byte"};
    else if (!whole || n >= PATH_MAX)
        line = (struct list_line){kept, 64, "not a path: the line is longer than PATH_MAX"};
    else
        line = (struct list_line){kept, n, NULL};
    kept[line.len] = '\0';
    fn(ctx, &line);
}

static void end_line(struct listparse *lp, list_line_fn *fn, void *ctx)
{
    lp->lineno++;
    if (lp->kind == LINE_PATH)
        emit(lp, fn, ctx);
    lp->total = 0;
    lp->nkept = 0;
    lp->kind = LINE_NONE;
    lp->pending_cr = false;
}

int listparse_feed(struct listparse *lp, const char *data, size_t n, list_line_fn *fn, void *ctx)
{
    while (n > 0) {
        if (lp->kind == LINE_NONE)
            lp->kind = LINE_BLANK;
        const char *nl = memchr(data, '\n', n);
        size_t seg = nl ? (size_t)(nl - data) : n;
        classify(lp, data, seg);
        size_t room = LISTPARSE_KEEP - lp->nkept;
        size_t take = seg < room ? seg : room;
        memcpy(lp->kept + lp->nkept, data, take);
        lp->nkept += take;
        lp->total += seg;
        if (lp->total > LISTPARSE_LINE_LIMIT)
            return -1;
        if (!nl)
            return 0;
        end_line(lp, fn, ctx);
        data += seg + 1;
        n -= seg + 1;
    }
    return 0;
}

void listparse_end(struct listparse *lp, list_line_fn *fn, void *ctx)
{
    if (lp->kind != LINE_NONE)
        end_line(lp, fn, ctx);
}
