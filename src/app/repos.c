#include "repopool/repos.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NO_SLOT ((size_t)-1)

void repos_init(struct repo_list *rl)
{
    memset(rl, 0, sizeof(*rl));
}

void repos_free(struct repo_list *rl)
{
    for (size_t i = 0; i < rl->len; i++) {
        free(rl->items[i].path);
        free(rl->items[i].error);
    }
    free(rl->items);
    free(rl->slots);
    repos_init(rl);
}

static uint64_t hash_path(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Finds path's slot: the one holding it, or the empty one it would take. */
static size_t find_slot(const struct repo_list *rl, const char *path)
{
    size_t mask = rl->nslots - 1;
    for (size_t i = hash_path(path) & mask;; i = (i + 1) & mask) {
        size_t idx = rl->slots[i];
        if (idx == NO_SLOT || strcmp(rl->items[idx].path, path) == 0)
            return i;
    }
}

static int rehash(struct repo_list *rl, size_t nslots)
{
    size_t *slots = malloc(nslots * sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < nslots; i++)
        slots[i] = NO_SLOT;
    free(rl->slots);
    rl->slots = slots;
    rl->nslots = nslots;
    for (size_t idx = 0; idx < rl->len; idx++)
        if (!rl->items[idx].error)
            rl->slots[find_slot(rl, rl->items[idx].path)] = idx;
    return 0;
}

static int push_item(struct repo_list *rl, char *path, char *error)
{
    if (rl->len == rl->cap) {
        size_t cap = rl->cap ? rl->cap * 2 : 64;
        struct repo *p = realloc(rl->items, cap * sizeof(*p));
        if (!p)
            return -1;
        rl->items = p;
        rl->cap = cap;
    }
    rl->items[rl->len++] = (struct repo){path, error};
    return 0;
}

/* The absolute, resolved form of given; for a path that does not resolve,
 * the absolute form as written, so the task can say what is wrong. */
static char *canonical_path(const char *given)
{
    char *real = realpath(given, NULL);
    if (real)
        return real;
    if (given[0] == '/')
        return strdup(given);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return strdup(given);
    size_t n = strlen(cwd) + 1 + strlen(given) + 1;
    char *abs = malloc(n);
    if (abs)
        snprintf(abs, n, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, given);
    free(cwd);
    return abs;
}

int repos_add_path(struct repo_list *rl, const char *given)
{
    /* An empty argument (an unset variable, say) must never mean ".". */
    if (given[0] == '\0')
        return repos_add_raw(rl, "", 0, "empty path");
    if (strlen(given) >= PATH_MAX)
        return repos_add_raw(rl, given, strlen(given), "path longer than PATH_MAX");
    char *path = canonical_path(given);
    if (!path)
        return -1;
    /* Keep the table at most half full so probes stay short. */
    if ((rl->len + 1) * 2 > rl->nslots && rehash(rl, rl->nslots ? rl->nslots * 2 : 128) < 0) {
        free(path);
        return -1;
    }
    size_t slot = find_slot(rl, path);
    if (rl->slots[slot] != NO_SLOT) {
        free(path);
        return 0;
    }
    if (push_item(rl, path, NULL) < 0) {
        free(path);
        return -1;
    }
    rl->slots[slot] = rl->len - 1;
    return 0;
}

int repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error)
{
    char *path = malloc(label_len + 1);
    char *err = error ? strdup(error) : NULL;
    if (!path || (error && !err) || push_item(rl, path, err) < 0) {
        free(path);
        free(err);
        return -1;
    }
    memcpy(path, label, label_len);
    path[label_len] = '\0';
    return 0;
}

static bool skip_line(const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i == n || line[i] == '#';
}

int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int rc = 0;
    while ((got = getline(&line, &cap, in)) >= 0) {
        size_t n = (size_t)got;
        if (n > 0 && line[n - 1] == '\n')
            n--;
        if (n > 0 && line[n - 1] == '\r')
            n--;
        if (skip_line(line, n))
            continue;
        if (memchr(line, '\0', n))
            rc = repos_add_raw(rl, line, strnlen(line, n), "not a path: the line holds a NUL byte");
        else if (n >= PATH_MAX)
            rc = repos_add_raw(rl, line, 64, "not a path: the line is longer than PATH_MAX");
        else {
            line[n] = '\0';
            rc = repos_add_path(rl, line);
        }
        if (rc < 0)
            break;
    }
    int read_errno = errno;
    bool read_failed = ferror(in);
    free(line);
    if (rc < 0) {
        strbuf_printf(err, "repopool: %s: out of memory", name);
        return -1;
    }
    if (read_failed) {
        strbuf_printf(err, "repopool: %s: %s", name, strerror(read_errno));
        return -1;
    }
    return 0;
}

int repos_add_file(struct repo_list *rl, const char *file, struct strbuf *err)
{
    if (strcmp(file, "-") == 0)
        return repos_add_stream(rl, stdin, "standard input", err);
    FILE *in = fopen(file, "re");
    if (!in) {
        strbuf_printf(err, "repopool: %s: %s", file, strerror(errno));
        return -1;
    }
    int rc = repos_add_stream(rl, in, file, err);
    fclose(in);
    return rc;
}
