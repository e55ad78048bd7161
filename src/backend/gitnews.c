#include "repopool/gitnews.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "repopool/sizetext.h"

/* A ref as git's fetch names it: remote-tracking branches without
 * refs/remotes/, tags as "tag NAME", the rest whole. */
static void short_ref(const char *refname, char *buf, size_t n)
{
    if (strncmp(refname, "refs/remotes/", 13) == 0)
        snprintf(buf, n, "%s", refname + 13);
    else if (strncmp(refname, "refs/tags/", 10) == 0)
        snprintf(buf, n, "tag %s", refname + 10);
    else if (strncmp(refname, "refs/heads/", 11) == 0)
        snprintf(buf, n, "%s", refname + 11);
    else
        snprintf(buf, n, "%s", refname);
}

static void append_line(struct outbuf *log, const char *text)
{
    outbuf_append(log, text, strlen(text));
    outbuf_append(log, "\n", 1);
}

void gitnews_ref_moved(struct gitnews *news, struct outbuf *log, const char *refname, const git_oid *from,
                       const git_oid *to)
{
    char name[128], range[40], a[8], b[8], line[256];
    short_ref(refname, name, sizeof(name));
    bool is_tag = strncmp(refname, "refs/tags/", 10) == 0;
    if (git_oid_is_zero(from)) {
        snprintf(range, sizeof(range), "%s", is_tag ? "new tag" : "new");
        snprintf(line, sizeof(line), " * [%-15s] %s", is_tag ? "new tag" : "new branch", name);
    } else if (git_oid_is_zero(to)) {
        snprintf(range, sizeof(range), "deleted");
        snprintf(line, sizeof(line), " - [%-15s] %s", "deleted", name);
    } else {
        snprintf(range, sizeof(range), "%s..%s", git_oid_tostr(a, sizeof(a), from), git_oid_tostr(b, sizeof(b), to));
        snprintf(line, sizeof(line), "   %-17s %s", range, name);
    }
    append_line(log, line);
    if (news->refs < 2)
        snprintf(news->first[news->refs], sizeof(news->first[0]), "%s", name);
    if (news->refs == 0)
        snprintf(news->range, sizeof(news->range), "%s", range);
    news->refs++;
}

void gitnews_fetch_summary(const struct gitnews *news, unsigned remotes, uint64_t bytes, struct strbuf *summary)
{
    strbuf_printf(summary, "%u remote%s: ", remotes, remotes == 1 ? "" : "s");
    if (news->refs == 0) {
        strbuf_puts(summary, "up to date");
        return;
    }
    if (news->refs == 1)
        strbuf_printf(summary, "%s %s", news->first[0], news->range);
    else
        strbuf_printf(summary, "%u refs updated (%s, %s%s)", news->refs, news->first[0], news->first[1],
                      news->refs > 2 ? ", ..." : "");
    if (bytes > 0) {
        char size[16];
        size_text(size, sizeof(size), bytes);
        strbuf_printf(summary, ", %s", size);
    }
}

static char delta_letter(git_delta_t status)
{
    switch (status) {
    case GIT_DELTA_ADDED:
        return 'A';
    case GIT_DELTA_DELETED:
        return 'D';
    case GIT_DELTA_TYPECHANGE:
        return 'T';
    case GIT_DELTA_RENAMED:
        return 'R';
    default:
        return 'M';
    }
}

void gitnews_pull(git_repository *repo, const git_oid *from, const git_oid *to, size_t commits, struct outbuf *log,
                  struct strbuf *summary)
{
    strbuf_printf(summary, ", %zu commit%s", commits, commits == 1 ? "" : "s");
    git_commit *a = NULL, *b = NULL;
    git_tree *ta = NULL, *tb = NULL;
    git_diff *diff = NULL;
    /* Which files, not how many lines: the trees, then renames found as
     * git's diff finds them (diff.renames), so the count is git's. */
    if (git_commit_lookup(&a, repo, from) == 0 && git_commit_lookup(&b, repo, to) == 0 &&
        git_commit_tree(&ta, a) == 0 && git_commit_tree(&tb, b) == 0 &&
        git_diff_tree_to_tree(&diff, repo, ta, tb, NULL) == 0 && git_diff_find_similar(diff, NULL) == 0) {
        size_t files = git_diff_num_deltas(diff);
        strbuf_printf(summary, ", %zu file%s", files, files == 1 ? "" : "s");
        char line[PATH_MAX + 8];
        for (size_t i = 0; i < files && i < GITNEWS_MAX_FILES; i++) {
            const git_diff_delta *d = git_diff_get_delta(diff, i);
            snprintf(line, sizeof(line), " %c %s", delta_letter(d->status), d->new_file.path);
            append_line(log, line);
        }
        if (files > GITNEWS_MAX_FILES) {
            snprintf(line, sizeof(line), " ... and %zu more", files - GITNEWS_MAX_FILES);
            append_line(log, line);
        }
    }
    git_error_clear();
    git_diff_free(diff);
    git_tree_free(ta);
    git_tree_free(tb);
    git_commit_free(a);
    git_commit_free(b);
}
