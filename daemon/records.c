#include "records.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "daemon.h"
#include "engine-bytes.h"
#include "episode.h"
#include "lastresort.h"
#include "log.h"
#include "macro.h"

static void usage_fields(const struct usage *u, char used[32], char free_b[32]) {
        snprintf(used, 32, "%.2f", u->used_percent);
        snprintf(free_b, 32, "%" PRIu64, u->free_bytes);
}

void record_started(const struct config *c, const char *engine_host) {
        log_structured(LOG_INFO, RECORD_MID_STARTED, NULL, 0,
                       "dockercleand %s started: engine %s, every %llus, clean at %s down to %s%s",
                       DOCKERCLEAN_VERSION, engine_host ? engine_host : "?", (unsigned long long) c->interval_sec,
                       DAEMON_PERCENT(c->disk.high_watermark), DAEMON_PERCENT(c->disk.low_watermark), c->dry_run ? " (dry run)" : "");
}

void record_measurement(const struct config *c, const char *path, const struct usage *u, bool triggered) {
        char used[32], free_b[32], fb[32], total[32];
        usage_fields(u, used, free_b);
        daemon_format_bytes(u->free_bytes, fb, sizeof fb);
        daemon_format_bytes(u->total_bytes, total, sizeof total);
        struct log_field f[] = {
                { "DOCKERCLEAN_PATH", path },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
        };
        log_structured(triggered ? LOG_NOTICE : LOG_DEBUG, NULL, f, ELEMENTSOF(f),
                       "%s: %.1f%% used, %s free of %s, inodes %.1f%% used; cleaning starts at %s and ends below %s%s",
                       path, u->used_percent, fb, total, u->inodes_used_percent, DAEMON_PERCENT(c->disk.high_watermark),
                       DAEMON_PERCENT(c->disk.low_watermark), triggered ? ": cleaning" : "");
}

void record_engine_bytes(const struct engine_bytes *b, bool over) {
        char used[32], max[32], target[32], parts[4][32], h[5][32];
        snprintf(used, sizeof used, "%" PRIu64, engine_bytes_used(b));
        snprintf(max, sizeof max, "%" PRIu64, b->max_bytes);
        snprintf(target, sizeof target, "%" PRIu64, b->target_bytes);
        const uint64_t v[4] = { b->parts.images, b->parts.containers, b->parts.volumes, b->parts.build_cache };
        for (size_t i = 0; i < 4; i++) {
                snprintf(parts[i], sizeof parts[i], "%" PRIu64, v[i]);
                daemon_format_bytes(v[i], h[i], sizeof h[i]);
        }
        daemon_format_bytes(engine_bytes_used(b), h[4], sizeof h[4]);
        char hmax[32], htarget[32];
        daemon_format_bytes(b->max_bytes, hmax, sizeof hmax);
        daemon_format_bytes(b->target_bytes, htarget, sizeof htarget);
        struct log_field f[] = {
                { "DOCKERCLEAN_ENGINE_BYTES", used },
                { "DOCKERCLEAN_ENGINE_MAX_BYTES", max },
                { "DOCKERCLEAN_ENGINE_TARGET_BYTES", target },
                { "DOCKERCLEAN_ENGINE_IMAGES_BYTES", parts[0] },
                { "DOCKERCLEAN_ENGINE_CONTAINERS_BYTES", parts[1] },
                { "DOCKERCLEAN_ENGINE_VOLUMES_BYTES", parts[2] },
                { "DOCKERCLEAN_ENGINE_BUILD_CACHE_BYTES", parts[3] },
        };
        log_structured(over ? LOG_NOTICE : LOG_DEBUG, NULL, f, ELEMENTSOF(f),
                       "The engine itself uses %s (images %s, containers %s, volumes %s, build cache %s); cleaning starts at "
                       "max_engine_bytes %s and ends below %s%s",
                       h[4], h[0], h[1], h[2], h[3], hmax, htarget, over ? ": cleaning" : "");
}

