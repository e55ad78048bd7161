/*
 * The output sanitizer: sanitize_line and sanitize_name over any bytes.
 *
 * Properties of both outputs:
 * - valid UTF-8 by a strict, independent decoder;
 * - no C0 byte (< 0x20, so no ESC, CR, LF or TAB), no DEL, no C1 control
 *   (U+0080..U+009F) and no bidirectional control (U+061C, U+200E, U+200F,
 *   U+202A..U+202E, U+2066..U+2069);
 * - printable ASCII passes through unchanged; sanitizing twice changes
 *   nothing more; the result is appended after what the buffer held;
 * - a name is never made empty: a non-empty input shows as something.
 */
#include <string.h>

#include "fuzz.h"
#include "repopool/sanitize.h"

static bool forbidden(uint32_t cp)
{
    return cp < 0x20 || cp == 0x7f
        || (cp >= 0x80 && cp <= 0x9f)
        || cp == 0x061c
        || cp == 0x200e || cp == 0x200f
        || (cp >= 0x202a && cp <= 0x202e)
        || (cp >= 0x2066 && cp <= 0x2069);
}

static void check_clean(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = fz_utf8_next(u + i, n - i, &cp);
        FUZZ_CHECK(len > 0);
        FUZZ_CHECK(!forbidden(cp));
        i += len;
    }
}

typedef void sanitize_fn(struct strbuf *out, const char *in, size_t n);

static void check(sanitize_fn *fn, const uint8_t *data, size_t size, bool name)
{
    static const char prefix[] = "[\x1b]"; /* appending must keep even this */
    struct strbuf out;
    strbuf_init(&out);
    strbuf_add(&out, prefix, 3);
    fn(&out, (const char *)data, size);
    FUZZ_CHECK(out.len >= 3 && memcmp(out.data, prefix, 3) == 0);
    const char *s = out.data + 3;
    size_t n = out.len - 3;
    check_clean(s, n);

    bool printable = true;
    for (size_t i = 0; i < size; i++)
        if (data[i] < 0x20 || data[i] >= 0x7f)
            printable = false;
    if (printable) {
        FUZZ_CHECK(n == size);
        FUZZ_CHECK(n == 0 || memcmp(s, data, n) == 0);
    }
    if (name)
        FUZZ_CHECK((n > 0) == (size > 0));

    struct strbuf again;
    strbuf_init(&again);
    fn(&again, s, n);
    FUZZ_CHECK(again.len == n);
    FUZZ_CHECK(n == 0 || memcmp(again.data, s, n) == 0);
    strbuf_free(&again);
    strbuf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(sanitize_line, data, size, false);
    check(sanitize_name, data, size, true);

    /* utf8_decode agrees with the strict decoder on every prefix it sees. */
    for (size_t i = 0; i < size; i++) {
        uint32_t want;
        unsigned got;
        size_t wlen = fz_utf8_next(data + i, size - i, &want);
        size_t glen = utf8_decode(data + i, size - i, &got);
        FUZZ_CHECK(wlen == glen);
        FUZZ_CHECK(wlen == 0 || want == got);
    }
    return 0;
}
