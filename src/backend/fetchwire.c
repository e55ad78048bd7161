#include "repopool/fetchwire.h"

#include <git2.h>
#include <git2/sys/transport.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/array.h"
#include "repopool/xalloc.h"

struct wire_stream {
    git_smart_subtransport_stream parent;
    git_smart_subtransport_stream *inner;
    struct wire_sub *owner;
    bool upload;           /* a fetch's stream, not a push's */
    bool first_write_done; /* the capabilities travel in the first write */
};

struct wire_sub {
    git_smart_subtransport parent;
    git_smart_subtransport *inner;
    struct fetchwire_hooks hooks;
    bool wants_told;
    /* Stateful protocols hand back the same stream for the negotiation as
     * for the ref listing, and libgit2 checks that they do: so do we. */
    struct wire_stream *current;
};

static const char capability[] = "no-progress ";

/* --- pkt-lines --- */

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The length of the pkt-line at buf (4 for a flush or delimiter), or 0
 * when what is there is not a whole pkt-line. */
static size_t pkt_length(const char *buf, size_t len)
{
    if (len < 4)
        return 0;
    size_t n = 0;
    for (int i = 0; i < 4; i++) {
        int v = hex_value(buf[i]);
        if (v < 0)
            return 0;
        n = n * 16 + (size_t)v;
    }
    if (n < 4)
        return 4;
    return n <= len ? n : 0;
}

/* Whether the pkt-line at p (of length n) says word, then a space or a
 * newline. */
static bool pkt_says(const char *p, size_t n, const char *word)
{
    size_t k = strlen(word);
    return n >= 4 + k + 1 && memcmp(p + 4, word, k) == 0 && (p[4 + k] == ' ' || p[4 + k] == '\n');
}

#define HAVE_LINE_LEN (4 + 5 + GIT_OID_HEXSZ + 1) /* "0032have <hex>\n" */

/* Tells the hooks which ids the request wants, once per fetch. */
static void tell_wants(struct wire_sub *q, const char *buf, size_t len)
{
    size_t cap = 0, n = 0;
    git_oid *ids = NULL;
    for (size_t off = 0, pl; (pl = pkt_length(buf + off, len - off)) > 0; off += pl) {
        git_oid id;
        if (pkt_says(buf + off, pl, "want") && pl >= 9 + GIT_OID_HEXSZ &&
            git_oid_fromstrn(&id, buf + off + 9, GIT_OID_HEXSZ) == 0) {
            array_reserve((void **)&ids, &cap, n + 1, sizeof(*ids));
            ids[n++] = id;
        }
    }
    if (n == 0) {
        free(ids);
        return;
    }
    q->wants_told = true;
    q->hooks.wants(q->hooks.ctx, ids, n);
    free(ids);
}

static bool has_done(const char *buf, size_t len)
{
    for (size_t off = 0, pl; (pl = pkt_length(buf + off, len - off)) > 0; off += pl)
        if (pkt_says(buf + off, pl, "done"))
            return true;
    return false;
}

/*
 * Writes our haves over libgit2's, in place. Not in the request that says
 * "done": over HTTP that one repeats the commits the server acknowledged,
 * which must stay as they are (libgit2 1.5 sends "done" right after the
 * first batch anything was acknowledged in, so every earlier batch is
 * ours to fill).
 */
static void rewrite_haves(struct wire_sub *q, char *buf, size_t len)
{
    if (has_done(buf, len))
        return;
    for (size_t off = 0, pl; (pl = pkt_length(buf + off, len - off)) > 0; off += pl) {
        git_oid id;
        if (pl == HAVE_LINE_LEN && pkt_says(buf + off, pl, "have") && q->hooks.next_have(q->hooks.ctx, &id))
            git_oid_fmt(buf + off + 9, &id);
    }
}

/* Adds "no-progress" to the first pkt-line's capabilities when it is a
 * "want" line that asks for the side band and does not say it yet. buf has
 * room for it after len; returns the new length. */
static size_t add_no_progress(char *buf, size_t len)
{
    size_t pl = pkt_length(buf, len);
    /* The capabilities follow the length's 4 digits. */
    const char *line = buf + 4;
    if (pl < 10 || !pkt_says(buf, pl, "want") || buf[pl - 1] != '\n' || !memmem(line, pl - 4, "side-band", 9) ||
        memmem(line, pl - 4, "no-progress", 11))
        return len;
    size_t extra = sizeof(capability) - 1;
    memmove(buf + pl - 1 + extra, buf + pl - 1, len - (pl - 1));
    memcpy(buf + pl - 1, capability, extra);
    static const char hex[] = "0123456789abcdef";
    size_t n = pl + extra; /* a pkt-line is at most 65520 bytes */
    for (int i = 3; i >= 0; i--, n >>= 4)
        buf[i] = hex[n & 15];
    return len + extra;
}

/* --- the stream --- */

