/*
 * What names a run in the history: the work, the selection (the same
 * repositories in any order are the same; one more or less is another)
 * and the command line.
 */
#include "unit.h"

#include <string.h>

#include "repopool/gitop_table.h"
#include "repopool/runkey.h"

static void selection_of(const char *const *paths, size_t n, struct strbuf *out)
{
    struct repo_list rl;
    repos_init(&rl);
    for (size_t i = 0; i < n; i++)
        repos_add_raw(&rl, paths[i], strlen(paths[i]), NULL);
    runkey_selection(&rl, out);
    repos_free(&rl);
}

static void the_same_repositories_in_any_order_are_one_selection(void **state)
{
    (void)state;
    static const char *const abc[] = {"/src/a", "/src/b", "/src/c"};
    static const char *const cab[] = {"/src/c", "/src/a", "/src/b"};
    static const char *const ab[] = {"/src/a", "/src/b"};
    static const char *const abd[] = {"/src/a", "/src/b", "/src/d"};
    struct strbuf one, two;
    strbuf_init(&one);
    strbuf_init(&two);
    selection_of(abc, 3, &one);
    selection_of(cab, 3, &two);
    assert_string_equal(one.data, two.data);
    assert_true(strncmp(one.data, "3 repositories ", 15) == 0);
    selection_of(ab, 2, &two);
    assert_string_not_equal(one.data, two.data);
    selection_of(abd, 3, &two);
    assert_string_not_equal(one.data, two.data);
    selection_of(abc, 1, &two);
    assert_true(strncmp(two.data, "1 repository ", 13) == 0);
    strbuf_free(&one);
    strbuf_free(&two);
}

static void work_names_what_ran(void **state)
{
    (void)state;
    struct strbuf w;
    strbuf_init(&w);
    struct config cfg = {.work = WORK_GIT, .git_op = gitop_find("fetch")};
    assert_true(runkey_work(&cfg, &w));
    assert_string_equal(w.data, "git fetch");
    char *argv[] = {"sh", "-c", "exit $1", "it's"};
    cfg = (struct config){.work = WORK_COMMAND, .command = argv, .ncommand = 4};
    assert_true(runkey_work(&cfg, &w));
    assert_string_equal(w.data, "command: sh -c 'exit $1' 'it'\\''s'");
    char *script[] = {"git gc --auto"};
    cfg = (struct config){.work = WORK_COMMAND, .command = script, .ncommand = 1, .shell = true};
    assert_true(runkey_work(&cfg, &w));
    assert_string_equal(w.data, "shell: git gc --auto");
    cfg = (struct config){.work = WORK_DEMO};
    assert_false(runkey_work(&cfg, &w));
    char *args[] = {"repopool", "-G", "work", "a b"};
    runkey_args(4, args, &w);
    assert_string_equal(w.data, "repopool -G work 'a b'");
    strbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_same_repositories_in_any_order_are_one_selection),
        cmocka_unit_test(work_names_what_ran),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
