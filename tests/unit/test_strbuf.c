/*
 * The growable string every report line and JSON object is built in.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/strbuf.h"

static void starts_empty(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(sb.len, 0);
    /* Detaching nothing still gives a string the caller can print. */
    char *s = strbuf_detach(&sb);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
}

static void appends_stay_nul_terminated(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "abc");
    strbuf_putc(&sb, '-');
    strbuf_add(&sb, "xyz123", 3);
    assert_string_equal(sb.data, "abc-xyz");
    assert_int_equal(sb.len, 7);
    /* Bytes past a NUL are kept: length, not strlen, is what counts. */
    strbuf_add(&sb, "a\0b", 3);
    assert_int_equal(sb.len, 10);
    assert_memory_equal(sb.data + 7, "a\0b", 4);
    strbuf_free(&sb);
}

static void printf_formats_short_and_long(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_printf(&sb, "%d %s %.3f", 42, "x", 1.5);
    assert_string_equal(sb.data, "42 x 1.500");
    /* Longer than any internal scratch space, appended after what is there. */
    char *big = malloc(100001);
    assert_non_null(big);
    for (size_t i = 0; i < 100000; i++)
        big[i] = (char)('a' + i % 26);
    big[100000] = '\0';
    strbuf_printf(&sb, "[%s]%d", big, 7);
    assert_int_equal(sb.len, 10 + 1 + 100000 + 2);
    assert_memory_equal(sb.data, "42 x 1.500[", 11);
    assert_memory_equal(sb.data + 11, big, 100000);
    assert_string_equal(sb.data + 11 + 100000, "]7");
    free(big);
    strbuf_free(&sb);
}

static void printf_at_every_length_near_the_scratch_size(void **state)
{
    (void)state;
    /* Lengths around any small fixed buffer an implementation may use. */
    char want[600];
    for (size_t n = 0; n < 520; n++) {
        struct strbuf sb;
        strbuf_init(&sb);
        strbuf_puts(&sb, "p:");
        memset(want, 'q', n);
        want[n] = '\0';
        strbuf_printf(&sb, "%s|", want);
        assert_int_equal(sb.len, 2 + n + 1);
        assert_memory_equal(sb.data + 2, want, n);
        assert_string_equal(sb.data + 2 + n, "|");
        strbuf_free(&sb);
    }
}

static void many_small_appends(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    for (int i = 0; i < 100000; i++)
        strbuf_printf(&sb, "%d,", i % 10);
    assert_int_equal(sb.len, 200000);
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(sb.data[2 * i], '0' + i % 10);
        assert_int_equal(sb.data[2 * i + 1], ',');
    }
    strbuf_free(&sb);
}

static void reset_empties_but_keeps_working(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "first line");
    strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(sb.data, "");
    strbuf_puts(&sb, "second");
    assert_string_equal(sb.data, "second");
    strbuf_free(&sb);
    /* Resetting a buffer that never held anything is harmless. */
    strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
}

static void detach_hands_over_and_empties(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_puts(&sb, "keep me");
    char *s = strbuf_detach(&sb);
    assert_string_equal(s, "keep me");
    /* The buffer is empty and reusable; the detached string is unaffected. */
    assert_int_equal(sb.len, 0);
    assert_null(sb.data);
    strbuf_puts(&sb, "other");
    assert_string_equal(s, "keep me");
    assert_string_equal(sb.data, "other");
    free(s);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(starts_empty),
        cmocka_unit_test(appends_stay_nul_terminated),
        cmocka_unit_test(printf_formats_short_and_long),
        cmocka_unit_test(printf_at_every_length_near_the_scratch_size),
        cmocka_unit_test(many_small_appends),
        cmocka_unit_test(reset_empties_but_keeps_working),
        cmocka_unit_test(detach_hands_over_and_empties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
