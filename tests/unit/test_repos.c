/*
 * The repository list: what runs is each repository once (known by its
 * device and inode), by an absolute path that leads there, and a line that
 * cannot be a path still shows up as a failing entry instead of vanishing.
 */
#include "unit.h"

#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/listparse.h"
#include "repopool/repos.h"

/* snprintf into an array, failing the test if it does not fit. */
#define FORMAT(buf, ...)                                                           \
    do {                                                                           \
        int format_n_ = snprintf((buf), sizeof(buf), __VA_ARGS__);                 \
        assert_true(format_n_ >= 0 && (size_t)format_n_ < sizeof(buf));            \
    } while (0)

/* A scratch directory with two repositories-to-be and a symlink. */
struct fixture {
    char base[64];   /* as created */
    char real[PATH_MAX]; /* its real path (/tmp may itself be a link) */
    char a[PATH_MAX], b[PATH_MAX], link[PATH_MAX];
    char old_cwd[PATH_MAX];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    strcpy(f->base, "/tmp/repopool-repos-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    assert_non_null(realpath(f->base, f->real));
    FORMAT(f->a, "%s/a", f->real);
    FORMAT(f->b, "%s/b", f->real);
    FORMAT(f->link, "%s/link-to-a", f->real);
    assert_int_equal(mkdir(f->a, 0700), 0);
    assert_int_equal(mkdir(f->b, 0700), 0);
    assert_int_equal(symlink(f->a, f->link), 0);
    assert_non_null(getcwd(f->old_cwd, sizeof(f->old_cwd)));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    if (chdir(f->old_cwd) != 0)
        return -1;
    unlink(f->link);
    rmdir(f->a);
    rmdir(f->b);
    rmdir(f->base);
    free(f);
    return 0;
}

/* Entry i's path; valid until the fourth call after. */
static const char *path_of(const struct repo_list *rl, size_t i)
{
    static struct strbuf bufs[4];
    static unsigned next;
    struct strbuf *sb = &bufs[next++ % 4];
    assert_true(i < repos_count(rl));
    return repos_path(rl, (uint32_t)i, sb);
}

/* A stream holding exactly bytes[0..n), NUL bytes included. */
static FILE *stream_of(const char *bytes, size_t n)
{
    FILE *in = tmpfile();
    assert_non_null(in);
    assert_int_equal(fwrite(bytes, 1, n, in), n);
    rewind(in);
    return in;
}

static void add_stream(struct repo_list *rl, const char *bytes, size_t n)
{
    FILE *in = stream_of(bytes, n);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(repos_add_stream(rl, in, "list", &err), 0);
    assert_int_equal(err.len, 0);
    strbuf_free(&err);
    fclose(in);
}

static void same_directory_twice_runs_once(void **state)
{
    struct fixture *f = *state;
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, f->a);
    repos_add_path(&rl, f->b);
    repos_add_path(&rl, f->a);
    char with_slash[PATH_MAX + 2];
    FORMAT(with_slash, "%s/", f->a);
    repos_add_path(&rl, with_slash);
    assert_int_equal(rl.len, 2);
    /* First mention wins the position. */
    assert_string_equal(path_of(&rl, 0), f->a);
    assert_string_equal(path_of(&rl, 1), f->b);
    assert_null(repos_error(&rl, 0));
    repos_free(&rl);
}

static void symlink_to_a_listed_directory_runs_once(void **state)
{
    struct fixture *f = *state;
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, f->link);
    repos_add_path(&rl, f->a);
    assert_int_equal(rl.len, 1);
    /* The entry is the real path, whichever name came first. */
    assert_string_equal(path_of(&rl, 0), f->a);
    repos_free(&rl);
}

static void relative_paths_become_absolute(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(chdir(f->real), 0);
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, "a");
    repos_add_path(&rl, "./b/../a");
    repos_add_path(&rl, "b");
    assert_int_equal(rl.len, 2);
    assert_string_equal(path_of(&rl, 0), f->a);
    assert_string_equal(path_of(&rl, 1), f->b);
    repos_free(&rl);
}

static void nonexistent_path_is_kept_absolute(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(chdir(f->real), 0);
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, "missing/repo");
    repos_add_path(&rl, "/nonexistent-repopool/x");
    /* Named twice, still one task: it fails once, with its full name. */
    repos_add_path(&rl, "missing/repo");
    assert_int_equal(rl.len, 2);
    char want[PATH_MAX + 32];
    FORMAT(want, "%s/missing/repo", f->real);
    assert_string_equal(path_of(&rl, 0), want);
    assert_string_equal(path_of(&rl, 1), "/nonexistent-repopool/x");
    repos_free(&rl);
}

