/*
 * The dashboard on a real terminal: curses set-up and teardown, stdin
 * through uv_poll_t, SIGWINCH through uv_signal_t, redraws coalesced on a
 * timer, and the terminal restored on every way out, crashes included.
 * Everything it shows is rendered by ui.h into a canvas first.
 *
 * Loop thread only; curses is never touched from anywhere else.
 */
#ifndef REPOPOOL_TUI_H
#define REPOPOOL_TUI_H

#include <stdbool.h>
#include <uv.h>

#include "repopool/canvas.h"
#include "repopool/runner.h"
#include "repopool/ui.h"

struct tui;

/* Takes over the terminal and attaches to the runner (which it holds open
 * until the user quits). Returns NULL, with a message in err, when the
 * terminal cannot be used. */
struct tui *tui_start(uv_loop_t *loop, struct runner *r, bool exit_when_done, struct strbuf *err);
/* Frees what is left once the loop has run dry (the terminal was given
 * back when the user quit). */
void tui_free(struct tui *t);

#endif
