#include "repopool/runkey.h"

#include <stdint.h>
#include <string.h>

#include "repopool/gitop_table.h"
#include "repopool/template.h"

bool runkey_work(const struct config *cfg, struct strbuf *out)
{
    strbuf_reset(out);
    switch (cfg->work) {
    case WORK_GIT:
        strbuf_printf(out, "git %s", cfg->git_op->name);
        return true;
    case WORK_COMMAND:
        if (cfg->shell) {
            strbuf_printf(out, "shell: %s", cfg->command[0]);
            return true;
        }
        strbuf_puts(out, "command:");
        for (size_t i = 0; i < cfg->ncommand; i++) {
            strbuf_putc(out, ' ');
            template_shell_quote(out, cfg->command[i]);
        }
        return true;
    case WORK_DEMO:
        break;
    }
    return false;
}

/* FNV-1a over the path, then a finalizer that spreads its bits, so that
 * the sum of many paths' hashes does not cancel out. */
static uint64_t path_hash(const char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

void runkey_selection(const struct repo_list *rl, struct strbuf *out)
{
    /* A sum is the same in any order: no sorting a million paths. The
     * list holds each repository once, so the sum is a set's. */
    uint64_t sum = 0;
    struct strbuf path;
    strbuf_init(&path);
    for (size_t i = 0; i < repos_count(rl); i++) {
        repos_path(rl, (uint32_t)i, &path);
        sum += path_hash(path.data ? path.data : "", path.len);
    }
    strbuf_free(&path);
    strbuf_reset(out);
    strbuf_printf(out, "%zu repositor%s %016llx", repos_count(rl), repos_count(rl) == 1 ? "y" : "ies",
                  (unsigned long long)sum);
}

void runkey_args(int argc, char **argv, struct strbuf *out)
{
    strbuf_reset(out);
    strbuf_puts(out, "repopool");
    for (int i = 1; i < argc; i++) {
        strbuf_putc(out, ' ');
        template_shell_quote(out, argv[i]);
    }
}
