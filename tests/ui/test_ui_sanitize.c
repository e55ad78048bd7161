/*
 * Untrusted text through the whole render: repository paths (real
 * directories with hostile names) and task output with escape sequences,
 * carriage returns, tabs, invalid UTF-8, C1 and bidirectional controls.
 * Whatever goes in, every cell of the canvas is a printable character, and
 * double-width characters take exactly two cells.
 */
#include "ui_fixture.h"

#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/strbuf.h"

/* --- hostile repository names --- */

static const struct {
    const char *raw;   /* the directory's name */
    const char *shown; /* what the table shows */
    bool whole;        /* the sanitized name stands for the whole path */
} hostile[] = {
    /* Names (paths) show every control as U+FFFD: nothing is stripped
     * silently, so no two names look alike, and a carriage return hides
     * nothing before it. */
    {"clear\x1b[2Jscreen", "clear\xef\xbf\xbd[2Jscreen", false},
    {"title\x1b]0;x\x07name", "title\xef\xbf\xbd]0;x\xef\xbf\xbdname", false},
    {"over\rwritten", "over\xef\xbf\xbdwritten", false},
    {"tab\there", "tab\xef\xbf\xbdhere", false},
    {"bad\xff\xfeutf8", "bad\xef\xbf\xbd\xef\xbf\xbdutf8", false},
    {"c1\xc2\x9b" "31mcontrol", "c1\xef\xbf\xbd" "31mcontrol", false},
    {"bidi\xe2\x80\xae" "evil", "bidi\xef\xbf\xbd" "evil", false},
    {"nul\x01\x7f" "del", "nul\xef\xbf\xbd\xef\xbf\xbd" "del", false},
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static char base[PATH_MAX];

static void make_hostile_dirs(struct repo_list *rl)
{
    char made[] = "/tmp/repopool-ui-XXXXXX";
    assert_non_null(mkdtemp(made));
    /* Paths are resolved when added: compare with the resolved base. */
    assert_non_null(realpath(made, base));
    repos_init(rl);
    for (size_t i = 0; i < NHOSTILE; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", base, hostile[i].raw);
        assert_int_equal(mkdir(path, 0700), 0);
        repos_add_path(rl, path);
    }
    assert_int_equal(rl->len, NHOSTILE);
}

static void remove_hostile_dirs(void)
{
    for (size_t i = 0; i < NHOSTILE; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", base, hostile[i].raw);
        rmdir(path);
    }
    rmdir(base);
}

/* Removes the directories even when the test failed half way. */
static int hostile_teardown(void **state)
{
    if (base[0])
        remove_hostile_dirs();
    base[0] = '\0';
    return fx_teardown(state);
}

static void hostile_paths_render_clean(void **state)
{
    (void)state;
    struct repo_list rl;
    make_hostile_dirs(&rl);
    struct fx *f = fx_new_repos(&rl, fx_config(0));
    fx_render(f, 120, 30, 1.0);
    fx_assert_clean_canvas(&f->c);
    for (size_t i = 0; i < NHOSTILE; i++) {
        char want[128];
        snprintf(want, sizeof(want), "Q  %s ", hostile[i].shown);
        const char *row = fx_line(f, 3 + (int)i);
        if (strncmp(row, want, strlen(want)) != 0)
            fail_msg("row %zu reads \"%s\", expected it to start \"%s\"", i, row, want);
    }

    /* The log view's title shows the whole path, cleaned the same way. */
    for (size_t i = 0; i < NHOSTILE; i++) {
        f->v.selected = (uint32_t)i;
        f->v.moved = true;
        fx_key(f, '\n');
        fx_assert_clean_canvas(&f->c);
        char want[PATH_MAX + 64];
        snprintf(want, sizeof(want), "%s%s%s", hostile[i].whole ? "" : base,
                 hostile[i].whole ? "" : "/", hostile[i].shown);
        if (!strstr(fx_line(f, 0), want))
            fail_msg("log title \"%s\" lacks \"%s\"", fx_line(f, 0), want);
        fx_key(f, 27);
    }
    fx_free(f);
}

/* --- hostile output --- */

static const struct {
    const char *raw;
    const char *shown;
} output[] = {
    {"\x1b[2J\x1b[Hhello", "hello"},
    {"\x1b]0;pwned\x07title", "title"},
    {"\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\ text", "link text"},
    {"progress 10%\rprogress 55%\rprogress 99%", "progress 99%"},
    {"a\tb", "a b"},
    {"bytes \xff\xc0\x80 end", "bytes \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end"},
    {"c1 \xc2\x85next \xc2\x9b" "1m", "c1 next 1m"},
    {"raw \x9b" "31m", "raw \xef\xbf\xbd" "31m"},
    {"bidi \xe2\x80\xae" "txt.exe \xe2\x81\xa6" "x\xe2\x81\xa9", "bidi txt.exe x"},
    {"bell\x07 and \x08" "backspace", "bell and backspace"},
};
#define NOUTPUT (sizeof(output) / sizeof(output[0]))

static void hostile_output_renders_clean(void **state)
{
    (void)state;
    const char *const names[] = {"/w/noisy", "/w/other"};
    struct fx *f = fx_new(names, 2, fx_config(1));
    fx_start(f, 0);
    for (size_t i = 0; i < NOUTPUT; i++) {
        fx_output(f, 0, output[i].raw);
        fx_output(f, 0, "\n");
    }

    /* The table shows the last line of a running task. */
    for (size_t i = 0; i < NOUTPUT; i++) {
        struct fx *g = fx_new(names, 1, fx_config(1));
        fx_start(g, 0);
        fx_output(g, 0, output[i].raw);
        fx_output(g, 0, "\r\n");
        fx_render(g, 120, 10, 1.0);
        fx_assert_clean_canvas(&g->c);
        const char *row = fx_line(g, 3);
        const char *detail = strstr(row, "1.0s ");
        assert_non_null(detail);
        if (strcmp(detail + 5, output[i].shown) != 0)
            fail_msg("output %zu shows as \"%s\" in the table, expected \"%s\"", i, detail + 5,
                     output[i].shown);
        fx_free(g);
    }

    /* The log view shows every line. */
    fx_render(f, 100, 20, 1.0);
    fx_key(f, '\n');
    assert_int_equal(f->v.screen, UI_SCREEN_LOG);
    fx_assert_clean_canvas(&f->c);
    for (size_t i = 0; i < NOUTPUT; i++) {
        const char *line = fx_line(f, 1 + (int)i);
        if (strcmp(line, output[i].shown) != 0)
            fail_msg("output %zu shows as \"%s\" in the log, expected \"%s\"", i, line, output[i].shown);
    }
    fx_free(f);
}

/* The canvas itself refuses controls, whatever a caller hands it. */
static void canvas_refuses_control_characters(void **state)
{
    (void)state;
    struct canvas c;
    canvas_init(&c, 40, 2);
    canvas_text(&c, 0, 0, 40, "a\x1b[2J\x07\x7f\xc2\x9b\xc2\x85z\xff", UI_NORMAL);
    canvas_text(&c, 0, 1, 40, "\xe2\x80\xae" "rtl\xe2\x80\x8f\xe2\x81\xa6", UI_NORMAL);
    fx_assert_clean_canvas(&c);
    struct strbuf sb;
    strbuf_init(&sb);
    canvas_dump(&c, &sb);
    /* ESC goes; the canvas is no sanitizer, so "[2J" is text. */
    assert_string_equal(sb.data, "a[2Jz\xef\xbf\xbd\nrtl\n");
    strbuf_free(&sb);
    canvas_free(&c);
}

/* A text filter is typed byte by byte; whatever the bytes, the header
 * (which shows it) and the footer (while typing) stay clean. */
static void typed_filter_renders_clean(void **state)
{
    (void)state;
    const char *const names[] = {"/w/one", "/w/two"};
    struct fx *f = fx_new(names, 2, fx_config(0));
    fx_render(f, 100, 10, 0);
    fx_key(f, '/');
    const unsigned char typed[] = {'o', 0xe2, 0x80, 0xae, 0x9b, 0xc2, 0x85, 0xff, 'x'};
    for (size_t i = 0; i < sizeof(typed); i++) {
        fx_key(f, typed[i]);
        fx_assert_clean_canvas(&f->c);
    }
    fx_key(f, '\n');
    fx_assert_clean_canvas(&f->c);
    assert_int_equal(f->v.norder, 0);
    fx_free(f);
}

/* --- double width --- */

static void wide_characters_take_two_cells(void **state)
{
    (void)state;
    const char *const names[] = {"/w/\xe4\xb8\xad\xe6\x96\x87\xe4\xbb\x93\xe5\xba\x93", "/w/plain"};
    struct fx *f = fx_new(names, 2, fx_config(0));
    fx_render(f, 80, 10, 0);
    fx_assert_clean_canvas(&f->c);
    static const uint32_t cjk[] = {0x4e2d, 0x6587, 0x4ed3, 0x5e93};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(canvas_at(&f->c, 3 + 2 * i, 3)->cp, cjk[i]);
        assert_int_equal(canvas_at(&f->c, 4 + 2 * i, 3)->cp, 0);
    }
    assert_int_equal(canvas_at(&f->c, 11, 3)->cp, ' ');
    /* The next column starts where it does on the plain row. */
    assert_string_equal(fx_line(f, 3) + 3, "\xe4\xb8\xad\xe6\x96\x87\xe4\xbb\x93\xe5\xba\x93"
                                            "               fetch");
    assert_int_equal(canvas_text_width(names[0]), 11);
    fx_free(f);
}

