#include "format-util.h"

#include <inttypes.h>
#include <stdio.h>

#include "macro.h"

void format_bytes(uint64_t b, char *buf, size_t n) {
        static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double v = (double) b;
        size_t u = 0;
        while (v >= 1024.0 && u + 1 < ELEMENTSOF(units)) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, n, "%" PRIu64 " B", b);
        else
                snprintf(buf, n, "%.1f %s", v, units[u]);
}
