/* config-get.c: the typed getters the key parsers of config-keys.c read values with: one value of one
 * setting, with a "FILE:LINE: KEY: message" for each way it can be wrong (config_fail()). */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strv.h"

/* One string, without control characters (they would break the one-line log and error formats). */
int config_get_string(struct config_parser *p, const config_setting_t *s, const char *expected, const char **ret) {
        const char *v;

        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return config_fail(p, s, -EINVAL, "expected %s", expected);
        v = config_setting_get_string(s);
        if (!v)
                return config_fail(p, s, -EINVAL, "expected %s", expected);
        for (const char *i = v; *i; i++)
                if ((unsigned char) *i < 0x20 || *i == 0x7f)
                        return config_fail(p, s, -EINVAL, "contains a control character");
        *ret = v;
        return 0;
}

int config_get_bool(struct config_parser *p, const config_setting_t *s, bool *ret) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                return config_fail(p, s, -EINVAL, "expected true or false");
        *ret = config_setting_get_bool(s);
        return 0;
}

/* An integer setting's value, refusing the literals libconfig 1.5 wrapped (see config-scan.c). */
int config_get_integer(struct config_parser *p, const config_setting_t *s, int64_t *ret) {
        const struct config_int_literal *lit = config_setting_get_hook(s);

        if (lit) {
                int len = (int) MIN(lit->length, (size_t) 24);
                const char *t = p->text + lit->offset;
                if (lit->is_int64)
                        return config_fail(p, s, -EINVAL, "%.*s is out of the 64-bit integer range", len, t);
                return config_fail(p, s, -EINVAL, "%.*s is out of libconfig's 32-bit integer range; write it as a string (\"%.*s\") or with an L suffix",
                                   len, t, len, t);
        }
        *ret = config_setting_get_int64(s);
        return 0;
}

int config_get_duration(struct config_parser *p, const config_setting_t *s, uint64_t min, uint64_t max, uint64_t *ret) {
        char why[256], q[CONFIG_QUOTE_MAX], a[CONFIG_VALUE_STRING_MAX], b[CONFIG_VALUE_STRING_MAX];
        const char *v = NULL;
        uint64_t sec;
        int r;

        r = config_get_string(p, s, "a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"", &v);
        if (r < 0)
                return r;
        r = config_parse_duration_why(v, &sec, why, sizeof why);
        if (r < 0)
                return config_fail(p, s, -EINVAL, "invalid duration %s: %s", config_quote(v, q), why);
        if (sec < min || sec > max)
                return config_fail(p, s, -EINVAL, "%s is out of range; must be between %s and %s", config_quote(v, q),
                                   config_format_duration(min, a), config_format_duration(max, b));
        *ret = sec;
        return 0;
}

int config_get_percent(struct config_parser *p, const config_setting_t *s, double *ret) {
        char why[256], q[CONFIG_QUOTE_MAX];
        const char *v;
        double d;
        int r;

        r = config_get_string(p, s, "a percentage string, like \"85%\"", &v);
        if (r < 0)
                return r;
        r = config_parse_percent_why(v, &d, why, sizeof why);
        if (r < 0)
                return config_fail(p, s, -EINVAL, "invalid percentage %s: %s", config_quote(v, q), why);
        *ret = d;
        return 0;
}

/* Sizes also take a plain libconfig integer (bytes): "min_free = 0;" reads naturally. */
int config_get_size(struct config_parser *p, const config_setting_t *s, uint64_t *ret) {
        char why[256], q[CONFIG_QUOTE_MAX];
        const char *v;
        uint64_t bytes;
        int64_t i = 0;
        int r;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                r = config_get_integer(p, s, &i);
                if (r < 0)
                        return r;
                if (i < 0)
                        return config_fail(p, s, -EINVAL, "negative sizes are not allowed");
                *ret = (uint64_t) i;
                return 0;
        case CONFIG_TYPE_STRING:
                r = config_get_string(p, s, "", &v);
                if (r < 0)
                        return r;
                r = config_parse_size_why(v, &bytes, why, sizeof why);
                if (r < 0)
                        return config_fail(p, s, -EINVAL, "invalid size %s: %s", config_quote(v, q), why);
                *ret = bytes;
                return 0;
        default:
                return config_fail(p, s, -EINVAL, "expected a size: a string like \"10G\", or a whole number of bytes");
        }
}

/* Absolute paths: the daemon runs with / as working directory, so relative ones would mislead. */
int config_get_path(struct config_parser *p, const config_setting_t *s, bool empty_ok, char **ret) {
        const char *v = ""; /* set by config_get_string() on success; the analyzer cannot see config_fail() returns < 0 */
        char *copy;
        int r;

        r = config_get_string(p, s, "a string", &v);
        if (r < 0)
                return r;
        if (!(v[0] == '/' || (empty_ok && v[0] == 0)))
                return config_fail(p, s, -EINVAL, empty_ok ? "expected an absolute path, or \"\" for off" : "expected an absolute path");
        if (strlen(v) >= PATH_MAX)
                return config_fail(p, s, -EINVAL, "path too long");
        copy = v[0] ? strdup(v) : NULL;
        if (v[0] && !copy)
                return -ENOMEM;
        free(*ret);
        *ret = copy;
        return 0;
}

/* A list of strings: [ "a", "b" ] or ( "a", "b" ); an empty one turns the list off. */
int config_get_string_list(struct config_parser *p, const config_setting_t *s, int (*check)(struct config_parser *p, const config_setting_t *e),
                           char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int n;

        if (!config_setting_is_array(s) && !config_setting_is_list(s))
                return config_fail(p, s, -EINVAL, "expected a list of strings, like [ \"a\", \"b\" ]");
        n = config_setting_length(s);
        l = calloc((size_t) n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *v = ""; /* set by config_get_string() on success (as in config_get_path()) */
                int r;

                r = config_get_string(p, e, "a string", &v);
                if (r < 0)
                        return r;
                if (!v[0])
                        return config_fail(p, e, -EINVAL, "empty string");
                r = check(p, e);
                if (r < 0)
                        return r;
                l[i] = strdup(v);
                if (!l[i])
                        return -ENOMEM;
        }
        strv_freep(ret);
        *ret = TAKE_PTR(l);
        return 0;
}
