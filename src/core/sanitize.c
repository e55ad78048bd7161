#include "repopool/sanitize.h"

#include <stdbool.h>

size_t utf8_decode(const unsigned char *in, size_t n, unsigned *cp)
{
    unsigned c = in[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((in[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (in[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

bool unicode_is_hidden_control(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f)          /* C1 controls */
        || cp == 0x061c                        /* Arabic letter mark */
        || cp == 0x200e || cp == 0x200f        /* LRM, RLM */
        || (cp >= 0x202a && cp <= 0x202e)      /* embeddings, overrides */
        || (cp >= 0x2066 && cp <= 0x2069)      /* isolates */
        || cp == 0x2028 || cp == 0x2029;       /* line, paragraph separators */
}

/*
 * Returns the number of bytes of the escape sequence starting at in[0] (an
 * ESC), so the whole sequence is skipped rather than leaving "[2J" behind.
 */
static size_t escape_length(const unsigned char *in, size_t n)
{
    if (n < 2)
        return 1;
    unsigned char kind = in[1];
    size_t i = 2;
    if (kind == '[') {
        /* CSI: parameters and intermediates, then one final byte. */
        while (i < n && in[i] >= 0x20 && in[i] <= 0x3f)
            i++;
        return i < n && in[i] >= 0x40 && in[i] <= 0x7e ? i + 1 : i;
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        /* String sequences end with BEL or ST (ESC \). */
        while (i < n) {
            if (in[i] == 0x07)
                return i + 1;
            if (in[i] == 0x1b)
                return i + 1 < n && in[i + 1] == '\\' ? i + 2 : i;
            i++;
        }
        return n;
    }
    /* Other escapes: intermediates, then one final byte. */
    i = 1;
    while (i < n && in[i] >= 0x20 && in[i] <= 0x2f)
        i++;
    return i < n && in[i] >= 0x30 && in[i] <= 0x7e ? i + 1 : i;
}

static void put_replacement(struct strbuf *out)
{
    strbuf_add(out, "\xef\xbf\xbd", 3);
}

/* The shared walk. For a line, controls go (escape sequences whole) and a
 * carriage return keeps what a terminal would show; for a name, every
 * control shows as U+FFFD, so two names never look alike and nothing
 * before a carriage return can hide. */
static void sanitize(struct strbuf *out, const char *text, size_t n, bool name)
{
    const unsigned char *in = (const unsigned char *)text;
    size_t begin = 0, end = n;
    if (!name) {
        /* A terminal shows what follows the last carriage return that has
         * something after it; earlier segments were overwritten. */
        while (end > 0 && (in[end - 1] == '\r' || in[end - 1] == '\n'))
            end--;
        begin = end;
        while (begin > 0 && in[begin - 1] != '\r')
            begin--;
    }

    /* Most text is plain printable ASCII: copy it in one go. */
    size_t plain = begin;
    while (plain < end && in[plain] >= 0x20 && in[plain] < 0x7f)
        plain++;
    if (plain == end) {
        strbuf_add(out, text + begin, end - begin);
        return;
    }

    size_t i = begin;
    while (i < end) {
        unsigned char c = in[i];
        if (c < 0x20 || c == 0x7f) {
            if (name)
                put_replacement(out);
            else if (c == '\t')
                strbuf_putc(out, ' ');
            i += c == 0x1b && !name ? escape_length(in + i, end - i) : 1;
            continue;
        }
        unsigned cp;
        size_t len = utf8_decode(in + i, end - i, &cp);
        if (len == 0) {
            put_replacement(out);
            i++;
        } else {
            if (!unicode_is_hidden_control(cp))
                strbuf_add(out, text + i, len);
            else if (name)
                put_replacement(out);
            i += len;
        }
    }
}

void sanitize_line(struct strbuf *out, const char *text, size_t n)
{
    sanitize(out, text, n, false);
}

void sanitize_name(struct strbuf *out, const char *text, size_t n)
{
    sanitize(out, text, n, true);
}
