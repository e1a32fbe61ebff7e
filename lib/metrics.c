/* metrics.c: the Prometheus textfile (see metrics.h). */
#include "metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macro.h"

static void gauge(FILE *f, const char *name, const char *help, double v) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

int metrics_format(const struct metrics_sample *m, FILE *f) {
        if (!m || !f || !m->disk)
                return -EINVAL;
        if (m->have_usage) {
                gauge(f, "dockerclean_filesystem_used_ratio", "Share of the Docker data filesystem in use, as df computes it.",
                      m->used_ratio);
                gauge(f, "dockerclean_filesystem_free_bytes", "Bytes available to unprivileged users on the Docker data filesystem.",
                      (double) m->free_bytes);
                gauge(f, "dockerclean_filesystem_size_bytes", "Size of the Docker data filesystem.", (double) m->size_bytes);
                gauge(f, "dockerclean_filesystem_free_inodes_ratio", "Share of inodes still free on the Docker data filesystem.",
                      m->free_inodes_ratio);
        }
        gauge(f, "dockerclean_high_watermark_ratio", "Used share at or above which a cleanup starts.", m->disk->high_watermark / 100.0);
        gauge(f, "dockerclean_low_watermark_ratio", "Used share a cleanup brings usage below.", m->disk->low_watermark / 100.0);
        gauge(f, "dockerclean_min_free_bytes", "Free bytes below which a cleanup starts (0 = off).", (double) m->disk->min_free);
        gauge(f, "dockerclean_target_free_bytes", "Free bytes a cleanup restores (0 = off).", (double) m->disk->target_free);
        gauge(f, "dockerclean_inode_high_watermark_ratio", "Used inode share at or above which a cleanup starts.",
              m->disk->inode_high_watermark / 100.0);
        gauge(f, "dockerclean_inode_low_watermark_ratio", "Used inode share a cleanup brings usage below.",
              m->disk->inode_low_watermark / 100.0);
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
        gauge(f, "dockerclean_last_cleanup_timestamp_seconds", "Unix time of the last cleanup (0 = none yet).",
              (double) m->last_cleanup_unix);
        gauge(f, "dockerclean_engine_up", "Whether the Docker engine answered the last request.", m->engine_up ? 1 : 0);
        return ferror(f) ? -EIO : 0;
}

static int write_content(FILE *f, const void *userdata) {
        return metrics_format(userdata, f);
}

int metrics_write_file(const char *path, const struct metrics_sample *m) {
        if (!path || !*path)
                return -EINVAL;
        return fileio_write_atomic(path, 0644, write_content, m);
}
