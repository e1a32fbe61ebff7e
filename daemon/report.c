/* --report (what Docker uses, like `docker system df`, with the filesystem and the thresholds) and the
 * printed plan of --once --dry-run. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "engine-bytes.h"
#include "engine.h"
#include "log.h"
#include "macro.h"
#include "policy.h"
#include "strv.h"
#include "unlisted-run.h"

static uint64_t pos(int64_t v) {
        return v > 0 ? (uint64_t) v : 0;
}

static void row(const char *type, size_t total, size_t active, uint64_t size, uint64_t reclaimable) {
        char s[32], rc[32], pct[16] = "";
        daemon_format_bytes(size, s, sizeof s);
        daemon_format_bytes(reclaimable, rc, sizeof rc);
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
        size_t failed = SIZE_MAX;
        int m = usage_set_measure(&d->fs, &failed);

        /* As docker system df: the layers less the unique part of the images in use. Summing the unused
         * images' Size - SharedSize alone said 0 B for legacy-built images whose untagged parents make
         * SharedSize == Size, while removing them frees it all. On the containerd store the images' Size
         * outgrows LayersSize and docker's figure goes negative: then that sum, capped at LayersSize. */
        size_t active = 0;
        uint64_t used = 0, unused = 0, reclaim = 0, size = 0, layers = pos(df.layers_size);
        for (size_t i = 0; i < df.n_images; i++) {
                const struct engine_df_image *im = &df.images[i];
                uint64_t unique = pos(im->size) - MIN(pos(im->shared_size), pos(im->size));
                if (im->containers > 0) {
                        active++;
                        used += unique;
                } else
                        unused += unique;
        }
        printf("%-15s %-9s %-9s %-11s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE");
        row("Images", df.n_images, active, layers, MIN(MAX(layers - MIN(used, layers), unused), layers));

        active = 0, reclaim = 0, size = 0;
        for (size_t i = 0; i < df.n_containers; i++) {
                const struct engine_df_container *c = &df.containers[i];
                size += pos(c->size_rw);
                if (engine_container_state_is_active(c->state))
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
                /* As docker system df: a shared record's bytes are counted where they are shared from. */
                if (!b->shared)
                        size += pos(b->size);
                if (b->in_use)
                        active++;
                else if (!b->shared)
                        reclaim += pos(b->size);
        }
        row("Build Cache", df.n_build_cache, active, size, reclaim);
        struct engine_bytes_parts eng;
        engine_bytes_parts_from_df(&df, &eng);
        /* Where the rest is, measured now (the filesystem first: its used bytes are the whole). */
        struct unlisted_report unl = {};
        int ur = m >= 0 ? daemon_unlisted_measure(d, &df, &unl) : -ENODATA;
        engine_df_done(&df);

        printf("\n");
        for (size_t i = 0; i < d->fs.n; i++) {
                const struct usage *u = &d->fs.fs[i].usage;
                char fr[32], tot[32];
                if (m < 0 && i >= failed) { /* measuring stops at the first failure */
                        printf("Filesystem:  %s (cannot measure%s%s)\n", d->fs.fs[i].path, i == failed ? ": " : "",
                               i == failed ? strerror(-m) : "");
                        continue;
                }
                daemon_format_bytes(u->free_bytes, fr, sizeof fr);
                daemon_format_bytes(u->total_bytes, tot, sizeof tot);
                printf("Filesystem:  %s%s\n", d->fs.fs[i].path,
                       i == 0 ? "" : d->containerd_store && strv_isempty(d->config.disk.paths) ? " (containerd's root)" : " (disk.paths)");
                printf("  used       %.1f%% (%s free of %s)\n", u->used_percent, fr, tot);
                if (u->total_inodes)
                        printf("  inodes     %.1f%% used (%" PRIu64 " free)\n", u->inodes_used_percent, u->free_inodes);
        }
        const struct config_disk *k = &d->config.disk;
        printf("Thresholds:  clean at %s used, down to below %s; inodes %s down to %s", DAEMON_PERCENT(k->high_watermark),
               DAEMON_PERCENT(k->low_watermark), DAEMON_PERCENT(k->inode_high_watermark), DAEMON_PERCENT(k->inode_low_watermark));
        if (k->min_free)
                printf("; free below %" PRIu64 " bytes, up to %" PRIu64, k->min_free, k->target_free ? k->target_free : k->min_free);
        printf("\n");
        /* disk.max_engine_bytes: what the engine itself uses, as the engine-bytes limit counts it. */
        uint64_t eng_used = eng.images + eng.containers + eng.volumes + eng.build_cache;
        char eb[5][32];
        daemon_format_bytes(eng_used, eb[0], sizeof eb[0]);
        daemon_format_bytes(eng.images, eb[1], sizeof eb[1]);
        daemon_format_bytes(eng.containers, eb[2], sizeof eb[2]);
        daemon_format_bytes(eng.volumes, eb[3], sizeof eb[3]);
        daemon_format_bytes(eng.build_cache, eb[4], sizeof eb[4]);
        printf("Engine:      %s used by the engine itself (images %s, containers %s, volumes %s, build cache %s)", eb[0], eb[1],
               eb[2], eb[3], eb[4]);
        bool eng_over = k->max_engine_bytes > 0 && eng_used >= k->max_engine_bytes;
        if (k->max_engine_bytes) {
                char mx[32], tg[32];
                daemon_format_bytes(k->max_engine_bytes, mx, sizeof mx);
                daemon_format_bytes(k->target_engine_bytes, tg, sizeof tg);
                printf("; clean at max_engine_bytes %s, down to below %s", mx, tg);
        }
        printf("\n");
        if (m >= 0)
                printf("State:       %s\n", policy_triggered_any(&d->config, &d->fs) || eng_over ? "above a trigger: a cleanup would run now"
                                                                                                  : "below every trigger: nothing to do");
        if (ur >= 0)
                daemon_unlisted_print(d, &unl);
        else
                printf("\nNot listed by the engine: not measured (%s)\n", strerror(-ur));
        unlisted_report_done(&unl);
        daemon_leases_print(d);
        return 0;
}

