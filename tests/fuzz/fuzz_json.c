/*
 * The JSON writer.
 *
 * 1. json_string over the whole input: the output is one strict JSON string
 *    (RFC 8259; no raw controls, valid UTF-8, only standard escapes), and
 *    parsing it gives back the input, where every byte that does not start a
 *    well-formed UTF-8 sequence became U+FFFD (so a valid UTF-8 input comes
 *    back byte for byte). No C1 control, bidirectional formatting
 *    character (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
 *    U+2028 or U+2029 is left raw: they are written as \uXXXX.
 * 2. An event-like object built with every json_key_* writer from the input
 *    cut as KEY NUL VALUE NUL [8 bytes integer] [8 bytes double]: it parses
 *    as a strict JSON document, keys and values come back as written, the
 *    integer exactly, the seconds as a non-negative number within rounding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "repopool/json.h"

/* Parses one string at j and checks it decodes to want[0..n) repaired. */
static void expect_string(struct fz_json *j, const char *want, size_t n)
{
    struct strbuf got, fixed;
    strbuf_init(&got);
    strbuf_init(&fixed);
    FUZZ_CHECK(fz_json_string(j, &got));
    fz_utf8_repair(&fixed, (const unsigned char *)want, n);
    FUZZ_CHECK(got.len == fixed.len);
    FUZZ_CHECK(got.len == 0 || memcmp(got.data, fixed.data, got.len) == 0);
    if (fz_utf8_valid((const unsigned char *)want, n))
        FUZZ_CHECK(got.len == n && (n == 0 || memcmp(got.data, want, n) == 0));
    strbuf_free(&got);
    strbuf_free(&fixed);
}

static void expect_key(struct fz_json *j, const char *key)
{
    expect_string(j, key, strlen(key));
    FUZZ_CHECK(fz_json_expect(j, ':'));
}

/* The number at j, as its text. */
static char *number_text(struct fz_json *j)
{
    fz_json_ws(j);
    size_t start = j->pos;
    FUZZ_CHECK(fz_json_number(j));
    return fz_strndup((const uint8_t *)j->s + start, j->pos - start);
}

/* Decodes the UTF-8 sequence at s[0..n) (known valid); returns its length. */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp)
{
    size_t len = s[0] < 0x80 ? 1 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
    FUZZ_CHECK(len <= n);
    unsigned c = len == 1 ? s[0] : s[0] & (0x7f >> len);
    for (size_t k = 1; k < len; k++)
        c = c << 6 | (s[k] & 0x3f);
    *cp = c;
    return len;
}

static bool must_be_escaped(unsigned cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f
        || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028
        || cp == 0x2029;
}

static void check_string(const uint8_t *data, size_t size)
{
    struct strbuf sb;
    strbuf_init(&sb);
    json_string(&sb, (const char *)data, size);
    FUZZ_CHECK(fz_json_document(sb.data, sb.len));
    for (size_t i = 0; i < sb.len;) {
        unsigned cp;
        i += decode((const unsigned char *)sb.data + i, sb.len - i, &cp);
        FUZZ_CHECK(!must_be_escaped(cp));
    }
    struct fz_json j = {sb.data, sb.len, 0};
    expect_string(&j, (const char *)data, size);
    FUZZ_CHECK(j.pos == sb.len);
    strbuf_free(&sb);
}

static void check_object(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size, *p = data;
    const uint8_t *nul = memchr(p, '\0', size);
    char *key = fz_strndup(p, nul ? (size_t)(nul - p) : size);
    p = nul ? nul + 1 : end;
    nul = memchr(p, '\0', (size_t)(end - p));
    char *value = fz_strndup(p, nul ? (size_t)(nul - p) : (size_t)(end - p));
    p = nul ? nul + 1 : end;
    unsigned char num[16] = {0};
    memcpy(num, p, (size_t)(end - p) < sizeof(num) ? (size_t)(end - p) : sizeof(num));
    long long ival;
    double seconds;
    memcpy(&ival, num, sizeof(ival));
    memcpy(&seconds, num + 8, sizeof(seconds));
    bool flag = num[0] & 1;

    struct strbuf sb;
    strbuf_init(&sb);
    strbuf_putc(&sb, '{');
    json_key_string(&sb, key, value);
    json_key_string(&sb, "nil", NULL);
    json_key_string_or_null(&sb, value, value);
    json_key_int(&sb, "id", ival);
    json_key_seconds(&sb, "t", seconds);
    json_key_bool(&sb, key, flag);
    json_key_null(&sb, "git");
    strbuf_putc(&sb, '}');
    FUZZ_CHECK(fz_json_document(sb.data, sb.len));

    struct fz_json j = {sb.data, sb.len, 0};
    FUZZ_CHECK(fz_json_expect(&j, '{'));
    expect_key(&j, key);
    expect_string(&j, value, strlen(value));
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, "nil");
    expect_string(&j, "", 0);
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, value);
    if (value[0]) {
        expect_string(&j, value, strlen(value));
    } else {
        fz_json_ws(&j);
        FUZZ_CHECK(j.n - j.pos >= 4 && memcmp(j.s + j.pos, "null", 4) == 0);
        j.pos += 4;
    }
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, "id");
    char *text = number_text(&j);
    FUZZ_CHECK(strtoll(text, NULL, 10) == ival);
    free(text);
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, "t");
    text = number_text(&j);
    double t = strtod(text, NULL);
    FUZZ_CHECK(t >= 0);
    if (isfinite(seconds) && seconds >= 0)
        FUZZ_CHECK(fabs(t - seconds) <= 0.0005 + seconds * 1e-15);
    else
        FUZZ_CHECK(t == 0);
    free(text);
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, key);
    fz_json_ws(&j);
    const char *word = flag ? "true" : "false";
    FUZZ_CHECK(j.n - j.pos >= strlen(word) && memcmp(j.s + j.pos, word, strlen(word)) == 0);
    j.pos += strlen(word);
    FUZZ_CHECK(fz_json_expect(&j, ','));
    expect_key(&j, "git");
    fz_json_ws(&j);
    FUZZ_CHECK(j.n - j.pos >= 4 && memcmp(j.s + j.pos, "null", 4) == 0);
    j.pos += 4;
    FUZZ_CHECK(fz_json_expect(&j, '}'));
    FUZZ_CHECK(j.pos == sb.len);

    strbuf_free(&sb);
    free(value);
    free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_string(data, size);
    check_object(data, size);
    return 0;
}
