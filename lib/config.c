/* config.c: dockerclean.conf (libconfig syntax) in, one validated struct config out.
 *
 * The file is read into memory and parsed with config_read_string(), so that files and strings take
 * the same path; lib/config-scan.c first rejects @include and finds the integer literals libconfig 1.5
 * would silently wrap. Keys are checked in document order and the first problem is reported, as
 * "FILE:LINE: KEY: message"; cross-key rules (watermarks, min_free/target_free) come last and blame
 * the key that was written. */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "macro.h"

/* Config files are a few KiB; the cap keeps a wrong --config (a log, a device) from eating memory. */
#define CONFIG_FILE_MAX (1024 * 1024)
#define SEC_PER_DAY UINT64_C(86400)
#define MAX_REMOVALS_MAX 1000000u

static const char *const tier_names[_CONFIG_TIER_MAX] = {
        [CONFIG_TIER_STOPPED_CONTAINERS] = "stopped-containers",
        [CONFIG_TIER_DANGLING_IMAGES] = "dangling-images",
        [CONFIG_TIER_BUILD_CACHE] = "build-cache",
        [CONFIG_TIER_UNUSED_IMAGES] = "unused-images",
        [CONFIG_TIER_UNUSED_VOLUMES] = "unused-volumes",
        [CONFIG_TIER_UNUSED_NETWORKS] = "unused-networks",
};

/* min_age of a tier that does not set one. The first four are the shipped tiers' values; volumes hold
 * data, so their opt-in tier waits a week unless told otherwise. */
static const uint64_t tier_default_min_age[_CONFIG_TIER_MAX] = {
        [CONFIG_TIER_STOPPED_CONTAINERS] = 3600,
        [CONFIG_TIER_DANGLING_IMAGES] = 3600,
        [CONFIG_TIER_BUILD_CACHE] = SEC_PER_DAY,
        [CONFIG_TIER_UNUSED_IMAGES] = SEC_PER_DAY,
        [CONFIG_TIER_UNUSED_VOLUMES] = 7 * SEC_PER_DAY,
        [CONFIG_TIER_UNUSED_NETWORKS] = 3600,
};

uint64_t config_tier_default_min_age(enum config_tier_type t) {
        return tier_default_min_age[t];
}

const char *config_tier_type_to_string(enum config_tier_type t) {
        if ((unsigned) t >= _CONFIG_TIER_MAX)
                return NULL;
        return tier_names[t];
}

int config_tier_type_from_string(const char *s) {
        for (int t = 0; t < _CONFIG_TIER_MAX; t++)
                if (streq(s, tier_names[t]))
                        return t;
        return -EINVAL;
}

static char **strv_new_empty(void) {
        return calloc(1, sizeof(char *));
}

void config_done(struct config *c) {
        if (!c)
                return;
        free(c->engine_socket);
        free(c->state_dir);
        strv_freep(&c->protect_labels);
        strv_freep(&c->protect_images);
        free(c->metrics_file);
        *c = (struct config) {};
}

int config_init_defaults(struct config *c) {
        _cleanup_(config_done) struct config d = {
                .engine_timeout_sec = 600,
                .interval_sec = 60,
                .dry_run = false,
                .log_level = LOG_INFO,
                .disk = {
                        .high_watermark = 85.0,
                        .low_watermark = 75.0,
                        .min_free = 0,
                        .target_free = 0,
                        .inode_high_watermark = 95.0,
                        .inode_low_watermark = 90.0,
                },
                .max_removals = 1000,
        };
        static const enum config_tier_type default_tiers[] = {
                CONFIG_TIER_STOPPED_CONTAINERS,
                CONFIG_TIER_DANGLING_IMAGES,
                CONFIG_TIER_BUILD_CACHE,
                CONFIG_TIER_UNUSED_IMAGES,
        };

        for (size_t i = 0; i < ELEMENTSOF(default_tiers); i++)
                d.tiers[d.n_tiers++] = (struct config_tier) {
                        .type = default_tiers[i],
                        .min_age_sec = config_tier_default_min_age(default_tiers[i]),
                };
        d.state_dir = strdup("/var/lib/dockerclean");
        d.protect_labels = calloc(2, sizeof(char *));
        d.protect_images = strv_new_empty();
        if (!d.state_dir || !d.protect_labels || !d.protect_images)
                return -ENOMEM;
        d.protect_labels[0] = strdup("dockerclean.keep");
        if (!d.protect_labels[0])
                return -ENOMEM;

        *c = d;
        d = (struct config) {};
        return 0;
}

