/*
 * JSON writing for --json: every event line must parse, whatever bytes a
 * path or an output line holds.
 */
#include "unit.h"

#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/json.h"
#include "repopool/sanitize.h"

static void check_string_n(const char *in, size_t n, const char *want)
{
    struct strbuf sb;
    strbuf_init(&sb);
    json_string(&sb, in, n);
    if (strcmp(sb.data, want) != 0)
        fail_msg("json_string gave %s, expected %s", sb.data, want);
    strbuf_free(&sb);
}

static void check_string(const char *in, const char *want)
{
    check_string_n(in, strlen(in), want);
}

/* True when s[0..n) is one JSON string literal (RFC 8259 section 7) in
 * valid UTF-8. Written independently of the code under test. */
static bool is_json_string(const char *text, size_t n)
{
    const unsigned char *s = (const unsigned char *)text;
    if (n < 2 || s[0] != '"' || s[n - 1] != '"')
        return false;
    for (size_t i = 1; i < n - 1;) {
        unsigned char c = s[i];
        if (c < 0x20 || c == '"')
            return false;
        if (c == '\\') {
            if (i + 1 >= n - 1)
                return false;
            unsigned char e = s[i + 1];
            if (e == 'u') {
                if (i + 5 >= n - 1)
                    return false;
                for (size_t k = 2; k < 6; k++)
                    if (!strchr("0123456789abcdefABCDEF", s[i + k]) || s[i + k] == 0)
                        return false;
                i += 6;
            } else if (strchr("\"\\/bfnrt", e) && e != 0) {
                i += 2;
            } else {
                return false;
            }
            continue;
        }
        unsigned cp;
        size_t len = utf8_decode(s + i, n - 1 - i, &cp);
        if (len == 0)
            return false;
        i += len;
    }
    return true;
}

static void plain_strings_are_quoted(void **state)
{
    (void)state;
    check_string("/home/me/src/repo", "\"/home/me/src/repo\"");
    check_string("", "\"\"");
    check_string("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80\"");
}

static void quotes_and_backslashes_are_escaped(void **state)
{
    (void)state;
    check_string("say \"hi\"", "\"say \\\"hi\\\"\"");
    check_string("C:\\dir\\", "\"C:\\\\dir\\\\\"");
}

static void controls_are_escaped(void **state)
{
    (void)state;
    check_string("a\nb\tc", "\"a\\nb\\tc\"");
    check_string("\x01\x1b[31m\x1f\x7f", "\"\\u0001\\u001b[31m\\u001f\\u007f\"");
    check_string("cr\r", "\"cr\\u000d\"");
    check_string_n("nul\0byte", 8, "\"nul\\u0000byte\"");
}

static void c1_bidi_and_separators_are_escaped(void **state)
{
    (void)state;
    /* C1 controls, U+0080..U+009F (U+009B is CSI on some terminals). */
    check_string("\xc2\x80", "\"\\u0080\"");
    check_string("a\xc2\x9b" "31mb", "\"a\\u009b31mb\"");
    check_string("\xc2\x9f", "\"\\u009f\"");
    /* The bidirectional formatting characters and the separators. */
    check_string("\xd8\x9c", "\"\\u061c\"");
    check_string("\xe2\x80\x8e\xe2\x80\x8f", "\"\\u200e\\u200f\"");
    check_string("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae",
                 "\"\\u202a\\u202b\\u202c\\u202d\\u202e\"");
    check_string("\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9",
                 "\"\\u2066\\u2067\\u2068\\u2069\"");
    check_string("\xe2\x80\xa8\xe2\x80\xa9", "\"\\u2028\\u2029\"");
    check_string("/src/evil\xe2\x80\xaegpj.exe", "\"/src/evil\\u202egpj.exe\"");
    /* Their neighbours stay raw. */
    check_string("\xc2\xa0\xc2\xa9", "\"\xc2\xa0\xc2\xa9\"");
    check_string("\xd8\x9b\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa",
                 "\"\xd8\x9b\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\"");
}

/* The code points json_string must not leave raw (besides C0 and DEL). */
static bool must_be_escaped(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f
        || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028
        || cp == 0x2029;
}