void record_cleanup_started(const struct config *c, const char *path, const struct usage *u) {
        char used[32], free_b[32], fb[32];
        usage_fields(u, used, free_b);
        daemon_format_bytes(u->free_bytes, fb, sizeof fb);
        struct log_field f[] = {
                { "DOCKERCLEAN_PATH", path },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
        };
        log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_START, f, ELEMENTSOF(f),
                       "Cleanup started%s: %s %.1f%% used, %s free (clean at %s, down to below %s)",
                       c->dry_run ? " (dry run)" : "", path, u->used_percent, fb, DAEMON_PERCENT(c->disk.high_watermark),
                       DAEMON_PERCENT(c->disk.low_watermark));
}

/* DOCKERCLEAN_RULE's values. */
static const char *rule_field(enum policy_rule r) {
        switch (r) {
        case POLICY_RULE_MAX_AGE:
                return "max-age";
        case POLICY_RULE_CRITICAL:
                return "critical";
        case POLICY_RULE_TIER:
        case _POLICY_RULE_MAX:
                break;
        }
        return "tier";
}

/* Why an action's rule took it, for the end of a message: "" for the tier's own rule. */
static const char *rule_reason(const struct policy_action *a, char *buf, size_t n) {
        if (a->rule == POLICY_RULE_MAX_AGE)
                snprintf(buf, n, "; unused for longer than max_unused_age (%s), removed without waiting for disk pressure",
                         DAEMON_DURATION(a->age_sec));
        else if (a->rule == POLICY_RULE_CRITICAL)
                snprintf(buf, n, "; critical pass, min_age lowered to %s", DAEMON_DURATION(a->age_sec));
        else
                buf[0] = 0;
        return buf;
}

void record_max_age_started(const struct config *c, const char *path, const struct usage *u) {
        char used[32], free_b[32], fb[32];
        usage_fields(u, used, free_b);
        daemon_format_bytes(u->free_bytes, fb, sizeof fb);
        struct log_field f[] = {
                { "DOCKERCLEAN_PATH", path },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
                { "DOCKERCLEAN_RULE", "max-age" },
        };
        log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_START, f, ELEMENTSOF(f),
                       "Cleanup started%s for what is unused for longer than max_unused_age, without disk pressure: "
                       "%s %.1f%% used, %s free (below every trigger)",
                       c->dry_run ? " (dry run)" : "", path, u->used_percent, fb);
}

void record_critical(const struct config *c, const char *path, const struct usage *u, const struct policy_kept *k) {
        char used[32], free_b[32], fb[32], age[CONFIG_VALUE_STRING_MAX];
        char in_use[24], protected_[24], newest[24], young[24], over_max[24];
        usage_fields(u, used, free_b);
        daemon_format_bytes(u->free_bytes, fb, sizeof fb);
        config_format_duration(c->disk.critical_min_age_sec, age);
        snprintf(in_use, sizeof in_use, "%zu", k->in_use);
        snprintf(protected_, sizeof protected_, "%zu", k->protected_);
        snprintf(newest, sizeof newest, "%zu", k->newest);
        snprintf(young, sizeof young, "%zu", k->too_young);
        snprintf(over_max, sizeof over_max, "%zu", k->over_max_removals);
        struct log_field f[] = {
                { "DOCKERCLEAN_PATH", path },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
                { "DOCKERCLEAN_CRITICAL_MIN_AGE", age },
                { "DOCKERCLEAN_KEPT_IN_USE", in_use },
                { "DOCKERCLEAN_KEPT_PROTECTED", protected_ },
                { "DOCKERCLEAN_KEPT_NEWEST", newest },
                { "DOCKERCLEAN_KEPT_TOO_YOUNG", young },
                { "DOCKERCLEAN_KEPT_OVER_BUDGET", over_max },
        };
        log_structured(LOG_NOTICE, RECORD_MID_CRITICAL, f, ELEMENTSOF(f),
                       "Critical pass: %s is %.1f%% used (%s free), at or above the critical watermark %s, and the tiers' "
                       "own min_age left the targets unmet (kept: %zu in use or running, %zu protected, %zu newest of their "
                       "repository, %zu younger than min_age, %zu over max_removals); going on with every tier's min_age "
                       "lowered to %s (never what is in use, protected, or used within it)",
                       path, u->used_percent, fb, DAEMON_PERCENT(c->disk.critical_watermark), k->in_use, k->protected_,
                       k->newest, k->too_young, k->over_max_removals, age);
}

