/*
 * The repository-list parser (--repos-from): repos_add_stream over the input
 * as a file.
 *
 * Properties, checked against an independent walk over the same lines:
 * - reading from memory never fails, and nothing is written to err;
 * - only non-blank, non-comment lines make entries, at most one each;
 * - a line holding a NUL byte among its first PATH_MAX bytes makes exactly
 *   one entry with error set, labelled with its text up to the NUL; else a
 *   line of PATH_MAX bytes or more makes one, labelled by its first 64
 *   bytes; in order (the reader keeps only a line's first bytes);
 * - every other entry is an absolute path with no error, and no path is
 *   listed twice;
 * - repos_free leaves an empty list (and LeakSanitizer sees no leak).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "repopool/repos.h"

struct expected_error {
    const uint8_t *label;
    size_t len;
};

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The lines the parser will see, classified by the contract. */
    size_t candidates = 0, nerrors = 0;
    struct expected_error *errors = malloc((size + 1) * sizeof(*errors));
    FUZZ_CHECK(errors != NULL);
    for (size_t pos = 0; pos < size;) {
        const uint8_t *line = data + pos;
        const uint8_t *nl = memchr(line, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - line) : size - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && line[n - 1] == '\r')
            n--;
        size_t i = 0;
        while (i < n && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == n || line[i] == '#')
            continue;
        candidates++;
        const uint8_t *nul = memchr(line, '\0', n < PATH_MAX ? n : PATH_MAX);
        if (nul)
            errors[nerrors++] = (struct expected_error){line, (size_t)(nul - line)};
        else if (n >= PATH_MAX)
            errors[nerrors++] = (struct expected_error){line, 64};
    }

    /* glibc (2.22 and later) reads NUL bytes and opens empty buffers. */
    static char empty[1];
    FILE *in = fmemopen(size ? (void *)data : empty, size, "r");
    FUZZ_CHECK(in != NULL);
    struct repo_list rl;
    repos_init(&rl);
    struct strbuf err;
    strbuf_init(&err);
    int rc = repos_add_stream(&rl, in, "fuzz", &err);
    fclose(in);

    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(err.len == 0);
    FUZZ_CHECK(rl.len <= candidates);

    size_t seen_errors = 0, npaths = 0;
    char **paths = malloc((rl.len + 1) * sizeof(*paths));
    FUZZ_CHECK(paths != NULL);
    struct strbuf path;
    strbuf_init(&path);
    for (size_t i = 0; i < rl.len; i++) {
        const char *p = repos_path(&rl, (uint32_t)i, &path);
        const char *error = repos_error(&rl, (uint32_t)i);
        FUZZ_CHECK(p != NULL);
        if (error) {
            FUZZ_CHECK(seen_errors < nerrors);
            const struct expected_error *e = &errors[seen_errors++];
            FUZZ_CHECK(error[0] != '\0');
            FUZZ_CHECK(path.len == e->len);
            FUZZ_CHECK(memcmp(p, e->label, e->len) == 0);
        } else {
            FUZZ_CHECK(p[0] == '/');
            paths[npaths++] = strbuf_detach(&path);
        }
    }
    strbuf_free(&path);
    FUZZ_CHECK(seen_errors == nerrors);
    qsort(paths, npaths, sizeof(*paths), compare_paths);
    for (size_t i = 1; i < npaths; i++)
        FUZZ_CHECK(strcmp(paths[i - 1], paths[i]) != 0);
    for (size_t i = 0; i < npaths; i++)
        free(paths[i]);
    free(paths);

    repos_free(&rl);
    FUZZ_CHECK(rl.len == 0 && rl.items == NULL && rl.keys == NULL && rl.paths.nodes == NULL);
    strbuf_free(&err);
    free(errors);
    return 0;
}
