/*
 * Groups and named commands from a real config file, read and written
 * with libgit2's config API.
 */
#include "unit.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repopool/groups.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/repopool-groups-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    /* libgit2 reads HOME (for "~/") when it starts, and wants it to exist. */
    setenv("HOME", dir, 1);
    git_libgit2_init();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    git_libgit2_shutdown();
    return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_file(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void groups_and_commands_are_read(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/config", dir);
    write_file(path, "# my repositories\n"
                     "[group \"work\"]\n"
                     "\trepo = ~/src/api\n"
                     "\trepo = /srv/web   # the site\n"
                     "\tscan = /srv/work\n"
                     "\tjobs = 4\n"
                     "\tper-host = 2\n"
                     "\ttimeout = 600\n"
                     "[group \"Home.Stuff\"]\n"
                     "\trepo = /h\n"
                     "[command \"gc\"]\n"
                     "\trun = git gc --auto\n");
    struct groups g;
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(groups_load(path, &g, &err), 0);
    assert_int_equal(g.len, 2);
    const struct group *w = groups_find(&g, "work");
    assert_non_null(w);
    assert_int_equal(w->nrepos, 2);
    char api[128];
    snprintf(api, sizeof(api), "%s/src/api", dir);
    assert_string_equal(w->repos[0], api);
    assert_string_equal(w->repos[1], "/srv/web");
    assert_int_equal(w->nscans, 1);
    assert_true(w->jobs_set && w->jobs == 4);
    assert_true(w->per_host_set && w->per_host == 2);
    assert_false(w->retries_set);
    assert_true(w->timeout_set && w->timeout == 600);
    /* A subsection keeps its case and its dots. */
    assert_non_null(groups_find(&g, "Home.Stuff"));
    assert_null(groups_find(&g, "home.stuff"));
    assert_string_equal(groups_command(&g, "gc")->run, "git gc --auto");
    assert_null(groups_command(&g, "fsck"));
    groups_free(&g);

    /* No file: no groups. */
    snprintf(path, sizeof(path), "%s/none", dir);
    assert_int_equal(groups_load(path, &g, &err), 0);
    assert_int_equal(g.len, 0);
    groups_free(&g);
    strbuf_free(&err);
}

static void errors_are_one_line_naming_the_file(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"[group \"w\"\n\trepo = /x\n", ":1"},               /* syntax: libgit2 names the line */
        {"[group \"w\"]\n\tjobs = many\n", "group.w.jobs"},  /* a value */
        {"[group \"w\"]\n\tcolour = red\n", "group.w.colour"},
        {"[alias]\n\tx = y\n", "alias.x"},
    };
    char path[128];
    snprintf(path, sizeof(path), "%s/bad", dir);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i][0]);
        struct groups g;
        struct strbuf err;
        strbuf_init(&err);
        assert_int_equal(groups_load(path, &g, &err), -1);
        assert_non_null(strstr(err.data, path));
        assert_non_null(strstr(err.data, bad[i][1]));
        assert_null(strchr(err.data, '\n'));
        groups_free(&g);
        strbuf_free(&err);
    }
}

static void adding_and_removing_keep_the_file(void **state)
{
    (void)state;
    char path[128];
    snprintf(path, sizeof(path), "%s/sub/dir/config", dir); /* made as needed */
    struct strbuf err;
    strbuf_init(&err);
    assert_int_equal(groups_add_repo(path, "work", "/a/b", &err), 0);
    char *text = read_file(path);
    write_file(path, "# keep me\n[group \"work\"]\n\trepo = /a/b # and me\n");
    assert_int_equal(groups_add_repo(path, "work", "/c (d).git", &err), 0);
    assert_int_equal(groups_add_repo(path, "work", "/a/b", &err), 0); /* already there */
    assert_int_equal(groups_add_repo(path, "new", "/e", &err), 0);
    text = read_file(path);
    assert_non_null(strstr(text, "# keep me"));
    assert_non_null(strstr(text, "# and me"));
    struct groups g;
    assert_int_equal(groups_load(path, &g, &err), 0);
    assert_int_equal(groups_find(&g, "work")->nrepos, 2);
    assert_string_equal(groups_find(&g, "work")->repos[1], "/c (d).git");
    assert_int_equal(groups_find(&g, "new")->nrepos, 1);
    groups_free(&g);

    if (groups_remove_repo(path, "work", "/c (d).git", &err) < 0)
        fail_msg("%s", err.data);
    assert_int_equal(groups_remove_repo(path, "work", "/nope", &err), -1);
    assert_non_null(strstr(err.data, "does not list /nope"));
    assert_int_equal(groups_load(path, &g, &err), 0);
    assert_int_equal(groups_find(&g, "work")->nrepos, 1);
    assert_string_equal(groups_find(&g, "work")->repos[0], "/a/b");
    assert_non_null(strstr(read_file(path), "# keep me"));
    groups_free(&g);

    /* An entry written "~/..." is removed by the path it expands to. */
    write_file(path, "[group \"home\"]\n\trepo = ~/src/x # mine\n\trepo = ~/src/y\n");
    char x[128];
    snprintf(x, sizeof(x), "%s/src/x", dir);
    if (groups_remove_repo(path, "home", x, &err) < 0)
        fail_msg("%s", err.data);
    text = read_file(path);
    assert_null(strstr(text, "src/x"));
    assert_non_null(strstr(text, "~/src/y"));
    strbuf_free(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(groups_and_commands_are_read, setup, teardown),
        cmocka_unit_test_setup_teardown(errors_are_one_line_naming_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(adding_and_removing_keep_the_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