static void overlong_argument_becomes_a_failing_entry(void **state)
{
    (void)state;
    char *p = malloc(PATH_MAX + 100);
    assert_non_null(p);
    p[0] = '/';
    memset(p + 1, 'x', PATH_MAX + 98);
    p[PATH_MAX + 99] = '\0';
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, p);
    assert_int_equal(rl.len, 1);
    assert_non_null(repos_error(&rl, 0));
    free(p);
    repos_free(&rl);
}

static void git_dir_names_its_working_tree(void **state)
{
    struct fixture *f = *state;
    char git_dir[PATH_MAX + 16], gitfile[PATH_MAX + 16], to_git_dir[PATH_MAX + 16], arg[PATH_MAX + 32];
    FORMAT(git_dir, "%s/.git", f->a);
    FORMAT(gitfile, "%s/.git", f->b);
    FORMAT(to_git_dir, "%s/link-to-a-git", f->real);
    assert_int_equal(mkdir(git_dir, 0700), 0);
    FILE *out = fopen(gitfile, "w");
    assert_non_null(out);
    fputs("gitdir: /elsewhere/.git/worktrees/b\n", out);
    fclose(out);
    assert_int_equal(symlink(git_dir, to_git_dir), 0);

    struct repo_list rl;
    repos_init(&rl);
    /* The git directory first: the entry is still the working tree. */
    repos_add_path(&rl, git_dir);
    repos_add_path(&rl, f->a);
    FORMAT(arg, "%s/", git_dir);
    repos_add_path(&rl, arg);
    FORMAT(arg, "%s/.", git_dir);
    repos_add_path(&rl, arg);
    FORMAT(arg, "%s/.git", f->link);
    repos_add_path(&rl, arg);
    repos_add_path(&rl, to_git_dir);
    assert_int_equal(chdir(f->a), 0);
    repos_add_path(&rl, ".git");
    repos_add_path(&rl, "./.git//");
    /* A gitfile (a worktree's, a submodule's) as well. */
    repos_add_path(&rl, gitfile);
    repos_add_path(&rl, "../b");
    /* Nothing is opened: a .git that is not there still names its parent. */
    FORMAT(arg, "%s/missing/.git", f->real);
    repos_add_path(&rl, arg);
    FORMAT(arg, "%s/missing", f->real);
    repos_add_path(&rl, arg);
    /* Only a last component named exactly .git. */
    FORMAT(arg, "%s/x.git", f->real);
    repos_add_path(&rl, arg);
    FORMAT(arg, "%s/.gitx", f->real);
    repos_add_path(&rl, arg);

    char want[PATH_MAX + 32];
    assert_int_equal(rl.len, 5);
    assert_string_equal(path_of(&rl, 0), f->a);
    assert_string_equal(path_of(&rl, 1), f->b);
    FORMAT(want, "%s/missing", f->real);
    assert_string_equal(path_of(&rl, 2), want);
    FORMAT(want, "%s/x.git", f->real);
    assert_string_equal(path_of(&rl, 3), want);
    FORMAT(want, "%s/.gitx", f->real);
    assert_string_equal(path_of(&rl, 4), want);
    for (size_t i = 0; i < rl.len; i++)
        assert_null(repos_error(&rl, i));
    repos_free(&rl);
    unlink(to_git_dir);
    unlink(gitfile);
    rmdir(git_dir);
}

static void git_dir_of_the_root_is_the_root(void **state)
{
    (void)state;
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, "/.git");
    repos_add_path(&rl, "/");
    assert_int_equal(rl.len, 1);
    assert_string_equal(path_of(&rl, 0), "/");
    repos_free(&rl);
}

/* ".." after a symlink leads to the parent of the link's target, not back
 * where the text says: folded only when a stat finds the same directory. */
