/*
 * The `git status --porcelain=v2 --branch` parser, and the views of its
 * result.
 *
 * Properties:
 * - no crash; the result is 0 or -1, and the state passed in is kept;
 * - every line counts at most once: a changed entry adds at most one to
 *   staged and one to modified, so max(staged, modified) + conflicted +
 *   untracked never exceeds the number of lines;
 * - branch, upstream and head stay NUL-terminated inside their arrays;
 * - gitinfo_summary does not crash, and gitinfo_json gives an object that
 *   parses as strict JSON.
 */
#include <string.h>

#include "fuzz.h"
#include "repopool/gitinfo.h"

static bool terminated(const char *field, size_t cap)
{
    return memchr(field, '\0', cap) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        if (data[i] == '\n')
            lines++;
    if (size > 0 && data[size - 1] != '\n')
        lines++;

    struct gitinfo gi;
    memset(&gi, 0xa5, sizeof(gi)); /* garbage the parser must overwrite */
    enum gitinfo_state state = GITINFO_STATE_CLEAN;
    if (size > 0)
        state = (enum gitinfo_state)(data[0] % (GITINFO_STATE_AM + 1));
    gi.state = state;
    int rc = gitinfo_parse_porcelain_v2(text, size, &gi);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(gi.state == state);
    unsigned most = gi.staged > gi.modified ? gi.staged : gi.modified;
    FUZZ_CHECK(gi.staged <= lines && gi.modified <= lines);
    FUZZ_CHECK(gi.conflicted <= lines && gi.untracked <= lines);
    FUZZ_CHECK((size_t)most + gi.conflicted + gi.untracked <= lines);
    FUZZ_CHECK(terminated(gi.branch, sizeof(gi.branch)));
    FUZZ_CHECK(terminated(gi.upstream, sizeof(gi.upstream)));
    FUZZ_CHECK(terminated(gi.head, sizeof(gi.head)));
    /* Callers use the fields only on 0, but they are well-formed either
     * way, so the views run on both. */
    struct strbuf sb;
    strbuf_init(&sb);
    gitinfo_summary(&gi, &sb);
    strbuf_reset(&sb);
    strbuf_puts(&sb, "{\"event\":\"end\"");
    gitinfo_json(&gi, &sb);
    strbuf_putc(&sb, '}');
    FUZZ_CHECK(fz_json_document(sb.data, sb.len));
    strbuf_free(&sb);
    return 0;
}
