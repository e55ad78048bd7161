#include "repopool/json.h"

#include <math.h>
#include <string.h>

#include "repopool/sanitize.h"

void json_string(struct strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *in = (const unsigned char *)s;
    strbuf_putc(sb, '"');
    size_t i = 0;
    while (i < n) {
        unsigned char c = in[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            strbuf_add(sb, esc, 2);
            i++;
        } else if (c == '\n') {
            strbuf_add(sb, "\\n", 2);
            i++;
        } else if (c == '\t') {
            strbuf_add(sb, "\\t", 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            strbuf_add(sb, esc, 6);
            i++;
        } else {
            unsigned cp;
            size_t len = utf8_decode(in + i, n - i, &cp);
            if (len == 0) {
                strbuf_add(sb, "\xef\xbf\xbd", 3);
                i++;
            } else if (unicode_is_hidden_control(cp)) {
                char esc[6] = {'\\', 'u', hex[cp >> 12], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                               hex[cp & 15]};
                strbuf_add(sb, esc, 6);
                i += len;
            } else {
                strbuf_add(sb, s + i, len);
                i += len;
            }
        }
    }
    strbuf_putc(sb, '"');
}

static void json_key(struct strbuf *sb, const char *key)
{
    if (sb->len > 0 && sb->data[sb->len - 1] != '{')
        strbuf_putc(sb, ',');
    json_string(sb, key, strlen(key));
    strbuf_putc(sb, ':');
}

void json_key_string(struct strbuf *sb, const char *key, const char *value)
{
    json_key(sb, key);
    json_string(sb, value ? value : "", value ? strlen(value) : 0);
}

void json_key_int(struct strbuf *sb, const char *key, long long value)
{
    json_key(sb, key);
    strbuf_printf(sb, "%lld", value);
}

void json_key_seconds(struct strbuf *sb, const char *key, double seconds)
{
    json_key(sb, key);
    if (!isfinite(seconds) || seconds <= 0)
        seconds = 0; /* also turns -0.0 into 0 */
    strbuf_printf(sb, "%.3f", seconds);
}

void json_key_bool(struct strbuf *sb, const char *key, bool value)
{
    json_key(sb, key);
    strbuf_puts(sb, value ? "true" : "false");
}

void json_key_null(struct strbuf *sb, const char *key)
{
    json_key(sb, key);
    strbuf_puts(sb, "null");
}

void json_key_string_or_null(struct strbuf *sb, const char *key, const char *value)
{
    if (value && value[0])
        json_key_string(sb, key, value);
    else
        json_key_null(sb, key);
}