/* The header of a run of actions of one rule and tier. */
static void print_group(const struct policy_action *a) {
        if (a->rule == POLICY_RULE_MAX_AGE)
                printf("  maximum age, tier %s (unused for longer than %s; no disk pressure needed):\n",
                       config_tier_type_to_string(a->tier), DAEMON_DURATION(a->age_sec));
        else if (a->rule == POLICY_RULE_CRITICAL)
                printf("  critical pass, tier %s (min_age lowered to %s):\n", config_tier_type_to_string(a->tier),
                       DAEMON_DURATION(a->age_sec));
        else
                printf("  tier %s:\n", config_tier_type_to_string(a->tier));
}

/* What stays, and why: one line per object, at most this many. */
#define PLAN_KEPT_SHOWN_MAX 200

/* max_age: what the maximum-age pass kept (below every trigger, all that runs), else what the tiers and the
 * critical pass kept. */
static void print_kept(const struct policy_plan *plan, bool max_age) {
        const struct policy_kept *k = max_age ? &plan->kept_max_age : &plan->kept;
        size_t shown = 0, n = 0;
        printf("Kept%s: %zu in use, %zu protected, %zu newest of their repository, %zu too young, %zu over max_removals\n",
               max_age ? " by the maximum-age pass" : "", k->in_use, k->protected_, k->newest, k->too_young, k->over_max_removals);
        for (size_t i = 0; i < plan->n_kept_objects; i++) {
                const struct policy_kept_object *o = &plan->kept_objects[i];
                if ((o->rule == POLICY_RULE_MAX_AGE) != max_age)
                        continue;
                if (n++ >= PLAN_KEPT_SHOWN_MAX)
                        continue;
                shown++;
                /* The names of actions and of kept objects are said the same way. */
                struct policy_action a = { .kind = o->kind, .id = o->id, .name = o->name };
                char nbuf[DAEMON_ACTION_NAME_MAX], when[64] = "";
                if (o->reason == POLICY_KEPT_TOO_YOUNG && o->eligible_ns > 0) {
                        time_t at = (time_t) (o->eligible_ns / 1000000000LL);
                        struct tm tm;
                        strftime(when, sizeof when, ", old enough at %Y-%m-%d %H:%M:%S UTC", gmtime_r(&at, &tm));
                }
                printf("    keep %-13s %-40s %s (tier %s%s)\n", daemon_action_noun(o->kind), daemon_action_name(&a, nbuf),
                       o->reason == POLICY_KEPT_TOO_YOUNG && max_age ? "unused for less than max_unused_age"
                                                                     : policy_kept_reason_to_string(o->reason),
                       config_tier_type_to_string(o->tier), when);
        }
        if (n > shown)
                printf("    (%zu more kept)\n", n - shown);
}

