/*
 * Bounded output capture: what a user gets back from a task that printed a
 * little, a lot, or far too much.
 */
#include "unit.h"

#include <stdlib.h>
#include <string.h>

#include "repopool/outbuf.h"

/* The held bytes, oldest first, as a NUL-terminated string (free it). */
static char *contents(const struct outbuf *ob)
{
    char *s = malloc(ob->len + 1);
    assert_non_null(s);
    assert_int_equal(outbuf_copy(ob, s, ob->len), ob->len);
    s[ob->len] = '\0';
    return s;
}

static void append_str(struct outbuf *ob, const char *s)
{
    outbuf_append(ob, s, strlen(s));
}

/* The byte at absolute position i of a long, non-repeating-looking stream. */
static char stream_byte(uint64_t i)
{
    return (char)((i * 2654435761u) >> 13);
}

static void small_output_is_kept_whole(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 1024);
    append_str(&ob, "hello ");
    append_str(&ob, "world\n");
    char *s = contents(&ob);
    assert_string_equal(s, "hello world\n");
    assert_int_equal(ob.total, 12);
    assert_false(outbuf_truncated(&ob));
    free(s);
    outbuf_free(&ob);
}

static void empty_buffer_copies_nothing(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 0); /* 0 means the default limit */
    assert_int_equal(ob.limit, OUTBUF_DEFAULT_LIMIT);
    char dst[8] = "xxxxxxx";
    assert_int_equal(outbuf_copy(&ob, dst, sizeof(dst)), 0);
    assert_int_equal(outbuf_last_line(&ob, dst, sizeof(dst)), 0);
    assert_string_equal(dst, "");
    assert_false(outbuf_truncated(&ob));
    outbuf_free(&ob);
}

static void grows_as_output_arrives(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 1 << 20);
    /* Little output costs little memory. */
    append_str(&ob, "x");
    assert_true(ob.cap < 4096);
    char chunk[1000];
    for (uint64_t i = 0; i < 100; i++) {
        for (size_t k = 0; k < sizeof(chunk); k++)
            chunk[k] = stream_byte(i * sizeof(chunk) + k);
        outbuf_append(&ob, chunk, sizeof(chunk));
    }
    assert_int_equal(ob.len, 100001);
    assert_true(ob.cap >= ob.len && ob.cap <= ob.limit);
    char *s = contents(&ob);
    assert_int_equal(s[0], 'x');
    for (uint64_t i = 0; i < 100000; i++)
        assert_int_equal(s[1 + i], stream_byte(i));
    free(s);
    outbuf_free(&ob);
}

static void keeps_the_most_recent_limit_bytes(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 10);
    append_str(&ob, "0123456789");
    assert_false(outbuf_truncated(&ob));
    append_str(&ob, "abc");
    char *s = contents(&ob);
    assert_string_equal(s, "3456789abc");
    free(s);
    assert_true(outbuf_truncated(&ob));
    assert_int_equal(ob.total, 13);
    /* A chunk bigger than the limit leaves only its own tail. */
    append_str(&ob, "ABCDEFGHIJKLMNOP");
    s = contents(&ob);
    assert_string_equal(s, "GHIJKLMNOP");
    free(s);
    assert_int_equal(ob.total, 29);
    outbuf_free(&ob);
}

static void ring_matches_a_simple_model(void **state)
{
    (void)state;
    /* Random chunk sizes, some bigger than the limit, against the obvious
     * "last limit bytes of everything" answer. */
    enum { LIMIT = 777, TOTAL = 200000 };
    char *all = malloc(TOTAL);
    assert_non_null(all);
    for (uint64_t i = 0; i < TOTAL; i++)
        all[i] = stream_byte(i);
    struct outbuf ob;
    outbuf_init(&ob, LIMIT);
    uint64_t fed = 0, r = 12345;
    char held[LIMIT];
    while (fed < TOTAL) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = (size_t)(r >> 33) % (r & 1 ? 60 : 2000);
        if (n > TOTAL - fed)
            n = TOTAL - fed;
        outbuf_append(&ob, all + fed, n);
        fed += n;
        size_t want = fed < LIMIT ? fed : LIMIT;
        assert_int_equal(ob.total, fed);
        assert_true(ob.cap <= LIMIT);
        assert_int_equal(outbuf_copy(&ob, held, sizeof(held)), want);
        assert_memory_equal(held, all + fed - want, want);
    }
    free(all);
    outbuf_free(&ob);
}

static void copy_is_oldest_first_and_bounded_by_dst(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 8);
    append_str(&ob, "abcdef");
    append_str(&ob, "ghij"); /* wraps: holds cdefghij */
    char dst[8];
    /* A short destination gets the oldest bytes, in order. */
    assert_int_equal(outbuf_copy(&ob, dst, 5), 5);
    assert_memory_equal(dst, "cdefg", 5);
    assert_int_equal(outbuf_copy(&ob, dst, 8), 8);
    assert_memory_equal(dst, "cdefghij", 8);
    outbuf_free(&ob);
}

