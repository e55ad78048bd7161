/* The host a remote URL contacts, as per-host limits count it. */
#include "unit.h"

#include "repopool/urlhost.h"

static void hosts_of_urls(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"https://github.com/libgit2/libgit2.git", "github.com"},
        {"https://user:secret@Git.Example.org:8443/x.git", "git.example.org"},
        {"http://127.0.0.1:8080/r", "127.0.0.1"},
        {"git://127.0.0.2:9418/r.git", "127.0.0.2"},
        {"ssh://git@host.example:22/srv/r.git", "host.example"},
        {"git+ssh://host.example/r", "host.example"},
        {"git@github.com:owner/repo.git", "github.com"},
        {"host.example:repo", "host.example"},
        {"https://[::1]:8443/r", "[::1]"},
        {"git@[::1]:repo", "[::1]"},
        {"[::1]:repo", "[::1]"},
        {"https://host.example", "host.example"},
        {"https://host.example?x", "host.example"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char host[64];
        assert_true(url_host(cases[i][0], host, sizeof(host)));
        assert_string_equal(host, cases[i][1]);
    }
}

static void local_remotes_contact_no_host(void **state)
{
    (void)state;
    static const char *const cases[] = {
        "/srv/git/r.git", "./r.git", "../r", "r.git", "file:///srv/r.git", "dir/with:colon",
        "https:///nohost", "", "git@:repo",
    };
    char host[64];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_false(url_host(cases[i], host, sizeof(host)));
    /* A host that does not fit is no host, never a cut one. */
    assert_false(url_host("https://a-very-long-host-name.example/x", host, 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hosts_of_urls),
        cmocka_unit_test(local_remotes_contact_no_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
