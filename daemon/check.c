/* The daemon's steps: configuration, engine, one check-and-clean, the report. Everything that is
 * logged is logged here, once, at the boundary of lib/. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "cleanup.h"
#include "daemon.h"
#include "engine.h"
#include "history.h"
#include "log.h"
#include "macro.h"
#include "metrics.h"
#include "policy.h"

#define NSEC_PER_SEC 1000000000LL

int daemon_load_config(const char *path, bool explicit_path, struct config *ret, bool reload) {
        struct config c = {};
        struct config_error err = {};
        int r = config_parse_file(path, &c, &err);
        if (r == -ENOENT && !explicit_path && !reload) {
                r = config_init_defaults(&c);
                if (r < 0)
                        return r;
                log_notice("%s does not exist; running with the built-in defaults", path);
                *ret = c;
                return 0;
        }
        if (r < 0) {
                char line[16];
                snprintf(line, sizeof line, "%d", err.line);
                struct log_field f[] = { { "DOCKERCLEAN_CONFIG", path }, { "DOCKERCLEAN_CONFIG_LINE", line } };
                if (reload)
                        log_structured(LOG_ERR, LOG_MID_CONFIG_REJECTED, f, ELEMENTSOF(f),
                                       "%s; keeping the running configuration", err.text[0] ? err.text : strerror(-r));
                else
                        log_structured(LOG_ERR, LOG_MID_CONFIG_REJECTED, f, ELEMENTSOF(f), "%s",
                                       err.text[0] ? err.text : strerror(-r));
                return r;
        }
        *ret = c;
        return 0;
}

/* Long requests (a prune may take minutes) and long cleanups must not starve systemd's watchdog. */
void daemon_watchdog_ping(void *userdata) {
        struct daemon *d = userdata;
        if (d->watchdog_usec == 0)
                return;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t now = (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
        if (now - d->watchdog_last_usec < d->watchdog_usec / 4)
                return;
        d->watchdog_last_usec = now;
        sd_notify(0, "WATCHDOG=1");
}

int daemon_engine_setup(struct daemon *d) {
        struct engine_options o = {
                .host = d->config.engine_socket,
                .timeout_sec = d->config.engine_timeout_sec,
                .cancel = d->stop,
                .progress = daemon_watchdog_ping,
                .progress_userdata = d,
        };
        struct engine *e;
        int r = engine_new(&o, &e);
        if (r < 0) {
                log_error("Cannot set up the engine client for %s: %s",
                          d->config.engine_socket ? d->config.engine_socket : "(default)", strerror(-r));
                return r;
        }
        engine_free(d->engine);
        d->engine = e;
        free(d->root_dir);
        d->root_dir = NULL;
        d->engine_state_known = false;
        return 0;
}

static const char *unreachable_reason(int r) {
        switch (r) {
        case -ENOENT:
                return "no socket";
        case -ECONNREFUSED:
                return "connection refused";
        case -EACCES:
                return "permission denied";
        case -ETIMEDOUT:
                return "timed out";
        default:
                return NULL;
        }
}

/* Logs reachability once per change of state. */
static void engine_state(struct daemon *d, int r) {
        bool up = r >= 0 || !(engine_error_is_unreachable(r) || r == -ETIMEDOUT || r == -EPROTONOSUPPORT);
        if (up) {
                if (!d->engine_up && d->engine_state_known)
                        log_structured(LOG_NOTICE, LOG_MID_ENGINE_UP, NULL, 0, "Engine at %s is reachable again",
                                       engine_host(d->engine));
                d->engine_up = true;
                d->engine_state_known = true;
                d->engine_error[0] = 0;
                return;
        }
        const struct engine_error *err = engine_last_error(d->engine);
        const char *why = unreachable_reason(r);
        /* The client's message already says which (no socket, refused, permission denied) and where. */
        snprintf(d->engine_error, sizeof d->engine_error, "%s",
                 err->message[0] ? err->message : why ? why : strerror(-r));
        if (d->engine_up || !d->engine_state_known) {
                struct log_field f[] = { { "DOCKERCLEAN_ENGINE", engine_host(d->engine) } };
                log_structured(LOG_WARNING, LOG_MID_ENGINE_DOWN, f, ELEMENTSOF(f),
                               "Engine at %s: %s; retrying with backoff", engine_host(d->engine), d->engine_error);
        }
        d->engine_up = false;
        d->engine_state_known = true;
}

int daemon_engine_refresh(struct daemon *d) {
        struct engine_info info;
        int r = engine_info(d->engine, &info);
        engine_state(d, r);
        if (r < 0)
                return r;
        if (!info.docker_root_dir || !*info.docker_root_dir) {
                engine_info_done(&info);
                log_error("The engine did not say where its data is (DockerRootDir)");
                return -EBADMSG;
        }
        free(d->root_dir);
        d->root_dir = TAKE_PTR(info.docker_root_dir);
        engine_info_done(&info);
        return 0;
}

static int64_t now_unix_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t) ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

