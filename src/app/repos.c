#include "repopool/repos.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/listparse.h"
#include "repopool/xalloc.h"

void repos_init(struct repo_list *rl)
{
    memset(rl, 0, sizeof(*rl));
    pathtab_init(&rl->paths);
    rl->common = PATHTAB_NONE;
    rl->last_parent = PATHTAB_NONE;
}

void repos_free(struct repo_list *rl)
{
    pathtab_free(&rl->paths);
    free(rl->items);
    for (size_t i = 0; i < rl->nerrors; i++)
        free(rl->errors[i]);
    free(rl->errors);
    free(rl->keys);
    free(rl->devs);
    repos_init(rl);
}

/* --- identities --- */

static uint32_t device_index(struct repo_list *rl, dev_t dev)
{
    for (size_t i = 0; i < rl->ndevs; i++)
        if (rl->devs[i] == dev)
            return (uint32_t)i + 1;
    array_reserve((void **)&rl->devs, &rl->devs_cap, rl->ndevs + 1, sizeof(*rl->devs));
    rl->devs[rl->ndevs++] = dev;
    return (uint32_t)rl->ndevs;
}

static size_t key_slot(const struct repo_list *rl, struct repo_key k)
{
    size_t mask = rl->nslots - 1;
    uint64_t h = (k.ino ^ ((uint64_t)k.dev << 48)) * 0x9e3779b97f4a7c15ULL;
    for (size_t i = (size_t)(h >> 20) & mask;; i = (i + 1) & mask) {
        const struct repo_key *s = &rl->keys[i];
        if (s->dev == 0 || (s->dev == k.dev && s->ino == k.ino))
            return i;
    }
}

/* Adds k to the set; false when it was there. */
static bool key_insert(struct repo_list *rl, struct repo_key k)
{
    if ((rl->nkeys + 1) * 4 > rl->nslots * 3) {
        size_t nslots = rl->nslots ? rl->nslots * 2 : 256;
        struct repo_key *old = rl->keys;
        size_t had = rl->nslots;
        rl->keys = xcalloc(nslots, sizeof(*rl->keys));
        rl->nslots = nslots;
        for (size_t i = 0; i < had; i++)
            if (old[i].dev != 0)
                rl->keys[key_slot(rl, old[i])] = old[i];
        free(old);
    }
    size_t slot = key_slot(rl, k);
    if (rl->keys[slot].dev != 0)
        return false;
    rl->keys[slot] = k;
    rl->nkeys++;
    return true;
}

/* --- entries --- */

static uint32_t error_index(struct repo_list *rl, const char *error)
{
    if (!error)
        return 0;
    for (size_t i = 0; i < rl->nerrors; i++)
        if (strcmp(rl->errors[i], error) == 0)
            return (uint32_t)i + 1;
    array_reserve((void **)&rl->errors, &rl->errors_cap, rl->nerrors + 1, sizeof(*rl->errors));
    rl->errors[rl->nerrors++] = xstrdup(error);
    return (uint32_t)rl->nerrors;
}

/* The directory all entries are in follows each new one. Entries come in
 * runs from the same directory, so most add nothing to walk. */
static void merge_common(struct repo_list *rl, uint32_t node)
{
    uint32_t parent = pathtab_parent(&rl->paths, node);
    if (rl->len == 0) {
        rl->common = rl->last_parent = parent;
        return;
    }
    if (parent == rl->last_parent || rl->common == PATHTAB_NONE)
        return;
    rl->last_parent = parent;
    rl->common = parent == PATHTAB_NONE ? PATHTAB_NONE : pathtab_common(&rl->paths, rl->common, parent);
}

static uint32_t push(struct repo_list *rl, uint32_t node, const char *error)
{
    array_reserve((void **)&rl->items, &rl->cap, rl->len + 1, sizeof(*rl->items));
    merge_common(rl, node);
    rl->items[rl->len] = (struct repo){node, error_index(rl, error)};
    return (uint32_t)rl->len++;
}

