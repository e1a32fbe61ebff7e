/* config-keys.c: the keys of dockerclean.conf: one parser per key (reading values with config-get.c's
 * typed getters), the per-group tables lib/config.c dispatches on, the tier types with
 * their default ages, and the rules across keys. */

#include "config.h"
#include "config-internal.h"

#include <errno.h>
#include <pwd.h>
#include <sys/stat.h>
#include <inttypes.h>
#include <libconfig.h>
#include <limits.h>
#include <string.h>
#include <sys/un.h>

#include "macro.h"
#include "safe-path.h"

#define SEC_PER_DAY UINT64_C(86400)
#define MAX_REMOVALS_MAX 1000000u

static const char *const tier_names[_CONFIG_TIER_MAX] = {
        [CONFIG_TIER_STOPPED_CONTAINERS] = "stopped-containers",
        [CONFIG_TIER_DANGLING_IMAGES] = "dangling-images",
        [CONFIG_TIER_BUILD_CACHE] = "build-cache",
        [CONFIG_TIER_UNUSED_IMAGES] = "unused-images",
        [CONFIG_TIER_UNUSED_VOLUMES] = "unused-volumes",
        [CONFIG_TIER_UNUSED_NETWORKS] = "unused-networks",
        [CONFIG_TIER_INACTIVE_BUILDERS] = "inactive-builders",
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
        [CONFIG_TIER_INACTIVE_BUILDERS] = 7 * SEC_PER_DAY, /* its cache goes with it */
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

/* engine = { ... } */

static int parse_engine_socket(struct config_parser *p, const config_setting_t *s, struct config *c) {
        const char *v, *path = NULL;
        char *copy;
        int r;

        r = config_get_string(p, s, "a string: a socket path, \"unix://PATH\" or \"tcp://HOST:PORT\"", &v);
        if (r < 0)
                return r;
        if (v[0] == '/')
                path = v;
        else if (startswith(v, "unix://"))
                path = v + strlen("unix://");
        if (path) {
                if (path[0] != '/')
                        return config_fail(p, s, -EINVAL, "the socket path must be absolute");
                if (strlen(path) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                        return config_fail(p, s, -EINVAL, "socket path too long (at most %zu bytes)",
                                           sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
        } else if (startswith(v, "tcp://")) {
                const char *host = v + strlen("tcp://"), *colon = strrchr(host, ':');
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

/* A rootless engine's socket belongs to its user: "1000" or "podman"; root's is always trusted. */
static int parse_engine_socket_owner(struct config_parser *p, const config_setting_t *s, struct config *c) {
        const char *v;
        int r = config_get_string(p, s, "a user name or a uid", &v);
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        unsigned long uid = strtoul(v, &end, 10);
        if (!*v) { /* as shipped: not set, root only */
                c->engine_socket_owner = 0;
                return 0;
        }
        if (v[0] >= '0' && v[0] <= '9') {
                if (*end || errno || uid >= (uid_t) -1)
                        return config_fail(p, s, -EINVAL, "expected a user name or a uid, got \"%s\"", v);
                c->engine_socket_owner = (uid_t) uid;
                return 0;
        }
        struct passwd pw, *found = NULL;
        char buf[4096];
        r = getpwnam_r(v, &pw, buf, sizeof buf, &found);
        if (r != 0 || !found)
                return config_fail(p, s, -EINVAL, "no user \"%s\"%s%s", v, r ? ": " : "", r ? strerror(r) : "");
        c->engine_socket_owner = found->pw_uid;
        return 0;
}

static int parse_engine_timeout(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_duration(p, s, 1, SEC_PER_DAY, &c->engine_timeout_sec);
}

static const struct config_key engine_keys[] = {
        { "socket", parse_engine_socket },
        { "socket_owner", parse_engine_socket_owner },
        { "timeout", parse_engine_timeout },
};
static const struct config_key_table engine_table = { "engine", engine_keys, ELEMENTSOF(engine_keys) };

static int parse_engine(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_parse_group(p, s, &engine_table, c);
}

/* Top-level scalars */

static int parse_interval(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_duration(p, s, 1, SEC_PER_DAY, &c->interval_sec);
}

static int parse_state_dir(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_path(p, s, false, &c->state_dir);
}

static int parse_dry_run(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_bool(p, s, &c->dry_run);
}

static int parse_log_level(struct config_parser *p, const config_setting_t *s, struct config *c) {
        char q[CONFIG_QUOTE_MAX];
        const char *v;
        int r, level;

        r = config_get_string(p, s, "a string: \"debug\", \"info\", \"notice\", \"warning\" or \"err\"", &v);
        if (r < 0)
                return r;
        level = config_log_level_from_string(v);
        if (level < 0)
                return config_fail(p, s, -EINVAL, "unknown log level %s; use debug, info, notice, warning or err", config_quote(v, q));
        c->log_level = level;
        return 0;
}

static int parse_max_removals(struct config_parser *p, const config_setting_t *s, struct config *c) {
        int64_t v = 0;
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
                return config_fail(p, s, -EINVAL, "expected a whole number, like 1000");
        r = config_get_integer(p, s, &v);
        if (r < 0)
                return r;
        if (v < 1 || v > MAX_REMOVALS_MAX)
                return config_fail(p, s, -EINVAL, "%" PRIi64 " is out of range; must be between 1 and %u", v, MAX_REMOVALS_MAX);
        c->max_removals = (unsigned) v;
        return 0;
}

static int parse_metrics_file(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_path(p, s, true, &c->metrics_file);
}

/* disk = { ... } */

static int parse_high_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->high = s;
        return config_get_percent(p, s, &c->disk.high_watermark);
}

static int parse_low_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->low = s;
        return config_get_percent(p, s, &c->disk.low_watermark);
}

static int parse_min_free(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->min_free = s;
        return config_get_size(p, s, &c->disk.min_free);
}

static int parse_target_free(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->target_free = s;
        return config_get_size(p, s, &c->disk.target_free);
}

/* The engine's own bytes: disk.max_engine_bytes, disk.target_engine_bytes, disk.engine_usage_interval */

static int parse_max_engine_bytes(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->max_engine = s;
        return config_get_size(p, s, &c->disk.max_engine_bytes);
}

static int parse_target_engine_bytes(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->target_engine = s;
        return config_get_size(p, s, &c->disk.target_engine_bytes);
}

static int parse_engine_usage_interval(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_duration(p, s, 1, SEC_PER_DAY, &c->disk.engine_usage_interval_sec);
}

/* target_engine_bytes below max_engine_bytes, and only with it; left at 0 it is 90 % of it. */
static int check_engine_bytes(struct config_parser *p, struct config *c) {
        char v[CONFIG_VALUE_STRING_MAX];
        struct config_disk *d = &c->disk;

        if (d->max_engine_bytes == 0) {
                if (d->target_engine_bytes > 0)
                        return config_fail(p, p->target_engine, -EINVAL, "needs max_engine_bytes, which is off");
                return 0;
        }
        if (d->target_engine_bytes == 0)
                d->target_engine_bytes = d->max_engine_bytes / 10 * 9 + d->max_engine_bytes % 10 * 9 / 10;
        else if (d->target_engine_bytes >= d->max_engine_bytes)
                return config_fail(p, p->target_engine, -EINVAL, "must be below max_engine_bytes (%s)",
                                   config_format_size(d->max_engine_bytes, v));
        return 0;
}

static int parse_inode_high_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->inode_high = s;
        return config_get_percent(p, s, &c->disk.inode_high_watermark);
}

static int parse_inode_low_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->inode_low = s;
        return config_get_percent(p, s, &c->disk.inode_low_watermark);
}

/* Paths of filesystems that hold engine data: absolute, existing, at most CONFIG_DISK_PATHS_MAX. */
static int check_disk_path(struct config_parser *p, const config_setting_t *e) {
        const char *v = config_setting_get_string(e);
        struct stat st;
        if (v[0] != '/')
                return config_fail(p, e, -EINVAL, "the path must be absolute");
        if (stat(v, &st) < 0)
                return config_fail(p, e, -EINVAL, "%s: %s", v, strerror(errno));
        if (config_setting_index(e) >= CONFIG_DISK_PATHS_MAX)
                return config_fail(p, e, -EINVAL, "at most %d paths", CONFIG_DISK_PATHS_MAX);
        return 0;
}

static int parse_disk_paths(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_string_list(p, s, check_disk_path, &c->disk.paths);
}

/* The operator's levers (issue 15): the critical watermark, the newest images per repository, the
 * tiers' maximum unused age. Their parsers and their rule across keys, in one block. */

#define NEWEST_PER_REPOSITORY_MAX 10000u
#define MAX_UNUSED_AGE_MAX (10 * 365 * SEC_PER_DAY)

/* A percentage, or "0" (also 0 and "0%"): off. */
static int parse_critical_watermark(struct config_parser *p, const config_setting_t *s, struct config *c) {
        p->critical = s;
        if ((config_setting_type(s) == CONFIG_TYPE_INT || config_setting_type(s) == CONFIG_TYPE_INT64) &&
            config_setting_get_int64(s) == 0 && !config_setting_get_hook(s)) {
                c->disk.critical_watermark = 0;
                return 0;
        }
        if (config_setting_type(s) == CONFIG_TYPE_STRING && streq(config_setting_get_string(s), "0")) {
                c->disk.critical_watermark = 0;
                return 0;
        }
        if (config_setting_type(s) != CONFIG_TYPE_STRING)
                return config_fail(p, s, -EINVAL, "expected a percentage string, like \"95%%\", or \"0\" (off)");
        return config_get_percent(p, s, &c->disk.critical_watermark);
}

static int parse_critical_min_age(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_duration(p, s, 0, 365 * SEC_PER_DAY, &c->disk.critical_min_age_sec);
}

static int parse_protect_newest_per_repository(struct config_parser *p, const config_setting_t *s, struct config *c) {
        int64_t v = 0;
        int r;

        if (config_setting_type(s) != CONFIG_TYPE_INT && config_setting_type(s) != CONFIG_TYPE_INT64)
                return config_fail(p, s, -EINVAL, "expected a whole number of images, like 3 (0 = off)");
        r = config_get_integer(p, s, &v);
        if (r < 0)
                return r;
        if (v < 0 || v > NEWEST_PER_REPOSITORY_MAX)
                return config_fail(p, s, -EINVAL, "%" PRIi64 " is out of range; must be between 0 (off) and %u", v,
                                   NEWEST_PER_REPOSITORY_MAX);
        c->protect_newest_per_repository = (unsigned) v;
        return 0;
}

/* tiers.[i].max_unused_age: only where an age of last use means something (images, build cache), and
 * never shorter than the tier's own min_age, which would let it take what the tier still calls young. */
static int parse_tier_max_unused_age(struct config_parser *p, const config_setting_t *s, struct config_tier *t) {
        char v[CONFIG_VALUE_STRING_MAX];
        int r;

        if (t->type != CONFIG_TIER_UNUSED_IMAGES && t->type != CONFIG_TIER_BUILD_CACHE)
                return config_fail(p, s, -EINVAL, "only the \"unused-images\" and \"build-cache\" tiers take max_unused_age");
        r = config_get_duration(p, s, 0, MAX_UNUSED_AGE_MAX, &t->max_unused_age_sec);
        if (r < 0)
                return r;
        if (t->max_unused_age_sec > 0 && t->max_unused_age_sec < t->min_age_sec)
                return config_fail(p, s, -EINVAL, "must be at least the tier's min_age (%s), or \"0\" (off)",
                                   config_format_duration(t->min_age_sec, v));
        return 0;
}

/* critical_watermark must be above high_watermark. Left at its default with a high_watermark written at
 * or above it, the critical pass is off rather than the file refused: such files predate the key. */
static int check_critical_watermark(struct config_parser *p, struct config *c) {
        char v[CONFIG_VALUE_STRING_MAX];

        if (c->disk.critical_watermark <= 0 || c->disk.critical_watermark > c->disk.high_watermark)
                return 0;
        if (p->critical)
                return config_fail(p, p->critical, -EINVAL, "must be above high_watermark (%s), or \"0\" (off)",
                                   config_format_percent(c->disk.high_watermark, v));
        c->disk.critical_watermark = 0;
        return 0;
}

static const struct config_key disk_keys[] = {
        { "high_watermark", parse_high_watermark },
        { "low_watermark", parse_low_watermark },
        { "min_free", parse_min_free },
        { "target_free", parse_target_free },
        { "max_engine_bytes", parse_max_engine_bytes },
        { "target_engine_bytes", parse_target_engine_bytes },
        { "engine_usage_interval", parse_engine_usage_interval },
        { "inode_high_watermark", parse_inode_high_watermark },
        { "inode_low_watermark", parse_inode_low_watermark },
        { "paths", parse_disk_paths },
        { "critical_watermark", parse_critical_watermark },
        { "critical_min_age", parse_critical_min_age },
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
        return config_get_string_list(p, s, check_label, &c->protect_labels);
}

static int parse_protect_images(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_string_list(p, s, check_image_pattern, &c->protect_images);
}

static const struct config_key protect_keys[] = {
        { "labels", parse_protect_labels },
        { "images", parse_protect_images },
        { "newest_per_repository", parse_protect_newest_per_repository },
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
        { "max_unused_age", NULL },
};
static const struct config_key_table tier_table = { NULL, tier_keys, ELEMENTSOF(tier_keys) };

static int parse_tier(struct config_parser *p, const config_setting_t *s, int seen[static _CONFIG_TIER_MAX], struct config_tier *ret) {
        const config_setting_t *type = NULL, *min_age = NULL, *named = NULL, *max_unused_age = NULL;
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
                else if (streq(name, "max_unused_age"))
                        max_unused_age = e;
                else
                        return config_unknown_key(p, e, &tier_table);
        }

        if (!type)
                return config_fail(p, s, -EINVAL, "missing key 'type'");
        r = config_get_string(p, type, "a string, the tier type", &v);
        if (r < 0)
                return r;
        k = config_tier_type_from_string(v);
        if (k < 0) {
                for (int i = 0; i < _CONFIG_TIER_MAX; i++)
                        if (config_close_enough(v, tier_names[i]))
                                return config_fail(p, type, -EINVAL, "unknown tier type %s; did you mean \"%s\"?", config_quote(v, q), tier_names[i]);
                return config_fail(p, type, -EINVAL,
                                   "unknown tier type %s; use stopped-containers, dangling-images, build-cache, unused-images, unused-volumes, unused-networks or inactive-builders",
                                   config_quote(v, q));
        }
        if (seen[k] >= 0)
                return config_fail(p, type, -EINVAL, "duplicate tier type \"%s\"; tiers.[%d] has it already", v, seen[k]);
        seen[k] = config_setting_index(s);

        t.type = (enum config_tier_type) k;
        t.min_age_sec = tier_default_min_age[k];
        if (min_age) {
                r = config_get_duration(p, min_age, 0, 365 * SEC_PER_DAY, &t.min_age_sec);
                if (r < 0)
                        return r;
        }
        if (named) {
                if (k != CONFIG_TIER_UNUSED_VOLUMES)
                        return config_fail(p, named, -EINVAL, "only the \"unused-volumes\" tier takes include_named");
                r = config_get_bool(p, named, &t.include_named);
                if (r < 0)
                        return r;
        }
        if (max_unused_age) {
                r = parse_tier_max_unused_age(p, max_unused_age, &t);
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

/* The last resort: exhausted_command = [ ... ]; exhausted_command_timeout = "60s"; */

static int check_command_arg(struct config_parser *p, const config_setting_t *e) {
        if (config_setting_index(e) == 0 && config_setting_get_string(e)[0] != '/')
                return config_fail(p, e, -EINVAL, "the command must be an absolute path (it runs without a shell and without $PATH)");
        return 0;
}

static int parse_exhausted_command(struct config_parser *p, const config_setting_t *s, struct config *c) {
        char why[200];
        int r;

        r = config_get_string_list(p, s, check_command_arg, &c->exhausted_command);
        if (r < 0 || strv_isempty(c->exhausted_command))
                return r;
        /* It runs as root: like sshd's StrictModes, the command may not be changeable by anyone but root
         * (nor may the file that names it: config_parse_file() checks every configuration file). */
        r = safe_path_check(c->exhausted_command[0], SAFE_PATH_EXECUTABLE, why, sizeof why);
        if (r == -EPERM)
                return config_fail(p, config_setting_get_elem(s, 0), -EINVAL,
                                   "%s; refused: the command runs as root, so only root may be able to change it", why);
        /* Not a question of who may change it: the command is not there (or cannot be reached). */
        if (r < 0)
                return config_fail(p, config_setting_get_elem(s, 0), -EINVAL, "%s%s", why,
                                   r == -ENOENT ? " (the command does not exist)" : "");
        return 0;
}

static int parse_exhausted_command_timeout(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_get_duration(p, s, 1, 3600, &c->exhausted_command_timeout_sec);
}

/* A group name as useradd(8) takes them: the daemon resolves it when it opens the socket. */
static int parse_control_group(struct config_parser *p, const config_setting_t *s, struct config *c) {
        const char *v;
        int r = config_get_string(p, s, "a group name", &v);
        if (r < 0)
                return r;
        if (strlen(v) > 32 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen(v) ||
            v[0] == '-')
                return config_fail(p, s, -EINVAL, "expected a group name (letters, digits, '_', '-', '.'), or \"\" for root only");
        char *copy = v[0] ? strdup(v) : NULL;
        if (v[0] && !copy)
                return -ENOMEM;
        free(c->control_group);
        c->control_group = copy;
        return 0;
}
static int parse_control_socket(struct config_parser *p, const config_setting_t *s, struct config *c) {
        int r = config_get_path(p, s, true, &c->control_socket);
        if (r >= 0 && c->control_socket && strlen(c->control_socket) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
                return config_fail(p, s, -EINVAL, "path too long for a unix socket (at most %zu bytes)",
                                   sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
        return r;
}
static const struct config_key control_keys[] = {
        { "socket", parse_control_socket },
        { "group", parse_control_group },
};
static const struct config_key_table control_table = { "control", control_keys, ELEMENTSOF(control_keys) };
static int parse_control(struct config_parser *p, const config_setting_t *s, struct config *c) {
        return config_parse_group(p, s, &control_table, c);
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
        { "exhausted_command", parse_exhausted_command },
        { "exhausted_command_timeout", parse_exhausted_command_timeout },
        { "control", parse_control },
};
const struct config_key_table config_root_table = { "", root_keys, ELEMENTSOF(root_keys) };
const struct config_key_table *const config_key_groups[] = {
        &config_root_table, &engine_table, &disk_table, &protect_table, &control_table, NULL,
};

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
        r = check_critical_watermark(p, c);
        if (r < 0)
                return r;

        /* A min_free alone cleans until min_free is free again. */
        if (c->disk.target_free == 0)
                c->disk.target_free = c->disk.min_free;
        else if (c->disk.min_free > c->disk.target_free)
                return config_fail(p, p->target_free ?: p->min_free, -EINVAL, "must be at least min_free (%s)",
                                   config_format_size(c->disk.min_free, v));
        return check_engine_bytes(p, c);
}
