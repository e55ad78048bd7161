#include "ui_fixture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "repopool/sanitize.h"
#include "repopool/strbuf.h"

#ifndef UI_GOLDEN_DIR
#error "UI_GOLDEN_DIR must name tests/ui/golden"
#endif

/* --- a backend that only starts --- */

static struct fx *fx_of(struct backend *b)
{
    return (struct fx *)((char *)b - offsetof(struct fx, backend));
}

static int fake_start(struct backend *b, uint32_t id, struct task *t, const char *path,
                      struct attempt_result *fail)
{
    (void)id;
    (void)t;
    (void)path;
    (void)fail;
    fx_of(b)->starts++;
    return 0;
}

static void fake_cancel(struct backend *b, uint32_t id, struct task *t)
{
    (void)id;
    (void)t;
    fx_of(b)->cancels++;
}

static void fake_kill_all(struct backend *b)
{
    (void)b;
}

static void fake_close(struct backend *b)
{
    (void)b;
    fail_msg("the runner closed the backend: the fixture holds it open");
}

static void fake_describe(struct backend *b, const char *path, struct strbuf *out)
{
    (void)b;
    strbuf_puts(out, path);
}

static const struct backend_ops fake_ops = {
    .dir_check = BACKEND_DIR_NONE,
    .start = fake_start,
    .cancel = fake_cancel,
    .kill_all = fake_kill_all,
    .close = fake_close,
    .describe = fake_describe,
};

/* As tui.c's on_change: the pool changed, so rows may have moved. */
static void on_change(void *ctx)
{
    struct fx *f = ctx;
    if (f->have_view)
        ui_view_touch(&f->v);
}

/* --- setting up --- */

struct sched_config fx_config(unsigned cap)
{
    return (struct sched_config){
        .cap = cap,
        .max_cap = 16,
        .backoff_base = 0.5,
        .backoff_max = 8,
        .seed = 7,
    };
}

/* The fixtures not freed yet, for fx_teardown. */
#define MAX_LIVE 8
static struct fx *live[MAX_LIVE];

static void track(struct fx *f)
{
    for (size_t i = 0; i < MAX_LIVE; i++) {
        if (!live[i]) {
            live[i] = f;
            return;
        }
    }
    fail_msg("more than %d fixtures at once", MAX_LIVE);
}

static void untrack(struct fx *f)
{
    for (size_t i = 0; i < MAX_LIVE; i++)
        if (live[i] == f)
            live[i] = NULL;
}

struct fx *fx_new_repos(struct repo_list *repos, struct sched_config cfg)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->repos = *repos;
    memset(repos, 0, sizeof(*repos));
    f->rep_out = fopen("/dev/null", "w");
    assert_non_null(f->rep_out);
    report_init(&f->rep, f->rep_out, REPORT_LINES, false, "fetch");
    assert_int_equal(uv_loop_init(&f->loop), 0);
    assert_int_equal(runner_init(&f->r, &f->loop, &cfg, &f->repos, &f->rep), 0);
    f->backend = (struct backend){.ops = &fake_ops, .runner = &f->r, .loop = &f->loop};
    f->r.backend = &f->backend;
    /* The runner's timer is only armed by rates, retries and timeouts;
     * initialised anyway so a test that uses them cannot corrupt the loop. */
    assert_int_equal(uv_timer_init(&f->loop, &f->r.wake_timer), 0);
    assert_int_equal(uv_idle_init(&f->loop, &f->r.yield), 0);
    /* As under the dashboard: the run stays open when every task ended. */
    f->r.hold_open = true;
    f->r.on_change = on_change;
    f->r.view_ctx = f;
    track(f);
    return f;
}

struct fx *fx_new(const char *const *names, size_t n, struct sched_config cfg)
{
    struct repo_list rl;
    repos_init(&rl);
    for (size_t i = 0; i < n; i++)
        repos_add_raw(&rl, names[i], strlen(names[i]), NULL);
    return fx_new_repos(&rl, cfg);
}

struct fx *fx_new_numbered(size_t n, const char *fmt, struct sched_config cfg)
{
    struct repo_list rl;
    repos_init(&rl);
    char name[256];
    for (size_t i = 0; i < n; i++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        int len = snprintf(name, sizeof(name), fmt, i);
#pragma GCC diagnostic pop
        assert_true(len > 0 && (size_t)len < sizeof(name));
        repos_add_raw(&rl, name, (size_t)len, NULL);
    }
    return fx_new_repos(&rl, cfg);
}

