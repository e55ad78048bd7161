#include "repopool/outbuf.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/xalloc.h"

void outbuf_init(struct outbuf *ob, size_t limit)
{
    memset(ob, 0, sizeof(*ob));
    ob->limit = limit ? limit : OUTBUF_DEFAULT_LIMIT;
}

void outbuf_free(struct outbuf *ob)
{
    free(ob->data);
    size_t limit = ob->limit;
    uint64_t total = ob->total;
    outbuf_init(ob, limit);
    ob->total = total;
}

/* Grows the linear buffer towards the limit. */
static void outbuf_grow(struct outbuf *ob, size_t want)
{
    size_t cap = ob->cap ? ob->cap : 256;
    while (cap < want && cap < ob->limit)
        cap *= 2;
    if (cap > ob->limit)
        cap = ob->limit;
    if (cap > ob->cap) {
        ob->data = xrealloc(ob->data, cap);
        ob->cap = cap;
    }
}

void outbuf_append(struct outbuf *ob, const char *p, size_t n)
{
    ob->total += n;
    /* Until the ring wraps (start == 0 and len < cap) the buffer is linear. */
    if (ob->start == 0 && ob->len + n > ob->cap)
        outbuf_grow(ob, ob->len + n);
    if (ob->cap == 0)
        return;
    if (n >= ob->cap) {
        /* Only the tail of this chunk survives. */
        memcpy(ob->data, p + (n - ob->cap), ob->cap);
        ob->start = 0;
        ob->len = ob->cap;
        return;
    }
    size_t end = (ob->start + ob->len) % ob->cap;
    size_t first = ob->cap - end < n ? ob->cap - end : n;
    memcpy(ob->data + end, p, first);
    memcpy(ob->data, p + first, n - first);
    if (ob->len + n <= ob->cap) {
        ob->len += n;
    } else {
        size_t overflow = ob->len + n - ob->cap;
        ob->start = (ob->start + overflow) % ob->cap;
        ob->len = ob->cap;
    }
}

size_t outbuf_copy(const struct outbuf *ob, char *dst, size_t n)
{
    size_t want = ob->len < n ? ob->len : n;
    size_t first = ob->cap - ob->start < want ? ob->cap - ob->start : want;
    if (want == 0)
        return 0;
    memcpy(dst, ob->data + ob->start, first);
    memcpy(dst + first, ob->data, want - first);
    return want;
}

int outbuf_truncated(const struct outbuf *ob)
{
    return ob->total > ob->len;
}

static char outbuf_at(const struct outbuf *ob, size_t i)
{
    return ob->data[(ob->start + i) % ob->cap];
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

size_t outbuf_last_line(const struct outbuf *ob, char *dst, size_t n)
{
    if (n == 0)
        return 0;
    size_t end = ob->len;
    while (end > 0 && is_blank(outbuf_at(ob, end - 1)))
        end--;
    size_t begin = end;
    while (begin > 0 && outbuf_at(ob, begin - 1) != '\n')
        begin--;
    size_t len = end - begin;
    if (len > n - 1) {
        /* Keep the end of an over-long line: that is where progress ends. */
        begin = end - (n - 1);
        len = n - 1;
    }
    for (size_t i = 0; i < len; i++)
        dst[i] = outbuf_at(ob, begin + i);
    dst[len] = '\0';
    return len;
}
