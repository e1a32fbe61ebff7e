/* config.h: /etc/dockerclean.conf (libconfig syntax) in, one validated plain struct out.
 *
 * Never logs, never exits: errors come back as -errno plus a struct config_error whose text reads
 * "FILE:LINE: KEY: what is wrong". Durations are kept in seconds, sizes in bytes, percents as
 * doubles in [0,100]. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>

#include "macro.h"

enum config_tier_type {
        CONFIG_TIER_STOPPED_CONTAINERS,
        CONFIG_TIER_DANGLING_IMAGES,
        CONFIG_TIER_BUILD_CACHE,
        CONFIG_TIER_UNUSED_IMAGES,
        CONFIG_TIER_UNUSED_VOLUMES,
        CONFIG_TIER_UNUSED_NETWORKS,
        CONFIG_TIER_INACTIVE_BUILDERS, /* a stopped buildx docker-container builder and its state volume */
        _CONFIG_TIER_MAX,
};

struct config_tier {
        enum config_tier_type type;
        uint64_t min_age_sec;
        bool include_named; /* unused-volumes only */
        uint64_t max_unused_age_sec; /* unused-images and build-cache only: removed after this long unused
                                      * even without disk pressure; 0 = off, else >= min_age_sec */
};

struct config_disk {
        double high_watermark;       /* percent used that starts a cleanup */
        double low_watermark;        /* ... and the percent it cleans below */
        uint64_t min_free;           /* bytes; 0 = off */
        uint64_t target_free;        /* bytes; 0 = off */
        uint64_t max_engine_bytes;   /* the engine's own bytes (/system/df) that start a cleanup; 0 = off */
        uint64_t target_engine_bytes; /* ... and that it cleans below (90 % of max_engine_bytes unless set) */
        uint64_t engine_usage_interval_sec; /* /system/df at most this often for max_engine_bytes */
        double inode_high_watermark;
        double inode_low_watermark;
        double critical_watermark;   /* percent used at which a plan goes on past the tiers' min_age with
                                      * critical_min_age; 0 = off, else above high_watermark */
        uint64_t critical_min_age_sec;
        char **paths;                /* NULL-terminated: more filesystems that hold engine data (measured
                                      * besides DockerRootDir; with the containerd image store they replace
                                      * the default /var/lib/containerd); NULL or empty = none */
};

/* In the unit's RuntimeDirectory=dockerclean. */
#define CONFIG_CONTROL_SOCKET_DEFAULT "/run/dockerclean/control.socket"

/* DockerRootDir plus disk.paths: at most this many filesystems are measured. */
#define CONFIG_DISK_PATHS_MAX 7

struct config {
        char *engine_socket;         /* as written: a path, "unix://PATH" or "tcp://HOST:PORT"; NULL = not set
                                      * (then DOCKER_HOST, then /var/run/docker.sock) */
        uid_t engine_socket_owner;   /* who besides root may own the engine's unix socket (a rootless
                                      * engine's user); 0 = root only */
        uint64_t engine_timeout_sec; /* per request for prune and df */
        uint64_t interval_sec;
        char *state_dir;
        bool dry_run;
        int log_level;               /* syslog priority: LOG_DEBUG .. LOG_ERR */
        struct config_disk disk;
        struct config_tier tiers[_CONFIG_TIER_MAX];
        size_t n_tiers;
        char **protect_labels;       /* NULL-terminated; "key" or "key=value" */
        char **protect_images;       /* NULL-terminated; fnmatch globs over references */
        unsigned protect_newest_per_repository; /* the unused-images tier keeps the newest N images of each
                                      * repository; 0 = off */
        unsigned max_removals;
        char *metrics_file;          /* NULL or "" = off */

        /* The last resort, run once per exhausted episode (daemon/lastresort-run.c). */
        char **exhausted_command;    /* NULL-terminated argv, argv[0] absolute; NULL or empty = off */
        uint64_t exhausted_command_timeout_sec;

        /* The control socket (--ensure-free): where it listens, and the group that may ask besides root. */
        char *control_socket;        /* absolute path; NULL or "" = no control socket */
        char *control_group;         /* a group name; NULL or "" = root only */

        /* Not from the file: the image ids under a lease (lease.h), set by the daemon for each cleanup.
         * Borrowed: never parsed, printed, compared nor freed here. NULL = none. */
        char *const *leased_image_ids;
};

struct config_error {
        char file[256];
        int line;                    /* 0 when the error has no line (missing file, cross-key rule) */
        char key[128];               /* dotted path, e.g. "disk.low_watermark" or "tiers.[1].type" */
        char message[256];
        char text[768];              /* "FILE:LINE: KEY: message", ready to print */
};

/* Fills *c with the compiled-in defaults (the values conf/dockerclean.conf documents). */
int config_init_defaults(struct config *c) _must_check_;
/* Frees what *c owns and zeroes it; safe on a zeroed or already-freed struct. */
void config_done(struct config *c);

/* Parses text; `name` is used as FILE in error messages. On success *ret is set (caller owns it,
 * config_done() frees); on failure *ret is untouched and *ret_error (if non-NULL) says why. */
int config_parse_string(const char *text, const char *name, struct config *ret,
                        struct config_error *ret_error) _must_check_;
/* Reads a file. A missing file is -ENOENT with an error filled in; the caller decides whether a
 * missing default path means "all defaults". */
int config_parse_file(const char *path, struct config *ret, struct config_error *ret_error) _must_check_;

/* Prints the effective configuration in the file's own syntax; parsing it back yields an equal struct. */
int config_print(const struct config *c, FILE *f) _must_check_;
bool config_equal(const struct config *a, const struct config *b);

const char *config_tier_type_to_string(enum config_tier_type t);
int config_tier_type_from_string(const char *s) _must_check_; /* -EINVAL if unknown */

/* Value parsers, exposed for tests and for the command line. */
int config_parse_size(const char *s, uint64_t *ret_bytes) _must_check_;
int config_parse_duration(const char *s, uint64_t *ret_sec) _must_check_;
int config_parse_percent(const char *s, double *ret_percent) _must_check_;

/* The inverse of the value parsers (lib/config-value.c), i.e. the canonical spellings config_print
 * writes ("10G", "1h30m", "85%"); each parses back to exactly the same value. Return buf. */
#define CONFIG_VALUE_STRING_MAX 32
const char *config_format_size(uint64_t bytes, char buf[static CONFIG_VALUE_STRING_MAX]);
const char *config_format_duration(uint64_t sec, char buf[static CONFIG_VALUE_STRING_MAX]);
const char *config_format_percent(double percent, char buf[static CONFIG_VALUE_STRING_MAX]);
/* log_level names ("debug", "info", "notice", "warning", "err"; also "warn", "error") <-> LOG_* values,
 * e.g. for a --log-level option. from_string returns -EINVAL if unknown, to_string NULL. */
int config_log_level_from_string(const char *s) _must_check_;
const char *config_log_level_to_string(int level);
