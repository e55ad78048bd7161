#include "repopool/credential.h"

#include <string.h>

#include "repopool/textline.h"

static int put_attribute(struct strbuf *out, const char *key, const char *value)
{
    /* A carriage return is refused too: some helpers end lines at it, so it
     * could smuggle in an attribute (CVE-2024-52006). */
    if (!value[0] || strpbrk(value, "\r\n"))
        return -1;
    strbuf_puts(out, key);
    strbuf_putc(out, '=');
    strbuf_puts(out, value);
    strbuf_putc(out, '\n');
    return 0;
}

int credential_request(struct strbuf *out, const char *url, const char *username)
{
    /* git splits url= into protocol, host and path itself. */
    if (put_attribute(out, "url", url) < 0)
        return -1;
    if (username && username[0] && put_attribute(out, "username", username) < 0)
        return -1;
    strbuf_putc(out, '\n');
    return 0;
}

int credential_parse(const char *text, size_t n, struct strbuf *username, struct strbuf *password)
{
    int have_password = 0;
    size_t pos = 0, len;
    const char *line;
    while (text_next_line(text, n, &pos, &line, &len)) {
        if (len == 0)
            break; /* a blank line ends the answer */
        if (memchr(line, '\0', len))
            continue;
        const char *eq = memchr(line, '=', len);
        if (!eq)
            continue;
        size_t klen = (size_t)(eq - line);
        const char *value = eq + 1;
        size_t vlen = len - klen - 1;
        if (vlen > 0 && value[vlen - 1] == '\r')
            vlen--;
        if (klen == 8 && memcmp(line, "username", 8) == 0) {
            strbuf_reset(username);
            strbuf_add(username, value, vlen);
        } else if (klen == 8 && memcmp(line, "password", 8) == 0) {
            strbuf_reset(password);
            strbuf_add(password, value, vlen);
            have_password = 1;
        }
    }
    return have_password ? 0 : -1;
}
