/* config-internal.h: pieces of the configuration module shared between lib/config*.c and the fuzz
 * target; not part of the public interface. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The value parsers of config.h, with the reason for a failure written to why (a sentence fragment
 * such as: unknown unit "X"; use ...). Return 0, -EINVAL (malformed) or -ERANGE (too large/out of range);
 * *ret_* is set only on success. */
int config_parse_size_why(const char *s, uint64_t *ret_bytes, char *why, size_t why_size);
int config_parse_duration_why(const char *s, uint64_t *ret_sec, char *why, size_t why_size);
int config_parse_percent_why(const char *s, double *ret_percent, char *why, size_t why_size);

/* One integer literal of a libconfig text, as libconfig 1.5's scanner tokenizes it. libconfig 1.5
 * stores an int literal through (int)atol() and an "L" literal through atoll()/strtoull(), so values
 * outside the type's range are silently wrapped or saturated; in_range says whether the stored value
 * equals the written one. */
struct config_int_literal {
        unsigned line;
        bool is_int64;          /* written with the L suffix: libconfig makes it CONFIG_TYPE_INT64 */
        bool in_range;
        int64_t value;          /* the written value; meaningful only when in_range */
        size_t offset, length;  /* where the literal is in the text */
};

/* Lists the integer literals of text in document order: the same order in which a depth-first walk
 * of the parsed setting tree meets the CONFIG_TYPE_INT and CONFIG_TYPE_INT64 settings. Meant for text
 * libconfig accepted; on any other text it still terminates and stays in bounds. On success
 * *ret_literals (free() it; NULL when *ret_n is 0) and *ret_n are set. */
int config_scan_int_literals(const char *text, struct config_int_literal **ret_literals, size_t *ret_n);

/* libconfig's scanner opens the file named by a line starting with [ \t]*@include[ \t]+" even from
 * config_read_string(). Returns the first such line (1-based), or 0. Errs on the safe side: it also
 * finds such lines inside a multi-line string or comment. */
unsigned config_scan_find_include(const char *text);

#define streq(a, b) (strcmp((a), (b)) == 0)