void record_step(const struct cleanup_step *s) {
        const struct policy_action *a = s->action;
        char bytes[32], est[32], used[32], free_b[32], fb[32], eb[32], nbuf[DAEMON_ACTION_NAME_MAX], why[160],
                short_note[200] = "";
        snprintf(bytes, sizeof bytes, "%" PRIu64, s->reclaimed_bytes);
        snprintf(est, sizeof est, "%" PRIu64, a->estimated_bytes);
        usage_fields(&s->after, used, free_b);
        struct log_field f[] = {
                { "DOCKERCLEAN_TIER", config_tier_type_to_string(a->tier) },
                { "DOCKERCLEAN_OBJECT", a->id },
                { "DOCKERCLEAN_NAME", a->name },
                { "DOCKERCLEAN_BYTES", bytes },
                { "DOCKERCLEAN_USED_PERCENT", used },
                { "DOCKERCLEAN_FREE_BYTES", free_b },
                { "DOCKERCLEAN_RULE", rule_field(a->rule) },
                { "DOCKERCLEAN_ESTIMATED_BYTES", est },
                { "DOCKERCLEAN_SHORT", s->short_freed ? "1" : "0" },
        };
        const char *noun = daemon_action_noun(a->kind), *name = daemon_action_name(a, nbuf);
        daemon_format_bytes(s->reclaimed_bytes, fb, sizeof fb);
        daemon_format_bytes(a->estimated_bytes, eb, sizeof eb);
        if (s->short_freed)
                snprintf(short_note, sizeof short_note, "; under 1%% of the %s estimated: its content is shared (build "
                         "cache, other images)%s", eb,
                         policy_short_stops_kind(a->kind) ? ", no more of its kind this round, planning again" : "");
        if (s->result == 0)
                log_structured(s->short_freed ? LOG_NOTICE : LOG_INFO, RECORD_MID_REMOVED, f, ELEMENTSOF(f),
                               "Removed %s %s (%s freed, now %.1f%% used%s%s)", noun, name, fb, s->after.used_percent,
                               rule_reason(a, why, sizeof why), short_note);
        else if (s->result == -ENOENT)
                log_debug("Skipped %s %s: already gone", noun, name);
        else if (s->result == -EBUSY)
                log_debug("Skipped %s %s: the engine says it is in use now", noun, name);
        else
                log_structured(LOG_WARNING, NULL, f, 2, "Could not remove %s %s: %s", noun, name,
                               s->message && *s->message ? s->message : strerror(-s->result));
}

void record_plan(const struct policy_plan *plan) {
        char est[32];
        /* Below the targets the plan is only its maximum-age part (n_to_target, maybe 0). */
        bool holds = plan->bytes_needed == 0 && !plan->inode_pressure;
        size_t shown = plan->n_to_target || holds ? plan->n_to_target : plan->n_actions;
        for (size_t i = 0; i < shown; i++) {
                const struct policy_action *a = &plan->actions[i];
                char bytes[32], nbuf[DAEMON_ACTION_NAME_MAX], why[160];
                snprintf(bytes, sizeof bytes, "%" PRIu64, a->estimated_bytes);
                struct log_field f[] = {
                        { "DOCKERCLEAN_TIER", config_tier_type_to_string(a->tier) },
                        { "DOCKERCLEAN_OBJECT", a->id },
                        { "DOCKERCLEAN_NAME", a->name },
                        { "DOCKERCLEAN_BYTES", bytes },
                        { "DOCKERCLEAN_DRY_RUN", "1" },
                        { "DOCKERCLEAN_RULE", rule_field(a->rule) },
                };
                daemon_format_bytes(a->estimated_bytes, est, sizeof est);
                log_structured(LOG_INFO, RECORD_MID_PLAN, f, ELEMENTSOF(f), "Would remove %s %s (%s, tier %s%s)",
                               daemon_action_noun(a->kind), daemon_action_name(a, nbuf), est,
                               config_tier_type_to_string(a->tier), rule_reason(a, why, sizeof why));
        }
        daemon_format_bytes(plan->estimated_total, est, sizeof est);
        log_info("Dry run: %zu %s planned up to the target, %s estimated in all candidates", shown,
                 shown == 1 ? "removal" : "removals", est);
}

