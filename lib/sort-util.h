/* sort-util.h: what qsort(3) and bsearch(3) leave out: the first position of a key in a sorted array,
 * which duplicates and "insert here" need. */
#pragma once

#include <stddef.h>

/* The index of the first of the n elements (each size bytes, sorted as cmp orders them) that does not
 * order before key: n when all do. cmp(key, element) is bsearch()'s comparator. */
size_t sort_lower_bound(const void *base, size_t n, size_t size, const void *key,
                        int (*cmp)(const void *key, const void *element));
