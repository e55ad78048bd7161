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

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* For memory a library allocated and could not: never returns. */
void xalloc_die(void) __attribute__((noreturn));

#endif
