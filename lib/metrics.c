/* metrics.c: the Prometheus textfile (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine-bytes.h"
#include "fileio.h"
#include "macro.h"
#include "unlisted.h"

static void gauge(FILE *f, const char *name, const char *help, double v) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

enum fs_figure { FS_USED_RATIO, FS_FREE_BYTES, FS_SIZE_BYTES, FS_FREE_INODES_RATIO };

static double fs_figure(const struct usage *u, enum fs_figure what) {
        switch (what) {
        case FS_USED_RATIO:
                return u->used_percent / 100.0;
        case FS_FREE_BYTES:
                return (double) u->free_bytes;
        case FS_SIZE_BYTES:
                return (double) u->total_bytes;
        case FS_FREE_INODES_RATIO: /* 1 where the filesystem has no inode figures (btrfs) */
                return u->total_inodes ? (double) u->free_inodes / (double) u->total_inodes : 1.0;
        }
        return 0;
}

/* A label value as the exposition format wants it: backslash, quote and newline escaped. */
static void label_value(FILE *f, const char *v) {
        for (; *v; v++) {
                if (*v == '\\' || *v == '"')
                        fputc('\\', f), fputc(*v, f);
                else if (*v == '\n')
                        fputs("\\n", f);
                else
                        fputc(*v, f);
        }
}

/* One series per filesystem; nothing at all before the first measurement. */
static void fs_gauges(FILE *f, const char *name, const char *help, const struct usage_set *s, size_t n,
                      enum fs_figure what) {
        if (n == 0)
                return;
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s{path=\"", name);
                label_value(f, s->fs[i].path);
                fprintf(f, "\"} %.17g\n", fs_figure(&s->fs[i].usage, what));
        }
}

/* The largest container logs given a series of their own. */
#define METRICS_CONTAINER_LOGS_MAX 10

/* Bytes per source on one filesystem (every source, 0 included, so that an alert sees it fall; unexplained
 * only when the engine's own bytes were asked), and the
 * largest container logs by name. */
static void unlisted_gauges(FILE *f, const struct unlisted_report *r) {
        if (!r || !r->path)
                return;
        fprintf(f, "# HELP dockerclean_unlisted_bytes Bytes on a filesystem that holds engine data, by source the Engine API "
                   "does not list (measured when every tier was exhausted).\n# TYPE dockerclean_unlisted_bytes gauge\n");
        for (int s = 0; s < _UNLISTED_SOURCE_MAX; s++) {
                if (s == UNLISTED_UNEXPLAINED && !r->engine_known)
                        continue;
                fprintf(f, "dockerclean_unlisted_bytes{path=\"");
                label_value(f, r->path);
                fprintf(f, "\",source=\"%s\"} %" PRIu64 "\n", unlisted_source_to_string(s), unlisted_source_bytes(r, s));
        }
        size_t shown = 0;
        for (size_t i = 0; i < r->n && shown < METRICS_CONTAINER_LOGS_MAX; i++) {
                const struct unlisted_item *it = &r->items[i];
                if (it->source != UNLISTED_CONTAINER_LOG || !it->name)
                        continue;
                if (shown++ == 0)
                        fprintf(f, "# HELP dockerclean_container_log_bytes The largest container logs (log file and its "
                                   "rotations).\n# TYPE dockerclean_container_log_bytes gauge\n");
                fprintf(f, "dockerclean_container_log_bytes{name=\"");
                label_value(f, it->name);
                fprintf(f, "\",max_size=\"%s\"} %" PRIu64 "\n", it->no_max_size ? "none" : "set-or-stopped", it->bytes);
        }
}

