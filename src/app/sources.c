#include "repopool/sources.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "repopool/sanitize.h"
#include "repopool/scan.h"

static void warn_unreadable(void *ctx, const char *path, int err)
{
    (void)ctx;
    struct strbuf shown;
    strbuf_init(&shown);
    sanitize_name(&shown, path, strlen(path));
    fprintf(stderr, "repopool: cannot read %s: %s\n", shown.data ? shown.data : "", strerror(err));
    strbuf_free(&shown);
}

static void feed_path(void *ctx, const char *path)
{
    feed_add_path(ctx, path);
}

static int feed_list(void *ctx, const char *file, struct strbuf *err)
{
    return feed_add_list(ctx, file, err);
}

struct source_sink sources_into_feed(struct feed *feed)
{
    return (struct source_sink){.path = feed_path, .list = feed_list, .ctx = feed};
}

static void list_path(void *ctx, const char *path)
{
    repos_add_path(ctx, path);
}

static int list_list(void *ctx, const char *file, struct strbuf *err)
{
    bool is_stdin = strcmp(file, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(file, "re");
    if (!in) {
        strbuf_printf(err, "repopool: %s: %s", file, strerror(errno));
        return -1;
    }
    int rc = repos_add_stream(ctx, in, is_stdin ? "standard input" : file, err);
    if (!is_stdin)
        fclose(in);
    return rc;
}

struct source_sink sources_into_list(struct repo_list *rl)
{
    return (struct source_sink){.path = list_path, .list = list_list, .ctx = rl};
}

struct scan_count {
    const struct source_sink *sink;
    size_t found;
};

static void found_repo(void *ctx, const char *path)
{
    struct scan_count *sc = ctx;
    sc->sink->path(sc->sink->ctx, path);
    sc->found++;
}

int sources_gather(const struct config *cfg, const struct source_sink *sink, const char **empty_dir,
                   struct strbuf *err)
{
    for (size_t i = 0; i < cfg->nrepos; i++)
        sink->path(sink->ctx, cfg->repos[i]);
    for (size_t i = 0; i < cfg->nrepo_files; i++)
        if (sink->list(sink->ctx, cfg->repo_files[i], err) < 0)
            return -1;

    /* No repository named at all: the current directory is scanned. A
     * group names its repositories, even when it has none. */
    bool named_any = cfg->nrepos || cfg->nrepo_files || cfg->nscan_dirs || cfg->ngroups;
    char *default_scan[] = {"."};
    char *const *dirs = named_any ? cfg->scan_dirs : default_scan;
    size_t ndirs = named_any ? cfg->nscan_dirs : 1;
    *empty_dir = NULL;
    for (size_t i = 0; i < ndirs; i++) {
        struct scan_count count = {.sink = sink};
        struct scan_options opt = {
            .depth = cfg->depth, .nested = cfg->nested, .warn = warn_unreadable, .found = found_repo, .ctx = &count,
        };
        if (scan_dir(dirs[i], &opt) < 0) {
            strbuf_printf(err, "repopool: --scan %s: %s", dirs[i], strerror(errno));
            return -1;
        }
        if (count.found == 0 && !*empty_dir)
            *empty_dir = dirs[i];
    }
    return 0;
}

void sources_say_nothing(const struct config *cfg, const char *empty_dir, struct strbuf *err)
{
    if (empty_dir && !cfg->nrepos && !cfg->nrepo_files)
        strbuf_printf(err, "repopool: no git repositories under %s (--depth %u)", empty_dir, cfg->depth);
    else if (cfg->nrepo_files == 1 && !cfg->nrepos && !cfg->nscan_dirs)
        strbuf_printf(err, "repopool: %s lists no repositories",
                      strcmp(cfg->repo_files[0], "-") == 0 ? "standard input" : cfg->repo_files[0]);
    else
        strbuf_puts(err, "repopool: no repositories to work on");
}
