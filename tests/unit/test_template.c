/*
 * Command templates and shell quoting: a repository path is data, never
 * code, whatever characters it holds.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "repopool/template.h"

static char *expand(const char *arg, const char *path)
{
    struct strbuf sb;
    strbuf_init(&sb);
    template_expand(&sb, arg, path);
    return strbuf_detach(&sb);
}

static void check_expand(const char *arg, const char *path, const char *want)
{
    char *got = expand(arg, path);
    if (strcmp(got, want) != 0)
        fail_msg("expand(\"%s\", \"%s\") gave \"%s\", expected \"%s\"", arg, path, got, want);
    free(got);
}

static void placeholder_is_detected(void **state)
{
    (void)state;
    assert_true(template_has_placeholder("{}"));
    assert_true(template_has_placeholder("--git-dir={}/.git"));
    assert_false(template_has_placeholder("status"));
    assert_false(template_has_placeholder("{ }"));
    assert_false(template_has_placeholder("}{"));
    assert_false(template_has_placeholder(""));
}

static void every_placeholder_is_replaced(void **state)
{
    (void)state;
    check_expand("{}", "/r", "/r");
    check_expand("--git-dir={}/.git", "/r", "--git-dir=/r/.git");
    check_expand("{}:{}:{}", "/r", "/r:/r:/r");
    check_expand("{}{}", "ab", "abab");
}

static void other_text_is_left_alone(void **state)
{
    (void)state;
    check_expand("status", "/r", "status");
    check_expand("{ } { x} }{ {", "/r", "{ } { x} }{ {");
    check_expand("{{}}", "/r", "{/r}");
    check_expand("", "/r", "");
}

static void path_text_is_copied_literally(void **state)
{
    (void)state;
    /* Nothing in the path is interpreted, not even another "{}". */
    static const char *const paths[] = {
        "/tmp/it's here",   "/tmp/\"dq\"",     "/tmp/$(rm -rf ~)", "/tmp/`id`",
        "/tmp/a b\tc\nd",   "/tmp/{}",         "/tmp/$HOME",       "/tmp/\\n",
        "/tmp/;|&<>*?[]",   "/tmp/caf\xc3\xa9", "",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char want[256];
        snprintf(want, sizeof(want), "x=%s/y", paths[i]);
        check_expand("x={}/y", paths[i], want);
    }
}

/* ---- shell_quote: what a user pastes back from a log must mean the same ---- */

static char *quote(const char *s)
{
    struct strbuf sb;
    strbuf_init(&sb);
    shell_quote(&sb, s);
    return strbuf_detach(&sb);
}

/* Runs /bin/sh -c "printf %s QUOTED" and returns what it printed. */
static char *through_shell(const char *quoted)
{
    struct strbuf cmd;
    strbuf_init(&cmd);
    strbuf_printf(&cmd, "printf %%s %s", quoted);
    FILE *p = popen(cmd.data, "r");
    assert_non_null(p);
    struct strbuf out;
    strbuf_init(&out);
    char buf[256];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        strbuf_add(&out, buf, n);
    assert_int_equal(pclose(p), 0);
    strbuf_free(&cmd);
    return strbuf_detach(&out);
}

static void quoted_strings_survive_the_shell(void **state)
{
    (void)state;
    static const char *const nasty[] = {
        "plain",        "",               " ",           "with space",  "it's",
        "'",            "''",             "'\\''",       "\"",          "\\",
        "$(echo pwned)", "`echo pwned`",  "${HOME}",     "$HOME",       "a;b",
        "a|b",          "a&b",            "a>b",         "*",           "?",
        "[a]",          "~",              "~root",       "#comment",    "!bang",
        "a\nb",         "trailing\n",     "\ttab",       "-n",          "--help",
        "%s%d",         "a=b",            "=x",          "caf\xc3\xa9", "\xe4\xb8\xad",
        "{}",           "a{b,c}",         "/path/to/it's a $(trap)/`x`",
    };
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
        char *q = quote(nasty[i]);
        char *back = through_shell(q);
        if (strcmp(back, nasty[i]) != 0)
            fail_msg("\"%s\" quoted as %s came back as \"%s\"", nasty[i], q, back);
        free(back);
        free(q);
    }
}

static void plain_words_need_no_quotes(void **state)
{
    (void)state;
    char *q = quote("/home/me/src/repo-1.2_x");
    assert_string_equal(q, "/home/me/src/repo-1.2_x");
    free(q);
    q = quote("");
    assert_string_equal(q, "''");
    free(q);
    q = quote("it's");
    assert_string_equal(q, "'it'\\''s'");
    free(q);
}

static void quoted_command_substitution_does_not_run(void **state)
{
    (void)state;
    char dir[] = "/tmp/repopool-quote-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char marker[128], payload[300];
    snprintf(marker, sizeof(marker), "%s/pwned", dir);
    static const char *const forms[] = {"$(touch %s)", "`touch %s`", "x';touch %s;'"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        /* The format strings are fixed above; the marker is our own path. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(payload, sizeof(payload), forms[i], marker);
#pragma GCC diagnostic pop
        char *q = quote(payload);
        char *back = through_shell(q);
        assert_string_equal(back, payload);
        struct stat st;
        assert_msg(stat(marker, &st) != 0, "quoting %s let the shell run it", payload);
        free(back);
        free(q);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(placeholder_is_detected),
        cmocka_unit_test(every_placeholder_is_replaced),
        cmocka_unit_test(other_text_is_left_alone),
        cmocka_unit_test(path_text_is_copied_literally),
        cmocka_unit_test(quoted_strings_survive_the_shell),
        cmocka_unit_test(plain_words_need_no_quotes),
        cmocka_unit_test(quoted_command_substitution_does_not_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
