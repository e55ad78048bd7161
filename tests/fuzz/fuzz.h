/*
 * Shared pieces of the fuzz targets: the libFuzzer entry point every target
 * defines, a check that aborts (so libFuzzer and the corpus driver both see a
 * failed property as a crash), and independent oracles written from the
 * specifications, not from the code under test: a strict UTF-8 decoder and a
 * small strict JSON parser.
 */
#ifndef REPOPOOL_FUZZ_H
#define REPOPOOL_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "repopool/strbuf.h"

/* Defined by each target; called by libFuzzer or by corpus_main.c. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

_Noreturn void fuzz_fail(const char *file, int line, const char *what);

#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

/* A copy of data[0..n) with a terminating NUL (malloc'd; aborts on OOM). */
char *fz_strndup(const uint8_t *data, size_t n);

/*
 * Strict UTF-8 (RFC 3629): returns the length (1..4) of the well-formed
 * sequence at s[0..n) and stores its code point, or 0 when the bytes there are
 * not one (overlong forms, surrogates, > U+10FFFF, stray or missing
 * continuation bytes, truncation).
 */
size_t fz_utf8_next(const unsigned char *s, size_t n, uint32_t *cp);
bool fz_utf8_valid(const unsigned char *s, size_t n);

/* Appends s[0..n) with every byte that does not start a well-formed sequence
 * replaced by U+FFFD (one replacement per byte). */
void fz_utf8_repair(struct strbuf *out, const unsigned char *s, size_t n);

/*
 * A strict JSON (RFC 8259) reader over s[0..n). Every function returns false
 * on a syntax error and leaves pos at the error.
 */
struct fz_json {
    const char *s;
    size_t n, pos;
};

void fz_json_ws(struct fz_json *j);
/* Consumes ch (after optional whitespace). */
bool fz_json_expect(struct fz_json *j, char ch);
/* A string; its decoded bytes are appended to out unless out is NULL. Raw
 * controls, bad escapes, lone surrogates and invalid UTF-8 are rejected. */
bool fz_json_string(struct fz_json *j, struct strbuf *out);
bool fz_json_number(struct fz_json *j);
/* Any value, nesting at most depth levels. */
bool fz_json_value(struct fz_json *j, int depth);
/* True when s[0..n) is exactly one JSON value with optional whitespace. */
bool fz_json_document(const char *s, size_t n);

#endif
