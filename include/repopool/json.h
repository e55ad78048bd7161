/*
 * Just enough JSON writing for the event stream: strings are always valid
 * JSON (invalid UTF-8 becomes U+FFFD, controls are escaped), so a consumer
 * never chokes on a path or an output line. C0 controls, DEL, C1 controls,
 * the bidirectional formatting characters (U+061C, U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and U+2028/U+2029 are written as \uXXXX,
 * so the raw line is safe on a terminal and decodes to the same characters.
 */
#ifndef REPOPOOL_JSON_H
#define REPOPOOL_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "repopool/strbuf.h"

/* Appends s[0..n) as a quoted JSON string. */
void json_string(struct strbuf *sb, const char *s, size_t n);
/* Appends "key": followed by the quoted string value (NULL counts as ""). */
void json_key_string(struct strbuf *sb, const char *key, const char *value);
void json_key_int(struct strbuf *sb, const char *key, long long value);
void json_key_bool(struct strbuf *sb, const char *key, bool value);
void json_key_null(struct strbuf *sb, const char *key);
/* The string, or null when value is NULL or empty. */
void json_key_string_or_null(struct strbuf *sb, const char *key, const char *value);
/* Seconds with millisecond precision, as in the event examples. */
void json_key_seconds(struct strbuf *sb, const char *key, double seconds);

#endif
