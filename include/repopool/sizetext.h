/*
 * Sizes as people read them, in binary units as git prints them: "812 B",
 * "1.2 KiB", "12.8 MiB", "3.1 GiB". The dashboard's transfer progress and
 * a fetch's summary share it.
 *
 * Pure; safe on any thread.
 */
#ifndef REPOPOOL_SIZETEXT_H
#define REPOPOOL_SIZETEXT_H

#include <stddef.h>
#include <stdint.h>

/* 16 bytes hold any size. */
void size_text(char *buf, size_t n, uint64_t bytes);

#endif
