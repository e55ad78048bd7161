/*
 * Durations as people read them: seconds under a minute, then minutes and
 * seconds, then hours and minutes. The dashboard and the headless lines
 * share this one function, so they never disagree on where a unit begins.
 *
 * Pure; safe on any thread.
 */
#ifndef REPOPOOL_DURATION_H
#define REPOPOOL_DURATION_H

#include <stddef.h>

enum duration_style {
    /* As narrow as it can be, for the dashboard's columns: "3.4s" under
     * ten seconds, then "42s", "4m05s", "2h03m". */
    DURATION_SHORT,
    /* Right-aligned in eight columns with hundredths under a minute, for
     * the headless lines: "   3.40s", "  42.00s", "   4m05s", "   2h03m". */
    DURATION_ALIGNED,
};

/* Writes seconds (a negative duration counts as 0) into buf of n bytes;
 * 16 bytes hold any duration under a million hours. */
void duration_text(char *buf, size_t n, double seconds, enum duration_style style);

#endif
