#include "repopool/template.h"

#include <string.h>

#include "repopool/sanitize.h"

bool template_has_placeholder(const char *arg)
{
    return strstr(arg, "{}") != NULL;
}

void template_expand(struct strbuf *out, const char *arg, const char *path)
{
    const char *p;
    while ((p = strstr(arg, "{}")) != NULL) {
        strbuf_add(out, arg, (size_t)(p - arg));
        strbuf_puts(out, path);
        arg = p + 2;
    }
    strbuf_puts(out, arg);
}

/* The length of the character at s[0..n) (1 for a byte that does not
 * start valid UTF-8); *escape says whether it must be written as \xHH
 * escapes: a control byte, invalid UTF-8 or a hidden code point. */
static size_t next_char(const unsigned char *s, size_t n, bool *escape)
{
    unsigned cp;
    size_t len = utf8_decode(s, n, &cp);
    if (len == 0) {
        *escape = true;
        return 1;
    }
    *escape = cp < 0x20 || cp == 0x7f || unicode_is_hidden_control(cp);
    return len;
}

void template_shell_quote(struct strbuf *out, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t n = strlen(str);

    /* Plain words need no quotes. */
    bool plain = n > 0;
    for (size_t i = 0; i < n && plain; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", s[i]))
            plain = false;
    if (plain) {
        strbuf_add(out, str, n);
        return;
    }
    if (n == 0) {
        strbuf_puts(out, "''");
        return;
    }

    /* Everything else is a run of quoted pieces: text in POSIX single
     * quotes, a quote as \', and only the bytes that must not appear raw
     * (they would break the line or act on a terminal) as $'\xHH...'.
     * A $'...' piece holds nothing but \xHH escapes and always ends right
     * after one, so no hex digit can follow an escape inside it. */
    enum { NONE, SINGLE, ANSI } open = NONE;
    size_t i = 0;
    while (i < n) {
        bool escape;
        size_t len = next_char(s + i, n - i, &escape);
        if (escape) {
            if (open == SINGLE)
                strbuf_putc(out, '\'');
            if (open != ANSI)
                strbuf_puts(out, "$'");
            open = ANSI;
            for (size_t k = 0; k < len; k++) {
                char e[4] = {'\\', 'x', hex[s[i + k] >> 4], hex[s[i + k] & 15]};
                strbuf_add(out, e, 4);
            }
        } else if (s[i] == '\'') {
            if (open != NONE)
                strbuf_putc(out, '\'');
            strbuf_puts(out, "\\'");
            open = NONE;
        } else {
            if (open == ANSI)
                strbuf_putc(out, '\'');
            if (open != SINGLE)
                strbuf_putc(out, '\'');
            open = SINGLE;
            strbuf_add(out, str + i, len);
        }
        i += len;
    }
    if (open != NONE)
        strbuf_putc(out, '\'');
}
