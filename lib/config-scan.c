/* config-scan.c: a second look at the raw text for the two things libconfig 1.5 gets wrong for us.
 *
 * 1. Integer literals out of range are silently wrapped ("min_free = 12884901888;" becomes 0), so the
 *    literals are tokenized here with libconfig's own flex rules (lib/scanner.l) and checked.
 * 2. "@include" opens arbitrary files, even from config_read_string().
 *
 * The tokenizer only has to agree with libconfig on text libconfig accepted (the fuzz target checks
 * that it does); on any other text it must merely stay in bounds. */

#include "config-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "macro.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static int hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool is_name_start(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '*';
}

static bool is_name_char(char c) {
        return is_name_start(c) || is_digit(c) || c == '-' || c == '_';
}

static size_t count_digits(const char *s) {
        size_t n = 0;
        while (is_digit(s[n]))
                n++;
        return n;
}

/* Length of an optional exponent [eE][-+]?[0-9]+ at s, or 0. */
static size_t exponent_length(const char *s) {
        size_t k = 1;
        if (*s != 'e' && *s != 'E')
                return 0;
        if (s[k] == '+' || s[k] == '-')
                k++;
        size_t d = count_digits(s + k);
        return d > 0 ? k + d : 0;
}

/* The longest float match at s:
 *   ([-+]?([0-9]*)?\.[0-9]*([eE][-+]?[0-9]+)?)|([-+]?([0-9]+)(\.[0-9]*)?[eE][-+]?[0-9]+) */
static size_t float_length(const char *s) {
        size_t sign = (*s == '+' || *s == '-'), nd = count_digits(s + sign), a = 0, b = 0;
        size_t k = sign + nd;

        if (s[k] == '.') {
                size_t m = k + 1;
                m += count_digits(s + m);
                a = m + exponent_length(s + m);
        }
        if (nd > 0) {
                size_t m = k;
                if (s[m] == '.') {
                        m++;
                        m += count_digits(s + m);
                }
                size_t e = exponent_length(s + m);
                if (e > 0)
                        b = m + e;
        }
        return MAX(a, b);
}

/* Scans the literal starting at s (flex's longest match among float, integer, integer64, hex, hex64).
 * Returns its length, 0 if nothing matches (a garbage character); *ret is filled for integers and
 * ret->length is 0 for floats. */
static size_t scan_number(const char *s, struct config_int_literal *ret) {
        size_t sign = (*s == '+' || *s == '-'), nd = count_digits(s + sign);
        size_t l_int = nd > 0 ? sign + nd : 0, l_int64 = 0, l_hex = 0, l_hex64 = 0, l_float = float_length(s);

        if (l_int > 0 && s[l_int] == 'L')
                l_int64 = l_int + 1 + (s[l_int + 1] == 'L');
        if (!sign && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && hex_value(s[2]) >= 0) {
                l_hex = 2;
                while (hex_value(s[l_hex]) >= 0)
                        l_hex++;
                if (s[l_hex] == 'L')
                        l_hex64 = l_hex + 1 + (s[l_hex + 1] == 'L');
        }

        size_t best = MAX(MAX(l_int, l_int64), MAX(MAX(l_hex, l_hex64), l_float));
        *ret = (struct config_int_literal) {};
        if (best == 0 || best == l_float)
                return best; /* floats always contain '.' or 'e', so they never tie with an integer */

        /* The magnitude, saturated just above INT64_MAX + 1 (the most negative int64 needs that). */
        const uint64_t cap = (uint64_t) INT64_MAX + 2;
        uint64_t mag = 0;
        bool is_hex = best == l_hex || best == l_hex64;
        if (is_hex)
                for (size_t i = 2; i < l_hex; i++)
                        mag = mag > (cap - 15) / 16 ? cap : mag * 16 + (uint64_t) hex_value(s[i]);
        else
                for (size_t i = sign; i < l_int; i++)
                        mag = mag > (cap - 9) / 10 ? cap : mag * 10 + (uint64_t) (s[i] - '0');

        bool negative = s[0] == '-';
        ret->is_int64 = best == l_int64 || best == l_hex64;
        uint64_t max_pos = ret->is_int64 ? (uint64_t) INT64_MAX : (uint64_t) INT_MAX;
        uint64_t max_neg = max_pos + 1;
        ret->in_range = negative ? mag <= max_neg : mag <= max_pos;
        if (ret->in_range)
                ret->value = negative ? (mag == max_neg && ret->is_int64 ? INT64_MIN : -(int64_t) mag) : (int64_t) mag;
        ret->length = best;
        return best;
}

int config_scan_int_literals(const char *text, struct config_int_literal **ret_literals, size_t *ret_n) {
        _cleanup_free_ struct config_int_literal *list = NULL;
        size_t n = 0, allocated = 0;
        unsigned line = 1;
        const char *p = text;

        while (*p) {
                if (*p == '\n') {
                        line++;
                        p++;
                } else if (p[0] == '/' && p[1] == '*') {
                        for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                                line += *p == '\n';
                        if (*p)
                                p += 2;
                } else if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                line += *p == '\n';
                                if (*p != '\\')
                                        continue;
                                /* \n \r \t \f \\ \" are two characters, \xHH four, any other backslash one. */
                                if (p[1] && strchr("nrtf\\\"", p[1]))
                                        p++;
                                else if ((p[1] == 'x' || p[1] == 'X') && hex_value(p[2]) >= 0 && hex_value(p[3]) >= 0)
                                        p += 3;
                        }
                        if (*p)
                                p++;
                } else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
                        while (*p && *p != '\n')
                                p++;
                } else if (is_name_start(*p)) {
                        while (is_name_char(*p))
                                p++;
                } else if (is_digit(*p) || *p == '-' || *p == '+' || *p == '.') {
                        struct config_int_literal lit;
                        size_t len = scan_number(p, &lit);

                        if (len == 0) {
                                p++;
                                continue;
                        }
                        if (lit.length > 0) {
                                if (n == allocated) {
                                        size_t want = allocated ? allocated * 2 : 16;
                                        struct config_int_literal *bigger = reallocarray(list, want, sizeof *list);
                                        if (!bigger)
                                                return -ENOMEM;
                                        list = bigger;
                                        allocated = want;
                                }
                                lit.line = line;
                                lit.offset = (size_t) (p - text);
                                list[n++] = lit;
                        }
                        p += len;
                } else
                        p++;
        }

        *ret_literals = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

unsigned config_scan_find_include(const char *text) {
        unsigned line = 1;

        for (const char *p = text; *p; line++) {
                p += strspn(p, " \t");
                if (startswith(p, "@include"))
                        return line;
                p = strchrnul(p, '\n');
                if (*p)
                        p++;
        }
        return 0;
}