/* Error reporting. */

static void error_format_text(struct config_error *e) {
        char where[300];

        if (e->line > 0)
                snprintf(where, sizeof where, "%s:%d", e->file, e->line);
        else
                snprintf(where, sizeof where, "%s", e->file);
        if (e->key[0])
                snprintf(e->text, sizeof e->text, "%s: %s: %s", where, e->key, e->message);
        else
                snprintf(e->text, sizeof e->text, "%s: %s", where, e->message);
}

/* Fills e; line 0 and key NULL when there is none. Returns r, so that callers can `return error_set(...)`. */
_printf_(6, 7) static int error_set(struct config_error *e, int r, const char *file, unsigned line, const char *key,
                                    const char *fmt, ...) {
        va_list ap;

        *e = (struct config_error) {};
        snprintf(e->file, sizeof e->file, "%s", file);
        e->line = line > INT_MAX ? INT_MAX : (int) line;
        snprintf(e->key, sizeof e->key, "%s", key ?: "");
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
        error_format_text(e);
        return r;
}

/* The dotted path of a setting, in libconfig's own path syntax: "disk.low_watermark", "tiers.[1].type". */
static void setting_path(const config_setting_t *s, char *buf, size_t size) {
        const config_setting_t *parent = config_setting_parent(s);
        size_t n;

        buf[0] = 0;
        if (!parent)
                return;
        setting_path(parent, buf, size);
        n = strlen(buf);
        if (config_setting_name(s))
                snprintf(buf + n, size - n, "%s%s", n > 0 ? "." : "", config_setting_name(s));
        else
                snprintf(buf + n, size - n, "%s[%d]", n > 0 ? "." : "", config_setting_index(s));
}

const char *config_quote(const char *s, char buf[static CONFIG_QUOTE_MAX]) {
        size_t n = 0, len = strlen(s);

        buf[n++] = '"';
        for (size_t i = 0; i < len && i < 40; i++)
                buf[n++] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        if (len > 40) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n++] = '"';
        buf[n] = 0;
        return buf;
}

static void parser_done(struct config_parser *p) {
        if (p->lc_initialized)
                config_destroy(&p->lc);
        free(p->literals);
        free(p->text_copy);
}

int config_fail(struct config_parser *p, const config_setting_t *s, int r, const char *fmt, ...) {
        char key[sizeof p->error.key], message[sizeof p->error.message];
        va_list ap;

        setting_path(s, key, sizeof key);
        va_start(ap, fmt);
        vsnprintf(message, sizeof message, fmt, ap);
        va_end(ap);
        return error_set(&p->error, r, p->name, config_setting_source_line(s), key, "%s", message);
}

