/* unlisted.h: the space on an engine filesystem that the Engine API does not list (container logs,
 * DockerRootDir/tmp, overlay2 directories no layer refers to) and what it names but does not put where
 * operators look (buildx builder state), as plain figures; the accounting over them is pure: the order
 * (largest first), what stays unexplained, and the remedy said for the largest. Measuring is
 * unlisted-measure.h's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

enum unlisted_source {
        UNLISTED_CONTAINER_LOG,        /* one container's log files */
        UNLISTED_DATA_ROOT_TMP,        /* <DockerRootDir>/tmp */
        UNLISTED_BUILDER,              /* a buildx docker-container builder: state volumes and containers */
        UNLISTED_ORPHAN_LAYERS,        /* overlay2 directories no layer or container refers to */
        UNLISTED_UNEXPLAINED,          /* the filesystem's used bytes less everything accounted */
        _UNLISTED_SOURCE_MAX,
};
/* "container-log", "tmp", "builder", "orphan-layers", "unexplained": the metric's source label. */
const char *unlisted_source_to_string(enum unlisted_source s);

struct unlisted_item {
        enum unlisted_source source;
        char *name;                    /* the container or builder; NULL for the others (owned) */
        uint64_t bytes;
        size_t count;                  /* files (logs), directories (orphan layers), objects (builder) */
        bool running;                  /* container log: the container runs (it still writes) */
        bool no_max_size;              /* container log: json-file without max-size, running */
        bool cut_short;                /* the walk stopped at its time or entry bound: bytes is a floor */
};

/* What one filesystem holds. Owns items. */
struct unlisted_report {
        char *path;                    /* the filesystem, as the report names it (owned) */
        uint64_t used_bytes;           /* the filesystem's used bytes (statvfs) */
        uint64_t engine_bytes;         /* what the engine's own accounting (/system/df) puts there */
        bool engine_known;             /* engine_bytes was asked for: else nothing is said unexplained */
        struct unlisted_item *items;
        size_t n, allocated;
        bool cut_short;                /* some walk was cut short */
        /* The containerd image store (--report only): on containerd_path, what its content store and
         * snapshotters hold (walked) against the bytes /system/df gives images, containers and build cache. */
        char *containerd_path;         /* NULL = not measured (owned) */
        uint64_t containerd_bytes;
        uint64_t containerd_engine_bytes;
        bool containerd_cut_short;
};
void unlisted_report_done(struct unlisted_report *r);
/* Appends a copy of *item (name duplicated). */
int unlisted_report_add(struct unlisted_report *r, const struct unlisted_item *item) _must_check_;

/* Whether the source's bytes are inside the engine's own accounting (a builder's volumes and
 * containers are in /system/df): they are named but not subtracted again. */
bool unlisted_source_in_engine(enum unlisted_source s);
/* used - engine - every item outside the engine's accounting, 0 when that is negative. */
uint64_t unlisted_unexplained(const struct unlisted_report *r);
/* containerd content not attributed to an image: containerd_bytes - containerd_engine_bytes, 0 when that
 * is negative. An estimate, not the set of blobs and snapshots no image references: the engine's figures
 * and a walk's differ in how they count shared and compressed bytes. */
uint64_t unlisted_containerd_unattributed(const struct unlisted_report *r);
/* Adds the unexplained item (unless 0 or the engine's bytes are not known) and sorts the items largest first (ties: by source, then name). */
int unlisted_report_finish(struct unlisted_report *r) _must_check_;
/* The bytes of every item of source s. */
uint64_t unlisted_source_bytes(const struct unlisted_report *r, enum unlisted_source s);
/* The largest item that has a remedy (not unexplained), or NULL. The report must be finished. */
const struct unlisted_item *unlisted_largest(const struct unlisted_report *r);
/* What it is and what to do, in words: "container web's log is 12.0 GiB and it has no max-size: set
 * log-opts". Always NUL-terminated. */
void unlisted_remedy(const struct unlisted_item *it, char *buf, size_t n);
/* The builder a buildx docker-container object belongs to: "buildx_buildkit_ci00_state" and
 * "buildx_buildkit_ci00" are node 0 of builder "ci0" (the node's index is the last digits). *ret_len
 * is the builder name's length, from name + strlen("buildx_buildkit_"). 0 when it is one, -EINVAL else. */
int unlisted_builder_name(const char *object, const char **ret_start, size_t *ret_len) _must_check_;
