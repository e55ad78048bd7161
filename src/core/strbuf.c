#include "repopool/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/xalloc.h"

void strbuf_init(struct strbuf *sb)
{
    memset(sb, 0, sizeof(*sb));
}

void strbuf_free(struct strbuf *sb)
{
    free(sb->data);
    strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->data)
        sb->data[0] = '\0';
}

static void strbuf_reserve(struct strbuf *sb, size_t extra)
{
    if (sb->len + extra + 1 <= sb->cap)
        return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < sb->len + extra + 1) {
        if (cap > (size_t)-1 / 2)
            xalloc_die();
        cap *= 2;
    }
    sb->data = xrealloc(sb->data, cap);
    sb->cap = cap;
}

void strbuf_add(struct strbuf *sb, const char *s, size_t n)
{
    strbuf_reserve(sb, n);
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

char *strbuf_extend(struct strbuf *sb, size_t n)
{
    strbuf_reserve(sb, n);
    char *at = sb->data + sb->len;
    sb->len += n;
    sb->data[sb->len] = '\0';
    return at;
}

void strbuf_puts(struct strbuf *sb, const char *s)
{
    strbuf_add(sb, s, strlen(s));
}

void strbuf_putc(struct strbuf *sb, char c)
{
    strbuf_add(sb, &c, 1);
}

void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    char small[128];
    va_list again;
    va_copy(again, ap);
    /* n < 0 (a format error) appends nothing. */
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n >= 0 && (size_t)n < sizeof(small)) {
        strbuf_add(sb, small, (size_t)n);
    } else if (n >= 0) {
        strbuf_reserve(sb, (size_t)n);
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, again);
        sb->len += (size_t)n;
    }
    va_end(again);
}

void strbuf_add_uint(struct strbuf *sb, unsigned long long v)
{
    char digits[24];
    size_t n = sizeof(digits);
    do {
        digits[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    strbuf_add(sb, digits + n, sizeof(digits) - n);
}

char *strbuf_detach(struct strbuf *sb)
{
    char *p = sb->data;
    if (!p)
        p = xcalloc(1, 1);
    strbuf_init(sb);
    return p;
}