/* Appends the UTF-8 encoding of cp. */
static void put_utf8(struct strbuf *sb, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        b[0] = (char)(0xf0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    strbuf_add(sb, b, n);
}

/* Every code point below U+3000: escaped as \uXXXX exactly when it is a
 * control, a bidirectional formatting character or a separator, and
 * otherwise written as it came. */
static void each_code_point_is_escaped_or_kept(void **state)
{
    (void)state;
    static const char hex[] = "0123456789abcdef";
    struct strbuf in, out, want;
    strbuf_init(&in);
    strbuf_init(&out);
    strbuf_init(&want);
    for (unsigned cp = 1; cp < 0x3000; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff)
            continue;
        strbuf_reset(&in);
        strbuf_reset(&out);
        strbuf_reset(&want);
        put_utf8(&in, cp);
        json_string(&out, in.data, in.len);
        strbuf_putc(&want, '"');
        if (cp == '"' || cp == '\\') {
            strbuf_putc(&want, '\\');
            strbuf_putc(&want, (char)cp);
        } else if (cp == '\n') {
            strbuf_puts(&want, "\\n");
        } else if (cp == '\t') {
            strbuf_puts(&want, "\\t");
        } else if (cp < 0x20 || cp == 0x7f || must_be_escaped(cp)) {
            char esc[6] = {'\\', 'u', hex[cp >> 12], hex[(cp >> 8) & 15], hex[(cp >> 4) & 15],
                           hex[cp & 15]};
            strbuf_add(&want, esc, 6);
        } else {
            strbuf_add(&want, in.data, in.len);
        }
        strbuf_putc(&want, '"');
        if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0)
            fail_msg("U+%04X gave %s, expected %s", cp, out.data, want.data);
    }
    strbuf_free(&in);
    strbuf_free(&out);
    strbuf_free(&want);
}

static void invalid_utf8_becomes_replacement_character(void **state)
{
    (void)state;
    check_string("bad\xff" "byte", "\"bad\xef\xbf\xbd" "byte\"");
    check_string("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
    check_string("cut\xe4\xb8", "\"cut\xef\xbf\xbd\xef\xbf\xbd\"");
}

static void random_bytes_always_give_a_valid_string(void **state)
{
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    unsigned char in[48];
    struct strbuf sb;
    strbuf_init(&sb);
    for (int round = 0; round < 50000; round++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t n = (size_t)(x % sizeof(in));
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            in[i] = (unsigned char)(x >> 24);
            if (x & 1) /* favour quotes, backslashes, UTF-8, C1 and bidi */
                in[i] = (unsigned char)"\"\\\xc3\xa9\xe4\xb8\xad\x00\n\xc2\x9b\xe2\x80\xae"[(x >> 1) % 14];
        }
        strbuf_reset(&sb);
        json_string(&sb, (const char *)in, n);
        if (!is_json_string(sb.data, sb.len))
            fail_msg("round %d: %s is not a valid JSON string", round, sb.data);
        /* Nor does any raw C1, bidirectional or separator character get
         * through. */
        for (size_t i = 0; i < sb.len;) {
            unsigned cp;
            size_t len = utf8_decode((const unsigned char *)sb.data + i, sb.len - i, &cp);
            if (len > 1 && must_be_escaped(cp))
                fail_msg("round %d: U+%04X left raw in %s", round, cp, sb.data);
            i += len ? len : 1;
        }
    }
    strbuf_free(&sb);
}

static void keys_build_an_object_with_commas(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_string(&sb, "event", "end");
    json_key_int(&sb, "id", 7);
    json_key_string(&sb, "repo", "/a \"b\"");
    json_key_int(&sb, "exit", -1);
    json_key_seconds(&sb, "duration", 1.5);
    json_key_string(&sb, "summary", NULL);
    strbuf_puts(&sb, ",\"git\":{");
    json_key_int(&sb, "ahead", 0);
    json_key_int(&sb, "behind", 2);
    strbuf_putc(&sb, '}');
    json_key_int(&sb, "big", 9007199254740993LL);
    strbuf_putc(&sb, '}');
    assert_string_equal(sb.data, "{\"event\":\"end\",\"id\":7,\"repo\":\"/a \\\"b\\\"\",\"exit\":-1,"
                                 "\"duration\":1.500,\"summary\":\"\",\"git\":{\"ahead\":0,"
                                 "\"behind\":2},\"big\":9007199254740993}");
    strbuf_free(&sb);
}

