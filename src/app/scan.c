#include "repopool/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/array.h"
#include "repopool/strbuf.h"
#include "repopool/xalloc.h"

/* Directories already walked, by device and inode, so a symlink loop or two
 * links to one tree are walked once. An open-addressing set, at most half
 * full; a zero inode marks an empty slot (no directory has inode 0). */
struct visited {
    struct dir_id {
        dev_t dev;
        ino_t ino;
    } *slots;
    size_t len, nslots;
};

struct walk {
    const struct scan_options *opt;
    struct visited seen;
    struct strbuf path;
};

static size_t dir_slot(const struct visited *v, struct dir_id id)
{
    size_t mask = v->nslots - 1;
    size_t i = (size_t)((id.ino * 0x9e3779b97f4a7c15ULL) ^ id.dev) & mask;
    while (v->slots[i].ino != 0 && (v->slots[i].ino != id.ino || v->slots[i].dev != id.dev))
        i = (i + 1) & mask;
    return i;
}

/* True the first time a directory is seen. */
static bool visit_once(struct visited *v, dev_t dev, ino_t ino)
{
    struct dir_id id = {dev, ino};
    if ((v->len + 1) * 2 > v->nslots) {
        size_t nslots = v->nslots ? v->nslots * 2 : 512;
        struct visited bigger = {xcalloc(nslots, sizeof(struct dir_id)), 0, nslots};
        for (size_t i = 0; i < v->nslots; i++)
            if (v->slots[i].ino != 0)
                bigger.slots[dir_slot(&bigger, v->slots[i])] = v->slots[i];
        bigger.len = v->len;
        free(v->slots);
        *v = bigger;
    }
    size_t i = dir_slot(v, id);
    if (v->slots[i].ino != 0)
        return false;
    v->slots[i] = id;
    v->len++;
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void warn(struct walk *w, int err)
{
    if (w->opt->warn)
        w->opt->warn(w->opt->ctx, w->path.data, err);
}

/* Is the entry a directory (following a symlink)? d_type spares a stat for
 * nearly every entry. A symlink that leads nowhere (dangling, a loop) is
 * not, silently. */
static bool entry_is_dir(int dirfd, const struct dirent *de)
{
    if (de->d_type == DT_DIR)
        return true;
    if (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
        return false;
    struct stat st;
    return fstatat(dirfd, de->d_name, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static void walk_dir(struct walk *w, unsigned level)
{
    int fd = open(w->path.data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        warn(w, errno);
        return;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !visit_once(&w->seen, st.st_dev, st.st_ino)) {
        close(fd);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        warn(w, errno);
        close(fd);
        return;
    }

    bool is_worktree = false;
    char **subdirs = NULL;
    size_t nsub = 0, capsub = 0;
    struct dirent *de;
    /* errno is cleared before every readdir, so the end of the directory is
     * told from an error reading it, whatever the calls in between left
     * there (fstatat of a dangling symlink or a symlink loop says ENOENT or
     * ELOOP: such an entry is simply not a directory, nothing to warn of). */
    while ((errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (strcmp(name, ".git") == 0) {
            is_worktree = true;
            continue;
        }
        if (level >= w->opt->depth || !entry_is_dir(dirfd(d), de))
            continue;
        array_reserve((void **)&subdirs, &capsub, nsub + 1, sizeof(*subdirs));
        subdirs[nsub++] = xstrdup(name);
    }
    if (errno)
        warn(w, errno);
    closedir(d);

    if (is_worktree)
        w->opt->found(w->opt->ctx, w->path.data);
    size_t base = w->path.len;
    if (!is_worktree || w->opt->nested) {
        /* Sorted, so a run over the same tree always has the same order. */
        if (nsub > 1)
            qsort(subdirs, nsub, sizeof(*subdirs), compare_names);
        for (size_t i = 0; i < nsub; i++) {
            if (base > 0 && w->path.data[base - 1] != '/')
                strbuf_putc(&w->path, '/');
            strbuf_puts(&w->path, subdirs[i]);
            walk_dir(w, level + 1);
            w->path.len = base;
            w->path.data[base] = '\0';
        }
    }
    for (size_t i = 0; i < nsub; i++)
        free(subdirs[i]);
    free(subdirs);
}

int scan_dir(const char *dir, const struct scan_options *opt)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    struct walk w = {.opt = opt};
    strbuf_init(&w.path);
    strbuf_puts(&w.path, dir);
    walk_dir(&w, 0);
    strbuf_free(&w.path);
    free(w.seen.slots);
    return 0;
}
