/* Sizes as people read them, at the edges of each unit. */
#include "unit.h"

#include <stdint.h>
#include <string.h>

#include "repopool/sizetext.h"

static void sizes_read_as_git_prints_them(void **state)
{
    (void)state;
    static const struct {
        uint64_t bytes;
        const char *text;
    } cases[] = {
        {0, "0 B"},
        {812, "812 B"},
        {1023, "1023 B"},
        {1024, "1.0 KiB"},
        {1229, "1.2 KiB"},
        {1048524, "1023.9 KiB"},
        {1048575, "1.0 MiB"},
        {13399551, "12.8 MiB"},
        {3328599654ull, "3.1 GiB"},
        {UINT64_MAX, "16.0 EiB"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[16];
        size_text(buf, sizeof(buf), cases[i].bytes);
        assert_string_equal(buf, cases[i].text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizes_read_as_git_prints_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
