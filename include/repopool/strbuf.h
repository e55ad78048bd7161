/*
 * A growable byte buffer that is always NUL-terminated. Used to build report
 * lines and JSON objects before they are written in one call.
 *
 * It grows with xrealloc (xalloc.h): appending cannot fail.
 */
#ifndef REPOPOOL_STRBUF_H
#define REPOPOOL_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *data;
    size_t len;
    size_t cap;
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *s, size_t n);
void strbuf_puts(struct strbuf *sb, const char *s);
void strbuf_putc(struct strbuf *sb, char c);
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Appends v in decimal: the hot paths' cheap alternative to printf. */
void strbuf_add_uint(struct strbuf *sb, unsigned long long v);
/* Appends n bytes for the caller to fill in (the NUL after them is
 * written); returns where they begin. */
char *strbuf_extend(struct strbuf *sb, size_t n);
/* Hands the bytes to the caller (free() them); the buffer is empty after. */
char *strbuf_detach(struct strbuf *sb);

#endif
