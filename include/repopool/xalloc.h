/*
 * The allocation policy, as in git, tmux and htop: an allocation that fails
 * ends the process with one line on stderr (through abort(), so a live
 * dashboard's crash handler gives the terminal back first). Code that
 * allocates with these has no out-of-memory branches to get wrong.
 * The growable buffers (array.h, strbuf.h, outbuf.h) use them too.
 *
 * Any thread.
 */
#ifndef REPOPOOL_XALLOC_H
#define REPOPOOL_XALLOC_H

#include <stddef.h>

#define XALLOC_NONNULL __attribute__((returns_nonnull))

void *xmalloc(size_t n) XALLOC_NONNULL __attribute__((malloc));
void *xcalloc(size_t count, size_t size) XALLOC_NONNULL __attribute__((malloc));
void *xrealloc(void *p, size_t n) XALLOC_NONNULL;
char *xstrdup(const char *s) XALLOC_NONNULL __attribute__((malloc));
char *xstrndup(const char *s, size_t n) XALLOC_NONNULL __attribute__((malloc));
/* For memory a library allocated and could not: never returns. */
void xalloc_die(void) __attribute__((noreturn));

#endif