static void huge_stream_stays_within_the_limit(void **state)
{
    (void)state;
    /* 100 MB in 64 KiB chunks, as a chatty child delivers it. */
    enum { CHUNK = 64 * 1024 };
    const uint64_t total = 100ull * 1024 * 1024;
    struct outbuf ob;
    outbuf_init(&ob, OUTBUF_DEFAULT_LIMIT);
    char *chunk = malloc(CHUNK);
    assert_non_null(chunk);
    for (uint64_t off = 0; off < total; off += CHUNK) {
        /* Only the last chunks' content is checked; stamp them all cheaply. */
        memset(chunk, (int)(off / CHUNK), CHUNK);
        for (uint64_t k = 0; k < 64; k++)
            chunk[k * 1024 + 7] = stream_byte(off + k * 1024 + 7);
        outbuf_append(&ob, chunk, CHUNK);
        assert_true(ob.cap <= ob.limit);
    }
    free(chunk);
    assert_int_equal(ob.total, total);
    assert_int_equal(ob.len, OUTBUF_DEFAULT_LIMIT);
    assert_true(outbuf_truncated(&ob));
    char *s = contents(&ob);
    /* The held bytes are the last 64 KiB: the last chunk. */
    uint64_t first = total - OUTBUF_DEFAULT_LIMIT;
    for (uint64_t i = 0; i < OUTBUF_DEFAULT_LIMIT; i++) {
        uint64_t abs = first + i;
        char want = abs % 1024 == 7 ? stream_byte(abs) : (char)(abs / CHUNK);
        assert_int_equal(s[i], want);
    }
    free(s);
    outbuf_free(&ob);
}

static void odd_chunks_over_a_huge_stream_keep_the_tail(void **state)
{
    (void)state;
    /* Chunk sizes that never line up with the limit. */
    enum { LIMIT = 4096, CHUNK = 1531 };
    struct outbuf ob;
    outbuf_init(&ob, LIMIT);
    char chunk[CHUNK];
    uint64_t off = 0;
    for (int i = 0; i < 20000; i++) {
        for (size_t k = 0; k < CHUNK; k++)
            chunk[k] = stream_byte(off + k);
        outbuf_append(&ob, chunk, CHUNK);
        off += CHUNK;
        assert_true(ob.cap <= LIMIT);
    }
    char *s = contents(&ob);
    assert_int_equal(ob.len, LIMIT);
    for (uint64_t i = 0; i < LIMIT; i++)
        assert_int_equal(s[i], stream_byte(off - LIMIT + i));
    free(s);
    outbuf_free(&ob);
}

static void free_keeps_the_total(void **state)
{
    (void)state;
    struct outbuf ob;
    outbuf_init(&ob, 16);
    append_str(&ob, "some output that is long");
    outbuf_free(&ob);
    /* The count of bytes printed is still known for the report. */
    assert_int_equal(ob.total, 24);
    assert_int_equal(ob.len, 0);
    assert_null(ob.data);
}

/* ---- the last line, as the summary shows it ---- */

static void last_line_of(const char *out, size_t limit, size_t dst_size, char *dst)
{
    struct outbuf ob;
    outbuf_init(&ob, limit);
    append_str(&ob, out);
    size_t n = outbuf_last_line(&ob, dst, dst_size);
    assert_int_equal(n, strlen(dst));
    outbuf_free(&ob);
}

static void last_line_skips_trailing_blank_lines(void **state)
{
    (void)state;
    char dst[64];
    last_line_of("first\nsecond\n", 0, sizeof(dst), dst);
    assert_string_equal(dst, "second");
    last_line_of("first\nsecond\n\n\n   \n\t\n", 0, sizeof(dst), dst);
    assert_string_equal(dst, "second");
    last_line_of("no newline at all", 0, sizeof(dst), dst);
    assert_string_equal(dst, "no newline at all");
    last_line_of("\n\n  \n", 0, sizeof(dst), dst);
    assert_string_equal(dst, "");
}

static void last_line_handles_crlf(void **state)
{
    (void)state;
    char dst[64];
    last_line_of("one\r\ntwo\r\n\r\n", 0, sizeof(dst), dst);
    assert_string_equal(dst, "two");
}

static void last_line_keeps_the_end_of_an_overlong_line(void **state)
{
    (void)state;
    char dst[11];
    last_line_of("short\nprogress: 1% 2% 3% 99% done\n", 0, sizeof(dst), dst);
    /* Ten bytes, the end of the line: where progress ends. */
    assert_string_equal(dst, "% 99% done");
    last_line_of("short\nabcdefghijklmnopqrstuvwxyz\n", 0, sizeof(dst), dst);
    assert_string_equal(dst, "qrstuvwxyz");
}

static void last_line_after_the_ring_wrapped(void **state)
{
    (void)state;
    char dst[64];
    /* The ring holds "ne two\nline three\n" and more: the line is whole. */
    last_line_of("line one\nline two\nline three\n", 18, sizeof(dst), dst);
    assert_string_equal(dst, "line three");
    /* Only the end of a line survived: that end is what is shown. */
    last_line_of("0123456789abcdefghij\n", 8, sizeof(dst), dst);
    assert_string_equal(dst, "defghij");
}

static void last_line_with_tiny_destination(void **state)
{
    (void)state;
    char dst[1] = {'x'};
    struct outbuf ob;
    outbuf_init(&ob, 64);
    append_str(&ob, "text\n");
    assert_int_equal(outbuf_last_line(&ob, dst, 1), 0);
    assert_int_equal(dst[0], '\0');
    outbuf_free(&ob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(small_output_is_kept_whole),
        cmocka_unit_test(empty_buffer_copies_nothing),
        cmocka_unit_test(grows_as_output_arrives),
        cmocka_unit_test(keeps_the_most_recent_limit_bytes),
        cmocka_unit_test(ring_matches_a_simple_model),
        cmocka_unit_test(copy_is_oldest_first_and_bounded_by_dst),
        cmocka_unit_test(huge_stream_stays_within_the_limit),
        cmocka_unit_test(odd_chunks_over_a_huge_stream_keep_the_tail),
        cmocka_unit_test(free_keeps_the_total),
        cmocka_unit_test(last_line_skips_trailing_blank_lines),
        cmocka_unit_test(last_line_handles_crlf),
        cmocka_unit_test(last_line_keeps_the_end_of_an_overlong_line),
        cmocka_unit_test(last_line_after_the_ring_wrapped),
        cmocka_unit_test(last_line_with_tiny_destination),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
