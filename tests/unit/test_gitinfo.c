/*
 * What a status result marks as needing attention, and how the JSON end
 * event carries the marks.
 */
#include "unit.h"

#include <string.h>

#include "repopool/gitinfo.h"

static struct gitinfo tracking(void)
{
    struct gitinfo gi;
    memset(&gi, 0, sizeof(gi));
    strcpy(gi.branch, "main");
    strcpy(gi.upstream, "origin/main");
    return gi;
}

static void a_clean_tracking_branch_needs_nothing(void **state)
{
    (void)state;
    struct gitinfo gi = tracking();
    assert_int_equal(gitinfo_attention(&gi), 0);
    struct strbuf sb;
    strbuf_init(&sb);
    gitinfo_json(&gi, &sb);
    assert_non_null(strstr(sb.data, ",\"attention\":[]"));
    strbuf_free(&sb);
}

static void each_condition_has_its_mark(void **state)
{
    (void)state;
    struct gitinfo gi = tracking();
    gi.behind = 2;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(BEHIND));
    gi.ahead = 1;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(DIVERGED));
    gi.behind = 0;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(AHEAD));

    gi = tracking();
    gi.modified = 1;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(DIRTY));
    gi = tracking();
    gi.staged = 3;
    gi.untracked = 1;
    gi.conflicted = 1;
    assert_int_equal(gitinfo_attention(&gi),
                     GITINFO_ATTENTION(DIRTY) | GITINFO_ATTENTION(UNTRACKED) | GITINFO_ATTENTION(CONFLICTED));

    gi = tracking();
    gi.upstream[0] = '\0';
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(NO_UPSTREAM));
    gi = tracking();
    gi.upstream_gone = true;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(NO_UPSTREAM));
    /* Detached: no branch, so no upstream to miss. */
    gi = tracking();
    gi.detached = true;
    gi.branch[0] = gi.upstream[0] = '\0';
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(DETACHED));
    gi = tracking();
    gi.state = GITINFO_STATE_REBASE;
    assert_int_equal(gitinfo_attention(&gi), GITINFO_ATTENTION(IN_PROGRESS));
}

static void the_json_lists_marks_in_order(void **state)
{
    (void)state;
    struct gitinfo gi = tracking();
    gi.behind = 1;
    gi.untracked = 4;
    gi.state = GITINFO_STATE_MERGE;
    struct strbuf sb;
    strbuf_init(&sb);
    gitinfo_json(&gi, &sb);
    assert_non_null(strstr(sb.data, "},\"attention\":[\"behind\",\"untracked\",\"in-progress\"]"));
    assert_string_equal(gitinfo_attention_name(GITINFO_ATTENTION_BIT_NO_UPSTREAM), "no-upstream");
    /* The same marks as words, for the dashboard and the headless table. */
    strbuf_reset(&sb);
    gitinfo_attention_text(gitinfo_attention(&gi), &sb);
    assert_string_equal(sb.data, "behind untracked in-progress");
    strbuf_reset(&sb);
    gitinfo_attention_text(0, &sb);
    assert_int_equal(sb.len, 0);
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_clean_tracking_branch_needs_nothing),
        cmocka_unit_test(each_condition_has_its_mark),
        cmocka_unit_test(the_json_lists_marks_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
