/*
 * The allocation policy, as in git, tmux and htop: an allocation that fails
 * ends the process with one line on stderr (through abort(), so a live
 * dashboard's crash handler gives the terminal back first). Code that
 * allocates with these has no out-of-memory branches to get wrong.
 *
 * strbuf keeps its sticky failure flag (a report line that cannot grow is
 * dropped, not fatal); what must exist to go on uses these.
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
/* For memory a library allocated and could not: never returns. */
void xalloc_die(void) __attribute__((noreturn));

#endif
