#include "repopool/gitinfo.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/json.h"
#include "repopool/textline.h"

static const char *const state_names[] = {
#define GITINFO_STATE_NAME(id, name) name,
    GITINFO_STATE_LIST(GITINFO_STATE_NAME)
#undef GITINFO_STATE_NAME
};

const char *gitinfo_state_name(enum gitinfo_state s)
{
    return (unsigned)s < sizeof(state_names) / sizeof(state_names[0]) ? state_names[s] : "clean";
}

void gitinfo_summary(const struct gitinfo *gi, struct strbuf *out)
{
    if (gi->detached)
        strbuf_printf(out, "HEAD detached at %.7s", gi->head);
    else
        strbuf_puts(out, gi->branch);
    if (gi->unborn)
        strbuf_puts(out, " (no commits yet)");
    if (gi->upstream[0]) {
        strbuf_puts(out, "...");
        strbuf_puts(out, gi->upstream);
        if (gi->upstream_gone)
            strbuf_puts(out, " [gone]");
        else if (gi->ahead && gi->behind)
            strbuf_printf(out, " [ahead %u, behind %u]", gi->ahead, gi->behind);
        else if (gi->ahead)
            strbuf_printf(out, " [ahead %u]", gi->ahead);
        else if (gi->behind)
            strbuf_printf(out, " [behind %u]", gi->behind);
    }
    if (gi->state != GITINFO_STATE_CLEAN)
        strbuf_printf(out, "; %s in progress", gitinfo_state_name(gi->state));
    const struct {
        unsigned n;
        const char *what;
    } counts[] = {
        {gi->conflicted, "conflicted"},
        {gi->staged, "staged"},
        {gi->modified, "modified"},
        {gi->untracked, "untracked"},
    };
    const char *sep = "; ";
    bool any = false;
    for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        if (!counts[i].n)
            continue;
        strbuf_printf(out, "%s%u %s", sep, counts[i].n, counts[i].what);
        sep = ", ";
        any = true;
    }
    if (!any)
        strbuf_puts(out, "; clean");
}

static const char *const attention_names[] = {
#define GITINFO_ATTENTION_NAME(id, name) name,
    GITINFO_ATTENTION_LIST(GITINFO_ATTENTION_NAME)
#undef GITINFO_ATTENTION_NAME
};

const char *gitinfo_attention_name(unsigned bit)
{
    return bit < GITINFO_ATTENTION_COUNT ? attention_names[bit] : "?";
}

void gitinfo_attention_text(unsigned marks, struct strbuf *out)
{
    bool first = true;
    for (unsigned bit = 0; bit < GITINFO_ATTENTION_COUNT; bit++) {
        if (!(marks & (1u << bit)))
            continue;
        if (!first)
            strbuf_putc(out, ' ');
        strbuf_puts(out, attention_names[bit]);
        first = false;
    }
}

unsigned gitinfo_attention(const struct gitinfo *gi)
{
    unsigned marks = 0;
    if (gi->ahead && gi->behind)
        marks |= GITINFO_ATTENTION(DIVERGED);
    else if (gi->behind)
        marks |= GITINFO_ATTENTION(BEHIND);
    else if (gi->ahead)
        marks |= GITINFO_ATTENTION(AHEAD);
    if (gi->staged || gi->modified)
        marks |= GITINFO_ATTENTION(DIRTY);
    if (gi->untracked)
        marks |= GITINFO_ATTENTION(UNTRACKED);
    if (gi->conflicted)
        marks |= GITINFO_ATTENTION(CONFLICTED);
    if (gi->detached)
        marks |= GITINFO_ATTENTION(DETACHED);
    else if (!gi->upstream[0] || gi->upstream_gone)
        marks |= GITINFO_ATTENTION(NO_UPSTREAM);
    if (gi->state != GITINFO_STATE_CLEAN)
        marks |= GITINFO_ATTENTION(IN_PROGRESS);
    return marks;
}

