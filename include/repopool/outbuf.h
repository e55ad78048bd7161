/*
 * Bounded capture of a task's output. It grows as output arrives, up to a
 * limit; past the limit it keeps the most recent bytes (a ring), so a child
 * that prints 100 MB costs no more memory than one that prints the limit.
 *
 * Owned by one task; used on the loop thread only.
 */
#ifndef REPOPOOL_OUTBUF_H
#define REPOPOOL_OUTBUF_H

#include <stddef.h>
#include <stdint.h>

#define OUTBUF_DEFAULT_LIMIT (64u * 1024u)

struct outbuf {
    char *data;
    size_t cap;    /* allocated bytes, at most limit */
    size_t len;    /* bytes held, at most cap */
    size_t start;  /* index of the oldest byte once the ring wrapped */
    size_t limit;
    uint64_t total; /* every byte ever appended, kept or not */
};

void outbuf_init(struct outbuf *ob, size_t limit);
void outbuf_free(struct outbuf *ob);
/* Appends; on allocation failure the oldest bytes are dropped instead. */
void outbuf_append(struct outbuf *ob, const char *p, size_t n);
/* Copies the held bytes, oldest first, into dst (at most n); returns count. */
size_t outbuf_copy(const struct outbuf *ob, char *dst, size_t n);
/* True when bytes were dropped because of the limit. */
int outbuf_truncated(const struct outbuf *ob);
/*
 * The last line that has visible content (ignoring trailing blank lines and
 * whitespace), copied raw into dst as a NUL-terminated string of at most
 * n - 1 bytes; returns its length. Sanitizing is the caller's business.
 */
size_t outbuf_last_line(const struct outbuf *ob, char *dst, size_t n);

#endif
