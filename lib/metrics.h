/* metrics.h: the Prometheus textfile (for node_exporter's textfile collector), written atomically. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "usage.h"
#include "macro.h"

struct engine_bytes;
struct unlisted_report;

struct metrics_sample {
        const struct usage_set *filesystems;   /* NULL (or none) before the first measurement; one series each,
                                                * labelled path */
        const struct config_disk *disk;        /* thresholds */
        uint64_t cleanups_total;
        uint64_t reclaimed_bytes_total[_CONFIG_TIER_MAX];
        uint64_t removed_objects_total[_CONFIG_TIER_MAX];
        uint64_t short_removals_total[_CONFIG_TIER_MAX]; /* removals that freed under 1% of their estimate */
        int64_t last_cleanup_unix;             /* 0 = never */
        bool engine_up;
        const struct engine_bytes *engine_bytes; /* disk.max_engine_bytes; NULL or off: no engine byte series */
        const struct unlisted_report *unlisted; /* where the unlisted bytes were, last measured; NULL: no series */
        bool control;                          /* the control socket is on: the request series follow */
        uint64_t requests_total;               /* --ensure-free requests (connections) */
        uint64_t requests_refused_total;       /* ... from callers that may not ask */
        uint64_t lease_bytes;                  /* ... and the bytes their images hold */
};

/* Writes the text exposition format. */
int metrics_format(const struct metrics_sample *m, FILE *f) _must_check_;
/* Writes a fresh file in path's directory, fsyncs, renames it over path and fsyncs the directory
 * (fileio_write_atomic(), which also says in why, may be NULL, why a directory is refused): readers never
 * see half a file, and nobody else's name is written through. */
int metrics_write_file(const char *path, const struct metrics_sample *m, char *why, size_t why_size) _must_check_;
