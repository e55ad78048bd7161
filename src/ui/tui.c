#include "repopool/tui.h"

#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include "repopool/xalloc.h"

/* Redraws wait at least this long, so a burst of events costs one frame:
 * at most about 20 frames a second. */
#define REDRAW_DELAY_MS 50
/* A frame may cost at most 1/FRAME_BUDGET of the time between frames: with
 * 100,000 tasks a frame is dearer, so frames come less often rather than
 * the view eating the run's CPU. */
#define FRAME_BUDGET 40
#define MAX_REDRAW_DELAY_MS 500
#define CLOCK_MS 1000

struct tui {
    uv_loop_t *loop;
    struct runner *r;
    struct ui_view view;
    struct canvas canvas;
    SCREEN *screen;
    uv_poll_t input;
    uv_timer_t redraw_timer;
    uv_timer_t clock_timer;
    uv_signal_t winch;
    int open_handles;
    bool dirty, closed, exit_when_done;
    /* The terminal's rows, and whether curses was given less of it: at
     * most UI_MAX_HEIGHT rows and UI_MAX_WIDTH columns are drawn. */
    int term_rows;
    bool rows_capped, cols_capped;
    uint64_t redraw_delay_ms;   /* grows with what a frame costs */
    attr_t attrs[UI_ATTR_COUNT];
};

/* --- giving the terminal back after a crash --- */

/* Saved at start, used from a signal handler: only async-signal-safe calls. */
static struct termios saved_termios;
static bool have_saved_termios;
static char restore_seq[160];
static size_t restore_len;

/* Terminal strings put together for one write(). */
struct seq {
    char buf[160];
    size_t len;
};
static struct seq *seq_out;

static int seq_putc(int ch)
{
    if (seq_out->len < sizeof(seq_out->buf))
        seq_out->buf[seq_out->len++] = (char)ch;
    return ch;
}

static void seq_cap(struct seq *s, const char *str)
{
    if (!str || str == (char *)-1)
        return;
    seq_out = s;
    tputs(str, 1, seq_putc);
}

/* The scroll region from row 0 to row rows - 1; nothing if the terminal
 * has none. */
static void seq_region(struct seq *s, int rows)
{
    if (rows > 0 && change_scroll_region)
        seq_cap(s, tiparm(change_scroll_region, 0, rows - 1));
}

static void seq_write(const struct seq *s)
{
    size_t done = 0;
    while (done < s->len) {
        ssize_t n = write(STDOUT_FILENO, s->buf + done, s->len - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
}

static void on_crash(int signum)
{
    if (have_saved_termios)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
    if (restore_len) {
        ssize_t n = write(STDOUT_FILENO, restore_seq, restore_len);
        (void)n;
    }
    signal(signum, SIG_DFL);
    raise(signum);
}

static void add_restore(struct seq *s, const char *capname)
{
    const char *str = tigetstr((char *)capname);
    if (!str || str == (char *)-1)
        return;
    size_t n = strlen(str);
    if (s->len + n <= sizeof(s->buf)) {
        memcpy(s->buf + s->len, str, n);
        s->len += n;
    }
}

/* What a crash writes: the whole terminal's scroll region back when curses
 * was given only part of it (full_rows > 0), then the attributes, the
 * cursor and the main screen. */
static void set_restore(int full_rows)
{
    struct seq s = {.len = 0};
    seq_region(&s, full_rows);
    add_restore(&s, "sgr0");
    add_restore(&s, "cnorm");
    add_restore(&s, "rmcup");
    restore_len = 0; /* a crash while this changes writes nothing */
    memcpy(restore_seq, s.buf, s.len);
    restore_len = s.len;
}

static void install_crash_handlers(void)
{
    set_restore(0);
    static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], on_crash);
}

static void remove_crash_handlers(void)
{
    static const int fatal[] = {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL};
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        signal(fatal[i], SIG_DFL);
}

/* --- colours --- */