static void dotdot_is_folded_only_where_it_leads_the_same_way(void **state)
{
    struct fixture *f = *state;
    char inner[PATH_MAX + 16], sib[PATH_MAX + 16], other[PATH_MAX + 16], jump[PATH_MAX + 16];
    char arg[PATH_MAX + 32], want[PATH_MAX + 32];
    FORMAT(inner, "%s/deep", f->real);
    assert_int_equal(mkdir(inner, 0700), 0);
    FORMAT(inner, "%s/deep/inner", f->real);
    FORMAT(sib, "%s/deep/sib", f->real);
    FORMAT(other, "%s/sib", f->real);
    FORMAT(jump, "%s/jump", f->real);
    assert_int_equal(mkdir(inner, 0700), 0);
    assert_int_equal(mkdir(sib, 0700), 0);
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(symlink(inner, jump), 0);

    struct repo_list rl;
    repos_init(&rl);
    FORMAT(arg, "%s/jump/../sib", f->real); /* deep/sib, not sib */
    repos_add_path(&rl, arg);
    repos_add_path(&rl, sib);
    repos_add_path(&rl, other);
    FORMAT(arg, "%s/b/../a/.", f->real); /* no link on the way: folded */
    repos_add_path(&rl, arg);
    assert_int_equal(rl.len, 3);
    FORMAT(want, "%s/jump/../sib", f->real);
    assert_string_equal(path_of(&rl, 0), want);
    assert_string_equal(path_of(&rl, 1), other);
    assert_string_equal(path_of(&rl, 2), f->a);

    /* A path that is not there keeps its ".." as written. */
    FORMAT(arg, "%s/missing/../a", f->real);
    repos_add_path(&rl, arg);
    assert_int_equal(rl.len, 4);
    assert_string_equal(path_of(&rl, 3), arg);
    repos_free(&rl);
    unlink(jump);
    rmdir(inner);
    rmdir(sib);
    rmdir(other);
    FORMAT(inner, "%s/deep", f->real);
    rmdir(inner);
}

static void symlinks_are_followed_to_what_they_name(void **state)
{
    struct fixture *f = *state;
    char git_dir[PATH_MAX + 16], rel[PATH_MAX + 16], to_git[PATH_MAX + 16], chain[PATH_MAX + 16];
    char dangling[PATH_MAX + 16], loop[PATH_MAX + 16];
    FORMAT(git_dir, "%s/.git", f->b);
    FORMAT(rel, "%s/rel-to-a", f->real);
    FORMAT(to_git, "%s/to-b-git", f->real);
    FORMAT(chain, "%s/chain", f->real);
    FORMAT(dangling, "%s/dangling", f->real);
    FORMAT(loop, "%s/loop", f->real);
    assert_int_equal(mkdir(git_dir, 0700), 0);
    assert_int_equal(symlink("a", rel), 0);          /* relative to its directory */
    assert_int_equal(symlink("b/.git", to_git), 0);  /* a git directory: its working tree */
    assert_int_equal(symlink("to-b-git", chain), 0); /* a link to that link */
    assert_int_equal(symlink("nowhere", dangling), 0);
    assert_int_equal(symlink("loop", loop), 0);

    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, rel);
    repos_add_path(&rl, chain);
    repos_add_path(&rl, to_git);
    repos_add_path(&rl, f->b);
    repos_add_path(&rl, dangling);
    repos_add_path(&rl, loop);
    repos_add_path(&rl, loop);
    assert_int_equal(rl.len, 4);
    assert_string_equal(path_of(&rl, 0), f->a);
    assert_string_equal(path_of(&rl, 1), f->b);
    /* What leads nowhere is shown by its own name, once. */
    assert_string_equal(path_of(&rl, 2), dangling);
    assert_string_equal(path_of(&rl, 3), loop);
    repos_free(&rl);
    unlink(rel);
    unlink(to_git);
    unlink(chain);
    unlink(dangling);
    unlink(loop);
    rmdir(git_dir);
}

static void common_prefix_is_the_shared_directory(void **state)
{
    (void)state;
    struct repo_list rl;
    repos_init(&rl);
    assert_int_equal(repos_common_prefix(&rl), 0);
    repos_add_raw(&rl, "/src/team/app", 13, NULL);
    assert_int_equal(repos_common_prefix(&rl), strlen("/src/team/"));
    repos_add_raw(&rl, "/src/team/app/sub", 17, NULL); /* nested: its parent is app */
    repos_add_raw(&rl, "/src/team/lib", 13, NULL);
    assert_int_equal(repos_common_prefix(&rl), strlen("/src/team/"));
    repos_add_raw(&rl, "/src/other", 10, NULL);
    assert_int_equal(repos_common_prefix(&rl), strlen("/src/"));
    repos_add_raw(&rl, "/srcx", 5, NULL);
    assert_int_equal(repos_common_prefix(&rl), strlen("/"));
    repos_add_raw(&rl, "demo-1", 6, NULL);
    assert_int_equal(repos_common_prefix(&rl), 0);
    /* Orders as strcmp does. */
    assert_true(repos_compare(&rl, 0, 1) < 0);
    assert_true(repos_compare(&rl, 2, 1) > 0);
    assert_true(repos_compare(&rl, 4, 3) > 0);
    assert_int_equal(repos_compare(&rl, 5, 5), 0);
    repos_free(&rl);
}