/* The fields of cleanup finished and of every tier exhausted. */
struct total_fields;
static void record_short_of_target(const struct config *c, const struct cleanup_result *t, const char *path,
                                   const struct total_fields *g, const char *rules);
struct total_fields {
        char reclaimed[32], used[32], free_b[32];
        struct log_field f[4];
};

static void total_fields(const struct cleanup_result *t, const char *path, struct total_fields *ret) {
        snprintf(ret->reclaimed, sizeof ret->reclaimed, "%" PRIu64, t->reclaimed_bytes);
        usage_fields(&t->after, ret->used, ret->free_b);
        ret->f[0] = (struct log_field){ "DOCKERCLEAN_RECLAIMED_BYTES", ret->reclaimed };
        ret->f[1] = (struct log_field){ "DOCKERCLEAN_USED_PERCENT", ret->used };
        ret->f[2] = (struct log_field){ "DOCKERCLEAN_FREE_BYTES", ret->free_b };
        ret->f[3] = (struct log_field){ "DOCKERCLEAN_PATH", path };
}

void record_cleanup_finished(const struct config *c, const struct cleanup_result *t, const char *path,
                             const char *why, bool triggered) {
        struct total_fields g;
        char fb[32];
        total_fields(t, path, &g);
        daemon_format_bytes(t->reclaimed_bytes, fb, sizeof fb);
        if (why && t->n_removed + t->n_skipped + t->n_failed == 0) {
                struct log_field f[] = { g.f[0], g.f[1], g.f[2], g.f[3], { "DOCKERCLEAN_ERROR", why } };
                log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_DONE, f, ELEMENTSOF(f),
                               "Cleanup could not run: %s; nothing was removed", why);
        } else if (why) {
                struct log_field f[] = { g.f[0], g.f[1], g.f[2], g.f[3], { "DOCKERCLEAN_ERROR", why } };
                log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_DONE, f, ELEMENTSOF(f),
                               "Cleanup stopped early: %zu removed, %zu skipped, %zu failed; %s reclaimed; now %.1f%% used on %s; %s",
                               t->n_removed, t->n_skipped, t->n_failed, fb, t->after.used_percent, path, why);
        } else {
                /* Which of the removals the levers took, when they took any. */
                char rules[96] = "";
                size_t n_max_age = t->rule_removed[POLICY_RULE_MAX_AGE], n_critical = t->rule_removed[POLICY_RULE_CRITICAL];
                if (n_max_age > 0 || n_critical > 0)
                        snprintf(rules, sizeof rules, " (%zu by maximum age, %zu in the critical pass)", n_max_age, n_critical);
                if (triggered && !t->targets_met && !t->cancelled) {
                        record_short_of_target(c, t, path, &g, rules);
                        return;
                }
                log_structured(LOG_NOTICE, RECORD_MID_CLEANUP_DONE, g.f, ELEMENTSOF(g.f),
                               "Cleanup finished: %zu removed%s, %zu skipped, %zu failed; %s reclaimed; now %.1f%% used on %s%s",
                               t->n_removed, rules, t->n_skipped, t->n_failed, fb, t->after.used_percent, path,
                               t->cancelled ? " (interrupted)" : "");
        }
}

