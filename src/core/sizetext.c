#include "repopool/sizetext.h"

#include <stdio.h>

void size_text(char *buf, size_t n, uint64_t bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, n, "%u B", (unsigned)bytes);
        return;
    }
    double value = bytes / 1024.0;
    size_t unit = 0;
    /* 1023.96 KiB would print as "1024.0 KiB": go up a unit first. */
    while (value >= 1023.95 && unit + 1 < sizeof(units) / sizeof(units[0])) {
        value /= 1024;
        unit++;
    }
    snprintf(buf, n, "%.1f %s", value, units[unit]);
}
