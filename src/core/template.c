#include "repopool/template.h"

#include <string.h>

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

void shell_quote(struct strbuf *out, const char *s)
{
    /* Plain words need no quotes; everything else goes in single quotes,
     * where only the quote itself needs care. */
    bool plain = *s != '\0';
    for (const char *c = s; *c; c++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%", *c))
            plain = false;
    if (plain) {
        strbuf_puts(out, s);
        return;
    }
    strbuf_putc(out, '\'');
    for (const char *c = s; *c; c++) {
        if (*c == '\'')
            strbuf_puts(out, "'\\''");
        else
            strbuf_putc(out, *c);
    }
    strbuf_putc(out, '\'');
}