/* A triggered cleanup that stopped with its targets unmet: not a success. */
static void record_short_of_target(const struct config *c, const struct cleanup_result *t, const char *path,
                                   const struct total_fields *g, const char *rules) {
        char fb[32], low[48], nums[7][24];
        const struct policy_kept *k = &t->kept;
        const size_t v[7] = { k->in_use, k->protected_, k->newest, k->too_young, k->over_max_removals, t->n_refused, t->n_short };
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                snprintf(nums[i], sizeof nums[i], "%zu", v[i]);
        daemon_format_bytes(t->reclaimed_bytes, fb, sizeof fb);
        /* An --ensure-free cleanup's only target is free bytes (policy_free_target_config()). */
        bool free_target = c->disk.low_watermark > 100.0;
        if (free_target) {
                char tf[32];
                daemon_format_bytes(c->disk.target_free, tf, sizeof tf);
                snprintf(low, sizeof low, "%s free", tf);
        } else
                snprintf(low, sizeof low, "below %s", DAEMON_PERCENT(c->disk.low_watermark));
        const char *stop = cleanup_stop_to_string(t->stop);
        struct log_field f[] = {
                g->f[0], g->f[1], g->f[2], g->f[3],
                { "DOCKERCLEAN_TARGETS_MET", "0" },
                { "DOCKERCLEAN_STOP", stop ? stop : "?" },
                { "DOCKERCLEAN_KEPT_IN_USE", nums[0] },
                { "DOCKERCLEAN_KEPT_PROTECTED", nums[1] },
                { "DOCKERCLEAN_KEPT_NEWEST", nums[2] },
                { "DOCKERCLEAN_KEPT_TOO_YOUNG", nums[3] },
                { "DOCKERCLEAN_KEPT_OVER_BUDGET", nums[4] },
                { "DOCKERCLEAN_KEPT_REFUSED", nums[5] },
                { "DOCKERCLEAN_SHORT_REMOVALS", nums[6] },
        };
        /* The filesystem's targets may hold while the engine's own bytes (max_engine_bytes) do not. */
        const char *what = free_target                           ? "short of the free space asked for"
                           : policy_targets_met(c, &t->after) ? "with the engine's bytes over max_engine_bytes' target"
                                                              : "above the low watermark";
        log_structured(LOG_WARNING, RECORD_MID_CLEANUP_DONE, f, ELEMENTSOF(f),
                       "Cleanup ended %s: %zu removed%s, %zu skipped, %zu failed; %s reclaimed; "
                       "now %.1f%% used on %s, target %s; stopped: %s; kept: %zu in use or running, %zu "
                       "protected, %zu newest of their repository, %zu younger than min_age, %zu over max_removals, "
                       "%zu refused by the engine; %zu removals freed under 1%% of their estimate",
                       what, t->n_removed, rules, t->n_skipped, t->n_failed, fb, t->after.used_percent, path, low,
                       stop ? stop : "?", k->in_use, k->protected_, k->newest, k->too_young, k->over_max_removals,
                       t->n_refused, t->n_short);
}

void record_exhausted(const struct config *c, const struct cleanup_result *t, const char *path,
                      const struct episode *episode) {
        struct total_fields g;
        char fb[32], min_free[32], eligible[64] = "", next[160];
        total_fields(t, path, &g);
        daemon_format_bytes(t->after.free_bytes, fb, sizeof fb);
        daemon_format_bytes(c->disk.min_free, min_free, sizeof min_free);
        const struct policy_kept *k = &t->kept;
        if (k->too_young > 0 && k->next_eligible_ns > 0) {
                time_t at = (time_t) (k->next_eligible_ns / 1000000000LL);
                struct tm tm;
                strftime(eligible, sizeof eligible, " (the first is old enough at %Y-%m-%d %H:%M:%S UTC)", gmtime_r(&at, &tm));
        }
        if (episode)
                snprintf(next, sizeof next,
                         "planning again when an engine event frees something, usage grows by a point%s, or in %s",
                         k->too_young > 0 && k->next_eligible_ns > 0 ? ", a candidate is old enough" : "",
                         DAEMON_DURATION(episode->backoff_sec));
        else
                snprintf(next, sizeof next, "not planning again (--once)");
        char in_use[24], protected_[24], newest[24], young[24], over_max[24], refused[24];
        snprintf(in_use, sizeof in_use, "%zu", k->in_use);
        snprintf(newest, sizeof newest, "%zu", k->newest);
        snprintf(protected_, sizeof protected_, "%zu", k->protected_);
        snprintf(young, sizeof young, "%zu", k->too_young);
        snprintf(over_max, sizeof over_max, "%zu", k->over_max_removals);
        snprintf(refused, sizeof refused, "%zu", t->n_refused);
        struct log_field f[] = {
                g.f[0], g.f[1], g.f[2], g.f[3],
                { "DOCKERCLEAN_KEPT_IN_USE", in_use },
                { "DOCKERCLEAN_KEPT_PROTECTED", protected_ },
                { "DOCKERCLEAN_KEPT_NEWEST", newest },
                { "DOCKERCLEAN_KEPT_TOO_YOUNG", young },
                { "DOCKERCLEAN_KEPT_OVER_BUDGET", over_max },
                { "DOCKERCLEAN_KEPT_REFUSED", refused },
        };
        log_structured(LOG_WARNING, RECORD_MID_EXHAUSTED, f, ELEMENTSOF(f),
                       "Every tier is exhausted and %s is still %.1f%% used (%s free; high watermark %s, min_free %s); "
                       "kept: %zu in use or running, %zu protected, %zu newest of their repository, %zu younger than "
                       "min_age%s, %zu over max_removals, %zu refused by the engine; %s",
                       path, t->after.used_percent, fb, DAEMON_PERCENT(c->disk.high_watermark), min_free, k->in_use,
                       k->protected_, k->newest, k->too_young, eligible, k->over_max_removals, t->n_refused, next);
}