/* --once --dry-run: the plan on stdout. */
void daemon_print_plan(const struct daemon *d, const char *path, const struct policy_plan *plan, const struct usage *u) {
        char buf[32], need[40], fb[32];
        bool pressure = policy_triggered_any(&d->config, &d->fs) || engine_bytes_over(&d->engine_bytes);
        if (plan->bytes_needed == UINT64_MAX)
                snprintf(need, sizeof need, "more than the filesystem holds");
        else
                daemon_format_bytes(plan->bytes_needed, need, sizeof need);
        daemon_format_bytes(u->free_bytes, fb, sizeof fb);
        printf("Filesystem %s: %.1f%% used, %s free, inodes %.1f%% used\n", path, u->used_percent, fb,
               u->inodes_used_percent);
        printf("Thresholds: clean at %s used down to below %s", DAEMON_PERCENT(d->config.disk.high_watermark),
               DAEMON_PERCENT(d->config.disk.low_watermark));
        if (d->config.disk.min_free) {
                char min_free[32], target[32];
                daemon_format_bytes(d->config.disk.min_free, min_free, sizeof min_free);
                daemon_format_bytes(d->config.disk.target_free ? d->config.disk.target_free : d->config.disk.min_free,
                                    target, sizeof target);
                printf(", or below %s free up to %s", min_free, target);
        }
        printf("; inodes %s down to %s", DAEMON_PERCENT(d->config.disk.inode_high_watermark), DAEMON_PERCENT(d->config.disk.inode_low_watermark));
        if (d->config.disk.critical_watermark > 0)
                printf("; critical at %s (min_age lowered to %s)", DAEMON_PERCENT(d->config.disk.critical_watermark),
                       DAEMON_DURATION(d->config.disk.critical_min_age_sec));
        printf("\n");
        if (engine_bytes_enabled(&d->engine_bytes) && d->engine_bytes.known) {
                char used[32], mx[32], tg[32];
                daemon_format_bytes(engine_bytes_used(&d->engine_bytes), used, sizeof used);
                daemon_format_bytes(d->engine_bytes.max_bytes, mx, sizeof mx);
                daemon_format_bytes(d->engine_bytes.target_bytes, tg, sizeof tg);
                printf("The engine itself uses %s: clean at max_engine_bytes %s, down to below %s\n", used, mx, tg);
        }
        if (!pressure) {
                printf("Below every trigger: only the maximum-age pass runs (what is unused for longer than max_unused_age).\n");
                if (plan->n_actions == 0) {
                        printf("Nothing is unused for longer than max_unused_age.\n");
                        print_kept(plan, true);
                        return;
                }
                printf("Plan (dry run, nothing is removed):\n");
        } else if (plan->n_to_target == 0 && plan->bytes_needed == 0 && !plan->inode_pressure) {
                printf("Nothing to do: every target holds.\n");
                return;
        } else
                printf("Needed: %s. Plan (dry run, nothing is removed):\n", need);
        if (plan->critical)
                printf("At or above the critical watermark: what the tiers' own min_age leaves short goes on in the critical pass.\n");
        size_t shown = plan->n_to_target ? plan->n_to_target : plan->n_actions;
        const struct policy_action *group = NULL;
        uint64_t total = 0;
        for (size_t i = 0; i < shown; i++) {
                const struct policy_action *a = &plan->actions[i];
                char nbuf[DAEMON_ACTION_NAME_MAX], rule[24];
                if (!group || a->tier != group->tier || a->rule != group->rule) {
                        group = a;
                        print_group(a);
                }
                snprintf(rule, sizeof rule, "[%s]", policy_rule_to_string(a->rule));
                daemon_format_bytes(a->estimated_bytes, buf, sizeof buf);
                if (a->kind == POLICY_ACTION_PRUNE_BUILD_CACHE) {
                        char keep[32];
                        daemon_format_bytes(a->keep_storage, keep, sizeof keep);
                        printf("    %-18s %-40s %10s %s (keep %s, unused for %s)\n", policy_action_kind_to_string(a->kind),
                               "build cache", buf, rule, keep, DAEMON_DURATION(a->until_sec));
                } else
                        printf("    %-18s %-40s %10s %s\n", policy_action_kind_to_string(a->kind),
                               daemon_action_name(a, nbuf), buf, rule);
                total += a->estimated_bytes;
        }
        daemon_format_bytes(total, buf, sizeof buf);
        printf("Estimated total: %s in %zu %s%s\n", buf, shown, shown == 1 ? "removal" : "removals",
               !pressure || plan->reachable ? "" : "; the targets are not reachable with the configured tiers");
        if (shown < plan->n_actions) {
                size_t critical = 0;
                for (size_t i = shown; i < plan->n_actions; i++)
                        critical += plan->actions[i].rule == POLICY_RULE_CRITICAL;
                printf("(%zu more %s if the estimates fall short", plan->n_actions - shown,
                       plan->n_actions - shown == 1 ? "candidate follows" : "candidates follow");
                if (critical > 0)
                        printf(", %zu of them in the critical pass", critical);
                printf(")\n");
        }
        print_kept(plan, !pressure);
}
