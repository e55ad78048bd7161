/*
 * The path table: every text comes back byte for byte, shared directories
 * are stored once, and texts order and share prefixes as their bytes do,
 * without being built.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repopool/pathtab.h"
#include "repopool/rng.h"

static const char *text_of(const struct pathtab *pt, uint32_t id, struct strbuf *sb)
{
    strbuf_reset(sb);
    pathtab_put(pt, id, sb);
    assert_int_equal(sb->len, pathtab_length(pt, id));
    return sb->data ? sb->data : "";
}

static void every_text_comes_back_as_it_was(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "/", "", "/src/app", "src/app", "/src/app/", "a//b", "//", "///x//", "demo-17",
        "/src", "/src/app/.git", "relative", "/tmp/x\xff\xfe y", ".", "..", "/a/../b",
    };
    size_t n = sizeof(texts) / sizeof(texts[0]);
    struct pathtab pt;
    pathtab_init(&pt);
    uint32_t ids[sizeof(texts) / sizeof(texts[0])];
    for (size_t i = 0; i < n; i++)
        ids[i] = pathtab_intern(&pt, texts[i], strlen(texts[i]));
    struct strbuf sb;
    strbuf_init(&sb);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(text_of(&pt, ids[i], &sb), texts[i]);
        /* The same text is the same node; a different one never is. */
        assert_int_equal(pathtab_intern(&pt, texts[i], strlen(texts[i])), ids[i]);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(ids[i], ids[j]);
    }
    /* Appended, not replaced. */
    strbuf_reset(&sb);
    strbuf_puts(&sb, "in ");
    pathtab_put(&pt, ids[2], &sb);
    assert_string_equal(sb.data, "in /src/app");
    strbuf_free(&sb);
    pathtab_free(&pt);
}

static void shared_directories_are_stored_once(void **state)
{
    (void)state;
    const char *dir = "/home/someone/work/a-team-workspace-with-a-long-name/group-07";
    struct pathtab pt;
    pathtab_init(&pt);
    char path[256];
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(path, sizeof(path), "%s/repository-%04d", dir, i);
        pathtab_intern(&pt, path, (size_t)n);
    }
    /* The root's "", five directories, and a thousand last components. */
    assert_int_equal(pt.len, 1 + 5 + 1000);
    assert_int_equal(pt.names_len, strlen(dir) - 5 + 1000 * strlen("repository-0000"));
    pathtab_free(&pt);
}

static void parent_is_the_directory(void **state)
{
    (void)state;
    struct pathtab pt;
    pathtab_init(&pt);
    uint32_t app = pathtab_intern(&pt, "/src/app", 8);
    uint32_t src = pathtab_intern(&pt, "/src", 4);
    uint32_t root = pathtab_intern(&pt, "", 0);
    assert_int_equal(pathtab_parent(&pt, app), src);
    assert_int_equal(pathtab_parent(&pt, src), root);
    assert_int_equal(pathtab_parent(&pt, root), PATHTAB_NONE);
    pathtab_free(&pt);
}

/* Random texts over a small alphabet with many slashes, so that prefixes,
 * components that begin others and empty components all come up. */
static size_t random_text(struct rng *rng, char *buf, size_t cap)
{
    static const char alphabet[] = "//ab-.\x01\xff";
    size_t n = (size_t)(rng_uniform(rng) * (double)(cap - 1));
    for (size_t i = 0; i < n; i++)
        buf[i] = alphabet[(size_t)(rng_uniform(rng) * (sizeof(alphabet) - 1))];
    buf[n] = '\0';
    return n;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void compare_orders_as_strcmp(void **state)
{
    (void)state;
    struct pathtab pt;
    pathtab_init(&pt);
    struct rng rng;
    rng_seed(&rng, 11);
    enum { N = 400 };
    char texts[N][12];
    uint32_t ids[N];
    for (size_t i = 0; i < N; i++)
        ids[i] = pathtab_intern(&pt, texts[i], random_text(&rng, texts[i], sizeof(texts[i])));
    for (size_t i = 0; i < N; i++)
        for (size_t j = 0; j < N; j++)
            assert_msg(sign(pathtab_compare(&pt, ids[i], ids[j])) == sign(strcmp(texts[i], texts[j])),
                       "compare(\"%s\", \"%s\") = %d", texts[i], texts[j],
                       pathtab_compare(&pt, ids[i], ids[j]));
    pathtab_free(&pt);
}

static void common_is_the_longest_shared_run_of_components(void **state)
{
    (void)state;
    struct pathtab pt;
    pathtab_init(&pt);
    struct strbuf sb;
    strbuf_init(&sb);
    uint32_t a = pathtab_intern(&pt, "/src/team/app", 13);
    uint32_t b = pathtab_intern(&pt, "/src/team/apple/x", 17);
    uint32_t c = pathtab_intern(&pt, "/srcx/y", 7);
    uint32_t d = pathtab_intern(&pt, "demo-1", 6);
    assert_string_equal(text_of(&pt, pathtab_common(&pt, a, b), &sb), "/src/team");
    assert_string_equal(text_of(&pt, pathtab_common(&pt, b, a), &sb), "/src/team");
    assert_int_equal(pathtab_common(&pt, a, a), a);
    assert_int_equal(pathtab_common(&pt, a, pathtab_parent(&pt, a)), pathtab_parent(&pt, a));
    /* Only the root ("") is shared. */
    assert_string_equal(text_of(&pt, pathtab_common(&pt, a, c), &sb), "");
    assert_int_equal(pathtab_common(&pt, a, d), PATHTAB_NONE);
    strbuf_free(&sb);
    pathtab_free(&pt);
}

static void long_texts_and_deep_trees(void **state)
{
    (void)state;
    struct pathtab pt;
    pathtab_init(&pt);
    size_t n = PATHTAB_MAX_TEXT;
    char *slashes = malloc(n + 1);
    char *one = malloc(n + 1);
    assert_non_null(slashes);
    assert_non_null(one);
    memset(slashes, '/', n);
    memset(one, 'x', n);
    uint32_t s = pathtab_intern(&pt, slashes, n);
    uint32_t o = pathtab_intern(&pt, one, n);
    struct strbuf sb;
    strbuf_init(&sb);
    assert_int_equal(pathtab_length(&pt, s), n);
    assert_memory_equal(text_of(&pt, s, &sb), slashes, n);
    assert_memory_equal(text_of(&pt, o, &sb), one, n);
    strbuf_free(&sb);
    free(slashes);
    free(one);
    pathtab_free(&pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_text_comes_back_as_it_was),
        cmocka_unit_test(shared_directories_are_stored_once),
        cmocka_unit_test(parent_is_the_directory),
        cmocka_unit_test(compare_orders_as_strcmp),
        cmocka_unit_test(common_is_the_longest_shared_run_of_components),
        cmocka_unit_test(long_texts_and_deep_trees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
