/*
 * Command templates and shell quoting: a repository path is data, never
 * code, whatever characters it holds.
 */
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "repopool/sanitize.h"
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

/* ---- template_shell_quote: what a user pastes back from a log must mean the same ---- */

static char *quote(const char *s)
{
    struct strbuf sb;
    strbuf_init(&sb);
    template_shell_quote(&sb, s);
    return strbuf_detach(&sb);
}

/* Runs SHELL -c "printf %s QUOTED" and returns what it printed. */
static char *run_shell(const char *shell, const char *quoted)
{
    struct strbuf cmd;
    strbuf_init(&cmd);
    strbuf_printf(&cmd, "printf %%s %s", quoted);
    int fd[2];
    assert_int_equal(pipe(fd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        execlp(shell, shell, "-c", cmd.data, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    struct strbuf out;
    strbuf_init(&out);
    char buf[256];
    ssize_t n;
    while ((n = read(fd[0], buf, sizeof(buf))) > 0)
        strbuf_add(&out, buf, (size_t)n);
    close(fd[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s -c '%s' failed (status %d)",
               shell, cmd.data, status);
    strbuf_free(&cmd);
    if (!out.data)
        strbuf_puts(&out, "");
    return strbuf_detach(&out);
}

/* Through /bin/sh (dash on Debian: no $'...'). */
static char *through_shell(const char *quoted)
{
    return run_shell("/bin/sh", quoted);
}

/* Through bash, which GNU parallel uses for joblog commands. */
static char *through_bash(const char *quoted)
{
    return run_shell("bash", quoted);
}

static void quoted_strings_survive_the_shell(void **state)
{
    (void)state;
    /* Nothing here needs $'...', so any POSIX shell reads it back. */
    static const char *const nasty[] = {
        "plain",        "",               " ",           "with space",  "it's",
        "'",            "''",             "'\\''",       "\"",          "\\",
        "$(echo pwned)", "`echo pwned`",  "${HOME}",     "$HOME",       "a;b",
        "a|b",          "a&b",            "a>b",         "*",           "?",
        "[a]",          "~",              "~root",       "#comment",    "!bang",
        "-n",           "--help",         "%s%d",        "a=b",         "=x",
        "caf\xc3\xa9",  "\xe4\xb8\xad",   "{}",          "a{b,c}",      "/path/to/it's a $(trap)/`x`",
        "$'x'",         "\\x41",          "'$'\\x41'",
    };
    for (size_t i = 0; i < sizeof(nasty) / sizeof(nasty[0]); i++) {
        char *q = quote(nasty[i]);
        assert_msg(strstr(q, "$'") == NULL || strstr(nasty[i], "$'") != NULL,
                   "\"%s\" quoted as %s needs more than POSIX quotes", nasty[i], q);
        char *back = through_shell(q);
        if (strcmp(back, nasty[i]) != 0)
            fail_msg("\"%s\" quoted as %s came back from sh as \"%s\"", nasty[i], q, back);
        free(back);
        back = through_bash(q);
        if (strcmp(back, nasty[i]) != 0)
            fail_msg("\"%s\" quoted as %s came back from bash as \"%s\"", nasty[i], q, back);
        free(back);
        free(q);
    }
}

/* What must not appear raw in a quoted word: control bytes, invalid UTF-8,
 * C1 controls, bidirectional formatting characters, U+2028 and U+2029. */
static const char *const unprintable[] = {
    "a\nb",          "trailing\n",     "\ttab",         "repo\rtouch X #",
    "\r",            "x\x1b]0;title\x07", "\x1b[2J",     "del\x7f",
    "\x01\x1f",      "bad\xff",        "\xff",          "\xc3",
    "\xc0\xaf",      "\xed\xa0\x80",   "cut\xe4\xb8",   "rlo\xe2\x80\xae" "txt.exe",
    "csi\xc2\x9b" "31m", "\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f", "\xe2\x81\xa6\xe2\x81\xa9",
    "ls\xe2\x80\xa8ps\xe2\x80\xa9", "it's\n'",  "a\xff" "f",     "\x0a" "0a",
    "caf\xc3\xa9\t\xe4\xb8\xad",     "\\\x01\\",       "$(touch Y)\r",  "'\r'",
};

static void unprintable_bytes_survive_bash(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++) {
        char *q = quote(unprintable[i]);
        char *back = through_bash(q);
        if (strcmp(back, unprintable[i]) != 0)
            fail_msg("\"%s\" quoted as %s came back from bash as \"%s\"", unprintable[i], q, back);
        free(back);
        free(q);
    }
}

/* A quoted word is one line of printable text: no control byte, valid
 * UTF-8 without C1, bidirectional or separator characters, so the
 * sanitizer (which would cut at a carriage return) leaves it alone. */
static void quoted_words_are_one_clean_line(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(unprintable) / sizeof(unprintable[0]); i++) {
        char *q = quote(unprintable[i]);
        for (const unsigned char *c = (const unsigned char *)q; *c; c++)
            assert_msg(*c >= 0x20 && *c != 0x7f, "%s holds byte 0x%02x", q, *c);
        struct strbuf sb;
        strbuf_init(&sb);
        sanitize_line(&sb, q, strlen(q));
        assert_msg(sb.data && strcmp(sb.data, q) == 0, "sanitizing %s gives %s", q, sb.data);
        strbuf_free(&sb);
        free(q);
    }
}

static void unprintable_bytes_use_ansi_c_pieces(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"/src/repo\rtouch X #", "'/src/repo'$'\\x0d''touch X #'"},
        {"a\nb", "'a'$'\\x0a''b'"},
        {"\x1b]0;t\x07", "$'\\x1b'']0;t'$'\\x07'"},
        {"bad\xff" "f", "'bad'$'\\xff''f'"},
        {"\xe2\x80\xae", "$'\\xe2\\x80\\xae'"},
        {"/r/x\xc2\x9b", "'/r/x'$'\\xc2\\x9b'"},
        {"it's\t", "'it'\\''s'$'\\x09'"},
        {"\r\n", "$'\\x0d\\x0a'"},
        {"caf\xc3\xa9", "'caf\xc3\xa9'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *q = quote(cases[i][0]);
        assert_string_equal(q, cases[i][1]);
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
    static const char *const forms[] = {"$(touch %s)", "`touch %s`", "x';touch %s;'",
                                        "x\rtouch %s #", "x\n touch %s", "x'\r';touch %s;'"};
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        /* The format strings are fixed above; the marker is our own path. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(payload, sizeof(payload), forms[i], marker);
#pragma GCC diagnostic pop
        char *q = quote(payload);
        char *back;
        if (i < 3) { /* no control bytes: any POSIX sh */
            back = through_shell(q);
            assert_string_equal(back, payload);
            free(back);
        }
        back = through_bash(q);
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
        cmocka_unit_test(unprintable_bytes_survive_bash),
        cmocka_unit_test(quoted_words_are_one_clean_line),
        cmocka_unit_test(unprintable_bytes_use_ansi_c_pieces),
        cmocka_unit_test(plain_words_need_no_quotes),
        cmocka_unit_test(quoted_command_substitution_does_not_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