static void raw_entries_are_kept_as_given(void **state)
{
    (void)state;
    struct repo_list rl;
    repos_init(&rl);
    repos_add_raw(&rl, "demo-1xyz", 6, NULL);
    repos_add_raw(&rl, "demo-1", 6, NULL);
    repos_add_raw(&rl, "bad", 3, "why it fails");
    /* No dedup, no resolving: simulated tasks are labels. */
    assert_int_equal(rl.len, 3);
    assert_string_equal(path_of(&rl, 0), "demo-1");
    assert_string_equal(path_of(&rl, 1), "demo-1");
    assert_null(repos_error(&rl, 0));
    assert_string_equal(repos_error(&rl, 2), "why it fails");
    repos_free(&rl);
}

/* ---- repository files ---- */

static void stream_skips_blanks_and_comments(void **state)
{
    struct fixture *f = *state;
    char text[4 * PATH_MAX];
    FORMAT(text,
             "# my repositories\n"
             "\n"
             "   \t \n"
             "%s\n"
             "   # an indented comment\n"
             "%s\r\n"
             "\r\n"
             "%s/with#hash",
             f->a, f->b, f->real);
    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text, strlen(text));
    assert_int_equal(rl.len, 3);
    assert_string_equal(path_of(&rl, 0), f->a);
    /* The CR of a CRLF line is not part of the path. */
    assert_string_equal(path_of(&rl, 1), f->b);
    /* '#' after the start is part of the name; the last line needs no \n. */
    char want[PATH_MAX + 16];
    FORMAT(want, "%s/with#hash", f->real);
    assert_string_equal(path_of(&rl, 2), want);
    repos_free(&rl);
}

static void stream_deduplicates_with_arguments(void **state)
{
    struct fixture *f = *state;
    struct repo_list rl;
    repos_init(&rl);
    repos_add_path(&rl, f->a);
    char text[3 * PATH_MAX];
    FORMAT(text, "%s\n%s\n%s/\n", f->link, f->b, f->b);
    add_stream(&rl, text, strlen(text));
    assert_int_equal(rl.len, 2);
    assert_string_equal(path_of(&rl, 1), f->b);
    repos_free(&rl);
}

static void line_with_nul_byte_becomes_a_failing_entry(void **state)
{
    struct fixture *f = *state;
    char text[2 * PATH_MAX + 32];
    /* %c puts the NUL in the middle of the first line; n counts past it. */
    int n = snprintf(text, sizeof(text), "/tmp/x%cy\n%s\n", '\0', f->a);
    assert_true(n > 0 && (size_t)n < sizeof(text));
    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text, (size_t)n);
    assert_int_equal(rl.len, 2);
    assert_non_null(repos_error(&rl, 0));
    /* The entry says which line it was, up to the NUL. */
    assert_string_equal(path_of(&rl, 0), "/tmp/x");
    /* The next line is read as usual. */
    assert_string_equal(path_of(&rl, 1), f->a);
    assert_null(repos_error(&rl, 1));
    repos_free(&rl);
}

static void overlong_line_becomes_a_failing_entry(void **state)
{
    struct fixture *f = *state;
    size_t cap = 2 * PATH_MAX + 2 * PATH_MAX;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = 0;
    text[n++] = '/';
    memset(text + n, 'y', PATH_MAX + 10);
    n += PATH_MAX + 10;
    n += (size_t)snprintf(text + n, cap - n, "\n%s\n", f->b);
    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text, n);
    assert_int_equal(rl.len, 2);
    assert_non_null(repos_error(&rl, 0));
    assert_true(strncmp(path_of(&rl, 0), "/yyyy", 5) == 0);
    assert_string_equal(path_of(&rl, 1), f->b);
    free(text);
    repos_free(&rl);
}

