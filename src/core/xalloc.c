#include "repopool/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void xalloc_die(void)
{
    static const char msg[] = "repopool: out of memory\n";
    /* write(2), not stdio: stdio may itself need memory. */
    ssize_t put = write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)put;
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        xalloc_die();
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        xalloc_die();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        xalloc_die();
    return q;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        xalloc_die();
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    if (!p)
        xalloc_die();
    return p;
}