void record_command_started(const char *cmd, int pid, uint64_t timeout_sec, const struct lastresort_facts *f, bool path_passed) {
        char fb[32];
        daemon_format_bytes(f->free_bytes, fb, sizeof fb);
        struct log_field fields[] = { { "DOCKERCLEAN_COMMAND", cmd } };
        log_structured(LOG_NOTICE, NULL, fields, ELEMENTSOF(fields),
                       "Running exhausted_command %s (pid %d, timeout %s): %s %.1f%% used, %s free%s", cmd, pid,
                       DAEMON_DURATION(timeout_sec), path_passed ? f->path : "(path not passed)", f->used_percent, fb,
                       path_passed ? "" : " (DOCKERCLEAN_PATH not set)");
}

static const char *signal_name(int sig, char buf[static 16]) {
        const char *abbrev = sigabbrev_np(sig);
        if (abbrev)
                snprintf(buf, 16, "SIG%s", abbrev);
        else
                snprintf(buf, 16, "%d", sig);
        return buf;
}

void record_command_finished(const char *cmd, int how, int status, bool timed_out, uint64_t timeout_sec, uint64_t usec,
                             const struct lastresort_output *o) {
        char code[16] = "", sig[16] = "", sigbuf[16], took[32], line[LASTRESORT_OUTPUT_MAX + 256], lines[LASTRESORT_OUTPUT_MAX + 1];
        char what[96], output[LASTRESORT_OUTPUT_MAX + 300] = "";
        bool exited = how == CLD_EXITED;
        if (exited)
                snprintf(code, sizeof code, "%d", status);
        else
                snprintf(sig, sizeof sig, "%d", status);
        snprintf(took, sizeof took, "%.1fs", (double) usec / 1e6);
        if (timed_out)
                snprintf(what, sizeof what, "did not end within its timeout (%s) and was killed", DAEMON_DURATION(timeout_sec));
        else if (exited && status == 0)
                snprintf(what, sizeof what, "exited with status 0 after %s", took);
        else if (exited)
                snprintf(what, sizeof what, "failed with exit status %d after %s", status, took);
        else
                snprintf(what, sizeof what, "was killed by signal %s after %s", signal_name(status, sigbuf), took);
        lastresort_output_oneline(o, line, sizeof line);
        if (line[0])
                snprintf(output, sizeof output, "; output: %s%s", line, o->truncated ? " (more not shown)" : "");
        else
                snprintf(output, sizeof output, "; no output");
        struct log_field f[] = {
                { "DOCKERCLEAN_COMMAND", cmd },
                { "DOCKERCLEAN_EXIT_STATUS", code[0] ? code : NULL },
                { "DOCKERCLEAN_SIGNAL", sig[0] ? sig : NULL },
                { "DOCKERCLEAN_TIMED_OUT", timed_out ? "1" : NULL },
                { "DOCKERCLEAN_OUTPUT", o->len ? lastresort_output_lines(o, lines, sizeof lines) : NULL },
        };
        log_structured(exited && status == 0 && !timed_out ? LOG_NOTICE : LOG_WARNING, RECORD_MID_COMMAND, f, ELEMENTSOF(f),
                       "exhausted_command %s %s%s", cmd, what, output);
}

void record_command_failed_to_start(const char *cmd, int r) {
        struct log_field f[] = { { "DOCKERCLEAN_COMMAND", cmd }, { "DOCKERCLEAN_ERROR", strerror(-r) } };
        log_structured(LOG_WARNING, RECORD_MID_COMMAND, f, ELEMENTSOF(f), "exhausted_command %s could not be started: %s", cmd,
                       strerror(-r));
}

