/* config-internal.h: pieces of the configuration module shared between lib/config*.c, the unit tests
 * and the fuzz target; not part of the public interface. */
#pragma once

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "macro.h"
#include "strv.h"

/* lib/config-value.c */

/* The value parsers of config.h, with the reason for a failure written to why (a sentence fragment
 * such as: unknown unit "X"; use ...). Return 0, -EINVAL (malformed) or -ERANGE (too large/out of range);
 * *ret_* is set only on success. */
int config_parse_size_why(const char *s, uint64_t *ret_bytes, char *why, size_t why_size) _must_check_;
int config_parse_duration_why(const char *s, uint64_t *ret_sec, char *why, size_t why_size) _must_check_;
int config_parse_percent_why(const char *s, double *ret_percent, char *why, size_t why_size) _must_check_;

/* lib/config-scan.c */

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
int config_scan_int_literals(const char *text, struct config_int_literal **ret_literals, size_t *ret_n) _must_check_;

/* libconfig's scanner opens the file named by a line starting with [ \t]*@include[ \t]+" even from
 * config_read_string(). Returns the first such line (1-based), or 0. Errs on the safe side: it also
 * finds such lines inside a multi-line string or comment. */
unsigned config_scan_find_include(const char *text);

/* lib/config.c: the state of one parse, error reporting, suggestions and the dispatch on key tables. */

/* One parse of one text; the key parsers fill in the struct config it goes with and note where the
 * cross-key rules' keys were set. */
struct config_parser {
        const char *name;                      /* FILE in error messages */
        bool is_file;                          /* name is the path the text was read from */
        const char *text;
        char *text_copy;                       /* owned; text with a final newline added */
        struct config_error error;
        config_t lc;
        bool lc_initialized;
        struct config_int_literal *literals;  /* owned; settings' hooks point into it */
        /* Where the cross-key rules' keys were set; NULL when left at their defaults. */
        const config_setting_t *high, *low, *inode_high, *inode_low, *min_free, *target_free;
        const config_setting_t *max_engine, *target_engine;
        const config_setting_t *critical;      /* disk.critical_watermark */
};

/* Fills p->error for setting s, "FILE:LINE: KEY: message" with KEY its dotted path in libconfig's own
 * syntax ("disk.low_watermark", "tiers.[1].type"), and returns r. */
_printf_(4, 5) int config_fail(struct config_parser *p, const config_setting_t *s, int r, const char *fmt, ...);

/* A value as it may appear in a one-line message: quoted, at most 40 bytes, control characters as '?'.
 * Returns buf. */
#define CONFIG_QUOTE_MAX 48
const char *config_quote(const char *s, char buf[static CONFIG_QUOTE_MAX]);

/* Whether typed is a near miss of known (a few edits or adjacent swaps), for "did you mean" hints. */
bool config_close_enough(const char *typed, const char *known);

/* Keys. Each known key has a parser for its value; the group parsers dispatch on these tables. */
typedef int (*config_key_parser_t)(struct config_parser *p, const config_setting_t *s, struct config *c);

struct config_key {
        const char *name;
        config_key_parser_t parse;
};

struct config_key_table {
        const char *path; /* dotted prefix for suggestions across groups; "" = top level */
        const struct config_key *keys;
        size_t n;
};

/* Checks that s is a group and runs the table's parser for each of its keys, in document order; the
 * first failure is returned. */
int config_parse_group(struct config_parser *p, const config_setting_t *s, const struct config_key_table *table,
                       struct config *c) _must_check_;
/* Fails for the key s, which table does not know, suggesting a near miss from table or, failing that,
 * from another of config_key_groups. Returns -EINVAL. */
int config_unknown_key(struct config_parser *p, const config_setting_t *s,
                       const struct config_key_table *table) _must_check_;

/* lib/config-get.c: the typed getters of the key parsers. Each reads setting s, or fails for it with
 * config_fail() (-EINVAL; -ENOMEM when a copy cannot be made); *ret is set only on success. */

/* One string without control characters; expected names what a wrong type should have been. */
int config_get_string(struct config_parser *p, const config_setting_t *s, const char *expected, const char **ret) _must_check_;
int config_get_bool(struct config_parser *p, const config_setting_t *s, bool *ret) _must_check_;
/* An integer, refusing the literals libconfig 1.5 wrapped (config-scan.c). */
int config_get_integer(struct config_parser *p, const config_setting_t *s, int64_t *ret) _must_check_;
/* A duration string ("1h30m") between min and max seconds. */
int config_get_duration(struct config_parser *p, const config_setting_t *s, uint64_t min, uint64_t max, uint64_t *ret) _must_check_;
int config_get_percent(struct config_parser *p, const config_setting_t *s, double *ret) _must_check_;
/* A size string ("10G") or a whole number of bytes. */
int config_get_size(struct config_parser *p, const config_setting_t *s, uint64_t *ret) _must_check_;
/* An absolute path ("" for off when empty_ok, then *ret becomes NULL); replaces and frees *ret. */
int config_get_path(struct config_parser *p, const config_setting_t *s, bool empty_ok, char **ret) _must_check_;
/* A list of non-empty strings, each also passed to check; [ ] is an empty list (the feature off).
 * Replaces and frees *ret. */
int config_get_string_list(struct config_parser *p, const config_setting_t *s,
                           int (*check)(struct config_parser *p, const config_setting_t *e), char ***ret) _must_check_;

/* lib/config-keys.c: the keys themselves. */

/* The top-level keys, where a parse starts. */
extern const struct config_key_table config_root_table;
/* The tables an unknown key is also checked against, for a near miss in another group: the top level
 * and each group under it; NULL-terminated. */
extern const struct config_key_table *const config_key_groups[];

/* The rules across keys (watermark pairs, min_free <= target_free), once all keys are parsed; blames
 * the key that was written. Sets a target_free left at 0 to min_free. */
int config_check_rules(struct config_parser *p, struct config *c) _must_check_;

/* min_age of a tier that does not set one; t must be a valid type. */
uint64_t config_tier_default_min_age(enum config_tier_type t);