/* Optimal string alignment distance (edits and adjacent swaps), for "did you mean" hints. */
static size_t edit_distance(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        size_t d[33][33];

        if (la > 32 || lb > 32)
                return SIZE_MAX;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= la; i++)
                for (size_t j = 1; j <= lb; j++) {
                        size_t cost = a[i - 1] != b[j - 1];
                        d[i][j] = MIN(MIN(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                                d[i][j] = MIN(d[i][j], d[i - 2][j - 2] + 1);
                }
        return d[la][lb];
}

bool config_close_enough(const char *typed, const char *known) {
        size_t len = strlen(known), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
        return edit_distance(typed, known) <= limit;
}

/* Keys. Each known key has a parser for its value; the group parsers dispatch on these tables. */

/* One string, without control characters (they would break the one-line log and error formats). */
static int get_string(struct config_parser *p, const config_setting_t *s, const char *expected, const char **ret) {
        const char *v;

        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return config_fail(p, s, -EINVAL, "expected %s", expected);
        v = config_setting_get_string(s);
        for (const char *i = v; *i; i++)
                if ((unsigned char) *i < 0x20 || *i == 0x7f)
                        return config_fail(p, s, -EINVAL, "contains a control character");
        *ret = v;
        return 0;
}

static int get_bool(struct config_parser *p, const config_setting_t *s, bool *ret) {
        if (config_setting_type(s) != CONFIG_TYPE_BOOL)
                return config_fail(p, s, -EINVAL, "expected true or false");
        *ret = config_setting_get_bool(s);
        return 0;
}

/* An integer setting's value, refusing the literals libconfig 1.5 wrapped (see config-scan.c). */
static int get_integer(struct config_parser *p, const config_setting_t *s, int64_t *ret) {
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

static int get_duration(struct config_parser *p, const config_setting_t *s, uint64_t min, uint64_t max, uint64_t *ret) {
        char why[256], q[CONFIG_QUOTE_MAX], a[CONFIG_VALUE_STRING_MAX], b[CONFIG_VALUE_STRING_MAX];
        const char *v;
        uint64_t sec;
        int r;

        r = get_string(p, s, "a duration string with a unit, like \"30s\", \"15m\" or \"1h30m\"", &v);
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

static int get_percent(struct config_parser *p, const config_setting_t *s, double *ret) {
        char why[256], q[CONFIG_QUOTE_MAX];
        const char *v;
        double d;
        int r;

        r = get_string(p, s, "a percentage string, like \"85%\"", &v);
        if (r < 0)
                return r;
        r = config_parse_percent_why(v, &d, why, sizeof why);
        if (r < 0)
                return config_fail(p, s, -EINVAL, "invalid percentage %s: %s", config_quote(v, q), why);
        *ret = d;
        return 0;
}

/* Sizes also take a plain libconfig integer (bytes): "min_free = 0;" reads naturally. */
static int get_size(struct config_parser *p, const config_setting_t *s, uint64_t *ret) {
        char why[256], q[CONFIG_QUOTE_MAX];
        const char *v;
        uint64_t bytes;
        int64_t i;
        int r;

        switch (config_setting_type(s)) {
        case CONFIG_TYPE_INT:
        case CONFIG_TYPE_INT64:
                r = get_integer(p, s, &i);
                if (r < 0)
                        return r;
                if (i < 0)
                        return config_fail(p, s, -EINVAL, "negative sizes are not allowed");
                *ret = (uint64_t) i;
                return 0;
        case CONFIG_TYPE_STRING:
                r = get_string(p, s, "", &v);
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
static int get_path(struct config_parser *p, const config_setting_t *s, bool empty_ok, char **ret) {
        const char *v;
        char *copy;
        int r;

        r = get_string(p, s, "a string", &v);
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
static int get_string_list(struct config_parser *p, const config_setting_t *s, int (*check)(struct config_parser *p, const config_setting_t *e),
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
                const char *v;
                int r;

                r = get_string(p, e, "a string", &v);
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

/* engine = { ... } */

static int parse_engine_socket(struct config_parser *p, const config_setting_t *s, struct config *c) {
        const char *v, *path = NULL;
        char *copy;
        int r;

        r = get_string(p, s, "a string: a socket path, \"unix://PATH\" or \"tcp://HOST:PORT\"", &v);
        if (r < 0)
                return r;
        if (v[0] == '/')
                path = v;
        else if (strncmp(v, "unix://", 7) == 0)
                path = v + 7;
        if (path) {
                if (path[0] != '/')
                        return config_fail(p, s, -EINVAL, "the socket path must be absolute");
                if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                        return config_fail(p, s, -EINVAL, "socket path too long (at most %zu bytes)",
                                           sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
        } else if (strncmp(v, "tcp://", 6) == 0) {
                const char *host = v + 6, *colon = strrchr(host, ':');
                char *end;
                unsigned long port;

                if (!colon || colon == host)
                        return config_fail(p, s, -EINVAL, "expected tcp://HOST:PORT");
                errno = 0;
                port = strtoul(colon + 1, &end, 10);
                if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535)
                        return config_fail(p, s, -EINVAL, "expected tcp://HOST:PORT with a port between 1 and 65535");
        } else
                return config_fail(p, s, -EINVAL, "expected an absolute socket path, \"unix://PATH\" or \"tcp://HOST:PORT\"");

        copy = strdup(v);
        if (!copy)
                return -ENOMEM;
        free(c->engine_socket);
        c->engine_socket = copy;
        return 0;
}

static int parse_engine_timeout(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_duration(p, s, 1, SEC_PER_DAY, &c->engine_timeout_sec);
}

static const struct config_key engine_keys[] = {
        { "socket", parse_engine_socket },
        { "timeout", parse_engine_timeout },
};
static const struct config_key_table engine_table = { "engine", engine_keys, ELEMENTSOF(engine_keys) };

static int parse_engine(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_parse_group(p, s, &engine_table, c);
}

/* Top-level scalars */

static int parse_interval(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_duration(p, s, 1, SEC_PER_DAY, &c->interval_sec);
}

static int parse_state_dir(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_path(p, s, false, &c->state_dir);
}

static int parse_dry_run(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_bool(p, s, &c->dry_run);
}

static int parse_log_level(struct config_parser *p, const config_setting_t *s, struct config *c) {
        char q[CONFIG_QUOTE_MAX];
        const char *v;
        int r, level;

        r = get_string(p, s, "a string: \"debug\", \"info\", \"notice\", \"warning\" or \"err\"", &v);
        if (r < 0)
                return r;
        level = config_log_level_from_string(v);
        if (level < 0)
                return config_fail(p, s, -EINVAL, "unknown log level %s; use debug, info, notice, warning or err", config_quote(v, q));
        c->log_level = level;
        return 0;
}

static int parse_max_removals(struct config_parser *p, const config_setting_t *s, struct config *c) {
        int64_t v;
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
                return config_fail(p, s, -EINVAL, "expected a whole number, like 1000");
        r = get_integer(p, s, &v);
        if (r < 0)
                return r;
        if (v < 1 || v > MAX_REMOVALS_MAX)
                return config_fail(p, s, -EINVAL, "%" PRIi64 " is out of range; must be between 1 and %u", v, MAX_REMOVALS_MAX);
        c->max_removals = (unsigned) v;
        return 0;
}

static int parse_metrics_file(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_path(p, s, true, &c->metrics_file);
}

/* disk = { ... } */

static int parse_high_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->high = s;
        return get_percent(p, s, &c->disk.high_watermark);
}

static int parse_low_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->low = s;
        return get_percent(p, s, &c->disk.low_watermark);
}

static int parse_min_free(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->min_free = s;
        return get_size(p, s, &c->disk.min_free);
}

static int parse_target_free(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->target_free = s;
        return get_size(p, s, &c->disk.target_free);
}

static int parse_inode_high_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->inode_high = s;
        return get_percent(p, s, &c->disk.inode_high_watermark);
}

static int parse_inode_low_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->inode_low = s;
        return get_percent(p, s, &c->disk.inode_low_watermark);
}

static const struct config_key disk_keys[] = {
        { "high_watermark", parse_high_watermark },
        { "low_watermark", parse_low_watermark },
        { "min_free", parse_min_free },
        { "target_free", parse_target_free },
        { "inode_high_watermark", parse_inode_high_watermark },
        { "inode_low_watermark", parse_inode_low_watermark },
};
static const struct config_key_table disk_table = { "disk", disk_keys, ELEMENTSOF(disk_keys) };

static int parse_disk(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_parse_group(p, s, &disk_table, c);
}

/* protect = { ... } */

static int check_label(struct config_parser *p, const config_setting_t *e) {
        const char *v = config_setting_get_string(e);
        if (v[0] == '=')
                return config_fail(p, e, -EINVAL, "empty label key; expected \"key\" or \"key=value\"");
        return 0;
}

static int check_image_pattern(struct config_parser *p, const config_setting_t *e) {
        const char *v = config_setting_get_string(e);
        if (strpbrk(v, " \t"))
                return config_fail(p, e, -EINVAL, "image references contain no spaces");
        return 0;
}

static int parse_protect_labels(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_string_list(p, s, check_label, &c->protect_labels);
}

static int parse_protect_images(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return get_string_list(p, s, check_image_pattern, &c->protect_images);
}

static const struct config_key protect_keys[] = {
        { "labels", parse_protect_labels },
        { "images", parse_protect_images },
};
static const struct config_key_table protect_table = { "protect", protect_keys, ELEMENTSOF(protect_keys) };

static int parse_protect(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_parse_group(p, s, &protect_table, c);
}

/* tiers = ( { ... }, ... ) */

static const struct config_key tier_keys[] = {
        /* Parsed together by parse_tier: include_named depends on type. */
        { "type", NULL },
        { "min_age", NULL },
        { "include_named", NULL },
};
static const struct config_key_table tier_table = { NULL, tier_keys, ELEMENTSOF(tier_keys) };

static int parse_tier(struct config_parser *p, const config_setting_t *s, int seen[static _CONFIG_TIER_MAX], struct config_tier *ret) {
        const config_setting_t *type = NULL, *min_age = NULL, *named = NULL;
        struct config_tier t = {};
        char q[CONFIG_QUOTE_MAX];
        const char *v;
        int r, k;

        if (!config_setting_is_group(s))
                return config_fail(p, s, -EINVAL, "expected a tier, like { type = \"build-cache\"; min_age = \"24h\"; }");
        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const char *name = config_setting_name(e);

                if (streq(name, "type"))
                        type = e;
                else if (streq(name, "min_age"))
                        min_age = e;
                else if (streq(name, "include_named"))
                        named = e;
                else
                        return config_unknown_key(p, e, &tier_table);
        }

        if (!type)
                return config_fail(p, s, -EINVAL, "missing key 'type'");
        r = get_string(p, type, "a string, the tier type", &v);
        if (r < 0)
                return r;
        k = config_tier_type_from_string(v);
        if (k < 0) {
                for (int i = 0; i < _CONFIG_TIER_MAX; i++)
                        if (config_close_enough(v, tier_names[i]))
                                return config_fail(p, type, -EINVAL, "unknown tier type %s; did you mean \"%s\"?", config_quote(v, q), tier_names[i]);
                return config_fail(p, type, -EINVAL,
                                   "unknown tier type %s; use stopped-containers, dangling-images, build-cache, unused-images, unused-volumes or unused-networks",
                                   config_quote(v, q));
        }
        if (seen[k] >= 0)
                return config_fail(p, type, -EINVAL, "duplicate tier type \"%s\"; tiers.[%d] has it already", v, seen[k]);
        seen[k] = config_setting_index(s);

        t.type = (enum config_tier_type) k;
        t.min_age_sec = tier_default_min_age[k];
        if (min_age) {
                r = get_duration(p, min_age, 0, 365 * SEC_PER_DAY, &t.min_age_sec);
                if (r < 0)
                        return r;
        }
        if (named) {
                if (k != CONFIG_TIER_UNUSED_VOLUMES)
                        return config_fail(p, named, -EINVAL, "only the \"unused-volumes\" tier takes include_named");
                r = get_bool(p, named, &t.include_named);
                if (r < 0)
                        return r;
        }
        *ret = t;
        return 0;
}

static int parse_tiers(struct config_parser *p, const config_setting_t *s, struct config *c) {
        int seen[_CONFIG_TIER_MAX];
        int r;

        /* "tiers = [ ];" is libconfig's empty array, which reads as naturally as "( )". */
        if (!config_setting_is_list(s) && !(config_setting_is_array(s) && config_setting_length(s) == 0))
                return config_fail(p, s, -EINVAL, "expected a list of tiers, like ( { type = \"stopped-containers\"; min_age = \"1h\"; } )");
        for (size_t i = 0; i < ELEMENTSOF(seen); i++)
                seen[i] = -1;
        c->n_tiers = 0;
        for (int i = 0; i < config_setting_length(s); i++) {
                struct config_tier t;

                /* Duplicates are refused, so at most _CONFIG_TIER_MAX get this far. */
                r = parse_tier(p, config_setting_get_elem(s, (unsigned) i), seen, &t);
                if (r < 0)
                        return r;
                c->tiers[c->n_tiers++] = t;
        }
        return 0;
}

static const struct config_key root_keys[] = {
        { "engine", parse_engine },
        { "interval", parse_interval },
        { "state_dir", parse_state_dir },
        { "dry_run", parse_dry_run },
        { "log_level", parse_log_level },
        { "disk", parse_disk },
        { "tiers", parse_tiers },
        { "protect", parse_protect },
        { "max_removals", parse_max_removals },
        { "metrics_file", parse_metrics_file },
};
const struct config_key_table config_root_table = { "", root_keys, ELEMENTSOF(root_keys) };
const struct config_key_table *const config_key_groups[] = { &config_root_table, &engine_table, &disk_table, &protect_table, NULL };

int config_unknown_key(struct config_parser *p, const config_setting_t *s, const struct config_key_table *table) {
        const struct config_key_table *const *groups = config_key_groups;
        const char *name = config_setting_name(s);

        /* A near miss among the keys that belong here... */
        for (size_t i = 0; i < table->n; i++)
                if (config_close_enough(name, table->keys[i].name))
                        return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s'?", table->keys[i].name);
        /* ... or a key that belongs in another group. */
        for (size_t g = 0; groups[g]; g++) {
                if (groups[g] == table)
                        continue;
                for (size_t i = 0; i < groups[g]->n; i++)
                        if (config_close_enough(name, groups[g]->keys[i].name)) {
                                if (!groups[g]->path[0])
                                        return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s' at the top level?",
                                                           groups[g]->keys[i].name);
                                return config_fail(p, s, -EINVAL, "unknown key; did you mean '%s.%s'?", groups[g]->path,
                                                   groups[g]->keys[i].name);
                        }
        }
        return config_fail(p, s, -EINVAL, "unknown key");
}

int config_parse_group(struct config_parser *p, const config_setting_t *s, const struct config_key_table *table, struct config *c) {
        if (!config_setting_is_group(s))
                return config_fail(p, s, -EINVAL, "expected a group, like %s = { ... };", config_setting_name(s));

        for (int i = 0; i < config_setting_length(s); i++) {
                const config_setting_t *e = config_setting_get_elem(s, (unsigned) i);
                const struct config_key *k = NULL;
                int r;

                for (size_t j = 0; j < table->n; j++)
                        if (streq(config_setting_name(e), table->keys[j].name))
                                k = &table->keys[j];
                if (!k)
                        return config_unknown_key(p, e, table);
                r = k->parse(p, e, c);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The first of a pair of watermarks must be above the second. Blames the key written in the file (the low
 * one when both are), since the other one is a default the operator may not have thought about. */
static int check_watermarks(struct config_parser *p, const config_setting_t *high_s, const config_setting_t *low_s, double high,
                            double low, const char *high_name, const char *low_name) {
        char v[CONFIG_VALUE_STRING_MAX];

        if (low < high)
                return 0;
        if (low_s)
                return config_fail(p, low_s, -EINVAL, "must be below %s (%s)", high_name, config_format_percent(high, v));
        if (high_s)
                return config_fail(p, high_s, -EINVAL, "must be above %s (%s)", low_name, config_format_percent(low, v));
        return 0; /* the defaults are consistent */
}

int config_check_rules(struct config_parser *p, struct config *c) {
        char v[CONFIG_VALUE_STRING_MAX];
        int r;

        r = check_watermarks(p, p->high, p->low, c->disk.high_watermark, c->disk.low_watermark, "high_watermark", "low_watermark");
        if (r < 0)
                return r;
        r = check_watermarks(p, p->inode_high, p->inode_low, c->disk.inode_high_watermark, c->disk.inode_low_watermark,
                             "inode_high_watermark", "inode_low_watermark");
        if (r < 0)
                return r;

        /* A min_free alone cleans until min_free is free again. */
        if (c->disk.target_free == 0)
                c->disk.target_free = c->disk.min_free;
        else if (c->disk.min_free > c->disk.target_free)
                return config_fail(p, p->target_free ?: p->min_free, -EINVAL, "must be at least min_free (%s)",
                                   config_format_size(c->disk.min_free, v));
        return 0;
}

/* Depth-first, in document order: the order config_scan_int_literals lists the literals in. */
static void mark_literals(config_setting_t *s, struct config_int_literal *lits, size_t n, size_t *next) {
        int type = config_setting_type(s);

        if (type == CONFIG_TYPE_INT || type == CONFIG_TYPE_INT64) {
                if (*next < n && !lits[*next].in_range)
                        config_setting_set_hook(s, &lits[*next]);
                (*next)++;
        } else if (config_setting_is_aggregate(s))
                for (int i = 0; i < config_setting_length(s); i++)
                        mark_literals(config_setting_get_elem(s, (unsigned) i), lits, n, next);
}

static int parse_text(struct config_parser *p, struct config *c) {
        size_t n, next = 0;
        unsigned line;
        bool wrapped = false;
        int r;

        /* libconfig takes "# comment" only when a newline follows; a file's last line may lack one. */
        size_t len = strlen(p->text);
        if (len > 0 && p->text[len - 1] != '\n') {
                p->text_copy = malloc(len + 2);
                if (!p->text_copy)
                        return -ENOMEM;
                memcpy(p->text_copy, p->text, len);
                memcpy(p->text_copy + len, "\n", 2);
                p->text = p->text_copy;
        }

        line = config_scan_find_include(p->text);
        if (line > 0)
                return error_set(&p->error, -EINVAL, p->name, line, NULL, "@include is not supported");

        config_init(&p->lc);
        p->lc_initialized = true;
        if (!config_read_string(&p->lc, p->text)) {
                /* An error at the end of the input is on the last line, not on the one after it. */
                unsigned last = 1;
                for (const char *i = p->text; *i; i++)
                        last += *i == '\n' && i[1];
                line = (unsigned) MAX(config_error_line(&p->lc), 0);
                return error_set(&p->error, -EINVAL, p->name, MIN(line, last), NULL, "%s",
                                 config_error_text(&p->lc) ?: "syntax error");
        }

        r = config_scan_int_literals(p->text, &p->literals, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                wrapped = wrapped || !p->literals[i].in_range;
        if (wrapped) {
                mark_literals(config_root_setting(&p->lc), p->literals, n, &next);
                /* Only trust the marks if both tokenizers saw the same literals. */
                if (next != n)
                        return error_set(&p->error, -EINVAL, p->name, 0, NULL,
                                         "cannot check the integers in this file; please report this as a bug");
        }

        r = config_init_defaults(c);
        if (r < 0)
                return r;
        r = config_parse_group(p, config_root_setting(&p->lc), &config_root_table, c);
        if (r < 0)
                return r;
        return config_check_rules(p, c);
}

int config_parse_string(const char *text, const char *name, struct config *ret, struct config_error *ret_error) {
        _cleanup_(parser_done) struct config_parser p = {
                .name = name ?: "<string>",
                .text = text,
        };
        _cleanup_(config_done) struct config c = {};
        int r;

        if (!text || !ret)
                return -EINVAL;
        r = parse_text(&p, &c);
        if (r < 0) {
                if (r == -ENOMEM)
                        error_set(&p.error, r, p.name, 0, NULL, "out of memory");
                if (ret_error)
                        *ret_error = p.error;
                return r;
        }
        *ret = c;
        c = (struct config) {};
        return 0;
}

static int file_error(struct config_error *ret_error, const char *path, int r, const char *what) {
        char buf[256];
        struct config_error e;

        error_set(&e, r, path, 0, NULL, "%s: %s", what, strerror_r(-r, buf, sizeof buf));
        if (ret_error)
                *ret_error = e;
        return r;
}

int config_parse_file(const char *path, struct config *ret, struct config_error *ret_error) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        struct stat st;
        const char *nul;

        if (!path || !ret)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return file_error(ret_error, path, negative_errno(), "cannot open");
        if (fstat(fd, &st) < 0)
                return file_error(ret_error, path, negative_errno(), "cannot stat");
        if (S_ISDIR(st.st_mode))
                return file_error(ret_error, path, -EISDIR, "cannot read");

        /* Not trusting st_size: pipes ("--config <(...)") have none. */
        text = malloc(CONFIG_FILE_MAX + 1);
        if (!text)
                return -ENOMEM;
        for (;;) {
                ssize_t k = read(fd, text + size, CONFIG_FILE_MAX + 1 - size);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return file_error(ret_error, path, negative_errno(), "cannot read");
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > CONFIG_FILE_MAX)
                        return file_error(ret_error, path, -EFBIG, "cannot read");
        }
        text[size] = 0;

        nul = memchr(text, 0, size);
        if (nul) {
                unsigned line = 1;
                for (const char *i = text; i < nul; i++)
                        line += *i == '\n';
                struct config_error e;
                error_set(&e, -EINVAL, path, line, NULL, "contains a NUL byte; is this a text file?");
                if (ret_error)
                        *ret_error = e;
                return -EINVAL;
        }
        /* Some editors start UTF-8 files with a byte order mark, which libconfig takes for garbage. */
        return config_parse_string(strncmp(text, "\xef\xbb\xbf", 3) == 0 ? text + 3 : text, path, ret, ret_error);
}