void gitinfo_json(const struct gitinfo *gi, struct strbuf *out)
{
    strbuf_puts(out, ",\"git\":{");
    json_key_string_or_null(out, "branch", gi->detached ? NULL : gi->branch);
    json_key_string_or_null(out, "upstream", gi->upstream);
    json_key_int(out, "ahead", gi->ahead);
    json_key_int(out, "behind", gi->behind);
    json_key_int(out, "staged", gi->staged);
    json_key_int(out, "modified", gi->modified);
    json_key_int(out, "untracked", gi->untracked);
    json_key_int(out, "conflicted", gi->conflicted);
    json_key_string(out, "state", gitinfo_state_name(gi->state));
    json_key_bool(out, "detached", gi->detached);
    json_key_bool(out, "unborn", gi->unborn);
    json_key_string_or_null(out, "head", gi->head);
    strbuf_puts(out, "},\"attention\":[");
    unsigned marks = gitinfo_attention(gi);
    bool first = true;
    for (unsigned bit = 0; bit < GITINFO_ATTENTION_COUNT; bit++) {
        if (!(marks & (1u << bit)))
            continue;
        strbuf_puts(out, first ? "\"" : ",\"");
        strbuf_puts(out, attention_names[bit]);
        strbuf_putc(out, '"');
        first = false;
    }
    strbuf_putc(out, ']');
}

static bool starts_with(const char *line, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && memcmp(line, prefix, k) == 0;
}

static void copy_field(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Counts one changed entry from its two-letter XY field. */
static void count_xy(struct gitinfo *gi, const char *xy)
{
    if (xy[0] != '.')
        gi->staged++;
    if (xy[1] != '.')
        gi->modified++;
}

int gitinfo_parse_porcelain_v2(const char *text, size_t n, struct gitinfo *out)
{
    enum gitinfo_state state = out->state;
    memset(out, 0, sizeof(*out));
    out->state = state;
    bool saw_head = false;
    size_t pos = 0, len;
    const char *line;
    while (text_next_line(text, n, &pos, &line, &len)) {
        if (starts_with(line, len, "# branch.oid ")) {
            const char *v = line + 13;
            size_t vn = len - 13;
            if (vn == 9 && memcmp(v, "(initial)", 9) == 0)
                out->unborn = true;
            else
                copy_field(out->head, sizeof(out->head), v, vn);
        } else if (starts_with(line, len, "# branch.head ")) {
            const char *v = line + 14;
            size_t vn = len - 14;
            saw_head = true;
            if (vn == 10 && memcmp(v, "(detached)", 10) == 0)
                out->detached = true;
            else
                copy_field(out->branch, sizeof(out->branch), v, vn);
        } else if (starts_with(line, len, "# branch.upstream ")) {
            copy_field(out->upstream, sizeof(out->upstream), line + 18, len - 18);
            out->upstream_gone = true; /* until branch.ab says otherwise */
        } else if (starts_with(line, len, "# branch.ab +")) {
            char buf[64];
            copy_field(buf, sizeof(buf), line + 13, len - 13);
            /* "+A -B": digits only, as git writes them. */
            char *end;
            if (buf[0] < '0' || buf[0] > '9')
                return -1;
            unsigned long a = strtoul(buf, &end, 10);
            if (end[0] != ' ' || end[1] != '-' || end[2] < '0' || end[2] > '9')
                return -1;
            unsigned long b = strtoul(end + 2, &end, 10);
            if (*end || a > UINT_MAX || b > UINT_MAX)
                return -1;
            out->ahead = (unsigned)a;
            out->behind = (unsigned)b;
            out->upstream_gone = false;
        } else if (len >= 4 && (line[0] == '1' || line[0] == '2') && line[1] == ' ') {
            count_xy(out, line + 2);
        } else if (len >= 2 && line[0] == 'u' && line[1] == ' ') {
            out->conflicted++;
        } else if (len >= 2 && line[0] == '?' && line[1] == ' ') {
            out->untracked++;
        } else if (len == 0 || line[0] == '#' || line[0] == '!') {
            /* other headers and ignored files */
        } else {
            return -1;
        }
    }
    return saw_head ? 0 : -1;
}