/* Frees without asserting, so it is safe in a teardown. */
static void release(struct fx *f)
{
    untrack(f);
    if (f->have_view)
        ui_view_free(&f->v);
    canvas_free(&f->c);
    /* As tui_free: the view held the run open, so it frees the budget. */
    runner_free(&f->r);
    uv_close((uv_handle_t *)&f->r.wake_timer, NULL);
    uv_close((uv_handle_t *)&f->r.yield, NULL);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    int rc = uv_loop_close(&f->loop);
    report_close(&f->rep);
    fclose(f->rep_out);
    repos_free(&f->repos);
    free(f);
    if (rc != 0)
        fail_msg("the loop still had handles open: %s", uv_strerror(rc));
}

void fx_free(struct fx *f)
{
    release(f);
}

int fx_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < MAX_LIVE; i++)
        if (live[i])
            release(live[i]);
    return 0;
}

/* --- the fake clock --- */

static void note(struct fx *f, double t)
{
    stats_note(&f->r.stats, t, sched_running(&f->r.sched), sched_limit(&f->r.sched, t));
    if (f->have_view)
        ui_view_touch(&f->v);
}

uint32_t fx_start(struct fx *f, double t)
{
    uint32_t id = sched_next_start(&f->r.sched, t);
    assert_int_not_equal(id, SCHED_NONE);
    note(f, t);
    return id;
}

void fx_start_n(struct fx *f, unsigned n, double t)
{
    for (unsigned i = 0; i < n; i++)
        fx_start(f, t);
}

enum sched_end fx_end(struct fx *f, uint32_t id, enum task_state st, enum rp_class cls, double t,
                      const char *summary)
{
    struct task *task = sched_task(&f->r.sched, id);
    free(task->summary);
    task->summary = NULL;
    if (summary) {
        struct strbuf sb;
        strbuf_init(&sb);
        sanitize_line(&sb, summary, strlen(summary));
        task->summary = strbuf_detach(&sb);
        strbuf_free(&sb);
    }
    double after = 0;
    enum sched_end end = sched_finish(&f->r.sched, id, st, cls, 0, t, &after);
    note(f, t);
    return end;
}

void fx_cap(struct fx *f, unsigned cap, double t)
{
    sched_set_cap(&f->r.sched, cap);
    note(f, t);
}

void fx_output(struct fx *f, uint32_t id, const char *text)
{
    runner_capture(&f->r, sched_task(&f->r.sched, id), text, strlen(text));
}

/* --- rendering and keys --- */

void fx_render(struct fx *f, int w, int h, double now)
{
    if (!f->have_view) {
        ui_view_init(&f->v, &f->r);
        f->have_view = true;
    }
    if (f->c.cells == NULL || f->c.w != w || f->c.h != h) {
        canvas_free(&f->c);
        canvas_init(&f->c, w, h);
    }
    f->now = now;
    ui_render(&f->c, &f->v, &f->r, now);
}

char *fx_screen(struct fx *f)
{
    struct strbuf sb;
    strbuf_init(&sb);
    canvas_dump(&f->c, &sb);
    char *text = strbuf_detach(&sb);
    strbuf_free(&sb);
    return text ? text : strdup("");
}

