/* config-value.c: the value syntaxes of dockerclean.conf (sizes, durations, percents, log levels)
 * and their canonical spellings, which config_print writes and these parsers read back exactly.
 *
 * Hand-written rather than strtod()/strtoull(): those accept leading spaces, signs, hex, exponents,
 * "inf" and a locale-dependent decimal point, none of which belong in a config file. */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "macro.h"

#define SIZE_MAX_DECIMALS 9

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool has_space(const char *s) {
        for (; *s; s++)
                if (strchr(" \t\n\r\f\v", *s))
                        return true;
        return false;
}

/* Reads [0-9]+ into *ret, saturating: *ret_overflow tells whether it exceeded UINT64_MAX. Returns
 * the number of digits read. */
static size_t read_digits(const char **p, uint64_t *ret, bool *ret_overflow) {
        uint64_t v = 0;
        bool overflow = false;
        size_t n = 0;

        for (; is_digit(**p); (*p)++, n++) {
                unsigned d = (unsigned) (**p - '0');
                if (v > (UINT64_MAX - d) / 10)
                        overflow = true;
                else
                        v = v * 10 + d;
        }
        *ret = v;
        *ret_overflow = overflow;
        return n;
}

static const struct {
        const char *name;
        uint64_t factor;
} size_units[] = {
        { "K", UINT64_C(1) << 10 },  { "KiB", UINT64_C(1) << 10 }, { "KB", UINT64_C(1000) },
        { "M", UINT64_C(1) << 20 },  { "MiB", UINT64_C(1) << 20 }, { "MB", UINT64_C(1000000) },
        { "G", UINT64_C(1) << 30 },  { "GiB", UINT64_C(1) << 30 }, { "GB", UINT64_C(1000000000) },
        { "T", UINT64_C(1) << 40 },  { "TiB", UINT64_C(1) << 40 }, { "TB", UINT64_C(1000000000000) },
};

int config_parse_size_why(const char *s, uint64_t *ret_bytes, char *why, size_t why_size) {
        const char *p = s;
        uint64_t whole, frac = 0, factor = 1;
        unsigned decimals = 0;
        bool overflow;

        if (!*s)
                return snprintf(why, why_size, "empty size"), -EINVAL;
        if (has_space(s))
                return snprintf(why, why_size, "spaces are not allowed"), -EINVAL;
        if (*p == '-')
                return snprintf(why, why_size, "negative sizes are not allowed"), -EINVAL;
        if (read_digits(&p, &whole, &overflow) == 0)
                return snprintf(why, why_size, "not a size; expected a number of bytes or a number with a unit, like \"10G\""), -EINVAL;
        if (*p == '.') {
                p++;
                if (!is_digit(*p))
                        return snprintf(why, why_size, "expected digits after the decimal point"), -EINVAL;
                for (; is_digit(*p); p++, decimals++) {
                        if (decimals >= SIZE_MAX_DECIMALS)
                                return snprintf(why, why_size, "too many decimals (at most %d)", SIZE_MAX_DECIMALS), -EINVAL;
                        frac = frac * 10 + (unsigned) (*p - '0');
                }
        }
        if (*p) {
                bool found = false;
                for (size_t i = 0; i < ELEMENTSOF(size_units); i++)
                        if (streq(p, size_units[i].name)) {
                                factor = size_units[i].factor;
                                found = true;
                                break;
                        }
                if (!found)
                        return snprintf(why, why_size,
                                        "unknown unit \"%.16s\"; use K, M, G, T (powers of 1024, also KiB...TiB) or KB, MB, GB, TB (powers of 1000)",
                                        p),
                               -EINVAL;
        } else if (decimals > 0)
                return snprintf(why, why_size, "a plain byte count must be a whole number; add a unit, like \"1.5G\""), -EINVAL;

        if (overflow)
                return snprintf(why, why_size, "too large"), -ERANGE;

        /* whole * factor + frac * factor / 10^decimals, exactly; the fraction of a byte is dropped. */
        unsigned __int128 bytes = (unsigned __int128) whole * factor, pow10 = 1;
        for (unsigned i = 0; i < decimals; i++)
                pow10 *= 10;
        bytes += (unsigned __int128) frac * factor / pow10;
        if (bytes > UINT64_MAX)
                return snprintf(why, why_size, "too large"), -ERANGE;

        *ret_bytes = (uint64_t) bytes;
        return 0;
}

