#include "repopool/pathres.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char *pathres_cwd(void)
{
    return getcwd(NULL, 0);
}

static bool is_dotdot(const char *s, size_t n)
{
    return n == 2 && s[0] == '.' && s[1] == '.';
}

/* Where the last component of the text in sb begins. */
static size_t last_component(const struct strbuf *sb)
{
    const char *slash = memrchr(sb->data, '/', sb->len);
    return slash ? (size_t)(slash - sb->data) + 1 : 0;
}

/* Cuts the last component and the slash before it ("/a/b" to "/a", "/a"
 * to "/", "a" to ""). */
static void drop_last(struct strbuf *sb)
{
    size_t at = last_component(sb);
    sb->len = at > 1 ? at - 1 : at;
    sb->data[sb->len] = '\0';
}

/*
 * Appends the components of s[0..n) to the path in out ("/" or "/a/b",
 * or a relative one), leaving out empty and "." components. With fold,
 * ".." takes the component before it away (at the root it stays the
 * root); *folded says it did.
 */
static void push_components(struct strbuf *out, const char *s, size_t n, bool fold, bool *folded)
{
    size_t i = 0;
    while (i < n) {
        const char *slash = memchr(s + i, '/', n - i);
        size_t end = slash ? (size_t)(slash - s) : n;
        const char *c = s + i;
        size_t len = end - i;
        i = end + 1;
        if (len == 0 || (len == 1 && c[0] == '.'))
            continue;
        if (fold && is_dotdot(c, len)) {
            size_t at = last_component(out);
            if (out->len > 0 && out->data[0] == '/' && out->len == 1)
                continue; /* the root's parent is the root */
            if (out->len > 0 && !is_dotdot(out->data + at, out->len - at)) {
                drop_last(out);
                *folded = true;
                continue;
            }
        }
        if (out->len > 0 && out->data[out->len - 1] != '/')
            strbuf_putc(out, '/');
        strbuf_add(out, c, len);
    }
}

/* The cleaned form of text, after base when text is relative (base NULL:
 * left relative). */
static void clean(struct strbuf *out, const char *base, const char *text, size_t n, bool fold, bool *folded)
{
    strbuf_reset(out);
    if (text[0] == '/') {
        strbuf_putc(out, '/');
    } else if (base) {
        if (base[0] == '/')
            strbuf_putc(out, '/');
        push_components(out, base, strlen(base), fold, folded);
    }
    push_components(out, text, n, fold, folded);
    if (out->len == 0)
        strbuf_putc(out, '.');
}

/* A last component ".git" stands for the directory around it. */
static bool strip_git_dir(struct strbuf *sb)
{
    size_t at = last_component(sb);
    if (sb->len - at != 4 || memcmp(sb->data + at, ".git", 4) != 0)
        return false;
    drop_last(sb);
    if (sb->len == 0)
        strbuf_putc(sb, '.');
    return true;
}

static bool has_dotdot(const struct strbuf *sb)
{
    for (const char *p = sb->data; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == sb->data || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return true;
    return false;
}

/* Replaces the link text in path with the path its target names: an
 * absolute target as it is, a relative one from the link's directory. */
static bool follow_link(struct strbuf *path, struct strbuf *scratch)
{
    char target[PATH_MAX];
    ssize_t n = readlink(path->data, target, sizeof(target));
    if (n <= 0 || (size_t)n >= sizeof(target))
        return false;
    target[n] = '\0';
    bool folded = false;
    if (target[0] == '/') {
        clean(scratch, NULL, target, (size_t)n, false, &folded);
    } else {
        strbuf_reset(scratch);
        strbuf_add(scratch, path->data, path->len);
        drop_last(scratch);
        clean(path, scratch->data[0] ? scratch->data : NULL, target, (size_t)n, false, &folded);
        return true;
    }
    strbuf_reset(path);
    strbuf_add(path, scratch->data, scratch->len);
    return true;
}

const char *pathres_refusal(const char *given, size_t *label_len)
{
    size_t n = strnlen(given, PATH_MAX);
    *label_len = n;
    /* An empty argument (an unset variable, say) must never mean ".". */
    if (n == 0)
        return "empty path";
    if (n < PATH_MAX)
        return NULL;
    *label_len = PATHRES_LABEL;
    return "path longer than PATH_MAX";
}

void pathres_resolve(const char *cwd, const char *given, struct strbuf *out, struct path_id *id)
{
    bool folded = false;
    clean(out, cwd, given, strlen(given), false, &folded);
    *id = (struct path_id){0};
    struct strbuf as_named, scratch;
    strbuf_init(&as_named);
    strbuf_init(&scratch);
    struct stat st;
    for (unsigned links = 0;; links++) {
        strip_git_dir(out);
        if (lstat(out->data, &st) < 0)
            break;
        if (!S_ISLNK(st.st_mode)) {
            *id = (struct path_id){true, st.st_dev, st.st_ino};
            break;
        }
        if (links == PATHRES_MAX_LINKS)
            break;
        if (links == 0)
            strbuf_add(&as_named, out->data, out->len);
        if (!follow_link(out, &scratch))
            break;
    }
    if (!id->exists && as_named.len > 0) {
        /* A link that leads nowhere is shown by its own name. */
        strbuf_reset(out);
        strbuf_add(out, as_named.data, as_named.len);
    } else if (id->exists && has_dotdot(out)) {
        clean(&scratch, NULL, out->data, out->len, true, &folded);
        if (folded && stat(scratch.data, &st) == 0 && st.st_dev == id->dev && st.st_ino == id->ino) {
            strbuf_reset(out);
            strbuf_add(out, scratch.data, scratch.len);
        }
    }
    strbuf_free(&as_named);
    strbuf_free(&scratch);
}
