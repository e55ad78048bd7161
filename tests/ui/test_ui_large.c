/*
 * A pool of 100,000 tasks renders: the row order is built over all of
 * them, only the visible rows are drawn, and the first and last screens
 * show the right rows. No timing is asserted (tests/bench is for that).
 */
#include "ui_fixture.h"

#include <curses.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

#define NTASKS 100000u

static void expect_row(struct fx *f, int y, char mark, uint32_t id)
{
    char want[32];
    snprintf(want, sizeof(want), "%c  repo-%06u ", mark, id);
    const char *line = fx_line(f, y);
    if (strncmp(line, want, strlen(want)) != 0)
        fail_msg("row y=%d reads \"%s\", expected \"%s...\"", y, line, want);
}

static void hundred_thousand_tasks(void **state)
{
    (void)state;
    struct fx *f = fx_new_numbered(NTASKS, "/big/repo-%06zu", fx_config(10));
    /* Ten start; three of them end, newest last; three more start. */
    fx_start_n(f, 10, 0);
    fx_end(f, 0, TASK_OK, RP_CLASS_NONE, 1, "ok");
    fx_end(f, 1, TASK_FAILED, RP_CLASS_EXIT, 2, "exit status 1");
    fx_end(f, 2, TASK_OK, RP_CLASS_NONE, 3, "ok");
    fx_start_n(f, 3, 3);

    fx_render(f, 120, 40, 4);
    assert_int_equal(f->v.norder, NTASKS);
    assert_int_equal(f->v.rows, 36);
    assert_non_null(strstr(fx_line(f, 0), "running 10  queued 99987  ok 2  failed 1"));
    /* Running (3..12), then queued from 13 on. */
    for (int i = 0; i < 10; i++)
        expect_row(f, 3 + i, 'R', 3 + (uint32_t)i);
    for (int i = 10; i < 36; i++)
        expect_row(f, 3 + i, 'Q', 3 + (uint32_t)i);
    fx_assert_clean_canvas(&f->c);

    /* The last page ends with the finished tasks: the problems, then the
     * ok ones, newest first. */
    fx_key(f, 'G');
    assert_int_equal(f->v.selected, 0);
    assert_int_equal(f->v.top, NTASKS - 36);
    expect_row(f, 38, 'O', 0);
    expect_row(f, 37, 'O', 2);
    expect_row(f, 36, 'F', 1);
    expect_row(f, 35, 'Q', NTASKS - 1);
    assert_int_equal(fx_selected_y(f), 38);

    /* Paging from the end moves by a screen's worth. */
    fx_key(f, KEY_PPAGE);
    assert_int_equal(fx_selected_y(f), 3);
    expect_row(f, 3, 'Q', NTASKS - 33);

    /* Every order and filter works at this size. */
    fx_key(f, 's'); /* submission */
    fx_key(f, 'g');
    expect_row(f, 3, 'O', 0);
    expect_row(f, 4, 'F', 1);
    fx_key(f, 's'); /* duration: the longest first */
    fx_key(f, 'g');
    expect_row(f, 3, 'R', 3);
    fx_key(f, 's'); /* name */
    fx_key(f, 'G');
    expect_row(f, 38, 'Q', NTASKS - 1);
    fx_key(f, 's'); /* back to state */
    fx_keys(f, "/repo-099999\n");
    assert_int_equal(f->v.norder, 1);
    expect_row(f, 3, 'Q', NTASKS - 1);
    fx_key(f, 27);
    fx_key(f, 'f'); /* running only */
    assert_int_equal(f->v.norder, 10);

    /* The timeline and help draw too. */
    fx_key(f, 't');
    fx_assert_clean_canvas(&f->c);
    fx_key(f, 't');
    fx_free(f);
}

int main(void)
{
    setlocale(LC_ALL, "C.UTF-8");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hundred_thousand_tasks, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
