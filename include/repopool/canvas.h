/*
 * A grid of character cells that the dashboard renders into, so every
 * screen can be built and tested without a terminal; one function in tui.c
 * copies it to curses.
 *
 * Text written here must already be sanitized; the canvas still refuses
 * control characters, so nothing but printable cells can reach curses.
 * Widths come from wcwidth(): a double-width character takes two cells,
 * the second marked as its continuation.
 *
 * Loop thread only (wcwidth depends on the locale).
 */
#ifndef REPOPOOL_CANVAS_H
#define REPOPOOL_CANVAS_H

#include <stdint.h>

#include "repopool/strbuf.h"

/* What a cell means, not how it looks: tui.c maps these to colours and,
 * on monochrome terminals, to bold/reverse. */
enum ui_attr {
    UI_NORMAL,
    UI_DIM,
    UI_HEADER,
    UI_TITLE,
    UI_SELECTED,
    UI_KEY,
    UI_RUNNING,
    UI_QUEUED,
    UI_OK,
    UI_FAILED,
    UI_SKIPPED,
    UI_CANCELLED,
    UI_CAP,
    UI_ATTR_COUNT
};

struct cell {
    uint32_t cp;   /* code point; 0 marks the right half of a wide one */
    uint8_t attr;  /* enum ui_attr */
};

struct canvas {
    int w, h;
    struct cell *cells;
};

void canvas_init(struct canvas *c, int w, int h);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);

static inline struct cell *canvas_at(struct canvas *c, int x, int y)
{
    return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

/* Writes UTF-8 text at (x, y), using at most max columns; returns the
 * columns used. A wide character that would not fit is left out. */
int canvas_text(struct canvas *c, int x, int y, int max, const char *text, enum ui_attr attr);
/* As canvas_text, with printf formatting. */
int canvas_printf(struct canvas *c, int x, int y, int max, enum ui_attr attr, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Fills n cells from (x, y) with cp. */
void canvas_fill(struct canvas *c, int x, int y, int n, uint32_t cp, enum ui_attr attr);
/* Sets the attribute of n cells from (x, y), keeping their characters. */
void canvas_paint(struct canvas *c, int x, int y, int n, enum ui_attr attr);

/* Display width of UTF-8 text. */
int canvas_text_width(const char *text);
/* The canvas as UTF-8 lines (trailing spaces trimmed), for tests. */
void canvas_dump(const struct canvas *c, struct strbuf *out);

#endif