void record_command_refused(const char *cmd, int r, const char *why) {
        struct log_field f[] = { { "DOCKERCLEAN_COMMAND", cmd }, { "DOCKERCLEAN_ERROR", why } };
        /* Only -EPERM is about who may change it; a command that is gone is said as such. */
        log_structured(LOG_WARNING, RECORD_MID_COMMAND, f, ELEMENTSOF(f), "exhausted_command %s not run: %s%s", cmd, why,
                       r == -EPERM    ? "; only root may be able to change a command run as root"
                       : r == -ENOENT ? " (the command does not exist)"
                                      : "");
}

void record_command_stopped(const char *cmd, uint64_t usec, const struct lastresort_output *o) {
        char line[LASTRESORT_OUTPUT_MAX + 256];
        struct log_field f[] = { { "DOCKERCLEAN_COMMAND", cmd }, { "DOCKERCLEAN_ERROR", "dockercleand is stopping" } };
        lastresort_output_oneline(o, line, sizeof line);
        log_structured(LOG_WARNING, RECORD_MID_COMMAND, f, ELEMENTSOF(f),
                       "exhausted_command %s killed after %.1fs: dockercleand is stopping%s%s", cmd, (double) usec / 1e6,
                       line[0] ? "; output: " : "", line);
}

void record_engine_down(const char *host, const char *why, bool retrying) {
        struct log_field f[] = { { "DOCKERCLEAN_ENGINE", host } };
        log_structured(LOG_WARNING, RECORD_MID_ENGINE_DOWN, f, ELEMENTSOF(f), "Engine at %s: %s%s", host, why,
                       retrying ? "; retrying with backoff" : "");
}

void record_engine_up(const char *host) {
        struct log_field f[] = { { "DOCKERCLEAN_ENGINE", host } };
        log_structured(LOG_NOTICE, RECORD_MID_ENGINE_UP, f, ELEMENTSOF(f), "Engine at %s is reachable again", host);
}

void record_check_failed(const char *engine_host, const char *why, const char *request, long http_status,
                         const char *next) {
        char status[24] = "";
        if (http_status > 0)
                snprintf(status, sizeof status, "%ld", http_status);
        struct log_field f[] = {
                { "DOCKERCLEAN_ENGINE", engine_host },
                { "DOCKERCLEAN_ERROR", why },
                { "DOCKERCLEAN_REQUEST", request && *request ? request : NULL },
                { "DOCKERCLEAN_HTTP_STATUS", status[0] ? status : NULL },
        };
        log_structured(LOG_WARNING, RECORD_MID_CHECK_FAILED, f, ELEMENTSOF(f), "Check failed: %s; %s", why, next);
}

void record_check_recovered(const char *engine_host) {
        struct log_field f[] = { { "DOCKERCLEAN_ENGINE", engine_host } };
        log_structured(LOG_NOTICE, RECORD_MID_CHECK_RECOVERED, f, ELEMENTSOF(f), "Checks work again");
}

void record_metrics_failed(const char *path, int r, const char *why) {
        const char *error = why && *why ? why : strerror(-r);
        struct log_field f[] = { { "DOCKERCLEAN_METRICS_FILE", path }, { "DOCKERCLEAN_ERROR", error } };
        log_structured(LOG_WARNING, RECORD_MID_METRICS_FAILED, f, ELEMENTSOF(f),
                       "Cannot write the metrics file %s: %s%s; said once until a write works again", path, error,
                       why && *why ? "; refused: only root may be able to change where root writes" : "");
}

void record_config_reloaded(const char *path) {
        struct log_field f[] = { { "DOCKERCLEAN_CONFIG", path } };
        log_structured(LOG_INFO, RECORD_MID_CONFIG_RELOADED, f, ELEMENTSOF(f), "Configuration reloaded from %s", path);
}

void record_config_rejected(const char *path, const struct config_error *err, int r, bool reload) {
        char line[16];
        snprintf(line, sizeof line, "%d", err->line);
        struct log_field f[] = { { "DOCKERCLEAN_CONFIG", path }, { "DOCKERCLEAN_CONFIG_LINE", line } };
        log_structured(LOG_ERR, RECORD_MID_CONFIG_REJECTED, f, ELEMENTSOF(f), "%s%s",
                       err->text[0] ? err->text : strerror(-r), reload ? "; keeping the running configuration" : "");
}
