/*
 * The sanitizer stands between untrusted text (task output, paths, branch
 * names) and the user's terminal: what comes out must be plain, valid UTF-8
 * with nothing a terminal would act on.
 */
#include "unit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/sanitize.h"

/* Sanitizes in[0..n) and compares with want. */
static void check_n(const char *in, size_t n, const char *want)
{
    struct strbuf sb;
    strbuf_init(&sb);
    sanitize_line(&sb, in, n);
    const char *got = sb.data ? sb.data : "";
    if (strcmp(got, want) != 0 || sb.len != strlen(want))
        fail_msg("sanitize(%zu bytes) gave \"%s\" (%zu bytes), expected \"%s\"", n, got, sb.len, want);
    strbuf_free(&sb);
}

static void check(const char *in, const char *want)
{
    check_n(in, strlen(in), want);
}

#define FFFD "\xef\xbf\xbd"

/* ---- a validator written independently of the code under test ---- */

/* Returns the code point of the well-formed UTF-8 sequence at s[0..n) and
 * its length in *len, or -1 (Unicode table 3-7: well-formed sequences). */
static long decode_strict(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char b = s[0];
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;
    long cp;
    if (b < 0x80) {
        *len = 1;
        return b;
    } else if (b >= 0xc2 && b <= 0xdf) {
        need = 2, cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
        need = 3, cp = b & 0x0f;
        if (b == 0xe0)
            lo = 0xa0; /* no overlongs */
        if (b == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (b >= 0xf0 && b <= 0xf4) {
        need = 4, cp = b & 0x07;
        if (b == 0xf0)
            lo = 0x90;
        if (b == 0xf4)
            hi = 0x8f;
    } else {
        return -1;
    }
    if (n < need)
        return -1;
    for (size_t i = 1; i < need; i++) {
        unsigned char c = s[i];
        unsigned char l = i == 1 ? lo : 0x80, h = i == 1 ? hi : 0xbf;
        if (c < l || c > h)
            return -1;
        cp = (cp << 6) | (c & 0x3f);
    }
    *len = need;
    return cp;
}

static bool is_forbidden(long cp)
{
    return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* True when s[0..n) is valid UTF-8 without any control or bidi character;
 * *where gets the offending offset otherwise. */
static bool terminal_safe(const char *text, size_t n, size_t *where)
{
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < n;) {
        size_t len;
        long cp = decode_strict(s + i, n - i, &len);
        if (cp < 0 || is_forbidden(cp)) {
            *where = i;
            return false;
        }
        i += len;
    }
    return true;
}

static void validator_is_strict(void **state)
{
    (void)state;
    /* The validator itself must reject what it is meant to catch. */
    size_t where;
    const char *good = "plain \xe4\xb8\xad \xf0\x9f\x98\x80";
    assert_true(terminal_safe(good, strlen(good), &where));
    assert_false(terminal_safe("a\x1b", 2, &where));
    assert_false(terminal_safe("\xc0\xaf", 2, &where));
    assert_false(terminal_safe("\xed\xa0\x80", 3, &where));
    assert_false(terminal_safe("\xc2\x9b", 2, &where));
    assert_false(terminal_safe("\xe2\x80\xae", 3, &where));
    assert_false(terminal_safe("\x7f", 1, &where));
}

/* ---- behaviour ---- */

static void plain_text_is_unchanged(void **state)
{
    (void)state;
    check("Already up to date.", "Already up to date.");
    check("", "");
}

static void cjk_and_emoji_are_kept(void **state)
{
    (void)state;
    check("\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 caf\xc3\xa9");
    /* The largest code point and one just below the surrogates. */
    check("\xf4\x8f\xbf\xbf\xed\x9f\xbf", "\xf4\x8f\xbf\xbf\xed\x9f\xbf");
}

static void invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    check("a\xff" "b", "a" FFFD "b");
    check("\x80", FFFD);
    /* A truncated sequence at the end. */
    check("ok\xe4\xb8", "ok" FFFD FFFD);
    check("\xf0\x9f\x98", FFFD FFFD FFFD);
}

static void overlong_encodings_are_rejected(void **state)
{
    (void)state;
    /* "/" and NUL spelt in two or more bytes must not sneak through. */
    check("\xc0\xaf", FFFD FFFD);
    check("\xc1\xbf", FFFD FFFD);
    check("\xe0\x80\xaf", FFFD FFFD FFFD);
    check("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);
    check_n("\xc0\x80", 2, FFFD FFFD);
}

static void surrogates_and_out_of_range_are_rejected(void **state)
{
    (void)state;
    check("\xed\xa0\x80", FFFD FFFD FFFD);
    check("\xed\xbf\xbf", FFFD FFFD FFFD);
    check("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    check("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
}

static void carriage_return_keeps_the_last_segment(void **state)
{
    (void)state;
    /* What a terminal shows after a progress meter redrew itself. */
    check("Receiving objects:  10%\rReceiving objects: 100%", "Receiving objects: 100%");
    check("a\rb\rc", "c");
    /* A trailing CR or CRLF does not blank the line. */
    check("done\r\n", "done");
    check("done\r", "done");
    check("old\rnew\r\n", "new");
}

static void tabs_become_spaces(void **state)
{
    (void)state;
    check("a\tb\t\tc", "a b  c");
}

static void c0_and_del_are_dropped(void **state)
{
    (void)state;
    check("a\x01" "b\x07" "c\x08" "d\x7f" "e\x0b\x0c" "f", "abcdef");
    check_n("nul\0byte", 8, "nulbyte");
    check("mid\nline", "midline");
}

static void c1_controls_are_dropped(void **state)
{
    (void)state;
    /* U+0080..U+009F, e.g. U+009B (CSI) and U+0085 (NEL), encoded as UTF-8. */
    check("a\xc2\x80" "b\xc2\x85" "c\xc2\x9b" "d\xc2\x9f" "e", "abcde");
    /* U+00A0 is the first code point after them and is kept. */
    check("\xc2\xa0", "\xc2\xa0");
}

static void bidi_controls_are_dropped(void **state)
{
    (void)state;
    /* Trojan Source: RLO and friends reorder what the user reads. */
    check("a\xe2\x80\xaa" "b\xe2\x80\xab" "c\xe2\x80\xac" "d\xe2\x80\xad" "e\xe2\x80\xae" "f", "abcdef");
    check("a\xe2\x81\xa6" "b\xe2\x81\xa7" "c\xe2\x81\xa8" "d\xe2\x81\xa9" "e", "abcde");
    check("a\xe2\x80\x8e" "b\xe2\x80\x8f" "c\xd8\x9c" "d", "abcd");
    /* Neighbours of those ranges are ordinary characters: the zero width
     * joiner inside emoji, U+2010, U+202F, U+2065, U+206A, U+061B, U+061D. */
    const char *neighbours = "\xe2\x80\x8d\xe2\x80\x90\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b\xd8\x9d";
    check(neighbours, neighbours);
}

static void csi_sequences_are_removed_whole(void **state)
{
    (void)state;
    check("\x1b[2Jhi", "hi");
    check("\x1b[31mred\x1b[0m", "red");
    check("\x1b[?1049h\x1b[38;5;196mx", "x");
    check("a\x1b[1;2;3", "a"); /* cut short by the end of the line */
}

static void osc_and_string_sequences_are_removed_whole(void **state)
{
    (void)state;
    check("\x1b]0;title\x07x", "x");
    check("\x1b]8;;http://evil/\x1b\\link\x1b]8;;\x1b\\", "link");
    check("\x1bP1$r0m\x1b\\y", "y");         /* DCS */
    check("\x1b_app\x1b\\z", "z");           /* APC */
    check("a\x1b]52;c;aGVsbG8=", "a");       /* clipboard write cut short */
}

static void other_escapes_are_removed(void **state)
{
    (void)state;
    check("\x1b(Bplain", "plain"); /* designate G0 */
    check("\x1b" "crst", "rst");     /* RIS: reset the terminal */
    check("\x1b" "7save\x1b" "8", "save");
    check("end\x1b", "end");
}

static void random_bytes_always_come_out_terminal_safe(void **state)
{
    (void)state;
    /* Bytes weighted towards the interesting ones: ESC, CR, UTF-8 lead and
     * continuation bytes, C1 and bidi encodings. */
    static const unsigned char interesting[] = {0x1b, '[', ']', '\r', '\n', '\t', 0x07, '\\',
                                                0x7f, 0xc2, 0x9b, 0x85, 0xe2, 0x80, 0xae, 0x81,
                                                0xa6, 0xd8, 0x9c, 0xed, 0xa0, 0xf0, 0xf4, 0x90,
                                                0xc0, 0xff, 0x00, 'a'};
    uint64_t x = 88172645463325252ULL;
    struct strbuf sb;
    strbuf_init(&sb);
    unsigned char in[64];
    for (int round = 0; round < 100000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % sizeof(in));
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            in[i] = x & 1 ? interesting[(x >> 1) % sizeof(interesting)] : (unsigned char)(x >> 8);
        }
        strbuf_reset(&sb);
        sanitize_line(&sb, (const char *)in, n);
        size_t where = 0;
        if (!terminal_safe(sb.data ? sb.data : "", sb.len, &where))
            fail_msg("round %d: output byte %zu (0x%02x) is not terminal-safe", round, where,
                     (unsigned char)sb.data[where]);
        assert_int_equal(strlen(sb.data ? sb.data : ""), sb.len); /* no NUL inside */
    }
    strbuf_free(&sb);
}

static void utf8_decode_reports_lengths(void **state)
{
    (void)state;
    unsigned cp = 0;
    assert_int_equal(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xe9);
    assert_int_equal(utf8_decode((const unsigned char *)"\xe4\xb8\xad", 3, &cp), 3);
    assert_int_equal(cp, 0x4e2d);
    assert_int_equal(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
    assert_int_equal(cp, 0x1f600);
    /* Truncated by n even though the bytes go on. */
    assert_int_equal(utf8_decode((const unsigned char *)"\xe4\xb8\xad", 2, &cp), 0);
    assert_int_equal(utf8_decode((const unsigned char *)"\xe4\x41\xad", 3, &cp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validator_is_strict),
        cmocka_unit_test(plain_text_is_unchanged),
        cmocka_unit_test(cjk_and_emoji_are_kept),
        cmocka_unit_test(invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(overlong_encodings_are_rejected),
        cmocka_unit_test(surrogates_and_out_of_range_are_rejected),
        cmocka_unit_test(carriage_return_keeps_the_last_segment),
        cmocka_unit_test(tabs_become_spaces),
        cmocka_unit_test(c0_and_del_are_dropped),
        cmocka_unit_test(c1_controls_are_dropped),
        cmocka_unit_test(bidi_controls_are_dropped),
        cmocka_unit_test(csi_sequences_are_removed_whole),
        cmocka_unit_test(osc_and_string_sequences_are_removed_whole),
        cmocka_unit_test(other_escapes_are_removed),
        cmocka_unit_test(random_bytes_always_come_out_terminal_safe),
        cmocka_unit_test(utf8_decode_reports_lengths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