int metrics_format(const struct metrics_sample *m, FILE *f) {
        if (!m || !f || !m->disk)
                return -EINVAL;
        size_t n = m->filesystems ? m->filesystems->n : 0;
        fs_gauges(f, "dockerclean_filesystem_used_ratio", "Share of a filesystem that holds engine data in use, as df computes it.",
                  m->filesystems, n, FS_USED_RATIO);
        fs_gauges(f, "dockerclean_filesystem_free_bytes", "Bytes available to unprivileged users on a filesystem that holds engine data.",
                  m->filesystems, n, FS_FREE_BYTES);
        fs_gauges(f, "dockerclean_filesystem_size_bytes", "Size of a filesystem that holds engine data.", m->filesystems, n,
                  FS_SIZE_BYTES);
        fs_gauges(f, "dockerclean_filesystem_free_inodes_ratio", "Share of inodes still free on a filesystem that holds engine data.",
                  m->filesystems, n, FS_FREE_INODES_RATIO);
        gauge(f, "dockerclean_high_watermark_ratio", "Used share at or above which a cleanup starts.", m->disk->high_watermark / 100.0);
        gauge(f, "dockerclean_low_watermark_ratio", "Used share a cleanup brings usage below.", m->disk->low_watermark / 100.0);
        gauge(f, "dockerclean_min_free_bytes", "Free bytes below which a cleanup starts (0 = off).", (double) m->disk->min_free);
        gauge(f, "dockerclean_target_free_bytes", "Free bytes a cleanup restores (0 = off).", (double) m->disk->target_free);
        gauge(f, "dockerclean_inode_high_watermark_ratio", "Used inode share at or above which a cleanup starts.",
              m->disk->inode_high_watermark / 100.0);
        gauge(f, "dockerclean_inode_low_watermark_ratio", "Used inode share a cleanup brings usage below.",
              m->disk->inode_low_watermark / 100.0);
        if (m->control)
                fprintf(f, "# HELP dockerclean_requests_total Requests on the control socket (--ensure-free).\n"
                           "# TYPE dockerclean_requests_total counter\n"
                           "dockerclean_requests_total %" PRIu64 "\n"
                           "# HELP dockerclean_requests_refused_total Requests refused: the caller is neither root nor in control.group.\n"
                           "# TYPE dockerclean_requests_refused_total counter\n"
                           "dockerclean_requests_refused_total %" PRIu64 "\n",
                        m->requests_total, m->requests_refused_total);
        if (m->control) {
                gauge(f, "dockerclean_lease_protected_bytes", "Bytes of the images under a lease (sizes when leased).",
                      (double) m->lease_bytes);
        }
        fprintf(f, "# HELP dockerclean_cleanups_total Cleanups run since the daemon started.\n"
                   "# TYPE dockerclean_cleanups_total counter\n"
                   "dockerclean_cleanups_total %" PRIu64 "\n",
                m->cleanups_total);
        fprintf(f, "# HELP dockerclean_reclaimed_bytes_total Bytes freed, by tier, since the daemon started.\n"
                   "# TYPE dockerclean_reclaimed_bytes_total counter\n");
        for (int t = 0; t < _CONFIG_TIER_MAX; t++)
                fprintf(f, "dockerclean_reclaimed_bytes_total{tier=\"%s\"} %" PRIu64 "\n", config_tier_type_to_string(t),
                        m->reclaimed_bytes_total[t]);
        fprintf(f, "# HELP dockerclean_removed_objects_total Objects removed, by tier, since the daemon started.\n"
                   "# TYPE dockerclean_removed_objects_total counter\n");
        for (int t = 0; t < _CONFIG_TIER_MAX; t++)
                fprintf(f, "dockerclean_removed_objects_total{tier=\"%s\"} %" PRIu64 "\n", config_tier_type_to_string(t),
                        m->removed_objects_total[t]);
        fprintf(f, "# HELP dockerclean_short_removals_total Removals that freed under 1%% of their estimate (layers "
                   "shared with the build cache or other images), by tier, since the daemon started.\n"
                   "# TYPE dockerclean_short_removals_total counter\n");
        for (int t = 0; t < _CONFIG_TIER_MAX; t++)
                fprintf(f, "dockerclean_short_removals_total{tier=\"%s\"} %" PRIu64 "\n", config_tier_type_to_string(t),
                        m->short_removals_total[t]);
        gauge(f, "dockerclean_last_cleanup_timestamp_seconds", "Unix time of the last cleanup (0 = none yet).",
              (double) m->last_cleanup_unix);
        gauge(f, "dockerclean_engine_up", "Whether the Docker engine answered the last request.", m->engine_up ? 1 : 0);
        if (engine_bytes_enabled(m->engine_bytes)) {
                const struct engine_bytes *b = m->engine_bytes;
                gauge(f, "dockerclean_engine_max_bytes", "The engine's own bytes at which a cleanup starts (max_engine_bytes).",
                      (double) b->max_bytes);
                gauge(f, "dockerclean_engine_target_bytes", "The engine's own bytes a cleanup brings usage below.", (double) b->target_bytes);
                if (b->known) {
                        const struct {
                                const char *part;
                                uint64_t bytes;
                        } parts[] = {
                                { "images", b->parts.images },
                                { "containers", b->parts.containers },
                                { "volumes", b->parts.volumes },
                                { "build-cache", b->parts.build_cache },
                        };
                        fprintf(f, "# HELP dockerclean_engine_bytes What the engine itself uses, by part (/system/df, less what "
                                   "removals freed since).\n# TYPE dockerclean_engine_bytes gauge\n");
                        for (size_t i = 0; i < ELEMENTSOF(parts); i++)
                                fprintf(f, "dockerclean_engine_bytes{part=\"%s\"} %" PRIu64 "\n", parts[i].part, parts[i].bytes);
                }
        }
        unlisted_gauges(f, m->unlisted);
        return ferror(f) ? -EIO : 0;
}

static int write_content(FILE *f, const void *userdata) {
        return metrics_format(userdata, f);
}

int metrics_write_file(const char *path, const struct metrics_sample *m, char *why, size_t why_size) {
        if (!path || !*path)
                return -EINVAL;
        return fileio_write_atomic(path, 0644, write_content, m, why, why_size);
}
