/* --report: what Docker uses, like `docker system df`, with the filesystem and the thresholds. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "policy.h"

static void human(uint64_t b, char *buf, size_t n) {
        daemon_format_bytes(b, true, buf, n);
}

static uint64_t pos(int64_t v) {
        return v > 0 ? (uint64_t) v : 0;
}

static void row(const char *type, size_t total, size_t active, uint64_t size, uint64_t reclaimable) {
        char s[32], rc[32], pct[16] = "";
        human(size, s, sizeof s);
        human(reclaimable, rc, sizeof rc);
        if (size > 0)
                snprintf(pct, sizeof pct, " (%.0f%%)", 100.0 * (double) reclaimable / (double) size);
        printf("%-15s %-9zu %-9zu %-11s %s%s\n", type, total, active, s, rc, pct);
}

int daemon_report(struct daemon *d) {
        int r = daemon_engine_refresh(d);
        if (r < 0)
                return r;
        struct engine_df df;
        r = engine_system_df(d->engine, &df);
        if (r < 0) {
                log_error("Cannot get the engine's disk usage: %s", engine_last_error(d->engine)->message);
                return r;
        }
        struct usage u;
        int m = usage_measure(d->root_dir, &u);

        size_t active = 0;
        uint64_t reclaim = 0, size = 0;
        for (size_t i = 0; i < df.n_images; i++) {
                const struct engine_df_image *im = &df.images[i];
                if (im->containers > 0)
                        active++;
                else
                        reclaim += pos(im->size) - MIN(pos(im->shared_size), pos(im->size));
        }
        printf("%-15s %-9s %-9s %-11s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        row("Images", df.n_images, active, pos(df.layers_size), MIN(reclaim, pos(df.layers_size)));

        active = 0, reclaim = 0, size = 0;
        for (size_t i = 0; i < df.n_containers; i++) {
                const struct engine_df_container *c = &df.containers[i];
                size += pos(c->size_rw);
                if (c->state == ENGINE_CONTAINER_RUNNING || c->state == ENGINE_CONTAINER_PAUSED ||
                    c->state == ENGINE_CONTAINER_RESTARTING)
                        active++;
                else
                        reclaim += pos(c->size_rw);
        }
        row("Containers", df.n_containers, active, size, reclaim);

        active = 0, reclaim = 0, size = 0;
        for (size_t i = 0; i < df.n_volumes; i++) {
                const struct engine_df_volume *v = &df.volumes[i];
                size += pos(v->size);
                if (v->ref_count > 0)
                        active++;
                else
                        reclaim += pos(v->size);
        }
        row("Local Volumes", df.n_volumes, active, size, reclaim);

        active = 0, reclaim = 0, size = 0;
        for (size_t i = 0; i < df.n_build_cache; i++) {
                const struct engine_df_build_cache *b = &df.build_cache[i];
                size += pos(b->size);
                if (b->in_use)
                        active++;
                else if (!b->shared)
                        reclaim += pos(b->size);
        }
        row("Build Cache", df.n_build_cache, active, size, reclaim);
        engine_df_done(&df);

        printf("\n");
        if (m >= 0) {
                char fr[32], tot[32];
                human(u.free_bytes, fr, sizeof fr);
                human(u.total_bytes, tot, sizeof tot);
                printf("Filesystem:  %s\n", d->root_dir);
                printf("  used       %.1f%% (%s free of %s)\n", u.used_percent, fr, tot);
                if (u.total_inodes)
                        printf("  inodes     %.1f%% used (%" PRIu64 " free)\n", u.inodes_used_percent, u.free_inodes);
        } else
                printf("Filesystem:  %s (cannot measure: %s)\n", d->root_dir, strerror(-m));
        const struct config_disk *k = &d->config.disk;
        printf("Thresholds:  clean at %.0f%% used, down to below %.0f%%; inodes %.0f%% down to %.0f%%", k->high_watermark,
               k->low_watermark, k->inode_high_watermark, k->inode_low_watermark);
        if (k->min_free)
                printf("; free below %" PRIu64 " bytes, up to %" PRIu64, k->min_free, k->target_free ? k->target_free : k->min_free);
        printf("\n");
        if (m >= 0)
                printf("State:       %s\n", policy_triggered(&d->config, &u) ? "above a trigger: a cleanup would run now"
                                                                              : "below every trigger: nothing to do");
        return 0;
}
