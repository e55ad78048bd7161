/*
 * Talking to git's credential helpers through `git credential fill`: the
 * request we write and the answer we read. The text comes from helpers and
 * URLs we do not control, so both directions are strict.
 *
 * Pure functions; safe on any thread.
 */
#ifndef REPOPOOL_CREDENTIAL_H
#define REPOPOOL_CREDENTIAL_H

#include <stddef.h>

#include "repopool/strbuf.h"

/* Builds the request for url (and username, may be NULL). Returns 0, or -1
 * when a value holds a newline or carriage return or is empty, which the
 * protocol cannot carry safely. */
int credential_request(struct strbuf *out, const char *url, const char *username);

/* Reads "key=value" lines; keeps username and password. Returns 0 when a
 * password was given (username may then be empty), -1 otherwise. */
int credential_parse(const char *text, size_t n, struct strbuf *username, struct strbuf *password);

#endif
