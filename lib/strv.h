/* strv.h: NULL-terminated arrays of heap strings, as the engine lists tags and the configuration its
 * protections. A NULL array counts as empty everywhere. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

/* Frees every string and the array; NULL is fine. */
void strv_free(char **l);
static inline void strv_freep(char ***p) {
        strv_free(*p);
        *p = NULL;
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* An array with no string, not NULL: "set, and empty". NULL when out of memory. */
char **strv_new_empty(void);
size_t strv_length(char *const *l);
bool strv_isempty(char *const *l);
/* Whether s (NULL: never) is one of the strings. */
bool strv_contains(char *const *l, const char *s);
/* Same length and the same strings in the same order. */
bool strv_equal(char *const *a, char *const *b);
/* qsort()/bsearch() comparator for arrays of char *: strcmp() of the strings pointed to. */
int strv_compare_entries(const void *a, const void *b);
/* A deep copy (of NULL: an empty array); -ENOMEM. *ret is set only on success. */
int strv_copy(char *const *l, char ***ret) _must_check_;
/* Appends a copy of s to *l (NULL: a new array); -ENOMEM leaves *l as it was. Linear: for short lists. */
int strv_push_dup(char ***l, const char *s) _must_check_;
