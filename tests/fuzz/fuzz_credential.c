/*
 * The credential-helper protocol.
 *
 * credential_parse over the whole input (a helper's answer):
 * - no crash; it returns 0 exactly when a "password=" line came before the
 *   first blank line, and the values are those of the last "username=" and
 *   "password=" lines there (checked by an independent walk);
 * - a parsed username or password never holds '\n' or NUL (a CR before the
 *   LF is dropped, as git's own reader does; only that one).
 *
 * credential_request with the input cut as URL NUL USERNAME (USERNAME NULL
 * when there is no NUL):
 * - refuses (returns -1) exactly when URL is empty or holds '\n' or '\r',
 *   or USERNAME holds either (a CR could smuggle an attribute past some
 *   helpers, CVE-2024-52006);
 * - otherwise writes exactly "url=URL\n" ["username=USERNAME\n"] "\n", and
 *   credential_parse reads that username back.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "repopool/credential.h"

static void check_value(const struct strbuf *sb)
{
    if (sb->len == 0)
        return;
    FUZZ_CHECK(memchr(sb->data, '\n', sb->len) == NULL);
    FUZZ_CHECK(memchr(sb->data, '\0', sb->len) == NULL);
    FUZZ_CHECK(sb->data[sb->len] == '\0');
}

/* The expected answer, by an independent walk: the last "username=" and
 * "password=" lines (without NUL) before the first blank line, less one CR
 * before the LF. Returns whether a password was given. */
static bool expected(const uint8_t *data, size_t size, struct strbuf *user, bool *have_user,
                     struct strbuf *pass)
{
    bool have_pass = false;
    *have_user = false;
    for (size_t pos = 0; pos < size;) {
        const uint8_t *line = data + pos;
        const uint8_t *nl = memchr(line, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - line) : size - pos;
        pos += len + 1;
        if (len == 0)
            break;
        if (len < 9 || memchr(line, '\0', len))
            continue;
        size_t vlen = len - 9;
        if (vlen > 0 && line[len - 1] == '\r')
            vlen--;
        if (memcmp(line, "password=", 9) == 0) {
            strbuf_reset(pass);
            strbuf_add(pass, (const char *)line + 9, vlen);
            have_pass = true;
        } else if (memcmp(line, "username=", 9) == 0) {
            strbuf_reset(user);
            strbuf_add(user, (const char *)line + 9, vlen);
            *have_user = true;
        }
    }
    return have_pass;
}

static bool same(const struct strbuf *a, const struct strbuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static void check_parse(const uint8_t *data, size_t size)
{
    struct strbuf user, pass, want_user, want_pass;
    strbuf_init(&user);
    strbuf_init(&pass);
    strbuf_init(&want_user);
    strbuf_init(&want_pass);
    /* A value read replaces what the buffer held; one not given leaves it
     * alone. */
    strbuf_puts(&user, "stale\n");
    strbuf_puts(&pass, "stale\n");
    bool have_user;
    bool have_pass = expected(data, size, &want_user, &have_user, &want_pass);
    int rc = credential_parse((const char *)data, size, &user, &pass);
    FUZZ_CHECK(rc == (have_pass ? 0 : -1));
    if (have_pass) {
        check_value(&pass);
        FUZZ_CHECK(same(&pass, &want_pass));
    } else {
        FUZZ_CHECK(strcmp(pass.data, "stale\n") == 0);
    }
    if (have_user) {
        check_value(&user);
        FUZZ_CHECK(same(&user, &want_user));
    } else {
        FUZZ_CHECK(strcmp(user.data, "stale\n") == 0);
    }
    strbuf_free(&user);
    strbuf_free(&pass);
    strbuf_free(&want_user);
    strbuf_free(&want_pass);
}

static void check_request(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    char *url = fz_strndup(data, nul ? (size_t)(nul - data) : size);
    char *username = NULL;
    if (nul) {
        const uint8_t *p = nul + 1;
        size_t rest = size - (size_t)(p - data);
        const uint8_t *nul2 = memchr(p, '\0', rest);
        username = fz_strndup(p, nul2 ? (size_t)(nul2 - p) : rest);
    }

    struct strbuf out;
    strbuf_init(&out);
    int rc = credential_request(&out, url, username);
    bool refuse = url[0] == '\0' || strpbrk(url, "\r\n") || (username && strpbrk(username, "\r\n"));
    FUZZ_CHECK(rc == (refuse ? -1 : 0));
    if (rc == 0) {
        struct strbuf want;
        strbuf_init(&want);
        strbuf_puts(&want, "url=");
        strbuf_puts(&want, url);
        strbuf_putc(&want, '\n');
        if (username && username[0]) {
            strbuf_puts(&want, "username=");
            strbuf_puts(&want, username);
            strbuf_putc(&want, '\n');
        }
        strbuf_putc(&want, '\n');
        FUZZ_CHECK(out.len == want.len && memcmp(out.data, want.data, want.len) == 0);
        strbuf_free(&want);

        /* Read back as a helper would: a request carries no password; the
         * username returns (less one trailing CR, which the protocol eats). */
        struct strbuf user, pass;
        strbuf_init(&user);
        strbuf_init(&pass);
        FUZZ_CHECK(credential_parse(out.data, out.len, &user, &pass) == -1);
        FUZZ_CHECK(pass.len == 0);
        if (username && username[0]) {
            size_t ulen = strlen(username);
            if (username[ulen - 1] == '\r')
                ulen--;
            FUZZ_CHECK(user.len == ulen && memcmp(user.data, username, ulen) == 0);
        }
        strbuf_free(&user);
        strbuf_free(&pass);
    }
    strbuf_free(&out);
    free(username);
    free(url);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_request(data, size);
    return 0;
}