static void setup_attrs(struct tui *t)
{
    /* no-color.org: NO_COLOR set and not empty turns colour off. */
    const char *no_color = getenv("NO_COLOR");
    bool color = has_colors() && !(no_color && no_color[0]);
    t->view.monochrome = !color;
    static const struct {
        short fg, bg;
        attr_t extra;  /* with colour */
        attr_t mono;   /* without */
    } look[UI_ATTR_COUNT] = {
        [UI_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
        [UI_DIM] = {-1, -1, A_DIM, A_DIM},
        [UI_HEADER] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
        [UI_TITLE] = {-1, -1, A_BOLD, A_BOLD},
        [UI_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE},
        [UI_KEY] = {COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD},
        [UI_RUNNING] = {COLOR_CYAN, -1, A_BOLD, A_BOLD},
        [UI_QUEUED] = {-1, -1, A_DIM, A_DIM},
        [UI_OK] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
        [UI_FAILED] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
        [UI_SKIPPED] = {COLOR_YELLOW, -1, A_NORMAL, A_UNDERLINE},
        [UI_CANCELLED] = {COLOR_MAGENTA, -1, A_NORMAL, A_DIM},
        [UI_CAP] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
    };
    if (color) {
        start_color();
        use_default_colors();
    }
    for (int a = 0; a < UI_ATTR_COUNT; a++) {
        if (!color) {
            t->attrs[a] = look[a].mono;
            continue;
        }
        init_pair((short)(a + 1), look[a].fg, look[a].bg);
        t->attrs[a] = COLOR_PAIR(a + 1) | look[a].extra;
    }
}

/* --- drawing --- */

/* The one place the canvas meets curses. */
static void copy_to_curses(struct tui *t)
{
    const struct canvas *c = &t->canvas;
    for (int y = 0; y < c->h; y++) {
        move(y, 0);
        for (int x = 0; x < c->w; x++) {
            const struct cell *cell = &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
            if (cell->cp == 0)
                continue; /* the right half of a wide character */
            wchar_t wc[2] = {(wchar_t)cell->cp, 0};
            cchar_t cc;
            attr_t attrs = t->attrs[cell->attr];
            /* setcchar takes the colour pair apart from the attributes;
             * pair 0 there would wipe the colour out of attrs. */
            setcchar(&cc, wc, attrs & ~A_COLOR, (short)PAIR_NUMBER(attrs), NULL);
            mvadd_wch(y, x, &cc);
        }
    }
}

static void draw_now(struct tui *t)
{
    if (t->closed)
        return;
    t->dirty = false;
    int h, w;
    getmaxyx(stdscr, h, w);
    /* Beyond the cap (and curses' spare column, see fit_screen) the
     * terminal stays blank. */
    if (h > UI_MAX_HEIGHT)
        h = UI_MAX_HEIGHT;
    if (w > UI_MAX_WIDTH)
        w = UI_MAX_WIDTH;
    if (h != t->canvas.h || w != t->canvas.w) {
        canvas_free(&t->canvas);
        canvas_init(&t->canvas, w, h);
    }
    uint64_t started = uv_hrtime();
    ui_render(&t->canvas, &t->view, t->r, runner_now(t->r));
    copy_to_curses(t);
    refresh();
    uint64_t cost_ms = (uv_hrtime() - started) / 1000000;
    t->redraw_delay_ms = cost_ms * FRAME_BUDGET;
    if (t->redraw_delay_ms < REDRAW_DELAY_MS)
        t->redraw_delay_ms = REDRAW_DELAY_MS;
    if (t->redraw_delay_ms > MAX_REDRAW_DELAY_MS)
        t->redraw_delay_ms = MAX_REDRAW_DELAY_MS;
}

static void on_redraw_timer(uv_timer_t *timer)
{
    draw_now(timer->data);
}

static void mark_dirty(struct tui *t)
{
    if (t->closed || t->dirty)
        return;
    t->dirty = true;
    uv_timer_start(&t->redraw_timer, on_redraw_timer, t->redraw_delay_ms, 0);
}

/* --- closing --- */

static void on_handle_closed(uv_handle_t *handle)
{
    struct tui *t = handle->data;
    t->open_handles--;
}

/* endwin, with the whole terminal's scroll region back if curses had only
 * part of it (still on the alternate screen, where moving the cursor does
 * no harm). */
static void give_back(struct tui *t)
{
    if (t->rows_capped) {
        struct seq s = {.len = 0};
        seq_region(&s, t->term_rows);
        seq_write(&s);
    }
    endwin();
}

/* The process is about to _exit: give the terminal back, nothing more. */
static void on_abort(void *ctx)
{
    struct tui *t = ctx;
    if (!t->closed)
        give_back(t);
}

static void tui_close(struct tui *t)
{
    if (t->closed)
        return;
    t->closed = true;
    uv_close((uv_handle_t *)&t->input, on_handle_closed);
    uv_close((uv_handle_t *)&t->redraw_timer, on_handle_closed);
    uv_close((uv_handle_t *)&t->clock_timer, on_handle_closed);
    uv_close((uv_handle_t *)&t->winch, on_handle_closed);
    give_back(t);
    delscreen(t->screen);
    t->screen = NULL;
    remove_crash_handlers();
    t->r->on_change = NULL;
    t->r->on_abort = NULL;
    runner_close(t->r);
}

/* The run may be over, or the user may be done: close when both agree. */
static void maybe_close(struct tui *t)
{
    if (!runner_done(t->r))
        return;
    if (t->view.quit || t->exit_when_done || t->r->interrupted_by)
        tui_close(t);
}

static void on_change(void *ctx)
{
    struct tui *t = ctx;
    ui_view_touch(&t->view);
    mark_dirty(t);
    maybe_close(t);
}

static void on_clock(uv_timer_t *timer)
{
    struct tui *t = timer->data;
    /* Only the clocks move on their own, and a finished run is still. The
     * tick draws itself rather than arming the redraw timer: one wake-up a
     * second for an idle pool, not two. */
    if (!runner_done(t->r) && !t->dirty)
        draw_now(t);
}

static void on_input(uv_poll_t *poll, int status, int events)
{
    struct tui *t = poll->data;
    (void)events;
    if (status < 0) {
        /* The terminal went away: nobody can press q any more. */
        t->view.quit = true;
        runner_stop(t->r);
        maybe_close(t);
        return;
    }
    unsigned redraw = 0;
    int key;
    while (!t->closed && (key = getch()) != ERR) {
        if (key == KEY_RESIZE)
            continue; /* SIGWINCH is ours, handled below */
        redraw |= ui_handle_key(&t->view, t->r, key);
    }
    if (redraw & UI_REDRAW_QUIT)
        maybe_close(t);
    if ((redraw & UI_REDRAW_SCREEN) && !t->closed)
        draw_now(t); /* keys answer at once, not after the coalescing delay */
}

/*
 * Gives curses the terminal's size, capped: curses allocates every cell of
 * the screen it is told of, three times over, so a 10000x10000 terminal
 * would cost gigabytes. Curses then takes the top-left part for the whole
 * terminal, which holds as long as it cannot move text into the rest:
 *
 * - its screen is one column wider than what is drawn (a column left
 *   blank), so no line is ever written to its last column, where a
 *   terminal without the newline glitch would wrap;
 * - inserting and deleting characters is off while columns are capped, as
 *   an insert would push text past curses' last column;
 * - the terminal's scroll region is set to curses' rows, so scrolling
 *   (which curses does at its last row) moves only those; the whole
 *   region is given back on every way out (give_back, the crash handler).
 *
 * Called at start with curses' buffered output flushed first (flush), and
 * on every resize, each time before a full repaint: setting the region
 * moves the cursor.
 */
static void fit_screen(struct tui *t, int rows, int cols, bool flush)
{
    if (rows <= 0 || cols <= 0) {
        rows = LINES;
        cols = COLS;
    }
    t->term_rows = rows;
    t->rows_capped = rows > UI_MAX_HEIGHT;
    t->cols_capped = cols > UI_MAX_WIDTH;
    resizeterm(t->rows_capped ? UI_MAX_HEIGHT : rows, t->cols_capped ? UI_MAX_WIDTH + 1 : cols);
    idcok(stdscr, !t->cols_capped);
    if (flush)
        refresh();
    struct seq s = {.len = 0};
    seq_region(&s, LINES);
    seq_write(&s);
    clearok(curscr, TRUE);
    set_restore(t->rows_capped ? rows : 0);
}

/* The terminal's size: the kernel's, unless LINES or COLUMNS say
 * otherwise, as curses reads them; 0 when unknown. */
static void terminal_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = *cols = 0;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
        *rows = ws.ws_row;
        *cols = ws.ws_col;
    }
    const char *env = getenv("LINES");
    if (env && atoi(env) > 0)
        *rows = atoi(env);
    env = getenv("COLUMNS");
    if (env && atoi(env) > 0)
        *cols = atoi(env);
}

