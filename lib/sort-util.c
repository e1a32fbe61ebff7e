/* sort-util.c: binary search for the first match (see sort-util.h). */
#include "sort-util.h"

size_t sort_lower_bound(const void *base, size_t n, size_t size, const void *key,
                        int (*cmp)(const void *key, const void *element)) {
        size_t lo = 0, hi = n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp(key, (const char *) base + mid * size) > 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}
