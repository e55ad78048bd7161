#include "repopool/canvas.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "repopool/sanitize.h"
#include "repopool/xalloc.h"

void canvas_init(struct canvas *c, int w, int h)
{
    c->w = w > 0 ? w : 0;
    c->h = h > 0 ? h : 0;
    c->cells = xcalloc((size_t)c->w * (size_t)c->h + 1, sizeof(*c->cells));
    canvas_clear(c);
}

void canvas_free(struct canvas *c)
{
    free(c->cells);
    c->cells = NULL;
    c->w = c->h = 0;
}

void canvas_clear(struct canvas *c)
{
    for (size_t i = 0; i < (size_t)c->w * (size_t)c->h; i++)
        c->cells[i] = (struct cell){' ', UI_NORMAL};
}

/* Columns a code point takes: 1 or 2, or 0 when it is not drawn at all
 * (controls, combining marks, unassigned). */
static int cp_width(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
        return 0;
    int w = wcwidth((wchar_t)cp);
    return w < 0 ? 0 : w > 2 ? 2 : w;
}

/* Decodes the next code point; invalid bytes read as U+FFFD. */
static uint32_t next_cp(const char **p)
{
    const unsigned char *s = (const unsigned char *)*p;
    unsigned cp;
    size_t len = utf8_decode(s, strnlen(*p, 4), &cp);
    if (len == 0) {
        *p += 1;
        return 0xfffd;
    }
    *p += len;
    return cp;
}

/* Puts one character of width w at (x, y), blanking what is left of any
 * wide character it cuts in half, so the grid always maps one to one onto
 * terminal columns. */
static void put_cell(struct canvas *c, int x, int y, uint32_t cp, int w, enum ui_attr attr)
{
    if (canvas_at(c, x, y)->cp == 0 && x > 0)
        canvas_at(c, x - 1, y)->cp = ' ';
    if (x + w < c->w && canvas_at(c, x + w, y)->cp == 0)
        canvas_at(c, x + w, y)->cp = ' ';
    *canvas_at(c, x, y) = (struct cell){cp, (uint8_t)attr};
    if (w == 2)
        *canvas_at(c, x + 1, y) = (struct cell){0, (uint8_t)attr};
}

int canvas_text(struct canvas *c, int x, int y, int max, const char *text, enum ui_attr attr)
{
    if (y < 0 || y >= c->h || x < 0 || x >= c->w || !text)
        return 0;
    if (max > c->w - x)
        max = c->w - x;
    int used = 0;
    const char *p = text;
    while (*p && used < max) {
        uint32_t cp = next_cp(&p);
        int w = cp_width(cp);
        if (w == 0)
            continue;
        if (used + w > max)
            break;
        put_cell(c, x + used, y, cp, w, attr);
        used += w;
    }
    return used;
}

int canvas_printf(struct canvas *c, int x, int y, int max, enum ui_attr attr, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return canvas_text(c, x, y, max, buf, attr);
}

void canvas_fill(struct canvas *c, int x, int y, int n, uint32_t cp, enum ui_attr attr)
{
    if (y < 0 || y >= c->h)
        return;
    for (int i = x < 0 ? 0 : x; i < x + n && i < c->w; i++)
        put_cell(c, i, y, cp, 1, attr);
}

void canvas_paint(struct canvas *c, int x, int y, int n, enum ui_attr attr)
{
    if (y < 0 || y >= c->h)
        return;
    for (int i = x < 0 ? 0 : x; i < x + n && i < c->w; i++)
        canvas_at(c, i, y)->attr = (uint8_t)attr;
}

int canvas_text_width(const char *text)
{
    int w = 0;
    const char *p = text;
    while (*p)
        w += cp_width(next_cp(&p));
    return w;
}

static void put_utf8(struct strbuf *out, uint32_t cp)
{
    char b[4];
    if (cp < 0x80) {
        b[0] = (char)cp;
        strbuf_add(out, b, 1);
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(out, b, 2);
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(out, b, 3);
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        strbuf_add(out, b, 4);
    }
}

void canvas_dump(const struct canvas *c, struct strbuf *out)
{
    for (int y = 0; y < c->h; y++) {
        size_t start = out->len;
        size_t keep = start;
        for (int x = 0; x < c->w; x++) {
            uint32_t cp = c->cells[(size_t)y * (size_t)c->w + (size_t)x].cp;
            if (cp == 0)
                continue;
            put_utf8(out, cp);
            if (cp != ' ')
                keep = out->len;
        }
        out->len = keep;
        if (out->data)
            out->data[out->len] = '\0';
        strbuf_putc(out, '\n');
    }
}