int config_parse_size(const char *s, uint64_t *ret_bytes) {
        char why[256];
        return config_parse_size_why(s, ret_bytes, why, sizeof why);
}

/* Largest first: a duration must list its units in this order, each at most once. */
static const struct {
        char name;
        uint64_t seconds;
} duration_units[] = {
        { 'd', 86400 },
        { 'h', 3600 },
        { 'm', 60 },
        { 's', 1 },
};

int config_parse_duration_why(const char *s, uint64_t *ret_sec, char *why, size_t why_size) {
        const char *p = s;
        uint64_t total = 0;
        size_t next_unit = 0; /* index into duration_units: units before it were used or skipped */
        bool overflow = false;

        if (!*s)
                return snprintf(why, why_size, "empty duration"), -EINVAL;
        if (has_space(s))
                return snprintf(why, why_size, "spaces are not allowed"), -EINVAL;
        if (*p == '-')
                return snprintf(why, why_size, "negative durations are not allowed"), -EINVAL;

        while (*p) {
                uint64_t n;
                bool o;

                if (read_digits(&p, &n, &o) == 0)
                        return snprintf(why, why_size, "not a duration; expected a number with a unit, like \"30s\", \"15m\" or \"1h30m\""),
                               -EINVAL;
                overflow = overflow || o;
                if (*p == '.')
                        return snprintf(why, why_size, "decimals are not allowed; combine units instead, like \"1h30m\""), -EINVAL;
                if (!*p) {
                        /* A bare 0 is unambiguous; any other bare number is not. */
                        if (n == 0 && !o && p == s + strspn(s, "0"))
                                break;
                        return snprintf(why, why_size, "missing unit; use s, m, h or d, like \"%.20ss\"", s), -EINVAL;
                }

                size_t len = strcspn(p, "0123456789");
                size_t u = ELEMENTSOF(duration_units);
                if (len == 1)
                        for (size_t i = 0; i < ELEMENTSOF(duration_units); i++)
                                if (duration_units[i].name == *p)
                                        u = i;
                if (u == ELEMENTSOF(duration_units))
                        return snprintf(why, why_size, "unknown unit \"%.*s\"; use s, m, h or d", (int) MIN(len, (size_t) 16), p), -EINVAL;
                if (u < next_unit)
                        return snprintf(why, why_size, "units must go from largest to smallest, each once, like \"1d12h\""), -EINVAL;
                next_unit = u + 1;
                p += len;

                unsigned __int128 sum = (unsigned __int128) n * duration_units[u].seconds + total;
                if (sum > UINT64_MAX)
                        overflow = true;
                else
                        total = (uint64_t) sum;
        }

        if (overflow)
                return snprintf(why, why_size, "too large"), -ERANGE;
        *ret_sec = total;
        return 0;
}

int config_parse_duration(const char *s, uint64_t *ret_sec) {
        char why[256];
        return config_parse_duration_why(s, ret_sec, why, sizeof why);
}

int config_parse_percent_why(const char *s, double *ret_percent, char *why, size_t why_size) {
        const char *p = s;
        uint64_t whole, hundredths;
        unsigned decimals = 0, frac = 0;
        bool overflow;

        if (!*s)
                return snprintf(why, why_size, "empty percentage"), -EINVAL;
        if (has_space(s))
                return snprintf(why, why_size, "spaces are not allowed"), -EINVAL;
        if (*p == '-')
                return snprintf(why, why_size, "negative percentages are not allowed"), -EINVAL;
        if (read_digits(&p, &whole, &overflow) == 0)
                return snprintf(why, why_size, "not a percentage; expected a number with %%, like \"85%%\""), -EINVAL;
        if (*p == '.') {
                p++;
                if (!is_digit(*p))
                        return snprintf(why, why_size, "expected digits after the decimal point"), -EINVAL;
                for (; is_digit(*p); p++, decimals++) {
                        if (decimals >= 2)
                                return snprintf(why, why_size, "at most two decimals are allowed"), -EINVAL;
                        frac = frac * 10 + (unsigned) (*p - '0');
                }
        }
        if (!*p)
                return snprintf(why, why_size, "missing %%; write \"%.20s%%\"", s), -EINVAL;
        if (!streq(p, "%"))
                return snprintf(why, why_size, "not a percentage; expected a number with %%, like \"85%%\""), -EINVAL;

        if (decimals == 1)
                frac *= 10;
        /* Kept as hundredths so that the canonical spelling reads back to the same double. */
        if (overflow || whole > 100 || (hundredths = whole * 100 + frac) > 10000)
                return snprintf(why, why_size, "out of range; must be between 0%% and 100%%"), -ERANGE;

        *ret_percent = (double) hundredths / 100.0;
        return 0;
}