static void bool_and_null_values(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_bool(&sb, "yes", true);
    json_key_bool(&sb, "no", false);
    json_key_null(&sb, "nothing");
    /* An absent or empty value is null, anything else a string. */
    json_key_string_or_null(&sb, "upstream", NULL);
    json_key_string_or_null(&sb, "branch", "");
    json_key_string_or_null(&sb, "state", "merge");
    strbuf_putc(&sb, '}');
    assert_string_equal(sb.data, "{\"yes\":true,\"no\":false,\"nothing\":null,\"upstream\":null,"
                                 "\"branch\":null,\"state\":\"merge\"}");
    strbuf_free(&sb);
}

static void first_key_has_no_comma(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_int(&sb, "t", 1);
    strbuf_putc(&sb, '}');
    assert_string_equal(sb.data, "{\"t\":1}");
    strbuf_free(&sb);
}

static void keys_are_escaped_too(void **state)
{
    (void)state;
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_int(&sb, "we\"ird\n", 1);
    strbuf_putc(&sb, '}');
    assert_string_equal(sb.data, "{\"we\\\"ird\\n\":1}");
    strbuf_free(&sb);
}

static void seconds_have_three_decimals(void **state)
{
    (void)state;
    static const struct {
        double in;
        const char *want;
    } cases[] = {
        {0, "0.000"},         {0.0125, "0.013"}, {1.238, "1.238"}, {12.3, "12.300"},
        {86400.5, "86400.500"}, {-3, "0.000"},   {NAN, "0.000"},   {INFINITY, "0.000"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct strbuf sb;
        strbuf_init(&sb);
        strbuf_putc(&sb, '{');
        json_key_seconds(&sb, "t", cases[i].in);
        char want[64];
        snprintf(want, sizeof(want), "{\"t\":%s", cases[i].want);
        if (strcmp(sb.data, want) != 0)
            fail_msg("seconds %g gave %s, expected %s", cases[i].in, sb.data, want);
        strbuf_free(&sb);
    }
}

/*
 * main() calls setlocale(LC_ALL, ""), so a user with a decimal comma in
 * LC_NUMERIC must still get "1.500": "1,500" would break every JSON parser.
 * Skipped where no such locale is installed.
 */
static void seconds_ignore_a_decimal_comma_locale(void **state)
{
    (void)state;
    static const char *const locales[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                          "nl_NL.UTF-8", "ru_RU.UTF-8"};
    const char *found = NULL;
    for (size_t i = 0; i < sizeof(locales) / sizeof(locales[0]) && !found; i++)
        if (setlocale(LC_NUMERIC, locales[i]))
            found = locales[i];
    if (!found) {
        skip();
        return;
    }
    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_seconds(&sb, "t", 1.5);
    setlocale(LC_NUMERIC, "C");
    if (strcmp(sb.data, "{\"t\":1.500") != 0)
        fail_msg("under LC_NUMERIC=%s seconds were written as %s", found, sb.data);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_strings_are_quoted),
        cmocka_unit_test(quotes_and_backslashes_are_escaped),
        cmocka_unit_test(controls_are_escaped),
        cmocka_unit_test(c1_bidi_and_separators_are_escaped),
        cmocka_unit_test(each_code_point_is_escaped_or_kept),
        cmocka_unit_test(invalid_utf8_becomes_replacement_character),
        cmocka_unit_test(random_bytes_always_give_a_valid_string),
        cmocka_unit_test(keys_build_an_object_with_commas),
        cmocka_unit_test(bool_and_null_values),
        cmocka_unit_test(first_key_has_no_comma),
        cmocka_unit_test(keys_are_escaped_too),
        cmocka_unit_test(seconds_have_three_decimals),
        cmocka_unit_test(seconds_ignore_a_decimal_comma_locale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
