#include "repopool/quietfetch.h"

#include <git2.h>
#include <git2/sys/transport.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/xalloc.h"

struct quiet_stream {
    git_smart_subtransport_stream parent;
    git_smart_subtransport_stream *inner;
    struct quiet_sub *owner;
    bool first_write_done;
};

struct listener {
    void (*heard)(void *ctx);
    void *ctx;
};

struct quiet_sub {
    git_smart_subtransport parent;
    git_smart_subtransport *inner;
    struct listener listener;
    /* Stateful protocols hand back the same stream for the negotiation as
     * for the ref listing, and libgit2 checks that they do: so do we. */
    struct quiet_stream *current;
};

static const char capability[] = "no-progress ";

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The length of the pkt-line at buf, or -1. */
static long pkt_length(const char *buf, size_t len)
{
    if (len < 4)
        return -1;
    long n = 0;
    for (int i = 0; i < 4; i++) {
        int v = hex_value(buf[i]);
        if (v < 0)
            return -1;
        n = n * 16 + v;
    }
    return n >= 4 && (size_t)n <= len ? n : -1;
}

static int quiet_read(git_smart_subtransport_stream *s, char *buffer, size_t size, size_t *got)
{
    struct quiet_stream *qs = (struct quiet_stream *)s;
    int err = qs->inner->read(qs->inner, buffer, size, got);
    const struct listener *l = qs->owner ? &qs->owner->listener : NULL;
    if (err == 0 && *got > 0 && l && l->heard)
        l->heard(l->ctx);
    return err;
}

static int quiet_write(git_smart_subtransport_stream *s, const char *buffer, size_t len)
{
    struct quiet_stream *qs = (struct quiet_stream *)s;
    bool first = !qs->first_write_done && buffer;
    qs->first_write_done = true;
    long pkt = first ? pkt_length(buffer, len) : -1;
    /* Only a first "want" line that asks for the side band, and does not
     * yet say no-progress, gets the capability before its newline. */
    if (!first || pkt < 10 || memcmp(buffer + 4, "want ", 5) != 0 || buffer[pkt - 1] != '\n' ||
        !memmem(buffer, (size_t)pkt, "side-band", 9) || memmem(buffer, (size_t)pkt, "no-progress", 11))
        return qs->inner->write(qs->inner, buffer, len);
    size_t extra = sizeof(capability) - 1;
    size_t total = len + extra;
    char *copy = xmalloc(total);
    static const char hex[] = "0123456789abcdef";
    size_t n = (size_t)pkt + extra; /* a pkt-line is at most 65520 bytes */
    for (int i = 3; i >= 0; i--, n >>= 4)
        copy[i] = hex[n & 15];
    memcpy(copy + 4, buffer + 4, (size_t)pkt - 5);
    memcpy(copy + pkt - 1, capability, extra);
    copy[pkt - 1 + (long)extra] = '\n';
    memcpy(copy + pkt + (long)extra, buffer + pkt, len - (size_t)pkt);
    int err = qs->inner->write(qs->inner, copy, total);
    free(copy);
    return err;
}

static void quiet_stream_free(git_smart_subtransport_stream *s)
{
    struct quiet_stream *qs = (struct quiet_stream *)s;
    if (qs->owner && qs->owner->current == qs)
        qs->owner->current = NULL;
    qs->inner->free(qs->inner);
    free(qs);
}

static int quiet_action(git_smart_subtransport_stream **out, git_smart_subtransport *t, const char *url,
                        git_smart_service_t action)
{
    struct quiet_sub *q = (struct quiet_sub *)t;
    git_smart_subtransport_stream *inner = NULL;
    int err = q->inner->action(&inner, q->inner, url, action);
    if (err < 0)
        return err;
    if (q->current && q->current->inner == inner) {
        *out = &q->current->parent;
        return 0;
    }
    struct quiet_stream *qs = xcalloc(1, sizeof(*qs));
    qs->parent.subtransport = t;
    qs->parent.read = quiet_read;
    qs->parent.write = quiet_write;
    qs->parent.free = quiet_stream_free;
    qs->inner = inner;
    qs->owner = q;
    /* Only fetches negotiate wants; pushes pass through untouched. */
    qs->first_write_done = action != GIT_SERVICE_UPLOADPACK && action != GIT_SERVICE_UPLOADPACK_LS;
    q->current = qs;
    *out = &qs->parent;
    return 0;
}

static int quiet_close(git_smart_subtransport *t)
{
    struct quiet_sub *q = (struct quiet_sub *)t;
    return q->inner->close(q->inner);
}

static void quiet_free(git_smart_subtransport *t)
{
    struct quiet_sub *q = (struct quiet_sub *)t;
    if (q->current)
        q->current->owner = NULL;
    q->inner->free(q->inner);
    free(q);
}

typedef int (*inner_cb)(git_smart_subtransport **out, git_transport *owner, void *param);

static int wrap(git_smart_subtransport **out, git_transport *owner, const struct listener *l,
                inner_cb make_inner)
{
    struct quiet_sub *q = xcalloc(1, sizeof(*q));
    q->listener = *l;
    int err = make_inner(&q->inner, owner, NULL);
    if (err < 0) {
        free(q);
        return err;
    }
    q->parent.action = quiet_action;
    q->parent.close = quiet_close;
    q->parent.free = quiet_free;
    *out = &q->parent;
    return 0;
}

static int quiet_git_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_git);
}

static int quiet_http_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_http);
}

static int quiet_ssh_sub(git_smart_subtransport **out, git_transport *owner, void *param)
{
    return wrap(out, owner, param, git_smart_subtransport_ssh);
}

int quietfetch_transport(git_transport **out, git_remote *owner, void (*heard)(void *ctx), void *ctx)
{
    /* git_transport_smart reads a definition only while it makes the
     * subtransport, so these may live on the stack. */
    struct listener l = {heard, ctx};
    git_smart_subtransport_definition git_def = {quiet_git_sub, 0, &l};
    git_smart_subtransport_definition http_def = {quiet_http_sub, 1, &l};
    git_smart_subtransport_definition ssh_def = {quiet_ssh_sub, 0, &l};
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
