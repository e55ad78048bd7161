/*
 * Durations as the dashboard's TIME column and the headless lines show
 * them: the same units from the same function, each in its own width.
 */
#include "unit.h"

#include <string.h>

#include "repopool/duration.h"

static const char *text(double seconds, enum duration_style style)
{
    static char buf[32];
    duration_text(buf, sizeof(buf), seconds, style);
    return buf;
}

static void short_is_as_narrow_as_it_can_be(void **state)
{
    (void)state;
    assert_string_equal(text(0, DURATION_SHORT), "0.0s");
    assert_string_equal(text(3.44, DURATION_SHORT), "3.4s");
    assert_string_equal(text(9.94, DURATION_SHORT), "9.9s");
    assert_string_equal(text(42.4, DURATION_SHORT), "42s");
    assert_string_equal(text(60, DURATION_SHORT), "1m00s");
    assert_string_equal(text(245.9, DURATION_SHORT), "4m05s");
    assert_string_equal(text(3600, DURATION_SHORT), "1h00m");
    assert_string_equal(text(7380, DURATION_SHORT), "2h03m");
    assert_string_equal(text(100 * 3600, DURATION_SHORT), "100h00m");
}

static void aligned_lines_up_in_eight_columns(void **state)
{
    (void)state;
    assert_string_equal(text(0, DURATION_ALIGNED), "   0.00s");
    assert_string_equal(text(3.4, DURATION_ALIGNED), "   3.40s");
    assert_string_equal(text(42, DURATION_ALIGNED), "  42.00s");
    assert_string_equal(text(59.994, DURATION_ALIGNED), "  59.99s");
    assert_string_equal(text(245.9, DURATION_ALIGNED), "   4m05s");
    assert_string_equal(text(7380, DURATION_ALIGNED), "   2h03m");
    /* Wider only past 10,000 hours. */
    assert_int_equal(strlen(text(9999 * 3600.0, DURATION_ALIGNED)), 8);
}

static void a_negative_duration_is_zero(void **state)
{
    (void)state;
    assert_string_equal(text(-1, DURATION_SHORT), "0.0s");
    assert_string_equal(text(-1, DURATION_ALIGNED), "   0.00s");
}

static void a_small_buffer_is_cut_not_overrun(void **state)
{
    (void)state;
    char buf[4] = "xxx";
    duration_text(buf, sizeof(buf), 245.9, DURATION_SHORT);
    assert_string_equal(buf, "4m0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(short_is_as_narrow_as_it_can_be),
        cmocka_unit_test(aligned_lines_up_in_eight_columns),
        cmocka_unit_test(a_negative_duration_is_zero),
        cmocka_unit_test(a_small_buffer_is_cut_not_overrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
