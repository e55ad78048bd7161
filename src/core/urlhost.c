#include "repopool/urlhost.h"

#include <string.h>

static bool copy_lower(const char *p, size_t n, char *host, size_t cap)
{
    if (n == 0 || n >= cap)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        host[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    host[n] = '\0';
    return true;
}

/* The host of an authority ("user@host:port"), without user and port. */
static bool authority_host(const char *p, size_t n, char *host, size_t cap)
{
    const char *at = memrchr(p, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        return close && copy_lower(p, (size_t)(close + 1 - p), host, cap);
    }
    const char *colon = memchr(p, ':', n);
    return copy_lower(p, colon ? (size_t)(colon - p) : n, host, cap);
}

bool url_host(const char *url, char *host, size_t cap)
{
    const char *scheme_end = strstr(url, "://");
    if (scheme_end) {
        if ((size_t)(scheme_end - url) == 4 && strncmp(url, "file", 4) == 0)
            return false;
        const char *p = scheme_end + 3;
        return authority_host(p, strcspn(p, "/?#"), host, cap);
    }
    /* scp-like "[user@]host:path": a colon before any slash, as git reads
     * it; the colons of a bracketed IPv6 address ("git@[::1]:path") do not
     * count. */
    const char *open = strchr(url, '['), *first_colon = strchr(url, ':');
    const char *close = open && (!first_colon || open < first_colon) ? strchr(open, ']') : NULL;
    const char *colon = strchr(close ? close : url, ':');
    const char *slash = strchr(url, '/');
    if (!colon || (slash && slash < colon))
        return false;
    return authority_host(url, (size_t)(colon - url), host, cap);
}