static void long_blank_and_comment_lines_are_skipped(void **state)
{
    struct fixture *f = *state;
    struct strbuf text;
    strbuf_init(&text);
    for (int i = 0; i < 3 * PATH_MAX; i++)
        strbuf_putc(&text, i % 3 ? ' ' : '\t');
    strbuf_puts(&text, "\r\n");                 /* blank, however long */
    for (int i = 0; i < 2 * PATH_MAX; i++)
        strbuf_putc(&text, ' ');
    strbuf_puts(&text, "# a comment\n");         /* a comment after 8 KiB of blanks */
    for (int i = 0; i < 2 * PATH_MAX; i++)
        strbuf_putc(&text, ' ');
    strbuf_puts(&text, "x\n");                   /* not blank: an over-long line */
    /* A path of PATH_MAX - 1 bytes and the CR of CRLF fits. */
    size_t start = text.len;
    strbuf_puts(&text, f->real);
    strbuf_putc(&text, '/');
    while (text.len - start < PATH_MAX - 1)
        strbuf_putc(&text, 'p');
    strbuf_puts(&text, "\r\n");
    /* A NUL byte after the first PATH_MAX bytes: over-long, named by its start. */
    for (int i = 0; i < PATH_MAX; i++)
        strbuf_putc(&text, 'z');
    strbuf_putc(&text, '\0');
    strbuf_puts(&text, "\n");
    strbuf_printf(&text, "%s\n", f->a);

    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text.data, text.len);
    assert_int_equal(rl.len, 4);
    assert_non_null(repos_error(&rl, 0));
    assert_int_equal(strlen(path_of(&rl, 0)), 64);
    assert_int_equal(strspn(path_of(&rl, 0), " "), 64);
    assert_null(repos_error(&rl, 1));
    assert_int_equal(strlen(path_of(&rl, 1)), PATH_MAX - 1);
    assert_non_null(repos_error(&rl, 2));
    assert_non_null(strstr(repos_error(&rl, 2), "PATH_MAX"));
    assert_int_equal(strspn(path_of(&rl, 2), "z"), 64);
    assert_string_equal(path_of(&rl, 3), f->a);
    repos_free(&rl);
    strbuf_free(&text);
}

/* A generated stream: `head` first, then `body` bytes of `fill`, then
 * `tail`; it samples the heap at every read, so the reader's peak memory
 * can be told. */
struct gen {
    const char *head, *tail;
    uint64_t body, pos;
    char fill;
    size_t heap_base, heap_peak;
};

static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static ssize_t gen_read(void *cookie, char *buf, size_t size)
{
    struct gen *g = cookie;
    size_t heap = heap_in_use();
    if (heap > g->heap_peak)
        g->heap_peak = heap;
    size_t nhead = strlen(g->head), ntail = strlen(g->tail);
    size_t done = 0;
    while (done < size) {
        uint64_t p = g->pos;
        if (p < nhead) {
            buf[done++] = g->head[p];
        } else if (p - nhead < g->body) {
            uint64_t left = g->body - (p - nhead);
            size_t n = left < size - done ? (size_t)left : size - done;
            memset(buf + done, g->fill, n);
            done += n;
            g->pos += n;
            continue;
        } else if (p - nhead - g->body < ntail) {
            buf[done++] = g->tail[p - nhead - g->body];
        } else {
            break;
        }
        g->pos++;
    }
    return (ssize_t)done;
}

static FILE *gen_open(struct gen *g)
{
    g->heap_base = g->heap_peak = heap_in_use();
    FILE *in = fopencookie(g, "r", (cookie_io_functions_t){.read = gen_read});
    assert_non_null(in);
    return in;
}

static void hundred_megabyte_line_keeps_memory_flat(void **state)
{
    struct fixture *f = *state;
    char head[PATH_MAX + 8], tail[2 * PATH_MAX + 8];
    FORMAT(head, "%s\n/", f->a);
    FORMAT(tail, "\n%s\n", f->b);
    struct gen g = {.head = head, .tail = tail, .body = 100u << 20, .fill = 'x'};
    FILE *in = gen_open(&g);
    struct repo_list rl;
    repos_init(&rl);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(repos_add_stream(&rl, in, "list", &err), 0);
    fclose(in);
    assert_int_equal(err.len, 0);
    /* The long line is one failing entry; the lines around it run. */
    assert_int_equal(rl.len, 3);
    assert_string_equal(path_of(&rl, 0), f->a);
    assert_non_null(repos_error(&rl, 1));
    assert_true(strncmp(path_of(&rl, 1), "/xxx", 4) == 0);
    assert_string_equal(path_of(&rl, 2), f->b);
    /* Read in chunks, kept up to PATH_MAX: no more than a few pages. */
    assert_true(g.heap_peak - g.heap_base < 256 * 1024);
    strbuf_free(&err);
    repos_free(&rl);
}