static int wire_read(git_smart_subtransport_stream *s, char *buffer, size_t size, size_t *got)
{
    struct wire_stream *ws = (struct wire_stream *)s;
    int err = ws->inner->read(ws->inner, buffer, size, got);
    struct wire_sub *q = ws->owner;
    if (err == 0 && *got > 0 && q && q->hooks.heard)
        q->hooks.heard(q->hooks.ctx);
    return err;
}

static int wire_write(git_smart_subtransport_stream *s, const char *buffer, size_t len)
{
    struct wire_stream *ws = (struct wire_stream *)s;
    struct wire_sub *q = ws->owner;
    bool first = !ws->first_write_done;
    ws->first_write_done = true;
    if (!ws->upload || !q || !buffer)
        return ws->inner->write(ws->inner, buffer, len);
    char *copy = xmalloc(len + sizeof(capability));
    memcpy(copy, buffer, len);
    if (q->hooks.wants && !q->wants_told)
        tell_wants(q, copy, len);
    if (q->hooks.next_have)
        rewrite_haves(q, copy, len);
    size_t n = first ? add_no_progress(copy, len) : len;
    int err = ws->inner->write(ws->inner, copy, n);
    free(copy);
    return err;
}

static void wire_stream_free(git_smart_subtransport_stream *s)
{
    struct wire_stream *ws = (struct wire_stream *)s;
    if (ws->owner && ws->owner->current == ws)
        ws->owner->current = NULL;
    ws->inner->free(ws->inner);
    free(ws);
}

/* --- the subtransport --- */

static int wire_action(git_smart_subtransport_stream **out, git_smart_subtransport *t, const char *url,
                       git_smart_service_t action)
{
    struct wire_sub *q = (struct wire_sub *)t;
    git_smart_subtransport_stream *inner = NULL;
    int err = q->inner->action(&inner, q->inner, url, action);
    if (err < 0)
        return err;
    if (q->current && q->current->inner == inner) {
        *out = &q->current->parent;
        return 0;
    }
    struct wire_stream *ws = xcalloc(1, sizeof(*ws));
    ws->parent.subtransport = t;
    ws->parent.read = wire_read;
    ws->parent.write = wire_write;
    ws->parent.free = wire_stream_free;
    ws->inner = inner;
    ws->owner = q;
    ws->upload = action == GIT_SERVICE_UPLOADPACK || action == GIT_SERVICE_UPLOADPACK_LS;
    q->current = ws;
    *out = &ws->parent;
    return 0;
}

static int wire_close(git_smart_subtransport *t)
{
    struct wire_sub *q = (struct wire_sub *)t;
    return q->inner->close(q->inner);
}

static void wire_free(git_smart_subtransport *t)
{
    struct wire_sub *q = (struct wire_sub *)t;
    if (q->current)
        q->current->owner = NULL;
    q->inner->free(q->inner);
    free(q);
}

typedef int (*inner_cb)(git_smart_subtransport **out, git_transport *owner, void *param);

static int wrap(git_smart_subtransport **out, git_transport *owner, const struct fetchwire_hooks *hooks,
                inner_cb make_inner)
{
    struct wire_sub *q = xcalloc(1, sizeof(*q));
    q->hooks = *hooks;
    int err = make_inner(&q->inner, owner, NULL);
    if (err < 0) {
        free(q);
        return err;
    }
    q->parent.action = wire_action;
    q->parent.close = wire_close;
    q->parent.free = wire_free;
    *out = &q->parent;
    return 0;
}

static int wire_git_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_git);
}

static int wire_http_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_http);
}

static int wire_ssh_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_ssh);
}

int fetchwire_transport(git_transport **out, git_remote *owner, const struct fetchwire_hooks *hooks)
{
    /* git_transport_smart reads a definition only while it makes the
     * subtransport, which copies the hooks: these may live on the stack. */
    git_smart_subtransport_definition git_def = {wire_git_sub, 0, (void *)hooks};
    git_smart_subtransport_definition http_def = {wire_http_sub, 1, (void *)hooks};
    git_smart_subtransport_definition ssh_def = {wire_ssh_sub, 0, (void *)hooks};
    const char *url = git_remote_url(owner);
    if (!url)
        url = "";
    const char *scheme_end = strstr(url, "://");
    const char *colon = strchr(url, ':');
    const char *slash = strchr(url, '/');
    if (strncmp(url, "git://", 6) == 0)
        return git_transport_smart(out, owner, &git_def);
    if (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0)
        return git_transport_smart(out, owner, &http_def);
    /* ssh://, ssh+git://, git+ssh:// and scp-like user@host:path. */
    if (strncmp(url, "ssh://", 6) == 0 || strncmp(url, "ssh+git://", 10) == 0 ||
        strncmp(url, "git+ssh://", 10) == 0 || (!scheme_end && colon && (!slash || colon < slash)))
        return git_transport_smart(out, owner, &ssh_def);
    /* Paths and file:// have no server and no progress to refuse. */
    return git_transport_local(out, owner, NULL);
}
