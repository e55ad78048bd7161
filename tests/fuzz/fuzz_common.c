#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

char *fz_strndup(const uint8_t *data, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        abort();
    if (n)
        memcpy(p, data, n);
    p[n] = '\0';
    return p;
}

/* ---- UTF-8 ------------------------------------------------------------- */

size_t fz_utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    unsigned char b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    /* Table 3-7 of the Unicode standard: the well-formed byte sequences,
     * with the restricted second-byte ranges that exclude overlongs,
     * surrogates and values above U+10FFFF. */
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf)
        len = 2;
    else if (b0 == 0xe0)
        len = 3, lo = 0xa0;
    else if (b0 == 0xed)
        len = 3, hi = 0x9f;
    else if (b0 >= 0xe1 && b0 <= 0xef)
        len = 3;
    else if (b0 == 0xf0)
        len = 4, lo = 0x90;
    else if (b0 == 0xf4)
        len = 4, hi = 0x8f;
    else if (b0 >= 0xf1 && b0 <= 0xf3)
        len = 4;
    else
        return 0;
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    uint32_t c = b0 & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
    for (size_t i = 1; i < len; i++)
        c = (c << 6) | (s[i] & 0x3f);
    *cp = c;
    return len;
}

bool fz_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = fz_utf8_next(s + i, n - i, &cp);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

void fz_utf8_repair(struct strbuf *out, const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = fz_utf8_next(s + i, n - i, &cp);
        if (len == 0) {
            strbuf_add(out, "\xef\xbf\xbd", 3);
            i++;
        } else {
            strbuf_add(out, (const char *)s + i, len);
            i += len;
        }
    }
}

/* ---- JSON -------------------------------------------------------------- */

static void put_utf8(struct strbuf *out, uint32_t cp)
{
    char b[4];
    size_t len;
    if (cp < 0x80) {
        b[0] = (char)cp;
        len = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        len = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        len = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        len = 4;
    }
    strbuf_add(out, b, len);
}

void fz_json_ws(struct fz_json *j)
{
    while (j->pos < j->n) {
        char c = j->s[j->pos];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            break;
        j->pos++;
    }
}

bool fz_json_expect(struct fz_json *j, char ch)
{
    fz_json_ws(j);
    if (j->pos < j->n && j->s[j->pos] == ch) {
        j->pos++;
        return true;
    }
    return false;
}

static bool hex4(struct fz_json *j, uint32_t *v)
{
    if (j->n - j->pos < 4)
        return false;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = j->s[j->pos++];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        *v = (*v << 4) | d;
    }
    return true;
}

bool fz_json_string(struct fz_json *j, struct strbuf *out)
{
    if (!fz_json_expect(j, '"'))
        return false;
    const unsigned char *s = (const unsigned char *)j->s;
    for (;;) {
        if (j->pos >= j->n)
            return false; /* unterminated */
        unsigned char c = s[j->pos];
        if (c == '"') {
            j->pos++;
            return true;
        }
        if (c < 0x20)
            return false; /* raw control characters are not allowed */
        if (c == '\\') {
            if (++j->pos >= j->n)
                return false;
            char e = j->s[j->pos++];
            const char *from = "\"\\/bfnrt";
            const char *to = "\"\\/\b\f\n\r\t";
            const char *hit = e ? strchr(from, e) : NULL;
            if (hit) {
                if (out)
                    strbuf_putc(out, to[hit - from]);
                continue;
            }
            if (e != 'u')
                return false;
            uint32_t cp;
            if (!hex4(j, &cp))
                return false;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return false; /* lone low surrogate */
            if (cp >= 0xd800 && cp <= 0xdbff) {
                uint32_t lo;
                if (j->n - j->pos < 2 || j->s[j->pos] != '\\' || j->s[j->pos + 1] != 'u')
                    return false; /* lone high surrogate */
                j->pos += 2;
                if (!hex4(j, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return false;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (out)
                put_utf8(out, cp);
            continue;
        }
        uint32_t cp;
        size_t len = fz_utf8_next(s + j->pos, j->n - j->pos, &cp);
        if (len == 0)
            return false;
        if (out)
            strbuf_add(out, j->s + j->pos, len);
        j->pos += len;
    }
}

static bool digits(struct fz_json *j)
{
    size_t start = j->pos;
    while (j->pos < j->n && j->s[j->pos] >= '0' && j->s[j->pos] <= '9')
        j->pos++;
    return j->pos > start;
}

bool fz_json_number(struct fz_json *j)
{
    fz_json_ws(j);
    if (j->pos < j->n && j->s[j->pos] == '-')
        j->pos++;
    if (j->pos >= j->n)
        return false;
    if (j->s[j->pos] == '0')
        j->pos++;
    else if (j->s[j->pos] >= '1' && j->s[j->pos] <= '9')
        digits(j);
    else
        return false;
    if (j->pos < j->n && j->s[j->pos] == '.') {
        j->pos++;
        if (!digits(j))
            return false;
    }
    if (j->pos < j->n && (j->s[j->pos] == 'e' || j->s[j->pos] == 'E')) {
        j->pos++;
        if (j->pos < j->n && (j->s[j->pos] == '+' || j->s[j->pos] == '-'))
            j->pos++;
        if (!digits(j))
            return false;
    }
    return true;
}

static bool literal(struct fz_json *j, const char *word)
{
    size_t k = strlen(word);
    if (j->n - j->pos < k || memcmp(j->s + j->pos, word, k) != 0)
        return false;
    j->pos += k;
    return true;
}

bool fz_json_value(struct fz_json *j, int depth)
{
    fz_json_ws(j);
    if (j->pos >= j->n || depth <= 0)
        return false;
    char c = j->s[j->pos];
    if (c == '"')
        return fz_json_string(j, NULL);
    if (c == '{') {
        j->pos++;
        if (fz_json_expect(j, '}'))
            return true;
        do {
            if (!fz_json_string(j, NULL) || !fz_json_expect(j, ':') || !fz_json_value(j, depth - 1))
                return false;
        } while (fz_json_expect(j, ','));
        return fz_json_expect(j, '}');
    }
    if (c == '[') {
        j->pos++;
        if (fz_json_expect(j, ']'))
            return true;
        do {
            if (!fz_json_value(j, depth - 1))
                return false;
        } while (fz_json_expect(j, ','));
        return fz_json_expect(j, ']');
    }
    if (c == 't')
        return literal(j, "true");
    if (c == 'f')
        return literal(j, "false");
    if (c == 'n')
        return literal(j, "null");
    return fz_json_number(j);
}

bool fz_json_document(const char *s, size_t n)
{
    struct fz_json j = {s, n, 0};
    if (!fz_json_value(&j, 64))
        return false;
    fz_json_ws(&j);
    return j.pos == n;
}