int config_parse_percent(const char *s, double *ret_percent) {
        char why[256];
        return config_parse_percent_why(s, ret_percent, why, sizeof why);
}

const char *config_format_size(uint64_t bytes, char buf[static CONFIG_VALUE_STRING_MAX]) {
        /* The shortest exact spelling; on a tie the earlier in this order: "1T" over "1099511627776". */
        static const char *const preferred[] = { "T", "G", "M", "K", "TB", "GB", "MB", "KB" };
        char best[CONFIG_VALUE_STRING_MAX] = "";

        for (size_t i = 0; bytes > 0 && i < ELEMENTSOF(preferred); i++) {
                char candidate[CONFIG_VALUE_STRING_MAX];
                uint64_t factor = 0;

                for (size_t u = 0; u < ELEMENTSOF(size_units); u++)
                        if (streq(size_units[u].name, preferred[i]))
                                factor = size_units[u].factor;
                if (factor == 0 || bytes % factor != 0)
                        continue;
                snprintf(candidate, sizeof candidate, "%" PRIu64 "%s", bytes / factor, preferred[i]);
                if (!*best || strlen(candidate) < strlen(best))
                        strcpy(best, candidate);
        }
        snprintf(buf, CONFIG_VALUE_STRING_MAX, "%" PRIu64, bytes);
        if (*best && strlen(best) <= strlen(buf))
                strcpy(buf, best);
        return buf;
}

const char *config_format_duration(uint64_t sec, char buf[static CONFIG_VALUE_STRING_MAX]) {
        size_t n = 0;

        if (sec == 0)
                return strcpy(buf, "0s");
        /* Days only from two on: "24h" and "36h" read better than "1d" and "1d12h". */
        for (size_t i = sec < 2 * 86400; i < ELEMENTSOF(duration_units); i++) {
                uint64_t k = sec / duration_units[i].seconds;
                if (k == 0)
                        continue;
                sec -= k * duration_units[i].seconds;
                /* At most "213503982334601d23h59m59s" (26 bytes) for UINT64_MAX. */
                n += (size_t) snprintf(buf + n, CONFIG_VALUE_STRING_MAX - n, "%" PRIu64 "%c", k, duration_units[i].name);
        }
        return buf;
}

const char *config_format_percent(double percent, char buf[static CONFIG_VALUE_STRING_MAX]) {
        long h;

        if (!(percent >= 0.0 && percent <= 100.0))
                return strcpy(buf, "invalid");
        h = lround(percent * 100.0);
        if (h % 100 == 0)
                snprintf(buf, CONFIG_VALUE_STRING_MAX, "%ld%%", h / 100);
        else if (h % 10 == 0)
                snprintf(buf, CONFIG_VALUE_STRING_MAX, "%ld.%ld%%", h / 100, (h % 100) / 10);
        else
                snprintf(buf, CONFIG_VALUE_STRING_MAX, "%ld.%02ld%%", h / 100, h % 100);
        return buf;
}

static const struct {
        const char *name;
        int level;
} log_levels[] = {
        /* Canonical names first: config_log_level_to_string returns the first match. */
        { "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
        { "warning", LOG_WARNING }, { "err", LOG_ERR },
        { "warn", LOG_WARNING }, { "error", LOG_ERR },
};

int config_log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(log_levels); i++)
                if (streq(s, log_levels[i].name))
                        return log_levels[i].level;
        return -EINVAL;
}

const char *config_log_level_to_string(int level) {
        for (size_t i = 0; i < ELEMENTSOF(log_levels); i++)
                if (log_levels[i].level == level)
                        return log_levels[i].name;
        return NULL;
}
