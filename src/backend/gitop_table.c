#include "repopool/gitop_table.h"

#include <string.h>

const struct gitop_entry gitop_table[] = {
    {.name = "status", .run = gitop_status_run, .needs_network = false, .describe = gitop_status_describe},
    {.name = "fetch", .run = gitop_fetch_run, .needs_network = true, .describe = gitop_fetch_describe},
    {.name = "pull", .run = gitop_pull_run, .needs_network = true, .follows_upstream = true,
     .describe = gitop_pull_describe,
     .note = "fetch + fast-forward only"},
};

const size_t gitop_count = sizeof(gitop_table) / sizeof(gitop_table[0]);

const struct gitop_entry *gitop_find(const char *name)
{
    for (size_t i = 0; i < gitop_count; i++)
        if (strcmp(gitop_table[i].name, name) == 0)
            return &gitop_table[i];
    return NULL;
}