static void on_winch(uv_signal_t *handle, int signum)
{
    struct tui *t = handle->data;
    (void)signum;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        fit_screen(t, ws.ws_row, ws.ws_col, false);
    clear();
    draw_now(t);
}

/* A terminal the dashboard can draw on moves its cursor anywhere (cup):
 * TERM=dumb and its like would get a blank or garbled screen. An unknown
 * TERM passes here and fails in newterm, with its own message. */
static bool cursor_addressable(void)
{
    int error;
    if (setupterm(NULL, STDOUT_FILENO, &error) != OK)
        return true;
    const char *cup = tigetstr("cup");
    bool can = cup && cup != (const char *)-1;
    del_curterm(cur_term);
    return can;
}

struct tui *tui_start(uv_loop_t *loop, struct runner *r, bool exit_when_done, struct strbuf *err)
{
    struct tui *t = xcalloc(1, sizeof(*t));
    t->loop = loop;
    t->r = r;
    t->exit_when_done = exit_when_done;
    t->redraw_delay_ms = REDRAW_DELAY_MS;
    have_saved_termios = tcgetattr(STDIN_FILENO, &saved_termios) == 0;

    /* Our SIGWINCH handler first: curses then leaves the signal to us. */
    uv_signal_init(loop, &t->winch);
    t->winch.data = t;
    uv_signal_start(&t->winch, on_winch, SIGWINCH);