uint32_t repos_add_resolved(struct repo_list *rl, const char *path, size_t len, const struct path_id *id)
{
    if (len > PATHTAB_MAX_TEXT)
        len = PATHTAB_MAX_TEXT;
    if (id->exists) {
        /* Looked up before the path is stored: a duplicate costs nothing. */
        if (!key_insert(rl, (struct repo_key){id->ino, device_index(rl, id->dev)}))
            return REPOS_NONE;
        return push(rl, pathtab_intern(&rl->paths, path, len), NULL);
    }
    uint32_t node = pathtab_intern(&rl->paths, path, len);
    if (!key_insert(rl, (struct repo_key){node, REPOS_MISSING}))
        return REPOS_NONE;
    return push(rl, node, NULL);
}

uint32_t repos_add_path(struct repo_list *rl, const char *given)
{
    size_t label_len;
    const char *refusal = pathres_refusal(given, &label_len);
    if (refusal)
        return repos_add_raw(rl, given, label_len, refusal);
    /* Asked each time: this is the one-at-a-time way in (feed.c asks once
     * for a whole list). */
    char *cwd = given[0] == '/' ? NULL : pathres_cwd();
    struct strbuf path;
    strbuf_init(&path);
    struct path_id id;
    pathres_resolve(cwd, given, &path, &id);
    uint32_t i = repos_add_resolved(rl, path.data, path.len, &id);
    strbuf_free(&path);
    free(cwd);
    return i;
}

uint32_t repos_add_raw(struct repo_list *rl, const char *label, size_t label_len, const char *error)
{
    if (label_len > PATHTAB_MAX_TEXT)
        label_len = PATHTAB_MAX_TEXT;
    return push(rl, pathtab_intern(&rl->paths, label, label_len), error);
}

static void add_line(void *ctx, const struct list_line *line)
{
    struct repo_list *rl = ctx;
    if (line->error)
        repos_add_raw(rl, line->text, line->len, line->error);
    else
        repos_add_path(rl, line->text);
}

int repos_add_stream(struct repo_list *rl, FILE *in, const char *name, struct strbuf *err)
{
    enum { CHUNK = 65536 };
    char *chunk = xmalloc(CHUNK);
    struct listparse *lp = xmalloc(sizeof(*lp));
    listparse_init(lp);
    int rc = 0;
    size_t n;
    errno = 0;
    while ((n = fread(chunk, 1, CHUNK, in)) > 0) {
        if (listparse_feed(lp, chunk, n, add_line, rl) < 0) {
            strbuf_printf(err, "repopool: %s: line %ju: no newline in its first " LISTPARSE_LINE_LIMIT_TEXT
                          ", not a list of paths", name, lp->lineno + 1);
            rc = -1;
            break;
        }
        errno = 0;
    }
    if (rc == 0 && ferror(in)) {
        strbuf_printf(err, "repopool: %s: %s", name, strerror(errno ? errno : EIO));
        rc = -1;
    }
    if (rc == 0)
        listparse_end(lp, add_line, rl);
    free(lp);
    free(chunk);
    return rc;
}

const char *repos_path(const struct repo_list *rl, uint32_t i, struct strbuf *sb)
{
    strbuf_reset(sb);
    pathtab_put(&rl->paths, rl->items[i].node, sb);
    return sb->data;
}

const char *repos_error(const struct repo_list *rl, uint32_t i)
{
    uint32_t e = rl->items[i].error;
    return e ? rl->errors[e - 1] : NULL;
}

int repos_compare(const struct repo_list *rl, uint32_t i, uint32_t j)
{
    return pathtab_compare(&rl->paths, rl->items[i].node, rl->items[j].node);
}

size_t repos_common_prefix(const struct repo_list *rl)
{
    if (rl->len == 0 || rl->common == PATHTAB_NONE)
        return 0;
    return pathtab_length(&rl->paths, rl->common) + 1;
}