static void wide_character_at_the_edge_is_left_out(void **state)
{
    (void)state;
    /* Directly: five columns hold two wide characters, not two and a half. */
    struct canvas c;
    canvas_init(&c, 5, 1);
    assert_int_equal(canvas_text(&c, 0, 0, 5, "\xe4\xb8\x80\xe4\xba\x8c\xe4\xb8\x89", UI_NORMAL), 4);
    assert_int_equal(canvas_at(&c, 3, 0)->cp, 0);
    assert_int_equal(canvas_at(&c, 4, 0)->cp, ' ');
    /* At the last column of the canvas, whatever max says. */
    canvas_clear(&c);
    assert_int_equal(canvas_text(&c, 4, 0, 10, "\xe4\xb8\x80", UI_NORMAL), 0);
    assert_int_equal(canvas_at(&c, 4, 0)->cp, ' ');
    /* Writing over half a wide character blanks the other half. */
    canvas_text(&c, 0, 0, 5, "\xe4\xb8\x80\xe4\xba\x8c", UI_NORMAL);
    canvas_text(&c, 1, 0, 1, "a", UI_NORMAL);
    canvas_text(&c, 2, 0, 1, "b", UI_NORMAL);
    fx_assert_clean_canvas(&c);
    assert_int_equal(canvas_at(&c, 0, 0)->cp, ' ');
    assert_int_equal(canvas_at(&c, 3, 0)->cp, ' ');
    canvas_free(&c);

    /* Through the render: the output column ends at the right edge, at
     * an odd width (33 at 80 columns): 16 characters fill 32 columns and
     * the ellipsis that says the text was cut takes the last. */
    const char *const names[] = {"/w/one"};
    struct fx *f = fx_new(names, 1, fx_config(1));
    fx_start(f, 0);
    struct strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 20; i++)
        strbuf_puts(&sb, "\xe5\xad\x97");
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, sb.data);
    strbuf_free(&sb);
    fx_render(f, 80, 10, 1);
    fx_assert_clean_canvas(&f->c);
    assert_int_equal(canvas_at(&f->c, 77, 3)->cp, 0x5b57);
    assert_int_equal(canvas_at(&f->c, 78, 3)->cp, 0);
    assert_int_equal(canvas_at(&f->c, 79, 3)->cp, 0x2026);
    assert_int_equal(canvas_at(&f->c, 47, 3)->cp, 0x5b57);
    assert_int_equal(canvas_at(&f->c, 46, 3)->cp, ' ');
    fx_free(f);
}

