#include "repopool/duration.h"

#include <stdbool.h>
#include <stdio.h>

void duration_text(char *buf, size_t n, double seconds, enum duration_style style)
{
    bool aligned = style == DURATION_ALIGNED;
    if (seconds < 0)
        seconds = 0;
    if (seconds < 60 && aligned)
        snprintf(buf, n, "%7.2fs", seconds);
    else if (seconds < 10)
        snprintf(buf, n, "%.1fs", seconds);
    else if (seconds < 60)
        snprintf(buf, n, "%.0fs", seconds);
    else if (seconds < 3600)
        snprintf(buf, n, aligned ? "%4dm%02ds" : "%dm%02ds", (int)(seconds / 60), (int)seconds % 60);
    else
        snprintf(buf, n, aligned ? "%4dh%02dm" : "%dh%02dm", (int)(seconds / 3600), (int)(seconds / 60) % 60);
}