    /* Curses would size its screens to the whole terminal, however large:
     * it starts from the terminfo size instead, and fit_screen gives it the
     * real one, capped. */
    int rows, cols;
    terminal_size(&rows, &cols);
    use_env(FALSE);
    const char *term = getenv("TERM") ? getenv("TERM") : "";
    bool can_move = cursor_addressable();
    t->screen = can_move ? newterm(NULL, stdout, stdin) : NULL;
    if (!t->screen) {
        if (can_move)
            strbuf_printf(err, "repopool: cannot use the terminal (TERM=%s); going on without the dashboard", term);
        else
            strbuf_printf(err, "repopool: the terminal (TERM=%s) cannot move the cursor; going on without the dashboard",
                          term);
        uv_close((uv_handle_t *)&t->winch, NULL);
        uv_run(loop, UV_RUN_NOWAIT);
        free(t);
        return NULL;
    }
    set_term(t->screen);
    install_crash_handlers();
    cbreak(); /* Ctrl-C and Ctrl-Z keep working */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    setup_attrs(t);
    fit_screen(t, rows, cols, true);

    ui_view_init(&t->view, r);
    canvas_init(&t->canvas, 0, 0);
    uv_poll_init(loop, &t->input, STDIN_FILENO);
    uv_timer_init(loop, &t->redraw_timer);
    uv_timer_init(loop, &t->clock_timer);
    t->input.data = t->redraw_timer.data = t->clock_timer.data = t;
    t->open_handles = 4;
    uv_poll_start(&t->input, UV_READABLE, on_input);
    uv_timer_start(&t->clock_timer, on_clock, CLOCK_MS, CLOCK_MS);

    r->hold_open = true;
    r->on_change = on_change;
    r->view_ctx = t;
    r->on_abort = on_abort;
    mark_dirty(t);
    return t;
}

void tui_free(struct tui *t)
{
    if (!t)
        return;
    if (!t->closed) {
        /* The loop ended without the user quitting (an early error). */
        give_back(t);
        if (t->screen)
            delscreen(t->screen);
        remove_crash_handlers();
    }
    ui_view_free(&t->view);
    canvas_free(&t->canvas);
    free(t);
}
