/*
 * Argument templates and shell quoting. The input is ARG NUL PATH (PATH
 * defaults to "/srv/repo" when there is no NUL).
 *
 * Properties:
 * - an ARG without "{}" expands to itself, and template_has_placeholder()
 *   says so;
 * - otherwise the expansion is ARG cut at each "{}" (found left to right, not
 *   overlapping) with exactly one copy of PATH per cut: same pieces, same
 *   order, length len(ARG) - 2k + k*len(PATH);
 * - template_shell_quote(s) is one shell word that a strict unquoter (below) turns
 *   back into s, with nothing a shell would expand or split on left outside
 *   quotes; expansion and quoting append, keeping what was there;
 * - the word is one clean line: no control byte, and sanitize_line() leaves
 *   it unchanged (so nothing before a carriage return can be lost);
 * - $'...' (bash, ksh, zsh, POSIX.1-2024 sh; not dash) appears only when s
 *   holds a control byte, invalid UTF-8 or a character the sanitizer drops,
 *   and then holds only \xHH escapes; anything else is plain POSIX quoting.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "repopool/sanitize.h"
#include "repopool/template.h"

/* Characters a POSIX shell takes literally outside quotes, in any position
 * of an argument word. */
static bool shell_literal(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || (c != '\0' && strchr("_-./=:,+@%", c) != NULL);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* template_shell_quote writes lower case only */
}

/*
 * Undoes the quoting for one word: 'single quoted' text is literal up to
 * the next quote, a backslash outside quotes takes the next byte literally,
 * $'...' may hold only \xHH escapes (exactly two hex digits each), and only
 * plain literal characters may stand unquoted. Returns false for anything
 * a shell would treat specially or a word that does not end. *ansi says
 * whether a $'...' piece was seen.
 */
static bool shell_unquote(const char *s, size_t n, struct strbuf *out, bool *ansi)
{
    size_t i = 0;
    *ansi = false;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == '$' && i + 1 < n && s[i + 1] == '\'') {
            *ansi = true;
            i += 2;
            while (i < n && s[i] != '\'') {
                if (n - i < 4 || s[i] != '\\' || s[i + 1] != 'x')
                    return false;
                int hi = hex_value(s[i + 2]), lo = hex_value(s[i + 3]);
                if (hi < 0 || lo < 0)
                    return false;
                strbuf_putc(out, (char)(hi << 4 | lo));
                i += 4;
            }
            if (i >= n)
                return false;
            i++;
        } else if (c == '\'') {
            const char *end = memchr(s + i + 1, '\'', n - i - 1);
            if (!end)
                return false;
            strbuf_add(out, s + i + 1, (size_t)(end - (s + i + 1)));
            i = (size_t)(end - s) + 1;
        } else if (c == '\\') {
            if (i + 1 >= n || s[i + 1] == '\n')
                return false; /* a line continuation is not a character */
            strbuf_putc(out, s[i + 1]);
            i += 2;
        } else if (shell_literal(c)) {
            strbuf_putc(out, (char)c);
            i++;
        } else {
            return false;
        }
    }
    return true;
}

static void check_quote(const char *s)
{
    static const char prefix[] = "cmd ";
    struct strbuf q;
    strbuf_init(&q);
    strbuf_puts(&q, prefix);
    template_shell_quote(&q, s);
    FUZZ_CHECK(memcmp(q.data, prefix, sizeof(prefix) - 1) == 0);
    const char *word = q.data + sizeof(prefix) - 1;
    size_t wlen = q.len - (sizeof(prefix) - 1);
    FUZZ_CHECK(wlen > 0); /* even "" must give a word: '' */
    /* The output holds no NUL (it came from a C string), so it must unquote
     * back to s exactly. */
    FUZZ_CHECK(memchr(word, '\0', wlen) == NULL);
    struct strbuf back;
    strbuf_init(&back);
    bool ansi;
    FUZZ_CHECK(shell_unquote(word, wlen, &back, &ansi));
    FUZZ_CHECK(back.len == strlen(s));
    FUZZ_CHECK(back.len == 0 || memcmp(back.data, s, back.len) == 0);
    strbuf_free(&back);

    /* One clean line, whatever s held. */
    for (size_t i = 0; i < wlen; i++)
        FUZZ_CHECK((unsigned char)word[i] >= 0x20 && (unsigned char)word[i] != 0x7f);
    struct strbuf clean;
    strbuf_init(&clean);
    sanitize_line(&clean, word, wlen);
    FUZZ_CHECK(clean.len == wlen && memcmp(clean.data, word, wlen) == 0);
    /* $'...' only where POSIX quotes cannot keep s on one clean line:
     * s itself would not survive the sanitizer unchanged. */
    if (ansi) {
        strbuf_reset(&clean);
        sanitize_line(&clean, s, strlen(s));
        FUZZ_CHECK(clean.len != strlen(s) || memcmp(clean.data, s, clean.len) != 0);
    }
    strbuf_free(&clean);
    strbuf_free(&q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t alen = nul ? (size_t)(nul - data) : size;
    char *arg = fz_strndup(data, alen);
    char *path;
    if (nul) {
        const uint8_t *p = nul + 1;
        size_t rest = size - alen - 1;
        const uint8_t *nul2 = memchr(p, '\0', rest);
        path = fz_strndup(p, nul2 ? (size_t)(nul2 - p) : rest);
    } else {
        path = fz_strndup((const uint8_t *)"/srv/repo", 9);
    }
    size_t plen = strlen(path);

    /* The reference: cut ARG at each "{}", left to right. */
    size_t k = 0;
    struct strbuf want;
    strbuf_init(&want);
    for (size_t i = 0; i < alen;) {
        if (i + 1 < alen && arg[i] == '{' && arg[i + 1] == '}') {
            strbuf_puts(&want, path);
            k++;
            i += 2;
        } else {
            strbuf_putc(&want, arg[i]);
            i++;
        }
    }

    static const char prefix[] = "x=";
    struct strbuf got;
    strbuf_init(&got);
    strbuf_puts(&got, prefix);
    template_expand(&got, arg, path);
    FUZZ_CHECK(memcmp(got.data, prefix, 2) == 0);
    const char *exp = got.data + 2;
    size_t elen = got.len - 2;

    FUZZ_CHECK(template_has_placeholder(arg) == (k > 0));
    if (k == 0) {
        FUZZ_CHECK(elen == alen);
        FUZZ_CHECK(memcmp(exp, arg, alen) == 0);
    }
    FUZZ_CHECK(elen == alen - 2 * k + k * plen);
    FUZZ_CHECK(elen == want.len);
    FUZZ_CHECK(elen == 0 || memcmp(exp, want.data, elen) == 0);
    FUZZ_CHECK(strlen(got.data) == got.len); /* still a C string */

    check_quote(arg);
    check_quote(path);
    check_quote(exp);

    strbuf_free(&got);
    strbuf_free(&want);
    free(path);
    free(arg);
    return 0;
}