static void endless_line_refuses_the_list(void **state)
{
    struct fixture *f = *state;
    char head[PATH_MAX + 8];
    FORMAT(head, "%s\n", f->a);
    /* NUL bytes (as /dev/zero gives) with no newline: well past the limit,
     * then an end the reader must not get to. */
    struct gen g = {.head = head, .tail = "\n/tmp\n", .body = LISTPARSE_LINE_LIMIT + (64u << 20), .fill = '\0'};
    FILE *in = gen_open(&g);
    struct repo_list rl;
    repos_init(&rl);
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(repos_add_stream(&rl, in, "list", &err), -1);
    fclose(in);
    assert_non_null(err.data);
    assert_non_null(strstr(err.data, "list: line 2: no newline in its first " LISTPARSE_LINE_LIMIT_TEXT));
    assert_non_null(strstr(err.data, "not a list of paths"));
    /* It stopped at the limit, and kept nothing of the line. */
    assert_true(g.pos <= strlen(head) + LISTPARSE_LINE_LIMIT + (1u << 20));
    assert_true(g.heap_peak - g.heap_base < 256 * 1024);
    strbuf_free(&err);
    repos_free(&rl);
}

static void ten_thousand_lines(void **state)
{
    struct fixture *f = *state;
    enum { N = 10000 };
    struct strbuf text;
    strbuf_init(&text);
    for (int i = 0; i < N; i++)
        strbuf_printf(&text, "%s/repo-%05d\n", f->real, i);
    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text.data, text.len);
    assert_int_equal(rl.len, N);
    /* In file order... */
    for (int i = 0; i < N; i += 997) {
        char want[PATH_MAX + 32];
        FORMAT(want, "%s/repo-%05d", f->real, i);
        assert_string_equal(path_of(&rl, i), want);
    }
    /* ...and the same list again adds nothing. */
    add_stream(&rl, text.data, text.len);
    assert_int_equal(rl.len, N);
    repos_free(&rl);
    strbuf_free(&text);
}

static void ten_thousand_lines_with_repeats(void **state)
{
    struct fixture *f = *state;
    enum { N = 10000, DISTINCT = 2500 };
    struct strbuf text;
    strbuf_init(&text);
    for (int i = 0; i < N; i++)
        strbuf_printf(&text, "%s/r%d\n", f->real, (i * 7919) % DISTINCT);
    struct repo_list rl;
    repos_init(&rl);
    add_stream(&rl, text.data, text.len);
    assert_int_equal(rl.len, DISTINCT);
    repos_free(&rl);
    strbuf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(same_directory_twice_runs_once, setup, teardown),
        cmocka_unit_test_setup_teardown(symlink_to_a_listed_directory_runs_once, setup, teardown),
        cmocka_unit_test_setup_teardown(relative_paths_become_absolute, setup, teardown),
        cmocka_unit_test_setup_teardown(nonexistent_path_is_kept_absolute, setup, teardown),
        cmocka_unit_test(overlong_argument_becomes_a_failing_entry),
        cmocka_unit_test_setup_teardown(git_dir_names_its_working_tree, setup, teardown),
        cmocka_unit_test(git_dir_of_the_root_is_the_root),
        cmocka_unit_test_setup_teardown(dotdot_is_folded_only_where_it_leads_the_same_way, setup, teardown),
        cmocka_unit_test_setup_teardown(symlinks_are_followed_to_what_they_name, setup, teardown),
        cmocka_unit_test(common_prefix_is_the_shared_directory),
        cmocka_unit_test(raw_entries_are_kept_as_given),
        cmocka_unit_test_setup_teardown(stream_skips_blanks_and_comments, setup, teardown),
        cmocka_unit_test_setup_teardown(stream_deduplicates_with_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(line_with_nul_byte_becomes_a_failing_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(overlong_line_becomes_a_failing_entry, setup, teardown),
        cmocka_unit_test_setup_teardown(long_blank_and_comment_lines_are_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(hundred_megabyte_line_keeps_memory_flat, setup, teardown),
        cmocka_unit_test_setup_teardown(endless_line_refuses_the_list, setup, teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(ten_thousand_lines_with_repeats, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
