#include "repopool/repos.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

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

static void rehash(struct repo_list *rl, size_t nslots)
{
    size_t *slots = xmalloc(nslots * sizeof(*slots));
    for (size_t i = 0; i < nslots; i++)
        slots[i] = NO_SLOT;
    free(rl->slots);
    rl->slots = slots;
    rl->nslots = nslots;
    for (size_t idx = 0; idx < rl->len; idx++)
        if (!rl->items[idx].error)
            rl->slots[find_slot(rl, rl->items[idx].path)] = idx;
}

static void push_item(struct repo_list *rl, char *path, char *error)
{
    array_reserve((void **)&rl->items, &rl->cap, rl->len + 1, sizeof(*rl->items));
    rl->items[rl->len++] = (struct repo){path, error};
}

/* The absolute, resolved form of given; for a path that does not resolve,
 * the absolute form as written, so the task can say what is wrong. */
static char *canonical_path(const char *given)
{
    char *real = realpath(given, NULL);
    if (real)
        return real;
    if (given[0] == '/')
        return xstrdup(given);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        return xstrdup(given);
    size_t n = strlen(cwd) + 1 + strlen(given) + 1;
    char *abs = xmalloc(n);
    snprintf(abs, n, "%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, given);
    free(cwd);
    return abs;
}

/* If path's last component (trailing slashes aside) is ".git", the length
 * of what comes before it ("repo/" of "repo/.git/", "" of ".git"). */
static bool names_git_dir(const char *path, size_t *parent_len)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (n < 4 || memcmp(path + n - 4, ".git", 4) != 0 || (n > 4 && path[n - 5] != '/'))
        return false;
    *parent_len = n - 4;
    return true;
}

/* The path a task runs in for what the user named: its canonical form, and
 * a repository's ".git" (its git directory, or the gitfile of a worktree or
 * submodule) stands for the working tree around it. Named as ".git", or
 * resolving to it through a symlink; nothing is opened to check. */
static char *working_tree_path(const char *given)
{
    size_t parent_len;
    if (names_git_dir(given, &parent_len)) {
        while (parent_len > 1 && given[parent_len - 1] == '/')
            parent_len--;
        char *parent = parent_len ? xstrndup(given, parent_len) : xstrdup(".");
        char *path = canonical_path(parent);
        free(parent);
        return path;
    }
    char *path = canonical_path(given);
    if (names_git_dir(path, &parent_len)) {
        while (parent_len > 1 && path[parent_len - 1] == '/')
            parent_len--;
        path[parent_len] = '\0';
    }
    return path;
}

void repos_add_path(struct repo_list *rl, const char *given)
{
    /* An empty argument (an unset variable, say) must never mean ".". */
    if (given[0] == '\0') {
        repos_add_raw(rl, "", 0, "empty path");
        return;
    }
    if (strlen(given) >= PATH_MAX) {
        repos_add_raw(rl, given, strlen(given), "path longer than PATH_MAX");
        return;
    }
    char *path = working_tree_path(given);
    /* Keep the table at most half full so probes stay short. */
    if ((rl->len + 1) * 2 > rl->nslots)
        rehash(rl, rl->nslots ? rl->nslots * 2 : 128);
    size_t slot = find_slot(rl, path);
    if (rl->slots[slot] != NO_SLOT) {
        free(path);
        return;
    }
    push_item(rl, path, NULL);
    rl->slots[slot] = rl->len - 1;
}

void repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error)
{
    char *path = xmalloc(label_len + 1);
    memcpy(path, label, label_len);
    path[label_len] = '\0';
    push_item(rl, path, error ? xstrdup(error) : NULL);
}

/* A list line is read in chunks and kept only up to what a path can be (a
 * path is shorter than PATH_MAX; one more byte for a CR of a CRLF line):
 * the rest of a longer line is looked at and dropped, so memory stays flat
 * however long a line is. */
#define CHUNK_SIZE 65536
#define LINE_KEEP (PATH_MAX + 1)

enum line_kind {
    LINE_BLANK,   /* nothing but blanks so far (a blank line if it ends so) */
    LINE_COMMENT, /* the first non-blank character is '#' */
    LINE_PATH,    /* anything else: an entry */
};

struct line_state {
    enum line_kind kind;
    bool pending_cr; /* the last byte was a CR after blanks only */
};

/* Classifies bytes while the line is still blank: blanks are spaces and
 * tabs, and a CR counts as blank only as the line's last byte (CRLF). */
static void classify(struct line_state *ls, const char *p, size_t n)
{
    for (size_t i = 0; i < n && ls->kind == LINE_BLANK; i++) {
        char c = p[i];
        if (ls->pending_cr)
            ls->kind = LINE_PATH;
        else if (c == '\r')
            ls->pending_cr = true;
        else if (c != ' ' && c != '\t')
            ls->kind = c == '#' ? LINE_COMMENT : LINE_PATH;
    }
}

/* Adds the entry for a line that is not blank or a comment: kept holds its
 * first bytes, total its length (without the newline). */
static void add_line(struct repo_list *rl, char *kept, uint64_t total)
{
    size_t n = total < LINE_KEEP ? (size_t)total : LINE_KEEP;
    bool whole = total <= LINE_KEEP;
    if (whole && n > 0 && kept[n - 1] == '\r')
        n--;
    const char *nul = memchr(kept, '\0', n < PATH_MAX ? n : PATH_MAX);
    if (nul) {
        repos_add_raw(rl, kept, (size_t)(nul - kept), "not a path: the line holds a NUL byte");
    } else if (!whole || n >= PATH_MAX) {
        repos_add_raw(rl, kept, 64, "not a path: the line is longer than PATH_MAX");
    } else {
        kept[n] = '\0';
        repos_add_path(rl, kept);
    }
}

int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err)
{
    char *chunk = xmalloc(CHUNK_SIZE + LINE_KEEP);
    char *kept = chunk + CHUNK_SIZE;
    size_t pos = 0, len = 0;
    uintmax_t lineno = 0;
    int read_errno = 0;
    bool endless = false;
    for (;;) {
        struct line_state ls = {LINE_BLANK, false};
        uint64_t total = 0;
        size_t nkept = 0;
        bool started = false;
        for (;;) {
            if (pos == len) {
                errno = 0;
                len = fread(chunk, 1, CHUNK_SIZE, in);
                pos = 0;
                if (len == 0) {
                    read_errno = errno;
                    break;
                }
            }
            started = true;
            const char *seg = chunk + pos;
            const char *nl = memchr(seg, '\n', len - pos);
            size_t n = nl ? (size_t)(nl - seg) : len - pos;
            pos += n + (nl ? 1 : 0);
            classify(&ls, seg, n);
            size_t take = n < LINE_KEEP - nkept ? n : LINE_KEEP - nkept;
            memcpy(kept + nkept, seg, take);
            nkept += take;
            total += n;
            if (total > REPOS_LINE_LIMIT) {
                endless = true;
                break;
            }
            if (nl)
                break;
        }
        if (!started || endless)
            break;
        lineno++;
        if (ls.kind == LINE_PATH)
            add_line(rl, kept, total);
    }
    bool read_failed = ferror(in);
    free(chunk);
    if (endless) {
        strbuf_printf(err, "repopool: %s: line %ju: no newline in its first " REPOS_LINE_LIMIT_TEXT
                      ", not a list of paths", name, lineno + 1);
        return -1;
    }
    if (read_failed) {
        strbuf_printf(err, "repopool: %s: %s", name, strerror(read_errno ? read_errno : EIO));
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