const char *fx_line(struct fx *f, int y)
{
    static char line[4096];
    char *screen = fx_screen(f);
    const char *p = screen;
    for (int i = 0; i < y && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    line[0] = '\0';
    if (p) {
        size_t n = strcspn(p, "\n");
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        memcpy(line, p, n);
        line[n] = '\0';
    }
    free(screen);
    return line;
}

unsigned fx_key(struct fx *f, int key)
{
    unsigned redraw = ui_handle_key(&f->v, &f->r, key);
    if (redraw & UI_REDRAW_SCREEN)
        ui_render(&f->c, &f->v, &f->r, f->now);
    return redraw;
}

void fx_keys(struct fx *f, const char *keys)
{
    for (const char *p = keys; *p; p++)
        fx_key(f, (unsigned char)*p);
}

int fx_selected_y(struct fx *f)
{
    int found = -1;
    for (int y = 0; y < f->c.h; y++) {
        int painted = 0;
        for (int x = 0; x < f->c.w; x++)
            painted += canvas_at(&f->c, x, y)->attr == UI_SELECTED;
        if (painted == 0)
            continue;
        if (painted != f->c.w)
            fail_msg("row %d is only partly selected (%d of %d cells)", y, painted, f->c.w);
        if (found >= 0)
            fail_msg("rows %d and %d are both painted as selected", found, y);
        found = y;
    }
    return found;
}

int fx_find(struct fx *f, const char *needle)
{
    for (int y = 0; y < f->c.h; y++)
        if (strstr(fx_line(f, y), needle))
            return y;
    return -1;
}

uint32_t fx_row_id(struct fx *f, int y)
{
    size_t row = f->v.top + (size_t)(y - 3);
    assert_true(y >= 3 && row < f->v.norder);
    return f->v.order[row];
}

/* --- golden screens --- */

static char *read_file(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return NULL;
    struct strbuf sb;
    strbuf_init(&sb);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        strbuf_add(&sb, buf, n);
    fclose(in);
    char *text = strbuf_detach(&sb);
    strbuf_free(&sb);
    return text ? text : strdup("");
}

/* Prints the first differing line, then the whole screen with a ruler. */
static void show_difference(const char *name, const char *want, const char *got)
{
    int line = 1;
    const char *a = want, *b = got;
    while (*a && *a == *b) {
        if (*a == '\n')
            line++;
        a++;
        b++;
    }
    fprintf(stderr, "golden %s: first difference on line %d\n", name, line);
    fprintf(stderr, "--- expected (%s/%s.txt)\n%s", UI_GOLDEN_DIR, name, want);
    fprintf(stderr, "--- actual (UPDATE_GOLDEN=1 writes it)\n%s---\n", got);
}

void fx_golden(struct fx *f, const char *name)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.txt", UI_GOLDEN_DIR, name);
    /* Every golden screen is also a clean one. */
    fx_assert_clean_canvas(&f->c);
    char *got = fx_screen(f);
    const char *update = getenv("UPDATE_GOLDEN");
    if (update && *update && strcmp(update, "0") != 0) {
        FILE *out = fopen(path, "wb");
        if (!out)
            fail_msg("cannot write %s: %s", path, strerror(errno));
        fputs(got, out);
        fclose(out);
        free(got);
        return;
    }
    char *want = read_file(path);
    if (!want) {
        fprintf(stderr, "--- actual\n%s---\n", got);
        free(got);
        fail_msg("no golden screen %s (UPDATE_GOLDEN=1 writes it)", path);
    }
    bool same = strcmp(want, got) == 0;
    if (!same)
        show_difference(name, want, got);
    free(want);
    free(got);
    if (!same)
        fail_msg("screen %s differs from its golden file", name);
}

/* --- the sanitizer's promise, cell by cell --- */

static bool is_bidi_or_separator(uint32_t cp)
{
    return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029;
}

void fx_assert_clean_canvas(const struct canvas *c)
{
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w; x++) {
            uint32_t cp = c->cells[(size_t)y * (size_t)c->w + (size_t)x].cp;
            if (cp == 0) {
                uint32_t left = x > 0 ? c->cells[(size_t)y * (size_t)c->w + (size_t)x - 1].cp : 0;
                if (x == 0 || left == 0 || wcwidth((wchar_t)left) != 2)
                    fail_msg("cell (%d,%d) continues no double-width character", x, y);
                continue;
            }
            if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
                fail_msg("cell (%d,%d) holds control character U+%04X", x, y, (unsigned)cp);
            if (is_bidi_or_separator(cp))
                fail_msg("cell (%d,%d) holds bidi or separator control U+%04X", x, y, (unsigned)cp);
            int w = wcwidth((wchar_t)cp);
            if (w < 1)
                fail_msg("cell (%d,%d) holds U+%04X, which takes no column", x, y, (unsigned)cp);
            if (w == 2) {
                if (x + 1 >= c->w)
                    fail_msg("double-width U+%04X at the right edge (%d,%d)", (unsigned)cp, x, y);
                if (c->cells[(size_t)y * (size_t)c->w + (size_t)x + 1].cp != 0)
                    fail_msg("double-width U+%04X at (%d,%d) has no continuation cell", (unsigned)cp, x, y);
                x++;
            }
        }
    }
}