/* --- long paths --- */

static void long_paths_keep_their_end(void **state)
{
    (void)state;
    const char *const names[] = {
        "/home/dev/src/platform/services/payments/ledger-reconciliation-worker",
        "/home/dev/lib/short",
        "/home/dev/src/\xe4\xb8\xad\xe6\x96\x87/\xe4\xbb\x93\xe5\xba\x93\xe4\xbb\x93\xe5\xba\x93"
        "\xe4\xbb\x93\xe5\xba\x93\xe4\xbb\x93\xe5\xba\x93\xe4\xbb\x93\xe5\xba\x93\xe4\xbb\x93",
    };
    struct fx *f = fx_new(names, 3, fx_config(0));
    /* 80 columns: the repository column is 22 wide. */
    fx_render(f, 80, 10, 0);
    fx_assert_clean_canvas(&f->c);
    const char *row = fx_line(f, 3);
    assert_int_equal(strncmp(row, "Q  \xe2\x80\xa6reconciliation-worker fetch", 3 + 3 + 21 + 6), 0);
    assert_int_equal(canvas_at(&f->c, 3, 3)->attr, UI_SELECTED); /* first row: selected */
    assert_int_equal(strncmp(fx_line(f, 4), "Q  lib/short ", 13), 0);
    /* Wide characters: cut from the left, never in half, within 22 columns. */
    assert_int_equal(canvas_at(&f->c, 3, 5)->cp, 0x2026);
    int used = 0;
    for (int x = 4; x < 25; x++)
        used += canvas_at(&f->c, x, 5)->cp != ' ';
    assert_true(used >= 20);
    assert_int_equal(canvas_at(&f->c, 25, 5)->cp, ' ');
    assert_int_equal(canvas_at(&f->c, 26, 5)->cp, 'f');
    /* The path's last character ends the text; dropping whole wide
     * characters from the left may leave one column free. */
    assert_int_equal(canvas_at(&f->c, 22, 5)->cp, 0x4ed3);
    assert_int_equal(canvas_at(&f->c, 23, 5)->cp, 0);
    assert_int_equal(canvas_at(&f->c, 24, 5)->cp, ' ');

    /* The log title on a narrow terminal keeps the end of the full path. */
    fx_render(f, 40, 8, 0);
    fx_key(f, '\n');
    const char *title = fx_line(f, 0);
    assert_int_equal(strncmp(title, "queued  \xe2\x80\xa6", 11), 0);
    const char *end = "ledger-reconciliation-worker";
    assert_string_equal(title + strlen(title) - strlen(end), end);
    assert_int_equal(canvas_text_width(title), 40);
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hostile_paths_render_clean, hostile_teardown),
        cmocka_unit_test_teardown(hostile_output_renders_clean, fx_teardown),
        cmocka_unit_test_teardown(canvas_refuses_control_characters, fx_teardown),
        cmocka_unit_test_teardown(typed_filter_renders_clean, fx_teardown),
        cmocka_unit_test_teardown(wide_characters_take_two_cells, fx_teardown),
        cmocka_unit_test_teardown(wide_character_at_the_edge_is_left_out, fx_teardown),
        cmocka_unit_test_teardown(long_paths_keep_their_end, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