void daemon_format_bytes(uint64_t b, bool decimal, char *buf, size_t n) {
        static const char *const binary[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        static const char *const si[] = { "B", "kB", "MB", "GB", "TB", "PB" }; /* as docker system df */
        const char *const *units = decimal ? si : binary;
        double step = decimal ? 1000.0 : 1024.0, v = (double) b;
        size_t u = 0;
        while (v >= step && u + 1 < ELEMENTSOF(binary)) {
                v /= step;
                u++;
        }
        if (u == 0)
                snprintf(buf, n, decimal ? "%" PRIu64 "B" : "%" PRIu64 " B", b);
        else
                snprintf(buf, n, decimal ? "%.4g%s" : "%.1f %s", v, units[u]);
}

static void format_bytes(uint64_t b, char *buf, size_t n) {
        daemon_format_bytes(b, false, buf, n);
}

static void usage_fields(const struct usage *u, char used[32], char free_b[32]) {
        snprintf(used, 32, "%.2f", u->used_percent);
        snprintf(free_b, 32, "%" PRIu64, u->free_bytes);
}

static void log_measurement(const struct daemon *d, const struct usage *u, int prio, bool triggered) {
        char used[32], free_b[32], fb[32], total[32];
        usage_fields(u, used, free_b);
        format_bytes(u->free_bytes, fb, sizeof fb);
        format_bytes(u->total_bytes, total, sizeof total);
        struct log_field f[] = {
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
        };
        log_structured(prio, NULL, f, ELEMENTSOF(f),
                       "%s: %.1f%% used, %s free of %s, inodes %.1f%% used; cleaning starts at %.0f%% and ends below %.0f%%%s",
                       d->root_dir, u->used_percent, fb, total, u->inodes_used_percent, d->config.disk.high_watermark,
                       d->config.disk.low_watermark, triggered ? ": cleaning" : "");
}

/* What to call an object in messages: its name or first tag; a dangling image by its short id. */
static const char *action_object_name(const struct policy_action *a, char short_id[static 32]) {
        if (a->name)
                return a->name;
        if (a->kind == POLICY_ACTION_PRUNE_BUILD_CACHE)
                return "records unused for min_age"; /* after the noun "build cache" */
        if (!a->id)
                return "?";
        const char *hex = strncmp(a->id, "sha256:", 7) == 0 ? a->id + 7 : a->id;
        snprintf(short_id, 32, "<untagged %.12s>", hex);
        return short_id;
}

static void print_plan(const struct daemon *d, const struct policy_plan *plan, const struct usage *u) {
        char buf[32], need[32];
        format_bytes(plan->bytes_needed == UINT64_MAX ? 0 : plan->bytes_needed, need, sizeof need);
        printf("Filesystem %s: %.1f%% used, %" PRIu64 " bytes free, inodes %.1f%% used\n", d->root_dir,
               u->used_percent, u->free_bytes, u->inodes_used_percent);
        printf("Thresholds: clean at %.0f%% used down to below %.0f%%", d->config.disk.high_watermark,
               d->config.disk.low_watermark);
        if (d->config.disk.min_free)
                printf(", or below %" PRIu64 " bytes free up to %" PRIu64, d->config.disk.min_free,
                       d->config.disk.target_free ? d->config.disk.target_free : d->config.disk.min_free);
        printf("; inodes %.0f%% down to %.0f%%\n", d->config.disk.inode_high_watermark, d->config.disk.inode_low_watermark);
        if (plan->n_to_target == 0 && plan->bytes_needed == 0 && !plan->inode_pressure) {
                printf("Nothing to do: every target holds.\n");
                return;
        }
        printf("Needed: %s. Plan (dry run, nothing is removed):\n", need);
        size_t shown = plan->n_to_target ? plan->n_to_target : plan->n_actions;
        enum config_tier_type tier = _CONFIG_TIER_MAX;
        uint64_t total = 0;
        for (size_t i = 0; i < shown; i++) {
                const struct policy_action *a = &plan->actions[i];
                char nbuf[32];
                if (a->tier != tier) {
                        tier = a->tier;
                        printf("  tier %s:\n", config_tier_type_to_string(tier));
                }
                format_bytes(a->estimated_bytes, buf, sizeof buf);
                if (a->kind == POLICY_ACTION_PRUNE_BUILD_CACHE)
                        printf("    %-18s %-40s %10s (keep %" PRIu64 " bytes, unused for %" PRIu64 "s)\n",
                               policy_action_kind_to_string(a->kind), "build cache", buf, a->keep_storage, a->until_sec);
                else
                        printf("    %-18s %-40s %10s\n", policy_action_kind_to_string(a->kind),
                               action_object_name(a, nbuf), buf);
                total += a->estimated_bytes;
        }
        format_bytes(total, buf, sizeof buf);
        printf("Estimated total: %s in %zu removals%s\n", buf, shown,
               plan->reachable ? "" : "; the targets are not reachable with the configured tiers");
        if (shown < plan->n_actions)
                printf("(%zu more candidates follow if the estimates fall short)\n", plan->n_actions - shown);
}

static const char *kind_noun(enum policy_action_kind k) {
        switch (k) {
        case POLICY_ACTION_REMOVE_CONTAINER:
                return "container";
        case POLICY_ACTION_REMOVE_IMAGE:
                return "image";
        case POLICY_ACTION_PRUNE_BUILD_CACHE:
                return "build cache";
        case POLICY_ACTION_REMOVE_VOLUME:
                return "volume";
        case POLICY_ACTION_REMOVE_NETWORK:
                return "network";
        default:
                return "object";
        }
}

static void log_plan(const struct policy_plan *plan) {
        char est[32];
        size_t shown = plan->n_to_target ? plan->n_to_target : plan->n_actions;
        for (size_t i = 0; i < shown; i++) {
                const struct policy_action *a = &plan->actions[i];
                char bytes[32], nbuf[32];
                snprintf(bytes, sizeof bytes, "%" PRIu64, a->estimated_bytes);
                struct log_field f[] = {
                        { "DOCKERCLEAN_TIER", config_tier_type_to_string(a->tier) },
                        { "DOCKERCLEAN_OBJECT", a->id },
                        { "DOCKERCLEAN_NAME", a->name },
                        { "DOCKERCLEAN_BYTES", bytes },
                        { "DOCKERCLEAN_DRY_RUN", "1" },
                };
                format_bytes(a->estimated_bytes, est, sizeof est);
                log_structured(LOG_INFO, LOG_MID_PLAN, f, ELEMENTSOF(f), "Would remove %s %s (%s, tier %s)",
                               kind_noun(a->kind), action_object_name(a, nbuf), est, config_tier_type_to_string(a->tier));
        }
        format_bytes(plan->estimated_total, est, sizeof est);
        log_info("Dry run: %zu removals planned up to the target, %s estimated in all candidates", shown, est);
}

static void on_step(const struct cleanup_step *s, void *userdata) {
        struct daemon *d = userdata;
        daemon_watchdog_ping(d);
        const struct policy_action *a = s->action;
        char bytes[32], used[32], free_b[32], fb[32], nbuf[32];
        uint64_t reclaimed = s->reclaimed_bytes;
        snprintf(bytes, sizeof bytes, "%" PRIu64, reclaimed);
        usage_fields(&s->after, used, free_b);
        struct log_field f[] = {
                { "DOCKERCLEAN_TIER", config_tier_type_to_string(a->tier) },
                { "DOCKERCLEAN_OBJECT", a->id },
                { "DOCKERCLEAN_NAME", a->name },
                { "DOCKERCLEAN_BYTES", bytes },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
        };
        format_bytes(reclaimed, fb, sizeof fb);
        if (s->result == 0) {
                log_structured(LOG_INFO, LOG_MID_REMOVED, f, ELEMENTSOF(f), "Removed %s %s (%s freed, now %.1f%% used)",
                               kind_noun(a->kind), action_object_name(a, nbuf), fb, s->after.used_percent);
                d->stats.removed_objects[a->tier]++;
                d->stats.reclaimed_bytes[a->tier] += reclaimed;
        } else if (s->result == -ENOENT)
                log_debug("Skipped %s %s: already gone", kind_noun(a->kind), action_object_name(a, nbuf));
        else if (s->result == -EBUSY)
                log_debug("Skipped %s %s: the engine says it is in use now", kind_noun(a->kind), action_object_name(a, nbuf));
        else
                log_structured(LOG_WARNING, NULL, f, 2, "Could not remove %s %s: %s", kind_noun(a->kind),
                               action_object_name(a, nbuf), s->message && *s->message ? s->message : strerror(-s->result));
}

void daemon_history_open(struct daemon *d) {
        if (d->history)
                return;
        unsigned line = 0;
        int r = history_load_full(d->config.state_dir, &d->history, &line);
        if (r == -EBADMSG)
                log_warning("%s/%s:%u: the usage history is corrupt; starting afresh from image metadata",
                            d->config.state_dir, HISTORY_FILE_NAME, line);
        else if (r < 0 && r != -ENOENT)
                log_warning("Cannot read the usage history in %s (%s); starting afresh from image metadata",
                            d->config.state_dir, strerror(-r));
        if (!d->history) {
                r = history_new(d->config.state_dir, &d->history);
                if (r < 0)
                        log_warning("Cannot keep a usage history: %s", strerror(-r));
        }
}

static void save_history(struct daemon *d) {
        if (!d->history || !history_dirty(d->history))
                return;
        int r = history_save(d->history);
        if (r < 0)
                log_warning("Cannot save the usage history in %s: %s", d->config.state_dir, strerror(-r));
}

/* One round: snapshot, plan, carry out. Returns 0 with *ret filled, or -errno. */
static int clean_round(struct daemon *d, const struct config *c, bool print, const struct usage *u,
                       struct cleanup_result *ret) {
        _cleanup_(cleanup_snapshot_done) struct cleanup_snapshot snap = {};
        int64_t now = now_unix_ns();
        int r = cleanup_snapshot_take(d->engine, c, d->history, now, &snap);
        if (r < 0)
                return r;

        _cleanup_(policy_plan_done) struct policy_plan plan = {};
        r = policy_plan(c, u, &snap.snapshot, &plan);
        if (r < 0)
                return r;
        if (d->config.dry_run) {
                if (print)
                        print_plan(d, &plan, u);
                log_plan(&plan);
                *ret = (struct cleanup_result){ .before = *u, .after = *u };
                return 0;
        }
        return cleanup_execute(d->engine, c, d->root_dir, &plan, d->stop, on_step, d, ret);
}

int daemon_check_and_clean(struct daemon *d, bool print_plan_out) {
        int r;
        if (!d->root_dir || !d->engine_up) {
                r = daemon_engine_refresh(d);
                if (r < 0)
                        return r;
        }
        struct usage u;
        r = usage_measure(d->root_dir, &u);
        if (r < 0) {
                log_error("Cannot measure %s: %s", d->root_dir, strerror(-r));
                return r;
        }
        d->last_usage = u;
        d->have_usage = true;
        bool triggered = policy_triggered(&d->config, &u);
        log_measurement(d, &u, triggered ? LOG_NOTICE : LOG_DEBUG, triggered);
        if (!triggered && !print_plan_out) {
                save_history(d);
                daemon_write_metrics(d);
                return 0;
        }
        if (!triggered) {
                /* --once --dry-run below the watermark: say so plainly. */
                printf("Filesystem %s: %.1f%% used; below the high watermark (%.0f%%): nothing to do.\n", d->root_dir,
                       u.used_percent, d->config.disk.high_watermark);
                daemon_write_metrics(d);
                return 0;
        }

        char used[32], free_b[32];
        usage_fields(&u, used, free_b);
        struct log_field f[] = { { "DOCKERCLEAN_USED_PERCENT", used }, { "DOCKERCLEAN_FREE_BYTES", free_b } };
        log_structured(LOG_NOTICE, LOG_MID_CLEANUP_START, f, ELEMENTSOF(f),
                       "Cleanup started%s: %.1f%% used, %" PRIu64 " bytes free (clean at %.0f%%, down to below %.0f%%)",
                       d->config.dry_run ? " (dry run)" : "", u.used_percent, u.free_bytes, d->config.disk.high_watermark,
                       d->config.disk.low_watermark);

        /* Rounds: removing containers unpins their images, which the next round's snapshot can offer. */
        struct cleanup_result total = { .before = u, .after = u };
        unsigned removals_left = d->config.max_removals;
        for (int round = 0; round < 4; round++) {
                struct cleanup_result res = {};
                /* The safety valve counts over the whole cleanup, not per round. */
                struct config rc = d->config;
                rc.max_removals = removals_left;
                r = clean_round(d, &rc, print_plan_out, &total.after, &res);
                if (r < 0) {
                        engine_state(d, r);
                        break;
                }
                total.after = res.after;
                total.n_removed += res.n_removed;
                total.n_skipped += res.n_skipped;
                total.n_failed += res.n_failed;
                total.targets_met = res.targets_met;
                total.cancelled = res.cancelled;
                for (size_t t = 0; t < _CONFIG_TIER_MAX; t++) {
                        total.tier_reclaimed[t] += res.tier_reclaimed[t];
                        total.tier_removed[t] += res.tier_removed[t];
                }
                if (res.error < 0) {
                        engine_state(d, res.error);
                        r = res.error;
                        break;
                }
                if (d->config.dry_run || res.targets_met || res.cancelled || res.n_removed == 0 ||
                    res.n_removed >= removals_left)
                        break;
                /* Only removed containers unpin something (images, volumes, networks) for another round. */
                if (res.tier_removed[CONFIG_TIER_STOPPED_CONTAINERS] == 0)
                        break;
                removals_left -= (unsigned) res.n_removed;
        }
        total.reclaimed_bytes = total.after.free_bytes > u.free_bytes ? total.after.free_bytes - u.free_bytes : 0;
        d->last_usage = total.after;

        if (!d->config.dry_run) {
                char rec[32], fb[32];
                snprintf(rec, sizeof rec, "%" PRIu64, total.reclaimed_bytes);
                usage_fields(&total.after, used, free_b);
                struct log_field g[] = {
                        { "DOCKERCLEAN_RECLAIMED_BYTES", rec },
                        { "DOCKERCLEAN_USED_PERCENT", used },
                        { "DOCKERCLEAN_FREE_BYTES", free_b },
                };
                format_bytes(total.reclaimed_bytes, fb, sizeof fb);
                log_structured(LOG_NOTICE, LOG_MID_CLEANUP_DONE, g, ELEMENTSOF(g),
                               "Cleanup finished: %zu removed, %zu skipped, %zu failed; %s reclaimed; now %.1f%% used%s",
                               total.n_removed, total.n_skipped, total.n_failed, fb, total.after.used_percent,
                               total.cancelled ? " (interrupted)" : "");
                d->stats.cleanups++;
                d->stats.last_cleanup_unix = now_unix_ns() / NSEC_PER_SEC;
                d->stats.last_reclaimed_bytes = total.reclaimed_bytes;
                if (r >= 0 && !total.cancelled && !total.targets_met && policy_triggered(&d->config, &total.after)) {
                        log_structured(LOG_WARNING, LOG_MID_EXHAUSTED, g, ELEMENTSOF(g),
                                       "Every tier is exhausted and usage is still %.1f%% (%" PRIu64
                                       " bytes free; high watermark %.0f%%, min_free %" PRIu64 "); nothing more may be removed",
                                       total.after.used_percent, total.after.free_bytes, d->config.disk.high_watermark,
                                       d->config.disk.min_free);
                }
                save_history(d);
        }
        daemon_write_metrics(d);
        return r < 0 ? r : 0;
}

void daemon_done(struct daemon *d) {
        if (d->history) {
                history_free(d->history);
                d->history = NULL;
        }
        engine_free(d->engine);
        d->engine = NULL;
        free(d->root_dir);
        d->root_dir = NULL;
        config_done(&d->config);
}

void daemon_write_metrics(const struct daemon *d) {
        if (!d->config.metrics_file || !*d->config.metrics_file)
                return;
        struct metrics_sample m = {
                .have_usage = d->have_usage,
                .used_ratio = d->last_usage.used_percent / 100.0,
                .free_bytes = d->last_usage.free_bytes,
                .size_bytes = d->last_usage.total_bytes,
                .free_inodes_ratio = d->last_usage.total_inodes
                                             ? (double) d->last_usage.free_inodes / (double) d->last_usage.total_inodes
                                             : 1.0,
                .disk = &d->config.disk,
                .cleanups_total = d->stats.cleanups,
                .last_cleanup_unix = d->stats.last_cleanup_unix,
                .engine_up = d->engine_up,
        };
        memcpy(m.reclaimed_bytes_total, d->stats.reclaimed_bytes, sizeof m.reclaimed_bytes_total);
        memcpy(m.removed_objects_total, d->stats.removed_objects, sizeof m.removed_objects_total);
        int r = metrics_write_file(d->config.metrics_file, &m);
        if (r < 0)
                log_debug("Cannot write %s: %s", d->config.metrics_file, strerror(-r));
}
